"""Benchmark: logging a conversation, the follow-up page and the ladder board on the shared dataset.

Runs the real views through the Flask test client against bench/dataset.py's program
(1,000,000 contacts, 300,000 conversations, 50,000 commitments, 200 turfs) on a copy of the
SQLite file, so the shared dataset is never written to. The same is measured on PostgreSQL
and printed on separate lines, in a database of its own created and dropped on the
BENCH_PG_URL server (default postgresql://postgres@127.0.0.1:5432; skipped when it does not
answer, or when ``off``), or in the database BENCH_POSTGRES_URL names (empty, and kept).

Server time is the wall time of each request inside the process (no network), p95 of
REQUESTS requests after a warm-up. Prints lines like
`bench log_conversation_p95_sqlite: 12.3 ms (goal <= 50 ms)`.
"""

from __future__ import annotations

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

REQUESTS = int(os.environ.get("BENCH_FIELDWORK_REQUESTS", "200"))
GOALS = {"log_conversation": 50.0, "follow_ups": 50.0, "ladder_board": 150.0}


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def _session_ids(app, emails: list[str]) -> dict[str, str]:
    from fieldcrm.auth.models import User
    from fieldcrm.extensions import db

    with app.app_context():
        users = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
        return {u.email: u.get_id() for u in users}


def _client(app, session_id: str):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True
    return client


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
                .order_by(Contact.id)
                .limit(limit)
            )
        )


def _timed(method, *args, **kwargs) -> float:
    started = time.perf_counter()
    response = method(*args, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 302):
        raise SystemExit(f"bench request failed: {response.status_code} {response.request.path}")
    return elapsed


def measure(url: str, label: str, info) -> None:
    from flask_migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade()  # indexes added after the dataset was built
    organizers = info.organizer_emails[:20]
    leaders = info.leader_emails[:20]
    sessions = _session_ids(app, [*organizers, *leaders, *info.director_emails[:5]])
    rounds = max(1, REQUESTS // len(organizers))

    # Logging: alternate a one-tap attempt and a one-on-one with a commitment for a leader.
    log_samples: list[float] = []
    for o, email in enumerate(organizers):
        client = _client(app, sessions[email])
        contacts = _contacts_of(app, email, rounds + 2)
        for i, contact_id in enumerate(contacts):
            data = {"idempotency_key": f"bench-{time.time_ns()}-{o}-{i}", "channel": "door"}
            if i % 2:
                data.update(
                    {
                        "channel": "one_on_one",
                        "support_level": "2",
                        "issues": ["rent", "wages"],
                        "story": "Works two jobs.",
                        "ask_kind": "volunteer_shift",
                        "response": "yes",
                        "commitments-0-kind": "volunteer_shift",
                        "commitments-0-due_date": "2030-01-15",
                    }
                )
            else:
                data["result_code"] = "not_home"
            sample = _timed(client.post, f"/contacts/{contact_id}/conversations", data=data)
            if i >= 2:  # the first requests of each client warm caches
                log_samples.append(sample)

    def pages(path: str, emails: list[str]) -> list[float]:
        samples: list[float] = []
        per = max(1, REQUESTS // len(emails))
        for email in emails:
            client = _client(app, sessions[email])
            client.get(path)
            mine = [_timed(client.get, path) for _ in range(per)]
            if os.environ.get("BENCH_VERBOSE"):
                print(
                    f"    {path} {email}: median {statistics.median(mine):.1f} ms", file=sys.stderr
                )
            samples += mine
        return samples

    follow = pages("/commitments/", organizers[:10] + leaders[:10])
    board = pages("/ladder/", organizers[:10]) + pages("/ladder/", info.director_emails[:2])
    with app.app_context():
        from fieldcrm.extensions import db

        db.engine.dispose()
    for name, samples in (
        ("log_conversation", log_samples),
        ("follow_ups", follow),
        ("ladder_board", board),
    ):
        if os.environ.get("BENCH_VERBOSE"):
            print(
                f"  {name}: n={len(samples)} median={statistics.median(samples):.1f} ms "
                f"max={max(samples):.1f} ms",
                file=sys.stderr,
            )
        print(f"bench {name}_p95_{label}: {p95(samples):.1f} ms (goal <= {GOALS[name]:g} ms)")


def main() -> None:
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    shared = out / "dataset.sqlite"
    info = build_dataset(f"sqlite:///{shared}")
    work = out / "fieldwork-run.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(shared, work)  # the views write; the shared dataset stays as built
    measure(f"sqlite:///{work}", "sqlite", info)
    work.unlink(missing_ok=True)
    with postgres_dataset_database("bench_fieldwork") as pg_url:
        if pg_url:
            measure(pg_url, "postgres", build_dataset(pg_url))


if __name__ == "__main__":
    main()
