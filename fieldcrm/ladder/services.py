"""Ladder services: the default ladder, configuring stages, moving people up and down."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.ladder.models import DEFAULT_LADDER, LadderMove, LadderStage
from fieldcrm.scoping import can_see_contact


def ensure_default_ladder() -> list[LadderStage]:
    """Create the default ladder when no stage exists yet; return the stages in order."""
    stages = list(db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)))
    if stages:
        return stages
    for position, (name, description) in enumerate(DEFAULT_LADDER, start=1):
        db.session.add(LadderStage(name=name, description=description, position=position))
    db.session.flush()
    return list(db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)))


def move_contact(
    actor: User,
    contact: Contact,
    to_stage: LadderStage | None,
    reason: str | None = None,
    at: datetime | None = None,
) -> LadderMove:
    """Move a contact to `to_stage` (None = off the ladder), keeping history.

    Raises NotFound when the contact is outside the actor's scope, ValidationFailed when
    the stage is unchanged or inactive. Flushes; audits.
    """
    if not can_see_contact(actor, contact.id):
        raise NotFound("contact")
    if to_stage is not None and not to_stage.active:
        raise ValidationFailed([("stage", "That stage is no longer in use.")])
    if (to_stage.id if to_stage else None) == contact.ladder_stage_id:
        raise ValidationFailed([("stage", "They are already at that stage.")])
    when = at or utcnow()
    move = LadderMove(
        contact_id=contact.id,
        from_stage_id=contact.ladder_stage_id,
        to_stage_id=to_stage.id if to_stage else None,
        moved_at=when,
        by_user_id=actor.id,
        reason=(reason or "").strip()[:500] or None,
    )
    db.session.add(move)
    contact.ladder_stage_id = to_stage.id if to_stage else None
    contact.ladder_stage_since = when
    db.session.flush()
    audit.record("ladder.move", actor=actor, entity=contact, to=to_stage.name if to_stage else None)
    return move
