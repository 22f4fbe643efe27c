"""Demo data for turf features: places contacts, sets goals, links leaders, loads made-up
precinct and ZIP shapes for the maps."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.turf import jobs, outlines, services

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "seed_data"


def seed_turf_demo(users: dict[str, User]) -> None:
    """Geocode offline (ZIP centroids), give organizers standing goals set by their
    director, and link each demo leader to a neighbour. Commits (the geocoding job commits
    per chunk); load the demo's (made-up) precinct and ZIP shapes. Packets are cut by
    fieldcrm.door.demo."""
    for kind, name in (("precinct", "demo_precincts.geojson"), ("zip", "demo_zips.geojson")):
        shapes = json.loads((SEED_DIR / name).read_text())
        outlines.load_boundaries(None, kind, shapes, "code", "name")
    run = jobs.create_job_run("geocode", {})
    db.session.commit()
    jobs.geocode_contacts(run.id)
    directors = [u for u in users.values() if u.role == Role.DIRECTOR]
    for organizer in (u for u in users.values() if u.role == Role.ORGANIZER):
        director = next(
            (
                d
                for d in directors
                if {t.region_id for t in organizer.turfs} & {r.id for r in d.regions}
            ),
            None,
        )
        if director is not None:
            services.set_weekly_goal(
                director,
                organizer,
                services.GoalInput(attempts=150, conversations=40, one_on_ones=5, commitments=10),
            )
    # Volunteer leaders are contacts too: link each demo leader to a neighbour in their turf,
    # so the coverage map shows where leaders live.
    for leader in (u for u in users.values() if u.role == Role.LEADER and u.turfs):
        if leader.contact_id is None:
            leader.contact_id = db.session.scalar(
                sa.select(Contact.id)
                .where(Contact.turf_id == leader.turfs[0].id, Contact.latitude.is_not(None))
                .order_by(Contact.id)
                .offset(leader.id)
                .limit(1)
            )
    db.session.commit()
