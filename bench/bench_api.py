"""Benchmark: the JSON API on the shared dataset (listing 1,000 contacts, logging a conversation).

Runs the real API views through the Flask test client with bearer tokens against
bench/dataset.py's program (1,000,000 contacts, 300,000 conversations, 200 turfs) on a copy
of the SQLite file, so the shared dataset is never written to. The same is measured on
PostgreSQL, in a database of its own created and dropped on the BENCH_PG_URL server (default
postgresql://postgres@127.0.0.1:5432; skipped when it does not answer, or when ``off``), or in
the database BENCH_POSTGRES_URL names (empty, and kept).

* `api_list_1000_contacts`: GET /api/v1/contacts?limit=1000, following the cursor through
  organizers' turfs, directors' regions, leaders' lists and the admin's whole program
  (goal: p95 <= 150 ms);
* `api_create_conversation_p95`: POST /api/v1/conversations with an Idempotency-Key,
  alternating a one-tap attempt and a one-on-one with a commitment (goal: p95 <= 50 ms).

Server time is the wall time of each request inside the process (no network), after a
warm-up and `gc.freeze()` (as wsgi.py does in each gunicorn worker); the process CPU time
per request is printed beside it (on a shared machine the wall time also counts waiting
for a core). BENCH_API_CONTACTS builds a smaller dataset of
its own for a smoke run: `BENCH_API_CONTACTS=20000 python bench/bench_api.py`. Prints lines
like `bench api_list_1000_contacts: 80.1 ms p95 (sqlite, 1,000,000 contacts; cpu p95 …)`.
"""

from __future__ import annotations

import gc
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.dataset import build_dataset, make_app, postgres_dataset_database  # noqa: E402

CONTACTS = int(os.environ.get("BENCH_API_CONTACTS", "1000000"))
LIST_REQUESTS = int(os.environ.get("BENCH_API_LIST_REQUESTS", "60"))
CREATE_REQUESTS = int(os.environ.get("BENCH_API_CREATE_REQUESTS", "200"))
GOALS = {"api_list_1000_contacts": 150.0, "api_create_conversation_p95": 50.0}


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def _sizes() -> dict[str, int]:
    """The dataset's size: the shared default, or a smaller one scaled from CONTACTS."""
    if CONTACTS >= 1_000_000:
        return {}
    return {
        "contacts": CONTACTS,
        "conversations": CONTACTS * 3 // 10,
        "commitments": CONTACTS // 20,
        "turfs": max(10, CONTACTS // 5000),
    }


def _tokens(app, emails: list[str]) -> dict[str, str]:
    """A fresh token for each user (committed; the dataset copy is scratch)."""
    from fieldcrm.api import tokens
    from fieldcrm.auth.models import User
    from fieldcrm.database import utcnow
    from fieldcrm.extensions import db

    with app.app_context():
        users = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
        made = {u.email: tokens.create_token(None, u, "bench", now=utcnow())[1] for u in users}
        db.session.commit()
        return made


def _contacts_of(app, email: str, limit: int) -> list[int]:
    from fieldcrm.auth.models import User, user_turfs
    from fieldcrm.contacts.models import Contact
    from fieldcrm.extensions import db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        turfs = sa.select(user_turfs.c.turf_id).where(user_turfs.c.user_id == user.id)
        return list(
            db.session.scalars(
                sa.select(Contact.id)
                .where(Contact.turf_id.in_(turfs))
                .order_by(Contact.id.desc())
                .limit(limit)
            )
        )


CPU: dict[str, list[float]] = {}


def _timed(call, *args, **kwargs) -> tuple[float, object]:
    """(wall ms, response); the process CPU time of the request goes to CPU["last"]."""
    cpu, started = time.process_time(), time.perf_counter()
    response = call(*args, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    CPU["last"] = [(time.process_time() - cpu) * 1000]
    if response.status_code not in (200, 201):
        raise SystemExit(f"bench request failed: {response.status_code} {response.get_data()!r}")
    return elapsed, response


def measure(url: str, label: str, info) -> None:
    from flask_migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade()  # the API's tables, and indexes added after the dataset was built
    organizers = info.organizer_emails[:10]
    # Listing covers every scope: organizers' turfs, directors' regions (a tenth of the
    # program each), leaders' lists and the admin's whole program.
    listers = [*organizers, *info.director_emails[:2], *info.leader_emails[:2], info.admin_email]
    made = _tokens(app, listers)
    client = app.test_client()

    def auth(email: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {made[email]}", **extra}

    for email in (organizers[0], info.admin_email):  # warm the process: SQL and model caches
        client.get("/api/v1/contacts", query_string={"limit": 1000}, headers=auth(email))
    gc.freeze()  # as wsgi.py does in each gunicorn worker once the app is built
    # Listing: pages of 1,000 through each organizer's turfs, then the admin's program.
    list_samples: list[float] = []
    per_user = max(2, LIST_REQUESTS // len(listers))
    for email in listers:
        cursor = None
        for i in range(per_user + 1):
            query = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            elapsed, response = _timed(
                client.get, "/api/v1/contacts", query_string=query, headers=auth(email)
            )
            if i:  # the first page of each token warms its caches
                list_samples.append(elapsed)
                CPU.setdefault("api_list_1000_contacts", []).extend(CPU["last"])
                if os.environ.get("BENCH_VERBOSE"):
                    print(
                        f"    {email} page {i}: {elapsed:.1f} ms, cpu {CPU['last'][0]:.1f} ms",
                        file=sys.stderr,
                    )
            cursor = response.get_json()["next"]
            if cursor is None:
                break

    # Logging: alternate an attempt and a one-on-one with a commitment.
    create_samples: list[float] = []
    per_user = max(2, CREATE_REQUESTS // len(organizers))
    for o, email in enumerate(organizers):
        for i, contact_id in enumerate(_contacts_of(app, email, per_user + 1)):
            body: dict[str, object] = {"contact_id": contact_id, "channel": "door"}
            if i % 2:
                body.update(
                    channel="one_on_one",
                    support_level=2,
                    issues=["rent", "wages"],
                    story="Works two jobs.",
                    ask_kind="volunteer_shift",
                    response="yes",
                    commitments=[{"commitment_kind": "volunteer_shift", "due_date": "2030-01-15"}],
                )
            else:
                body["result_code"] = "not_home"
            key = f"bench-{time.time_ns()}-{o}-{i}"
            elapsed, _response = _timed(
                client.post,
                "/api/v1/conversations",
                json=body,
                headers=auth(email, **{"Idempotency-Key": key}),
            )
            if i:
                create_samples.append(elapsed)
                CPU.setdefault("api_create_conversation_p95", []).extend(CPU["last"])
    with app.app_context():
        from fieldcrm.extensions import db

        db.engine.dispose()
    size = f"{info.contacts:,} contacts"
    for name, samples in (
        ("api_list_1000_contacts", list_samples),
        ("api_create_conversation_p95", create_samples),
    ):
        if os.environ.get("BENCH_VERBOSE"):
            print(
                f"  {name}: n={len(samples)} median={statistics.median(samples):.1f} ms "
                f"max={max(samples):.1f} ms",
                file=sys.stderr,
            )
        what = "p95 " if name == "api_list_1000_contacts" else ""
        # The CPU time tells the code's cost apart from waiting on a busy machine.
        print(
            f"bench {name}: {p95(samples):.1f} ms {what}({label}, {size}; "
            f"cpu p95 {p95(CPU[name]):.1f} ms; goal <= {GOALS[name]:g} ms)"
        )


def main() -> None:
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    sizes = _sizes()
    # A smaller run builds its own file: the shared full-size dataset is never rebuilt.
    shared = out / ("dataset.sqlite" if not sizes else f"dataset-api-{CONTACTS}.sqlite")
    info = build_dataset(f"sqlite:///{shared}", **sizes)
    work = out / "api-run.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(shared, work)  # the API writes; the dataset stays as built
    measure(f"sqlite:///{work}", "sqlite", info)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    with postgres_dataset_database("bench_api") as pg_url:
        if pg_url:
            measure(pg_url, "postgres", build_dataset(pg_url, **sizes))


if __name__ == "__main__":
    main()
