"""The audit log: who did what to which record, when, from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import utcnow
from fieldcrm.extensions import db


class AuditEvent(db.Model):
    """One audited action (sign-in, denial, export, import, edit, delete…)."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    entity_type: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    entity_id: so.Mapped[int | None]
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    ip: so.Mapped[str | None] = so.mapped_column(sa.String(64))


def record(
    action: str,
    *,
    actor: Any = None,
    entity: Any = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit row to the session (the caller commits). Never raises on odd details."""
    if entity is not None:
        entity_type = entity_type or entity.__tablename__
        entity_id = entity_id or entity.id
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        entity_type=entity_type,
        entity_id=entity_id,
        details={
            k: (v if isinstance(v, int | float | bool | None) else str(v))
            for k, v in details.items()
        },
        ip=ip,
    )
    db.session.add(event)
    return event


def count_since(action: str, since: datetime) -> int:
    """How many `action` events were recorded at or after `since` (UTC)."""
    stmt = sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == action, AuditEvent.at >= since
    )
    return db.session.scalar(stmt) or 0


@dataclass(frozen=True)
class AuditFilters:
    """What the admin audit page searches by; every field optional."""

    action: str = ""
    actor: str = ""  # a user id, or part of an email
    entity_type: str = ""
    entity_id: int | None = None
    ip: str = ""
    since: datetime | None = None  # UTC, inclusive
    until: datetime | None = None  # UTC, exclusive


def search(filters: AuditFilters) -> sa.Select[tuple[AuditEvent]]:
    """SELECT audit events matching `filters`, newest first (bound parameters only)."""
    from fieldcrm.auth.models import User

    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.action:
        stmt = stmt.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    actor = filters.actor.strip()
    if actor.isascii() and actor.isdigit():
        # Ids are 32-bit: a longer number matches nobody (and must not overflow the driver).
        user_id = int(actor)
        stmt = stmt.where(AuditEvent.actor_id == user_id if user_id < 2**31 else sa.false())
    elif actor:
        stmt = stmt.where(
            AuditEvent.actor_id.in_(
                sa.select(User.id).where(User.email.contains(actor.lower(), autoescape=True))
            )
        )
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == filters.entity_id)
    if filters.ip:
        stmt = stmt.where(AuditEvent.ip.startswith(filters.ip, autoescape=True))
    if filters.since is not None:
        stmt = stmt.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEvent.at < filters.until)
    return stmt
