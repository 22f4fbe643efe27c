"""Demo data for door work: the first organizer's first turf cut into walk packets."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.auth.models import Role, User
from fieldcrm.database import utcnow
from fieldcrm.door import services
from fieldcrm.extensions import db


def seed_door_demo(users: dict[str, User]) -> None:
    """Cut the first organizer's first turf into packets, the first one for its leader.
    Commits."""
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
