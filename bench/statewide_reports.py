"""The statewide bench's second half: a program on the loaded voters, and its reports.

After `bench/statewide.py` has loaded and refreshed its file, this defines a program over
the contacts, as a director would after a first load: 200 turfs of three or four ZIP codes
each in 10 regions, a director per region, an organizer per turf, one admin. It places
every contact with `fieldcrm turf reassign` (the command, timed from start to exit),
vacuums as autovacuum would next (``place_everyone``), then measures, in this process
through the app's test client as `bench/bench_turf.py` does:

* the coverage report, cold and right after a write (an organizer logs a conversation),
  for a director's region (goal 300 ms) and for the admin's whole program (goal 1 s);
* the contacts search by name, for an organizer (one turf), a director and the admin
  (goal 100 ms);
* cutting the smallest turf into walk packets (goal 2 s; its doors are printed).
"""

from __future__ import annotations

import logging
import subprocess
import time

import numpy as np
import sqlalchemy as sa
from bench_turf import PageTimer, _median_ms, time_cut

from bench.dataset import PASSWORD, _normalise, make_app

TURFS, REGIONS = 200, 10
GOALS_MS = {
    "coverage_director_cold": 300,
    "coverage_director_after_write": 300,
    "coverage_admin_cold": 1000,
    "coverage_admin_after_write": 1000,
    "search_name_organizer": 100,
    "search_name_director": 100,
    "search_name_admin": 100,
    "cut_turf": 2000,
}


def build_program(url: str) -> None:
    """Regions, turfs (by ZIP code) and people of a statewide program."""
    from fieldcrm.auth.models import User
    from fieldcrm.auth.passwords import hash_password
    from fieldcrm.extensions import db
    from fieldcrm.turf.models import Region, Turf

    app = make_app(url)
    with app.app_context():
        zips = db.session.scalars(
            sa.text("SELECT DISTINCT res_zip5 FROM contacts WHERE res_zip5 IS NOT NULL")
        ).all()
        groups = np.array_split(np.array(sorted(zips), dtype=object), TURFS)
        password = hash_password(PASSWORD)
        regions = [Region(name=f"Region {r}") for r in range(1, REGIONS + 1)]

        def user(email: str, name: str, role: str, **links: list) -> User:
            return User(email=email, name=name, role=role, password_hash=password, **links)

        db.session.add(user("admin@state.test", "State Admin", "admin"))
        for r, region in enumerate(regions, start=1):
            db.session.add(user(f"director{r}@state.test", f"Director {r}", "director",
                                regions=[region]))  # fmt: skip
        for t, codes in enumerate(groups, start=1):
            turf = Turf(name=f"Turf {t:03d}", region=regions[(t - 1) % REGIONS],
                        zip_codes=list(codes), precinct_codes=[])  # fmt: skip
            db.session.add(user(f"organizer{t}@state.test", f"Organizer {t}", "organizer",
                                turfs=[turf]))  # fmt: skip
        db.session.commit()
    with app.app_context():
        db.engine.dispose()


def place_everyone(fieldcrm: str, env: dict[str, str]) -> tuple[float, float]:
    """`fieldcrm turf reassign`, start to exit, then what autovacuum would do next: seconds
    of each.

    The placing writes a new version of every contact. A server's autovacuum (on by
    default) vacuums and analyzes the table soon after; the development machine's server
    runs with it off, so the bench does it. Without it the visibility map is never set and
    the index-only reads the searches count with read every row instead (an organizer's
    "Mary Smith" page: about 0.5 s, against 60-90 ms after the vacuum).
    """
    started = time.perf_counter()
    subprocess.run([fieldcrm, "turf", "reassign"], env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    engine = sa.create_engine(_normalise(env["DATABASE_URL"]), isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE)")
    vacuum = time.perf_counter() - started
    engine.dispose()
    return seconds, vacuum


def measure(url: str) -> tuple[dict[str, float], list[str]]:
    """The figures (name -> ms) and notes of the program's reports."""
    from fieldcrm.auth.models import User
    from fieldcrm.contacts.models import Contact
    from fieldcrm.database import utcnow
    from fieldcrm.door import services as door_services
    from fieldcrm.extensions import db
    from fieldcrm.turf.models import Turf

    app = make_app(url)
    logging.getLogger("fieldcrm.access").setLevel(logging.WARNING)  # one line a request
    app.config["SERVER_NAME"] = "bench.local"
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        admin, director = users["admin@state.test"], users["director1@state.test"]
        organizer = users["organizer1@state.test"]
        turf1 = db.session.scalar(sa.select(Turf).where(Turf.name == "Turf 001"))
        people = db.session.scalars(
            sa.select(Contact.id).where(Contact.turf_id == turf1.id).limit(50)
        ).all()
        pages = PageTimer(app, organizer, list(people))
        figures = pages.coverage(director, admin)
        pages.close()
        query = "/contacts/?q=Mary+Smith"
        figures["search_name_organizer"] = _median_ms(lambda: pages.get(query, organizer), 3)
        figures["search_name_director"] = _median_ms(lambda: pages.get(query, director), 3)
        figures["search_name_admin"] = _median_ms(lambda: pages.get(query, admin), 3)
        placed = db.session.execute(
            sa.select(Contact.turf_id, sa.func.count())
            .where(Contact.turf_id.is_not(None))
            .group_by(Contact.turf_id)
            .order_by(sa.func.count())
            .limit(1)
        ).one()
        smallest = db.session.get(Turf, placed[0])
        doors = len(door_services.turf_doors(admin, smallest, "all", utcnow(), 30))
        figures["cut_turf"] = time_cut(admin, smallest)
        placed_total = db.session.scalar(
            sa.select(sa.func.count()).where(Contact.turf_id.is_not(None))
        )
        db.engine.dispose()
    notes = [
        f"{placed_total:,} contacts placed in {TURFS} turfs; the smallest turf, cut: "
        f"{placed[1]:,} people at {doors:,} doors"
    ]
    return figures, notes
