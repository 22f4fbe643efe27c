"""Ladder stages (ordered, configurable) and each contact's moves between them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, TranslatedMixin, utcnow
from fieldcrm.extensions import db

if TYPE_CHECKING:
    from fieldcrm.auth.models import User
    from fieldcrm.contacts.models import Contact

DEFAULT_LADDER = (
    ("Supporter", "Says they are with us."),
    ("Volunteer", "Has done one volunteer action (a shift, a house meeting, a call)."),
    ("Regular volunteer", "Shows up every week or two, without being chased."),
    ("Team leader / captain", "Leads a team: recruits, confirms and debriefs others."),
    ("Organizer", "Runs a turf or a constituency; develops leaders of their own."),
)


class LadderStage(TranslatedMixin, TimestampMixin, db.Model):
    """A rung on the ladder; `position` orders them (lower = earlier). `name` is the
    default name; `translations` holds the name per other interface language."""

    __tablename__ = "ladder_stages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    position: so.Mapped[int] = so.mapped_column(index=True)
    description: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    active: so.Mapped[bool] = so.mapped_column(default=True)


class LadderMove(db.Model):
    """A move up or down the ladder: from, to, when, by whom and why."""

    __tablename__ = "ladder_moves"
    __table_args__ = (sa.Index("ix_ladder_moves_contact_when", "contact_id", "moved_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    from_stage_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ladder_stages.id", ondelete="SET NULL")
    )
    to_stage_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ladder_stages.id", ondelete="SET NULL")
    )
    moved_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    by_user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    contact: so.Mapped[Contact] = so.relationship()
    from_stage: so.Mapped[LadderStage | None] = so.relationship(foreign_keys=[from_stage_id])
    to_stage: so.Mapped[LadderStage | None] = so.relationship(foreign_keys=[to_stage_id])
    by_user: so.Mapped[User | None] = so.relationship()
