"""Commitments with an owner, a due date and a status history."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, utcnow
from fieldcrm.extensions import db

if TYPE_CHECKING:
    from fieldcrm.auth.models import User
    from fieldcrm.contacts.models import Contact
    from fieldcrm.conversations.models import Conversation

STATUSES = ("open", "kept", "flaked", "rescheduled", "cancelled")


class Commitment(TimestampMixin, db.Model):
    """A promise by a contact to do something by a date, followed up by its owner."""

    __tablename__ = "commitments"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('open', 'kept', 'flaked', 'rescheduled', 'cancelled')",
            name="status_valid",
        ),
        sa.Index("ix_commitments_owner_status_due", "owner_id", "status", "due_date"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    conversation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    description: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    due_date: so.Mapped[date | None]
    owner_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="open")
    status_changed_at: so.Mapped[datetime | None]

    contact: so.Mapped[Contact] = so.relationship()
    owner: so.Mapped[User | None] = so.relationship(foreign_keys=[owner_id])
    conversation: so.Mapped[Conversation | None] = so.relationship()
    events: so.Mapped[list[CommitmentEvent]] = so.relationship(
        back_populates="commitment",
        order_by="[CommitmentEvent.at, CommitmentEvent.id]",
        cascade="all, delete-orphan",
    )


class CommitmentEvent(db.Model):
    """One change to a commitment: status, due date or owner, with who, when and why."""

    __tablename__ = "commitment_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    commitment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    by_user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    to_status: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    new_due_date: so.Mapped[date | None]
    new_owner_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    note: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    # How an outcome was taken back: "undo" (a tap undone within minutes) or "correction"
    # (changed later); None for an ordinary step.
    change: so.Mapped[str | None] = so.mapped_column(sa.String(20))

    commitment: so.Mapped[Commitment] = so.relationship(back_populates="events")
    by_user: so.Mapped[User | None] = so.relationship(foreign_keys=[by_user_id])


class DigestSent(db.Model):
    """Marks an owner's daily digest as sent, so a second cron run sends nothing."""

    __tablename__ = "digests_sent"
    __table_args__ = (sa.UniqueConstraint("user_id", "digest_date"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    digest_date: so.Mapped[date]
    channel: so.Mapped[str] = so.mapped_column(sa.String(20))
    sent_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
