"""Benchmark: coverage report, organizer dashboard, cutting a 5,000-door turf, radius search.

Runs on the shared dataset (bench/dataset.py: 1M contacts, 300k conversations, 50k
commitments, 200 turfs) in SQLite, and in PostgreSQL: a database of its own created and
dropped on the BENCH_PG_URL server (default postgresql://postgres@127.0.0.1:5432; skipped
when it does not answer, or when ``off``), or the database BENCH_POSTGRES_URL names.
Server time is measured through the app's test client (routing, queries, rendering);
each figure is the median of several warm runs.

The coverage page is measured four more ways besides the cached figure: cold (the
process's report cache emptied first) and right after a write (an organizer logs a
conversation with an ID through the app's service, which invalidates the cached report;
the run checks that the page was recounted), for a director's region (20 turfs, goal
300 ms) and for the admin's whole program (200 turfs, goal 1 s).

    python bench/bench_turf.py                 # SQLite file under bench/out/
    BENCH_POSTGRES_URL=postgresql://... python bench/bench_turf.py   # an empty database (or
                                                 # one this script filled before; kept)
    BENCH_PG_URL=off python bench/bench_turf.py      # SQLite only
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

from bench.dataset import (  # noqa: E402
    DatasetInfo,
    _normalise,
    build_dataset,
    make_app,
    postgres_dataset_database,
)

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


class PageTimer:
    """Pages as people get them, through the app's test client (inside an app context):
    warm, cold (the process's report cache emptied first) and right after a write (an
    organizer logs a conversation with an ID on one of `people` through the app's service,
    which must make the coverage report be recounted, not served from the cache)."""

    def __init__(self, app, organizer, people: list[int]) -> None:  # type: ignore[no-untyped-def]
        from fieldcrm.dashboards import metrics

        app.test_client_class = _FreshContextClient
        self.client = app.test_client()
        self.organizer, self.people = organizer, people
        self.writes = iter(range(10**6))
        self.computed: list[int] = []
        self._metrics, self._coverage = metrics, metrics.coverage

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.computed.append(1)
            return self._coverage(*args, **kwargs)

        metrics.coverage = counting

    def close(self) -> None:
        self._metrics.coverage = self._coverage

    def get(self, path: str, who) -> str:  # type: ignore[no-untyped-def]
        _login(self.client, who)
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        text = response.get_data(as_text=True)
        # the page was rendered for `who`, not for a user cached from an earlier request
        assert f"Signed in as {who.name} " in text, path
        return text

    def cold(self, path: str, who) -> None:  # type: ignore[no-untyped-def]
        from fieldcrm import datacache

        datacache.clear()
        self.get(path, who)

    def after_write(self, path: str, who) -> None:  # type: ignore[no-untyped-def]
        from fieldcrm.contacts.models import Contact
        from fieldcrm.conversations.services import ConversationInput, log_conversation
        from fieldcrm.extensions import db

        n = next(self.writes)
        contact = db.session.get(Contact, self.people[n % len(self.people)])
        log_conversation(
            self.organizer, contact, ConversationInput(channel="door", support_level=1 + n % 5)
        )
        db.session.commit()
        before = len(self.computed)
        self.get(path, who)
        assert len(self.computed) == before + 1, "the report was served from the cache"

    def coverage(self, director, admin) -> dict[str, float]:  # type: ignore[no-untyped-def]
        """The coverage page cold and after a write, for a director and for the admin (ms)."""
        return {
            "coverage_director_cold": _median_ms(lambda: self.cold("/coverage", director), 5),
            "coverage_director_after_write": _median_ms(
                lambda: self.after_write("/coverage", director), 5
            ),
            "coverage_admin_cold": _median_ms(lambda: self.cold("/coverage", admin), 5),
            "coverage_admin_after_write": _median_ms(
                lambda: self.after_write("/coverage", admin), 5
            ),
        }


def time_cut(admin, turf) -> float:  # type: ignore[no-untyped-def]
    """Median ms of cutting `turf` into packets of 50 (each cut rolled back)."""
    from fieldcrm.database import utcnow
    from fieldcrm.door import services as door_services
    from fieldcrm.extensions import db

    timings = []
    for _ in range(3):
        nested = db.session.begin_nested()
        started = time.perf_counter()
        door_services.cut_turf(admin, turf, door_services.CutInput(target_size=50), utcnow())
        timings.append((time.perf_counter() - started) * 1000)
        nested.rollback()
    db.session.rollback()
    return statistics.median(timings)


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
        pages = PageTimer(app, organizer, list(range(1, 51)))
        figures = {
            "coverage_report": _median_ms(lambda: pages.get("/coverage", director)),
            "organizer_dashboard": _median_ms(lambda: pages.get("/home", organizer)),
            **pages.coverage(director, admin),
        }
        pages.close()
        notes = {
            "coverage warm (admin, all 200 turfs)": _median_ms(
                lambda: pages.get("/coverage", admin)
            ),
        }

        # Cutting: gather three turfs' people into one turf of 5,000+ doors, cut, roll back.
        turf_ids = info.turf_ids[:3]
        db.session.execute(
            sa.update(Contact).where(Contact.turf_id.in_(turf_ids)).values(turf_id=turf_ids[0])
        )
        turf = db.session.get(Turf, turf_ids[0])
        doors = len(door_services.turf_doors(admin, turf, "all", utcnow(), 30))
        figures["cut_5000_doors"] = time_cut(admin, turf)

        centre = db.session.execute(
            sa.select(Contact.latitude, Contact.longitude)
            .where(Contact.turf_id == info.turf_ids[0])
            .order_by(Contact.id)
            .limit(1)
        ).one()
        found = radius.radius_search(organizer, radius.Centre.point(centre[0], centre[1]), 1.0)
        figures["radius_1_mile"] = _median_ms(
            lambda: pages.get(f"/turf/radius?lat={centre[0]}&lon={centre[1]}&miles=1", organizer)
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
    with postgres_dataset_database("bench_turf") as pg:
        if pg:
            run(pg, "postgresql", contacts)


if __name__ == "__main__":
    main()
