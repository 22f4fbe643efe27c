"""Read models for home pages (the full coverage and team reports build on these)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_scope, visible_commitments, visible_conversations


def scope_counts(actor: User, since: datetime) -> dict[str, int]:
    """Contacts in scope, and attempts / conversations since `since` on them."""
    contacts = db.session.scalar(sa.select(sa.func.count(Contact.id)).where(contact_scope(actor)))
    row = db.session.execute(
        sa.select(
            sa.func.count(Conversation.id),
            sa.func.count(Conversation.id).filter(Conversation.is_conversation.is_(True)),
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(contact_scope(actor), Conversation.occurred_at >= since)
    ).one()
    return {"contacts": contacts or 0, "attempts": row[0] or 0, "conversations": row[1] or 0}


def my_open_commitments(actor: User, limit: int = 10) -> list[Commitment]:
    """The actor's own open commitments, soonest due first."""
    stmt = (
        visible_commitments(actor)
        .where(Commitment.owner_id == actor.id, Commitment.status == "open")
        .options(so.contains_eager(Commitment.contact))
        .order_by(Commitment.due_date.asc().nulls_last(), Commitment.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def recent_conversations(actor: User, limit: int = 10) -> list[Conversation]:
    """The latest conversations on contacts in scope."""
    stmt = (
        visible_conversations(actor)
        .options(so.contains_eager(Conversation.contact), so.joinedload(Conversation.user))
        .order_by(Conversation.occurred_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of `now`'s week (same tz as `now`)."""
    start = now - timedelta(days=now.weekday())
    return start.replace(hour=0, minute=0, second=0, microsecond=0)
