"""Benchmark: coverage report, organizer dashboard, cutting a 5,000-door turf, radius search.

Runs on the shared dataset (bench/dataset.py: 1M contacts, 300k conversations, 50k
commitments, 200 turfs) in SQLite, and in PostgreSQL when BENCH_POSTGRES_URL is set.
Server time is measured through the app's test client (routing, queries, rendering);
each figure is the median of several warm runs.

The coverage page is measured four more ways besides the cached figure: cold (the
process's report cache emptied first) and right after a write (an organizer logs a
conversation with an ID through the app's service, which invalidates the cached report;
the run checks that the page was recounted), for a director's region (20 turfs, goal
300 ms) and for the admin's whole program (200 turfs, goal 1 s).

    python bench/bench_turf.py                 # SQLite file under bench/out/
    BENCH_POSTGRES_URL=postgresql://... python bench/bench_turf.py   # an empty database (or
                                                 # one this script filled before)
    BENCH_CONTACTS=100000 python bench/bench_turf.py   # a smaller, quicker run
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from bench.dataset import DatasetInfo, _normalise, build_dataset, make_app  # noqa: E402

GOALS_MS = {"coverage_report": 300, "organizer_dashboard": 150, "cut_5000_doors": 2000,
            "radius_1_mile": 100, "coverage_director_cold": 300,
            "coverage_director_after_write": 300, "coverage_admin_cold": 1000,
            "coverage_admin_after_write": 1000}  # fmt: skip
RUNS = 7


def _median_ms(func, runs: int = RUNS) -> float:
    func()  # warm up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


class _FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production (the bench holds one open,
    and Flask would otherwise reuse it: same `g`, same signed-in user, same session)."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _login(client, user) -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def _existing(url: str, contacts: int) -> DatasetInfo | None:
    """A PostgreSQL dataset built by an earlier run (SQLite files carry their own sidecar)."""
    if url.startswith("sqlite"):
        return None
    engine = sa.create_engine(_normalise(url))
    try:
        with engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM contacts").scalar()
            turfs = connection.exec_driver_sql("SELECT id FROM turfs ORDER BY id").scalars().all()
            emails = connection.exec_driver_sql("SELECT email FROM users ORDER BY id").scalars()
            emails = list(emails)
    except sa.exc.DBAPIError:
        return None
    finally:
        engine.dispose()
    if count != contacts:
        return None
    return DatasetInfo(
        url=url,
        contacts=count,
        conversations=contacts * 3 // 10,
        commitments=contacts // 20,
        turfs=len(turfs),
        seed=1,
        director_emails=[e for e in emails if e.startswith("director")],
        organizer_emails=[e for e in emails if e.startswith("organizer")],
        turf_ids=list(turfs),
    )


def run(url: str, label: str, contacts: int) -> None:
    info = _existing(url, contacts) or build_dataset(
        url,
        contacts=contacts,
        conversations=contacts * 3 // 10,
        commitments=contacts // 20,
        turfs=200,
    )
    if not url.startswith("sqlite"):
        # A freshly loaded PostgreSQL database has no planner statistics yet; production
        # databases do (autovacuum), so measure with them.
        engine = sa.create_engine(_normalise(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
        engine.dispose()
    app = make_app(url)
    app.config["SERVER_NAME"] = "bench.local"
    from fieldcrm.auth.models import User
    from fieldcrm.contacts.models import Contact
    from fieldcrm.database import utcnow
    from fieldcrm.door import services as door_services
    from fieldcrm.extensions import db
    from fieldcrm.turf import radius
    from fieldcrm.turf.models import Turf

    with app.app_context():
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        director = users[info.director_emails[0]]
        organizer = users[info.organizer_emails[0]]
        admin = users[info.admin_email]
        app.test_client_class = _FreshContextClient
        client = app.test_client()

        def get(path: str, who) -> None:
            _login(client, who)
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            # the page was rendered for `who`, not for a user cached from an earlier request
            assert f"Signed in as {who.name} " in response.get_data(as_text=True), path

        from fieldcrm import datacache
        from fieldcrm.conversations.services import ConversationInput, log_conversation
        from fieldcrm.dashboards import metrics

        def cold(path: str, who) -> None:
            datacache.clear()
            get(path, who)

        computed: list[int] = []
        real_coverage = metrics.coverage

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            computed.append(1)
            return real_coverage(*args, **kwargs)

        metrics.coverage = counting
        writes = iter(range(10**6))

        def after_write(path: str, who) -> None:
            # A field write, as on a field day: an organizer logs a conversation with an ID
            # on someone in their turf (director 1's region), through the app's service;
            # then the page, which must be recounted, not served from the cache.
            n = next(writes)
            contact = db.session.get(Contact, 1 + n % 50)
            log_conversation(
                organizer,
                contact,
                ConversationInput(channel="door", support_level=1 + n % 5),
            )
            db.session.commit()
            before = len(computed)
            get(path, who)
            assert len(computed) == before + 1, "the report was served from the cache"

        figures = {
            "coverage_report": _median_ms(lambda: get("/coverage", director)),
            "organizer_dashboard": _median_ms(lambda: get("/home", organizer)),
            "coverage_director_cold": _median_ms(lambda: cold("/coverage", director), 5),
            "coverage_director_after_write": _median_ms(
                lambda: after_write("/coverage", director), 5
            ),
            "coverage_admin_cold": _median_ms(lambda: cold("/coverage", admin), 5),
            "coverage_admin_after_write": _median_ms(lambda: after_write("/coverage", admin), 5),
        }
        metrics.coverage = real_coverage
        notes = {
            "coverage warm (admin, all 200 turfs)": _median_ms(lambda: get("/coverage", admin)),
        }

        # Cutting: gather three turfs' people into one turf of 5,000+ doors, cut, roll back.
        turf_ids = info.turf_ids[:3]
        db.session.execute(
            sa.update(Contact).where(Contact.turf_id.in_(turf_ids)).values(turf_id=turf_ids[0])
        )
        turf = db.session.get(Turf, turf_ids[0])
        doors = len(door_services.turf_doors(admin, turf, "all", utcnow(), 30))
        timings = []
        for _ in range(3):
            nested = db.session.begin_nested()
            started = time.perf_counter()
            door_services.cut_turf(admin, turf, door_services.CutInput(target_size=50), utcnow())
            timings.append((time.perf_counter() - started) * 1000)
            nested.rollback()
        db.session.rollback()
        figures["cut_5000_doors"] = statistics.median(timings)

        centre = db.session.execute(
            sa.select(Contact.latitude, Contact.longitude)
            .where(Contact.turf_id == info.turf_ids[0])
            .order_by(Contact.id)
            .limit(1)
        ).one()
        found = radius.radius_search(organizer, radius.Centre.point(centre[0], centre[1]), 1.0)
        figures["radius_1_mile"] = _median_ms(
            lambda: get(f"/turf/radius?lat={centre[0]}&lon={centre[1]}&miles=1", organizer)
        )
        db.engine.dispose()
    for name, value in figures.items():
        print(f"bench {name}_{label}: {value:.0f} ms (goal <= {GOALS_MS[name]} ms)")
    for name, value in notes.items():
        print(f"# {label}: {name}: {value:.0f} ms")
    print(f"# {label}: {contacts} contacts; cut {doors} doors; radius found {len(found)} people")


def main() -> None:
    contacts = int(os.environ.get("BENCH_CONTACTS", "1000000"))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    run(f"sqlite:///{out / f'dataset-{contacts}.sqlite'}", "sqlite", contacts)
    pg = os.environ.get("BENCH_POSTGRES_URL")
    if pg:
        run(pg, "postgresql", contacts)


if __name__ == "__main__":
    main()
