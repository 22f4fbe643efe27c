"""The shared benchmark dataset: a big, believable program in a fresh database.

Default size (the issues' benchmark sizes): 1,000,000 contacts in 200 turfs (10 regions),
300,000 conversations, 50,000 commitments, about 400,000 phones, 200 organizers, 400
leaders and 10 directors. Schema comes from the real migrations; rows are written with the
fastest bulk path per database (executemany on SQLite, COPY on PostgreSQL), so building
the full set takes well under two minutes.

    from bench.dataset import build_dataset
    info = build_dataset("sqlite:////tmp/fieldcrm-bench.sqlite")   # or a postgresql:// URL
    info.organizer_emails[0], info.password, info.turf_ids, ...

A SQLite file that already holds a dataset of the same parameters is reused (its JSON
sidecar records them). Run as a script to build one: `python bench/dataset.py URL [N]`.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

PASSWORD = "bench-password-1"
STREET_TYPES = ["ST", "AVE", "RD", "DR", "LN", "WAY", "CT", "PL", "BLVD", "TRL"]
STREET_NAMES = [
    "MAPLE", "OAK", "CHURCH", "MAIN", "WILLOW", "CEDAR", "PINE", "ELM", "HILL", "PARK",
    "SPRING", "LAKE", "RIVER", "MILL", "SCHOOL", "FOREST", "MEADOW", "RIDGE", "VALLEY", "GROVE",
    "JACKSON", "LINCOLN", "WASHINGTON", "FRANKLIN", "JEFFERSON", "MADISON", "MONROE", "KING",
    "HARRIS", "WEBB", "TUCKER", "ANTHONY", "RAUHUT", "HARDEN", "COVINGTON", "CAVALIER",
]  # fmt: skip
FIRST = [
    "MARIA", "JOSE", "JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL",
    "LINDA", "DAVID", "ELIZABETH", "WILLIAM", "BARBARA", "RICHARD", "SUSAN", "JOSEPH",
    "JESSICA", "THOMAS", "SARAH", "CARLOS", "KAREN", "DANIEL", "LISA", "LUIS", "NANCY", "ANA",
    "KEISHA", "DEANDRE", "TANISHA", "ROSA", "JUAN", "GABRIELA", "AHMED", "FATIMA", "PRIYA",
]  # fmt: skip
LAST = [
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
    "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR",
    "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ",
    "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "NGUYEN", "O'DONNELL",
]  # fmt: skip
RESULT_CODES = ["not_home", "refused", "moved", "deceased", "wrong_number", "inaccessible",
                "come_back"]  # fmt: skip
KINDS = ["volunteer_shift", "house_meeting", "training", "recruit", "vote_plan", "one_on_one"]
ISSUES = ["health_care", "wages", "rent", "the_boss", "immigration", "schools", "child_care"]


@dataclass
class DatasetInfo:
    """What a benchmark needs to know about a built dataset."""

    url: str
    contacts: int
    conversations: int
    commitments: int
    turfs: int
    seed: int
    password: str = PASSWORD
    admin_email: str = "admin@bench.test"
    director_emails: list[str] = field(default_factory=list)
    organizer_emails: list[str] = field(default_factory=list)
    leader_emails: list[str] = field(default_factory=list)
    turf_ids: list[int] = field(default_factory=list)
    region_ids: list[int] = field(default_factory=list)
    build_seconds: float = 0.0

    def params(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "conversations": self.conversations,
            "commitments": self.commitments,
            "turfs": self.turfs,
            "seed": self.seed,
        }


#: the PostgreSQL server the benchmarks create their databases on (``off``: none)
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")


@contextmanager
def postgres_database(name: str) -> Iterator[str | None]:
    """A fresh database ``name`` on the BENCH_PG_URL server, dropped afterwards: its URL,
    or None when that server does not answer (or BENCH_PG_URL is ``off``)."""
    if PG_URL == "off":
        yield None
        return
    try:
        import psycopg

        admin = psycopg.connect(PG_URL + "/postgres", autocommit=True, connect_timeout=3)
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        yield None
        return
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a run cut short
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def postgres_dataset_database(bench: str) -> Iterator[str | None]:
    """Where a benchmark on the shared dataset measures PostgreSQL: the database
    BENCH_POSTGRES_URL names when it is set (kept: a run may reuse what it filled), else a
    fresh one of its own on the BENCH_PG_URL server (None when none answers)."""
    named = os.environ.get("BENCH_POSTGRES_URL")
    if named:
        yield named
        return
    with postgres_database(f"{bench}_{os.getpid()}") as url:
        if url is None:
            print(f"{bench}: no PostgreSQL run (BENCH_PG_URL {PG_URL}: off or not answering)")
        yield url


def _sidecar(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :] + ".json")
    return None


def make_app(url: str):
    """The app on `url` (production-like config, no demo logins)."""
    from fieldcrm import create_app

    return create_app(
        "config.DevelopmentConfig",
        overrides={
            "SQLALCHEMY_DATABASE_URI": _normalise(url),
            "DEMO_LOGINS": False,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        },
    )


def _upgrade(url: str) -> None:
    from flask_migrate import upgrade

    from fieldcrm.extensions import db

    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _normalise(url: str) -> str:
    from config import _database_url

    if url.startswith(("postgres://", "postgresql://")):
        return _database_url(url)
    return url


def build_dataset(
    url: str,
    contacts: int = 1_000_000,
    conversations: int = 300_000,
    commitments: int = 50_000,
    turfs: int = 200,
    seed: int = 1,
    reuse: bool = True,
) -> DatasetInfo:
    """Create the schema on `url` (must be empty, or a reusable SQLite dataset) and fill it."""
    info = DatasetInfo(
        url=url,
        contacts=contacts,
        conversations=conversations,
        commitments=commitments,
        turfs=turfs,
        seed=seed,
    )
    sidecar = _sidecar(url)
    if reuse and sidecar and sidecar.exists():
        saved = json.loads(sidecar.read_text())
        if {k: saved.get(k) for k in info.params()} == info.params():
            _upgrade(url)  # a dataset built before the latest migrations gets them
            return DatasetInfo(**saved)
    if sidecar:
        db_file = Path(url[len("sqlite:///") :])
        for p in (db_file, sidecar, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
            p.unlink(missing_ok=True)
        db_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    app = make_app(url)
    from flask_migrate import upgrade

    from fieldcrm.extensions import db
    from fieldcrm.rollups import ddl, maintain

    with app.app_context():
        upgrade()
        # Filled like a restore: the per-row rollup triggers are off while the rows go in,
        # and every turf is counted once at the end.
        with db.engine.begin() as connection:
            ddl.drop(connection)
        _fill(db.engine, info, random.Random(seed))
        with db.engine.begin() as connection:
            ddl.install(connection)
            maintain.rebuild(connection)
            connection.exec_driver_sql("ANALYZE turf_people")
            connection.exec_driver_sql("ANALYZE turf_days")
        db.engine.dispose()
    info.build_seconds = round(time.perf_counter() - started, 1)
    if sidecar:
        sidecar.write_text(json.dumps(asdict(info), indent=1))
    return info


# -- writing -------------------------------------------------------------------------------


class _Writer:
    """Bulk insert of tuples: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.cur = self.raw.cursor()
        if not self.pg:
            self.cur.execute("PRAGMA synchronous=OFF")

    def ts(self, value: datetime) -> Any:
        return value if self.pg else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def json(self, value: Any) -> str:
        return json.dumps(value)

    def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.pg:
            with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self.cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )

    def finish(self) -> None:
        self.raw.commit()
        if self.pg:
            for table in (
                "regions",
                "turfs",
                "users",
                "contacts",
                "contact_phones",
                "conversations",
                "commitments",
                "commitment_events",
                "leader_assignments",
                "ladder_stages",
                "ladder_moves",
            ):
                self.cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )
            self.raw.commit()
            self.cur.execute("ANALYZE")
        else:
            self.cur.execute("ANALYZE")
        self.raw.commit()
        self.raw.close()


def _fill(engine: sa.Engine, info: DatasetInfo, rng: random.Random) -> None:  # noqa: PLR0915
    from fieldcrm.auth.passwords import hash_password

    w = _Writer(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    stamp = w.ts(now)
    pw_hash = hash_password(PASSWORD)
    n_regions = max(1, info.turfs // 20)

    # Regions, turfs, ladder stages, choice lists (replacing the defaults `db upgrade`
    # installs, so ids and labels are the dataset's own).
    for table in ("ladder_stages", "choice_options"):
        w.cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    w.insert(
        "regions",
        ["id", "name", "created_at", "updated_at"],
        [(r, f"Region {r}", stamp, stamp) for r in range(1, n_regions + 1)],
    )
    turf_rows, turf_region, centers = [], {}, {}
    for t in range(1, info.turfs + 1):
        region = (t - 1) % n_regions + 1
        turf_region[t] = region
        zip5 = f"{27000 + t:05d}"
        centers[t] = (35.0 + (t % 20) * 0.05, -80.0 + (t // 20) * 0.05)
        turf_rows.append(
            (
                t,
                region,
                f"Turf {t:03d}",
                w.json([f"P{t:03d}A", f"P{t:03d}B"]),
                w.json([]),
                1,
                stamp,
                stamp,
            )
        )
        info.turf_ids.append(t)
    w.insert(
        "turfs",
        [
            "id",
            "region_id",
            "name",
            "precinct_codes",
            "zip_codes",
            "definition_version",
            "created_at",
            "updated_at",
        ],
        turf_rows,
    )
    info.region_ids = list(range(1, n_regions + 1))
    from fieldcrm.ladder.models import DEFAULT_LADDER

    w.insert(
        "ladder_stages",
        ["id", "name", "position", "description", "active", "created_at", "updated_at"],
        [
            (i, name, i, desc, True, stamp, stamp)
            for i, (name, desc) in enumerate(DEFAULT_LADDER, start=1)
        ],
    )
    from fieldcrm.conversations.services import DEFAULT_CHOICES

    options, oid = [], 0
    for list_name, entries in DEFAULT_CHOICES.items():
        for pos, (code, label) in enumerate(entries):
            oid += 1
            options.append((oid, list_name, code, label, pos, True))
    w.insert("choice_options", ["id", "list_name", "code", "label", "position", "active"], options)

    # Users: admin, one director per region, one organizer per turf, two leaders per turf.
    users, user_turfs, user_regions = [], [], []
    uid = 1
    users.append((uid, info.admin_email, "Bench Admin", "admin"))
    for r in range(1, n_regions + 1):
        uid += 1
        email = f"director{r}@bench.test"
        users.append((uid, email, f"Director {r}", "director"))
        user_regions.append((uid, r))
        info.director_emails.append(email)
    organizer_of: dict[int, int] = {}
    leaders_of: dict[int, list[int]] = {}
    for t in range(1, info.turfs + 1):
        uid += 1
        email = f"organizer{t}@bench.test"
        users.append((uid, email, f"Organizer {t}", "organizer"))
        user_turfs.append((uid, t))
        organizer_of[t] = uid
        info.organizer_emails.append(email)
        leaders_of[t] = []
        for k in range(2):
            uid += 1
            email = f"leader{t}_{k}@bench.test"
            users.append((uid, email, f"Leader {t}-{k}", "leader"))
            user_turfs.append((uid, t))
            leaders_of[t].append(uid)
            info.leader_emails.append(email)
    w.insert(
        "users",
        [
            "id",
            "email",
            "name",
            "password_hash",
            "role",
            "active",
            "locale",
            "session_token",
            "totp_enabled",
            "created_at",
            "updated_at",
        ],
        [
            (i, e, n, pw_hash, role, True, "en", f"bench-token-{i}", False, stamp, stamp)
            for i, e, n, role in users
        ],
    )
    w.insert("user_turfs", ["user_id", "turf_id"], user_turfs)
    w.insert("user_regions", ["user_id", "region_id"], user_regions)

    # Contacts in households on streets, per turf; phones for ~40%.
    per_turf = info.contacts // info.turfs
    contact_cols = [
        "id",
        "source",
        "voter_id",
        "first_name",
        "last_name",
        "display_name",
        "search_name",
        "search_first",
        "search_surname",
        "birth_year",
        "party",
        "res_line1",
        "res_house_number",
        "res_street_name",
        "res_city",
        "res_state",
        "res_zip5",
        "county",
        "precinct_code",
        "precinct_name",
        "voter_status",
        "latitude",
        "longitude",
        "geo_source",
        "geo_precision",
        "household_key",
        "support_level",
        "ladder_stage_id",
        "ladder_stage_since",
        "turf_id",
        "do_not_contact",
        "not_in_latest_file",
        "version",
        "created_at",
        "updated_at",
        "vf_hash",
    ]
    phone_cols = [
        "id",
        "contact_id",
        "e164",
        "raw",
        "kind",
        "source",
        "valid",
        "do_not_call",
        "created_at",
        "reversed_digits",
    ]
    from fieldcrm.lib.search_keys import name_keys, phone_key

    cid = pid = 0
    contact_turf: list[int] = [0]
    for t in range(1, info.turfs + 1):
        rows, phones = [], []
        lat0, lon0 = centers[t]
        streets = [f"{rng.choice(STREET_NAMES)} {rng.choice(STREET_TYPES)}" for _ in range(45)]
        count = per_turf if t < info.turfs else info.contacts - cid
        made = 0
        while made < count:
            s = rng.randrange(len(streets))
            street = streets[s]
            number = rng.randrange(1, 400) * 2 + rng.randrange(2)
            lat = lat0 + (s % 9) * 0.002 + number * 0.00001
            lon = lon0 + (s // 9) * 0.002 + rng.random() * 0.0004
            zip5 = f"{27000 + t:05d}"
            key = f"{number} {street}|{zip5}"
            last = rng.choice(LAST)
            for _ in range(min(rng.choice((1, 1, 2, 2, 3, 4)), count - made)):
                cid += 1
                made += 1
                first = rng.choice(FIRST)
                support = rng.choice((1, 2, 3, 4, 5)) if rng.random() < 0.2 else None
                stage = rng.randrange(1, 6) if rng.random() < 0.02 else None
                rows.append(
                    (
                        cid,
                        "bench",
                        f"BN{cid:08d}",
                        first,
                        last,
                        f"{first.title()} {last.title()}",
                        *name_keys(first, last),
                        rng.randrange(1940, 2007),
                        rng.choice(("DEM", "REP", "UNA")),
                        f"{number} {street}",
                        number,
                        street,
                        "BENCHVILLE",
                        "NC",
                        zip5,
                        "BENCH",
                        f"P{t:03d}{'AB'[s % 2]}",
                        f"PRECINCT {t}",
                        "active",
                        lat,
                        lon,
                        "voterfile",
                        "rooftop",
                        key,
                        support,
                        stage,
                        w.ts(now - timedelta(days=rng.randrange(1, 200))) if stage else None,
                        t,
                        False,
                        False,
                        1,
                        stamp,
                        stamp,
                        f"{cid:040x}",
                    )
                )
                contact_turf.append(t)
                if rng.random() < 0.4:
                    pid += 1
                    digits = f"336{rng.randrange(2000000, 9999999)}"
                    phones.append(
                        (pid, cid, f"+1{digits}", digits, "cell", "voterfile", True, False, stamp,
                         phone_key(f"+1{digits}", digits))
                    )  # fmt: skip
        w.insert("contacts", contact_cols, rows)
        w.insert("contact_phones", phone_cols, phones)

    # Conversations over the last 90 days by the turf's organizer.
    conv_cols = [
        "id",
        "contact_id",
        "user_id",
        "occurred_at",
        "channel",
        "result_code",
        "is_conversation",
        "support_level",
        "issues",
        "created_at",
        "updated_at",
    ]
    last_touch: dict[int, tuple[datetime, bool]] = {}
    batch = []
    for vid in range(1, info.conversations + 1):
        contact = rng.randrange(1, cid + 1)
        t = contact_turf[contact]
        when = now - timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        real = rng.random() < 0.25
        batch.append(
            (
                vid,
                contact,
                organizer_of[t],
                w.ts(when),
                rng.choice(("door", "door", "door", "phone", "one_on_one"))
                if real
                else rng.choice(("door", "phone")),
                None if real else rng.choice(RESULT_CODES),
                real,
                rng.choice((1, 2, 3, 4, 5)) if real else None,
                w.json(rng.sample(ISSUES, 2) if real else []),
                w.ts(when),
                w.ts(when),
            )
        )
        prev = last_touch.get(contact)
        last_touch[contact] = (
            max(when, prev[0]) if prev else when,
            real or (prev[1] if prev else False),
        )
        if len(batch) >= 50_000:
            w.insert("conversations", conv_cols, batch)
            batch = []
    w.insert("conversations", conv_cols, batch)
    # Keep the contacts' last_attempt_at consistent with the conversations.
    update = [
        (w.ts(when), w.ts(when) if real else None, contact)
        for contact, (when, real) in last_touch.items()
    ]
    if w.pg:
        _pg_touch(w, update)
    else:
        w.cur.executemany(
            "UPDATE contacts SET last_attempt_at = ?, last_contacted_at = ? WHERE id = ?", update
        )

    # Commitments (owned by organizers and leaders), one open event each, some outcomes.
    com_cols = [
        "id",
        "contact_id",
        "kind",
        "due_date",
        "owner_id",
        "created_by_id",
        "status",
        "status_changed_at",
        "created_at",
        "updated_at",
    ]
    ev_cols = ["id", "commitment_id", "at", "by_user_id", "from_status", "to_status"]
    coms, events, assignments, seen_assign = [], [], [], set()
    eid = 0
    for k in range(1, info.commitments + 1):
        contact = rng.randrange(1, cid + 1)
        t = contact_turf[contact]
        owner = rng.choice([organizer_of[t], *leaders_of[t]])
        due = today + timedelta(days=rng.randrange(-30, 30))
        status = (
            "open"
            if due >= today or rng.random() < 0.3
            else rng.choice(("kept", "kept", "flaked", "cancelled"))
        )
        created = now - timedelta(days=rng.randrange(1, 60))
        coms.append(
            (
                k,
                contact,
                rng.choice(KINDS),
                due.isoformat() if not w.pg else due,
                owner,
                organizer_of[t],
                status,
                w.ts(created),
                w.ts(created),
                w.ts(created),
            )
        )
        eid += 1
        events.append((eid, k, w.ts(created), organizer_of[t], None, "open"))
        if status != "open":
            eid += 1
            events.append((eid, k, w.ts(created + timedelta(days=1)), owner, "open", status))
        if owner != organizer_of[t] and (owner, contact) not in seen_assign:
            seen_assign.add((owner, contact))
            assignments.append((len(assignments) + 1, owner, contact, organizer_of[t], stamp))
    w.insert("commitments", com_cols, coms)
    w.insert("commitment_events", ev_cols, events)
    w.insert(
        "leader_assignments",
        ["id", "leader_id", "contact_id", "assigned_by_id", "assigned_at"],
        assignments,
    )

    # Ladder moves for the contacts on the ladder.
    moves = []
    staged = list(range(1, cid + 1, 50))
    for m, contact in enumerate(staged[: max(1, info.contacts // 50)], start=1):
        t = contact_turf[contact]
        moves.append(
            (
                m,
                contact,
                None,
                rng.randrange(1, 4),
                w.ts(now - timedelta(days=rng.randrange(0, 120))),
                organizer_of[t],
                "bench",
            )
        )
    w.insert(
        "ladder_moves",
        ["id", "contact_id", "from_stage_id", "to_stage_id", "moved_at", "by_user_id", "reason"],
        moves,
    )
    w.finish()


def _pg_touch(w: _Writer, update: list[tuple]) -> None:
    w.cur.execute("CREATE TEMP TABLE touch (at timestamptz, talked timestamptz, id int)")
    w.insert("touch", ["at", "talked", "id"], update)
    w.cur.execute(
        "UPDATE contacts c SET last_attempt_at = t.at, last_contacted_at = t.talked "
        "FROM touch t WHERE c.id = t.id"
    )
    w.cur.execute("DROP TABLE touch")


def today_local() -> date:
    return datetime.now(UTC).date()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{ROOT / 'bench/out/dataset.sqlite'}"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    result = build_dataset(
        target, contacts=size, conversations=size * 3 // 10, commitments=size // 20
    )
    print(f"built {result.contacts} contacts in {result.build_seconds} s at {target}")
