"""Load test: 50 organizers, some on the same people, 2 directors, an upload, an import.

On loopback only and bounded in time (about four minutes with both databases). For
SQLite (a temporary file) and, when a PostgreSQL server answers on BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432), for a fresh database created and dropped here:

1. migrate and seed: 10 regions x 5 turfs, one organizer per turf (50), ~1,000 contacts
   per turf (BENCH_LOAD_CONTACTS, default 50,000). Every organizer also works the first
   turf of their region, where one household of four people is *hot*: its region's five
   organizers all log on it (BENCH_LOAD_HOT_SHARE of their writes, default 0.3), as
   happens when a household is on several organizers' lists;
2. BENCH_LOAD_DIRECTORS directors (default 2), each over half the regions, signed in with
   their password and a TOTP code (production requires two-factor for directors);
3. start gunicorn as production does (gunicorn.conf.py and its defaults, unless
   BENCH_LOAD_WORKERS / BENCH_LOAD_THREADS say otherwise) with the production config
   (CSRF on, argon2 at production cost);
4. for BENCH_LOAD_SECONDS (default 60): each organizer alternates logging a conversation
   (POST through the conversation form) and opening the dashboard (GET /home); each
   director alternates searching contacts by name (GET /contacts/?q=...), opening the
   coverage page (GET /coverage) and a contact found; all with a think time of
   BENCH_LOAD_THINK seconds (default 2, uniformly 1-3 s), far busier than people are;
5. meanwhile the first director uploads a voter file through the upload page (a real
   multipart POST of BENCH_LOAD_UPLOAD_ROWS rows, default 20,000, NC layout) every
   BENCH_LOAD_UPLOAD_EVERY seconds (default 20), and opens its check page; and
6. an import runs: `fieldcrm imports voter-file` on a generated NC file of
   BENCH_LOAD_IMPORT_ROWS rows (default 100,000) in a subprocess, started again when it
   finishes;
7. report p50 / p95 / p99 latency of every interactive request (the upload POSTs
   themselves, which carry megabytes, are reported apart), the number of 5xx responses,
   and the difference between successful writes (redirect after POST) and the rows
   found in the database.

PostgreSQL runs as the scale-out does: when Redis answers on BENCH_REDIS_URL (default
redis://127.0.0.1:6379/9, emptied first), with REDIS_URL set and an RQ worker
(`python -m fieldcrm.worker`) running the upload checks. BENCH_LOAD_DATABASES picks the
databases (default `sqlite,postgres`). Beside the latencies it logs the p95 of each tenth of
the run and the CPU each kind of process used (web workers, PostgreSQL backends, the import,
the job worker, this generator, everything else), to tell the code's cost from a busy
machine.

Prints `bench load_<db>_p95`, `bench load_<db>_5xx` and `bench load_<db>_rows_match`
lines; exits non-zero when a 5xx happened or a row is missing.
"""

from __future__ import annotations

import http.cookiejar
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from bench.dataset import postgres_database  # noqa: E402

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
CONTACTS = int(os.environ.get("BENCH_LOAD_CONTACTS", "50000"))
WORKERS = os.environ.get("BENCH_LOAD_WORKERS")  # default: gunicorn.conf.py's
THREADS = os.environ.get("BENCH_LOAD_THREADS")  # default: gunicorn.conf.py's
DIRECTORS = int(os.environ.get("BENCH_LOAD_DIRECTORS", "2"))
HOT_SHARE = float(os.environ.get("BENCH_LOAD_HOT_SHARE", "0.3"))
UPLOAD_ROWS = int(os.environ.get("BENCH_LOAD_UPLOAD_ROWS", "20000"))
UPLOAD_EVERY = float(os.environ.get("BENCH_LOAD_UPLOAD_EVERY", "20"))
THINK = float(os.environ.get("BENCH_LOAD_THINK", "2.0"))
WITH_IMPORT = os.environ.get("BENCH_LOAD_IMPORT", "1") != "0"
IMPORT_CHUNK = int(os.environ.get("BENCH_LOAD_IMPORT_CHUNK", "500"))
IMPORT_PAUSE = float(os.environ.get("BENCH_LOAD_IMPORT_PAUSE", "0.1"))
IMPORT_ROWS = int(os.environ.get("BENCH_LOAD_IMPORT_ROWS", "100000"))
#: PostgreSQL runs as the scale-out does, with jobs on an RQ worker, when Redis answers here
#: (its database is emptied first)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
DATABASES = os.environ.get("BENCH_LOAD_DATABASES", "sqlite,postgres").split(",")
PASSWORD = "bench-password-long"  # noqa: S105 - synthetic bench accounts
P95_GOAL_MS = 200
# Requests reported apart from the interactive p95: an upload POST carries megabytes.
UNTIMED = frozenset({"POST upload"})


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- data ------------------------------------------------------------------------------


@dataclass
class People:
    """Who signs in: organizers (email, own contact ids, hot contact ids) and directors
    (email, TOTP secret)."""

    organizers: list[tuple[str, list[int], list[int]]]
    directors: list[tuple[str, str]]


def seed(env: dict[str, str]) -> People:
    """Migrate and load the synthetic program (see the module docstring)."""
    subprocess.run(
        [str(BIN / "fieldcrm"), "db", "upgrade"], env=env, check=True, capture_output=True
    )
    import pyotp
    import sqlalchemy as sa

    from config import _database_url
    from fieldcrm import create_app
    from fieldcrm.auth import services as auth_services
    from fieldcrm.auth.models import User
    from fieldcrm.contacts.models import Contact
    from fieldcrm.extensions import db
    from fieldcrm.turf.models import Region, Turf

    app = create_app(
        "config.DevelopmentConfig",
        overrides={"SQLALCHEMY_DATABASE_URI": _database_url(env["DATABASE_URL"])},
    )
    per_turf = max(1, CONTACTS // USERS)
    organizers, directors = [], []
    with app.app_context():
        turfs, regions = [], []
        for r in range(max(1, USERS // 5)):
            region = Region(name=f"Region {r}")
            regions.append(region)
            db.session.add(region)
            for t in range(5):
                if len(turfs) < USERS:
                    turfs.append(
                        Turf(name=f"Turf {r}-{t}", region=region, precinct_codes=[f"P{r}{t}"])
                    )
        db.session.add_all(turfs)
        db.session.flush()
        for i, turf in enumerate(turfs):
            shared = turfs[i - i % 5]  # the first turf of the region
            auth_services.create_user(
                None,
                auth_services.UserInput(
                    email=f"org{i}@bench.test",
                    name=f"Organizer {i}",
                    role="organizer",
                    password=PASSWORD,
                    turf_ids=tuple({turf.id, shared.id}),
                ),
            )
            rows = [
                {
                    "turf_id": turf.id,
                    "source": "bench",
                    "first_name": f"First{n}",
                    "last_name": f"Last{i}x{n}",
                    "display_name": f"First{n} Last{i}x{n}",
                    "res_line1": f"{n // 4 * 2 + 1} MAIN ST",
                    "res_house_number": n // 4 * 2 + 1,
                    "res_street_name": "MAIN ST",
                    "res_city": "BURLINGTON",
                    "res_state": "NC",
                    "res_zip5": "27215",
                    "precinct_code": f"P{i // 5}{i % 5}",
                    # four people per door; the first door of a region's first turf is hot
                    "household_key": f"{n // 4 * 2 + 1} MAIN ST|{turf.id}",
                }
                for n in range(per_turf)
            ]
            db.session.execute(sa.insert(Contact), rows)
        per_director = max(1, len(regions) // max(1, DIRECTORS))
        for d in range(DIRECTORS + 1):  # the last one uploads, over the first regions
            mine = regions[d * per_director : (d + 1) * per_director] or regions[:per_director]
            user = auth_services.create_user(
                None,
                auth_services.UserInput(
                    email=f"dir{d}@bench.test",
                    name=f"Director {d}",
                    role="director",
                    password=PASSWORD,
                    region_ids=tuple(r.id for r in mine),
                ),
            )
            secret = pyotp.random_base32(32)
            db.session.execute(
                sa.update(User)
                .where(User.id == user.id)
                .values(totp_secret=secret, totp_enabled=True)
            )
            directors.append((f"dir{d}@bench.test", secret))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # As autovacuum would soon after a bulk load: planner statistics.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        for i, turf in enumerate(turfs):
            ids = db.session.scalars(
                sa.select(Contact.id).where(Contact.turf_id == turf.id).limit(200)
            ).all()
            shared = turfs[i - i % 5]
            hot = db.session.scalars(
                sa.select(Contact.id)
                .where(Contact.turf_id == shared.id)
                .order_by(Contact.id)
                .limit(4)
            ).all()
            organizers.append((f"org{i}@bench.test", list(ids), list(hot)))
        db.engine.dispose()
    return People(organizers, directors)


def count_rows(database_url: str, table: str) -> int:
    import sqlalchemy as sa

    from config import _database_url

    engine = sa.create_engine(_database_url(database_url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def bulk_writer(database_url: str, stop: threading.Event, written: list[int]) -> None:
    """Stand-in for the voter-file import: 500-contact chunks, one short transaction each.

    Like the real import it commits per chunk and pauses briefly between chunks
    (IMPORT_PAUSE), so interactive writes get the SQLite write lock in between.
    """
    import sqlalchemy as sa

    from config import _database_url
    from fieldcrm.contacts.models import Contact
    from fieldcrm.lib import sqlite_setup

    engine = sa.create_engine(_database_url(database_url))
    sqlite_setup.configure_engine(engine)
    with engine.connect() as conn:
        turf_id = conn.execute(sa.text("SELECT min(id) FROM turfs")).scalar_one()
    n = 0
    while not stop.is_set():
        rows = [
            {
                "turf_id": turf_id,
                "source": "import",
                "first_name": "Imported",
                "last_name": str(n + k),
                "display_name": f"Imported {n + k}",
                "household_key": f"imp{n + k}",
            }
            for k in range(IMPORT_CHUNK)
        ]
        with engine.begin() as conn:
            conn.execute(sa.insert(Contact.__table__), rows)
        n += IMPORT_CHUNK
        written.append(IMPORT_CHUNK)
        time.sleep(IMPORT_PAUSE)
    engine.dispose()


class VoterFileImport:
    """The real import: `fieldcrm imports voter-file` on a generated NC file, in a subprocess,
    started again whenever it finishes, until stopped."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        sys.path.insert(0, str(ROOT / "bench"))
        from voterfile_gen import write_nc_file

        self.env, self.rows, self.runs = env, IMPORT_ROWS, 0
        self.path = write_nc_file(workdir / "ncvoter_load.txt", IMPORT_ROWS)
        self.process: subprocess.Popen | None = None
        self.failures = 0

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "fieldcrm"), "imports", "voter-file", str(self.path)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def run(self, stop: threading.Event) -> None:
        self._start()
        while not stop.is_set():
            if self.process.poll() is not None:
                self.runs += 1
                self.failures += self.process.returncode != 0
                self._start()
            time.sleep(0.2)
        self.process.terminate()
        self.process.wait(timeout=60)


def real_import_available(env: dict[str, str]) -> bool:
    if not (ROOT / "bench" / "voterfile_gen.py").exists():
        return False
    help_text = subprocess.run(
        [str(BIN / "fieldcrm"), "imports", "--help"], env=env, capture_output=True, text=True
    ).stdout
    return "voter-file" in help_text


# -- HTTP ------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """Collects forms: action -> {field: default value}."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "submit":
                return
            self.forms[-1][1].setdefault(a["name"], a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1][1].setdefault(a["name"], "")
        elif tag == "option" and self._select:
            fields = self.forms[-1][1]
            if not fields.get(self._select) or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.forms[-1][1].setdefault(a["name"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    #: when each of `latencies` ended (monotonic seconds)
    ended: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    writes_ok: int = 0
    #: writes answered neither with a redirect nor a 5xx (a form error): the first few bodies
    writes_refused: list[str] = field(default_factory=list)
    untimed_5xx: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


class Person:
    """A signed-in browser: its own cookies, every request timed into `stats`."""

    def __init__(self, base: str, email: str, stats: Stats) -> None:
        self.base, self.email, self.stats = base, email, stats
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(
        self,
        path: str,
        data: dict | bytes | None = None,
        record: bool = True,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        if isinstance(data, dict):
            body = urllib.parse.urlencode(data).encode()
        else:
            body = data
        req = urllib.request.Request(  # noqa: S310 - loopback http only
            self.base + path, data=body, headers=headers or {}
        )
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        elapsed = (time.perf_counter() - started) * 1000
        if record:
            kind = kind or ("POST write" if data is not None else "GET " + path.split("?")[0])
            with self.stats.lock:
                if kind not in UNTIMED:
                    self.stats.latencies.append(elapsed)
                    self.stats.ended.append(time.monotonic())
                    self.stats.statuses.append(status)
                self.stats.by_kind.setdefault(kind, []).append(elapsed)
                if status >= 500:
                    self.stats.errors.append(f"{status} {path}")
                    self.stats.untimed_5xx += kind in UNTIMED
        return status, text

    def form(self, path: str, action_pattern: str) -> tuple[str, dict[str, str]] | None:
        status, text = self.request(path, record=False)
        if status != 200:
            return None
        parser = FormParser()
        parser.feed(text)
        for action, fields in parser.forms:
            if re.search(action_pattern, action):
                return action, fields
        return None

    def sign_in(self, totp_secret: str | None = None) -> None:
        _action, fields = self.form("/auth/login", r"/auth/login")
        fields.update(email=self.email, password=PASSWORD)
        status, _ = self.request("/auth/login", fields, record=False)
        if status == 302 and totp_secret:
            import pyotp

            _action, fields = self.form("/auth/2fa", r"/auth/2fa")
            fields["code"] = pyotp.TOTP(totp_secret).now()
            status, _ = self.request("/auth/2fa", fields, record=False)
        if status != 302:
            raise RuntimeError(f"sign-in failed for {self.email}: {status}")


class Organizer(Person):
    def __init__(
        self, base: str, email: str, contact_ids: list[int], hot: list[int], stats: Stats
    ) -> None:
        super().__init__(base, email, stats)
        self.contacts, self.hot = contact_ids, hot

    def prepare(self) -> None:
        """Read the write form once (CSRF token, defaults); later writes only POST."""
        contact = self.contacts[0]
        found = self.form(f"/contacts/{contact}/log", rf"/contacts/{contact}/conversations")
        if found is None:
            raise RuntimeError(f"write form not found for {self.email}")
        action, self.fields = found
        self.action = urllib.parse.urlsplit(action).path.replace(f"/{contact}/", "/{id}/")

    def write(self) -> None:
        hot = self.hot and random.random() < HOT_SHARE
        contact = random.choice(self.hot if hot else self.contacts)
        fields = dict(self.fields)
        for name in fields:
            if name.endswith("notes"):
                fields[name] = "Talked about rent and the landlord; follow up."
            elif name.endswith("idempotency_key"):
                fields[name] = secrets.token_hex(16)
        if random.random() < 0.5:  # a conversation: "We talked", with a support level
            fields["result_code"] = ""
            fields["support_level"] = str(random.randint(1, 5))
        else:  # a one-tap attempt carries no conversation fields
            fields["result_code"] = "not_home"
            fields.pop("support_level", None)
        status, text = self.request(self.action.replace("{id}", str(contact)), fields)
        with self.stats.lock:
            if status == 302:
                self.stats.writes_ok += 1
            elif status < 500:
                errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', text)
                self.stats.writes_refused.append(f"{status} {errors[:3] or text[:200]!r}")

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            if random.random() < 0.5:
                self.write()
            else:
                self.request("/home")
            time.sleep(random.uniform(0.5 * THINK, 1.5 * THINK))


class Director(Person):
    """Searches contacts by name, opens one, opens the coverage page."""

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            roll = random.random()
            if roll < 0.5:
                organizer, n = random.randrange(USERS), random.randrange(200)
                q = random.choice([f"Last{organizer}x{n}", f"First{n}", f"Last{organizer}"])
                status, text = self.request(f"/contacts/?q={q}", kind="GET /contacts/?q=")
                found = re.findall(r'href="/contacts/(\d+)"', text)
                if found and random.random() < 0.5:
                    self.request(f"/contacts/{random.choice(found)}", kind="GET /contacts/<id>")
            else:
                self.request("/coverage")
            time.sleep(random.uniform(0.5 * THINK, 1.5 * THINK))


class Uploader(Person):
    """A director uploading a voter file through the upload page, then opening its check."""

    def __init__(self, base: str, email: str, stats: Stats, path: Path) -> None:
        super().__init__(base, email, stats)
        self.path, self.uploads, self.failures = path, 0, 0

    def upload(self) -> None:
        _action, fields = self.form("/imports/new", r"^$|/imports/new")
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in (
            ("csrf_token", fields["csrf_token"]),
            ("source", "NC upload"),
            ("full_file", "y"),
        ):
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{self.path.name}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
            + self.path.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, _ = self.request(
            "/imports/new",
            b"".join(parts),
            kind="POST upload",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        self.uploads += 1
        if status != 302:
            self.failures += 1
            return
        latest = self.request("/imports/", record=False)[1]
        found = re.findall(r'href="/imports/(\d+)', latest)
        if found:
            self.request(f"/imports/{found[0]}/check", kind="GET /imports/<id>/check")

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            started = time.monotonic()
            self.upload()
            time.sleep(max(0.0, UPLOAD_EVERY - (time.monotonic() - started)))


# -- one run ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy")


class CpuSampler:
    """Core-seconds used during the load by each kind of process on this machine (Linux /proc).

    Web workers (gunicorn), the import command, the job worker, PostgreSQL backends serving
    web requests (nice 0) and background work (niced, as `lower_cpu_priority` sets them),
    PostgreSQL's own maintenance (autovacuum, checkpointer, WAL writer), this load
    generator, and everything else on the machine. Tells a slow figure caused by the code
    apart from one caused by the machine being busy with other work.
    """

    def __init__(self) -> None:
        self.ticks: dict[int, int] = {}
        self.kind: dict[int, str] = {}
        self.used: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _classify(self, pid: int, cmd: str, nice: int) -> str:
        if pid == os.getpid():
            return "load generator"
        if "gunicorn" in cmd:
            return "web workers"
        if "imports voter-file" in cmd:
            return "import command"
        if "fieldcrm.worker" in cmd or ("fieldcrm" in cmd and "jobs worker" in cmd):
            return "job worker"
        if cmd.startswith("postgres:"):
            if any(w in cmd for w in ("autovacuum", "checkpointer", "walwriter", "writer")):
                return "postgres upkeep"
            return "postgres, niced" if nice > 0 else "postgres, web"
        return "other"

    def _sample(self, baseline: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks, nice = int(fields[11]) + int(fields[12]), int(fields[16])
                if pid not in self.kind:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                    self.kind[pid] = self._classify(pid, cmd, nice)
            except (OSError, IndexError, ValueError):
                continue
            kind = self.kind[pid]
            if kind.startswith("postgres, "):  # a backend's nice value can change
                kind = "postgres, niced" if nice > 0 else "postgres, web"
            # a process started during the load counts from zero
            delta = ticks - self.ticks.get(pid, ticks if baseline else 0)
            self.ticks[pid] = ticks
            if delta > 0 and not baseline:
                self.used[kind] = self.used.get(kind, 0.0) + delta / self.hz

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            self._sample()

    def start(self) -> None:
        self._sample(baseline=True)  # what every process had used before the load
        self.thread.start()

    def finish(self) -> dict[str, float]:
        self.stop.set()
        self.thread.join()
        self._sample()
        return dict(sorted(self.used.items(), key=lambda kv: -kv[1]))


def percentile(values: list[float], share: float) -> float:
    return values[int(share * (len(values) - 1))] if values else float("nan")


def run_load(name: str, database_url: str, workdir: Path) -> bool:
    port = free_port()
    env = {
        **os.environ,
        "FIELDCRM_CONFIG": "config.ProductionConfig",
        "FIELDCRM_INSTANCE_DIR": str(workdir),
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(workdir / f"{name}-uploads"),
        "SESSION_COOKIE_SECURE": "0",  # plain HTTP on loopback
        "HSTS_SECONDS": "0",
        "LOGIN_RATE_LIMIT": "10000 per minute",  # 50 people sign in from one address here
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": os.environ.get("BENCH_LOAD_ACCESS_LOG", ""),
        "BIND": f"127.0.0.1:{port}",
    }
    if WORKERS:
        env["WEB_CONCURRENCY"] = WORKERS
    if THREADS:
        env["GUNICORN_THREADS"] = THREADS
    env.pop("REDIS_URL", None)
    redis_url = REDIS_URL if name == "postgres" and redis_available() else None
    if redis_url:  # the scale-out as production runs it: checks and imports on an RQ worker
        env["REDIS_URL"] = redis_url
    log(f"[{name}] seeding {USERS} organizers, {DIRECTORS} directors, {CONTACTS} contacts…")
    people = seed(env)
    sys.path.insert(0, str(ROOT / "bench"))
    from voterfile_gen import write_nc_file

    upload_file = write_nc_file(workdir / "ncvoter_upload.txt", UPLOAD_ROWS, seed=7)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=(workdir / f"{name}-gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = None
    if redis_url:
        worker = subprocess.Popen(
            [str(BIN / "python"), "-m", "fieldcrm.worker"],
            cwd=ROOT,
            env=env,
            stdout=(workdir / f"{name}-worker.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log(f"[{name}] background jobs on an RQ worker ({redis_url})")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server)
        rows_before = count_rows(database_url, "conversations")
        stats = Stats()
        organizers = [
            Organizer(base, email, ids, hot, stats) for email, ids, hot in people.organizers
        ]
        *searching, (upload_email, upload_secret) = people.directors
        directors = [Director(base, email, stats) for email, _secret in searching]
        uploader = Uploader(base, upload_email, stats, upload_file)
        log(f"[{name}] signing in {len(organizers)} organizers and {len(people.directors)} …")
        for organizer in organizers:
            organizer.sign_in()
            organizer.prepare()
        for director, (_email, secret) in zip(directors, searching, strict=True):
            director.sign_in(secret)
        uploader.sign_in(upload_secret)
        stats.latencies.clear()
        stats.ended.clear()
        stats.statuses.clear()
        stats.by_kind.clear()
        stop, written = threading.Event(), []
        importer = None
        if real_import_available(env):
            importer = VoterFileImport(env, workdir)
            writer = threading.Thread(target=importer.run, args=(stop,))
            what = f"`fieldcrm imports voter-file` of {IMPORT_ROWS} rows, restarted when done"
        else:
            writer = threading.Thread(target=bulk_writer, args=(database_url, stop, written))
            what = "a bulk contact writer (the import command is not installed)"
        log(
            f"[{name}] {SECONDS:.0f} s of load; {HOT_SHARE:.0%} of writes on hot households; "
            f"an upload of {UPLOAD_ROWS} rows every {UPLOAD_EVERY:.0f} s; import: {what}"
        )
        if WITH_IMPORT:
            writer.start()
        sampler = CpuSampler()
        sampler.start()
        began = time.monotonic()
        until = began + SECONDS
        threads = [
            threading.Thread(target=p.run, args=(until,))
            for p in [*organizers, *directors, uploader]
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        used, sampled = sampler.finish(), time.monotonic() - began
        if WITH_IMPORT:
            writer.join()
        rows_after = count_rows(database_url, "conversations")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    latencies = sorted(stats.latencies)
    p95 = percentile(latencies, 0.95)
    five_xx = sum(1 for s in stats.statuses if s >= 500) + stats.untimed_5xx
    missing = abs((rows_after - rows_before) - stats.writes_ok)
    log(
        f"[{name}] {len(latencies)} requests ({len(latencies) / SECONDS:.0f}/s), "
        f"{stats.writes_ok} writes ok, {rows_after - rows_before} rows; "
        f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {p95:.0f} ms, "
        f"p99 {percentile(latencies, 0.99):.0f} ms"
    )
    log(f"[{name}] uploads through the web: {uploader.uploads}, {uploader.failures} refused")
    if importer is not None:
        log(
            f"[{name}] voter-file import: {importer.runs} finished runs, {importer.failures} failed"
        )
    else:
        log(f"[{name}] bulk writer: {sum(written)} contacts inserted meanwhile")
    for kind, values in sorted(stats.by_kind.items()):
        values.sort()
        log(
            f"[{name}]   {kind}: n={len(values)} p50 {percentile(values, 0.5):.0f} ms "
            f"p95 {percentile(values, 0.95):.0f} ms p99 {percentile(values, 0.99):.0f} ms"
        )
    # p95 over each tenth of the run: a spike while the import starts, or throughout?
    tenth = SECONDS / 10
    windows = []
    for w in range(10):
        inside = sorted(
            lat
            for lat, end in zip(stats.latencies, stats.ended, strict=True)
            if began + w * tenth <= end < began + (w + 1) * tenth
        )
        windows.append(f"{percentile(inside, 0.95):.0f}")
    log(f"[{name}] p95 by tenth of the run (ms): {' '.join(windows)}")
    total = sum(used.values())
    log(
        f"[{name}] CPU used ({total:.0f} core-s in {sampled:.0f} s on {os.cpu_count()} cores): "
        + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in used.items())
    )
    web = used.get("web workers", 0.0) + used.get("postgres, web", 0.0)
    if latencies:
        per_request = web / len(latencies) * 1000
        log(f"[{name}] web CPU per request (app and its database work): {per_request:.1f} ms")
    for error in stats.errors[:5]:
        log(f"[{name}] {error}")
    for refused in stats.writes_refused[:3]:
        log(f"[{name}] write refused: {refused}")
    print(f"bench load_{name}_p95: {p95:.0f} ms (goal <= {P95_GOAL_MS} ms)")
    print(f"bench load_{name}_5xx: {five_xx} count (goal <= 0 count)")
    print(f"bench load_{name}_rows_match: {missing} missing (goal <= 0 missing)")
    return (
        five_xx == 0
        and missing == 0
        and stats.writes_ok > 0
        and not stats.writes_refused
        and not (importer and importer.failures)
        and not uploader.failures
    )


def redis_available() -> bool:
    """Whether Redis answers on REDIS_URL; its database is emptied for the run."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.flushdb()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        workdir = Path(tmp)
        if "sqlite" in DATABASES:
            ok &= run_load("sqlite", f"sqlite:///{workdir / 'load.sqlite'}", workdir)
        if "postgres" in DATABASES:
            with postgres_database(f"bench_load_{os.getpid()}") as url:
                if url is None:
                    log("PostgreSQL not reachable: skipped the PostgreSQL run")
                else:
                    ok &= run_load("postgres", url, workdir)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
