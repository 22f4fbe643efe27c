"""Demo data for turf features: places contacts, sets weekly goals, cuts a first packet."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.auth.models import Role, User
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.turf import jobs, services


def seed_turf_demo(users: dict[str, User]) -> None:
    """Geocode offline (ZIP centroids), give organizers standing goals set by their
    director, and cut the first organizer's first turf into packets, the first one for
    its leader. Commits (the geocoding job commits per chunk)."""
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
    organizer = next((u for u in users.values() if u.role == Role.ORGANIZER and u.turfs), None)
    if organizer is not None:
        turf = organizer.turfs[0]
        leader = db.session.scalar(
            sa.select(User)
            .where(User.role == Role.LEADER, User.turfs.any(id=turf.id))
            .order_by(User.id)
        )
        packets = services.cut_turf(organizer, turf, services.CutInput(target_size=40), utcnow())
        if leader is not None and packets:
            services.assign_packet(organizer, packets[0], leader.id)
    db.session.commit()
