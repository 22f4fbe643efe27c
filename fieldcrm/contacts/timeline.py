"""A contact's history, newest first: conversations, commitments (with events), ladder moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.commitments.models import Commitment, CommitmentEvent
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove
from fieldcrm.votes.queries import can_see_vote_history, contact_votes


@dataclass(frozen=True)
class TimelineEntry:
    """One row of the timeline: its kind, when, and the record."""

    kind: str  # conversation | commitment | ladder
    at: datetime
    record: Any


def contact_timeline(contact: Contact, limit: int = 200) -> list[TimelineEntry]:
    """The contact's records, newest first, in three queries (no N+1).

    The caller has already checked the actor may see `contact`.
    """
    conversations = db.session.scalars(
        sa.select(Conversation)
        .where(Conversation.contact_id == contact.id)
        .options(so.joinedload(Conversation.user))
        .order_by(Conversation.occurred_at.desc())
        .limit(limit)
    ).all()
    commitments = db.session.scalars(
        sa.select(Commitment)
        .where(Commitment.contact_id == contact.id)
        .options(
            so.joinedload(Commitment.owner),
            so.selectinload(Commitment.events).joinedload(CommitmentEvent.by_user),
        )
        .order_by(Commitment.created_at.desc())
        .limit(limit)
    ).all()
    moves = db.session.scalars(
        sa.select(LadderMove)
        .where(LadderMove.contact_id == contact.id)
        .options(
            so.joinedload(LadderMove.from_stage),
            so.joinedload(LadderMove.to_stage),
            so.joinedload(LadderMove.by_user),
        )
        .order_by(LadderMove.moved_at.desc())
        .limit(limit)
    ).all()
    entries = (
        [TimelineEntry("conversation", c.occurred_at, c) for c in conversations]
        + [TimelineEntry("commitment", c.created_at, c) for c in commitments]
        + [TimelineEntry("ladder", m.moved_at, m) for m in moves]
    )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def kept_rate(contact_id: int) -> tuple[int, int, float | None]:
    """(kept, flaked, kept / (kept + flaked)) for a contact's commitments; rate None if none."""
    rows = db.session.execute(
        sa.select(Commitment.status, sa.func.count())
        .where(Commitment.contact_id == contact_id, Commitment.status.in_(("kept", "flaked")))
        .group_by(Commitment.status)
    ).all()
    counts = dict(rows)
    kept, flaked = counts.get("kept", 0), counts.get("flaked", 0)
    return kept, flaked, (kept / (kept + flaked) if kept + flaked else None)


def vote_history(actor: Any, contact: Contact) -> list | None:
    """The contact's recent votes for their page, or None when the actor does not see vote
    history (leaders; fieldcrm.votes.queries)."""
    if not can_see_vote_history(actor):
        return None
    return contact_votes(actor, contact)
