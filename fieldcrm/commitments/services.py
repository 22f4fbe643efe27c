"""Commitment services: record, change status (with history), reassign owners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.commitments.models import STATUSES, Commitment, CommitmentEvent
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.scoping import can_see_contact

# Which statuses a commitment may move to from each status. A rescheduled commitment is
# open again with a new due date (the event keeps the "rescheduled" step).
TRANSITIONS = {
    "open": {"kept", "flaked", "rescheduled", "cancelled"},
    "rescheduled": {"kept", "flaked", "rescheduled", "cancelled"},
    "flaked": {"rescheduled", "kept", "cancelled"},
    "kept": set(),
    "cancelled": {"open"},
}


@dataclass(frozen=True)
class CommitmentInput:
    """A new commitment."""

    kind: str
    description: str | None = None
    due_date: date | None = None
    owner_id: int | None = None


def record_commitment(
    actor: User, contact: Contact, data: CommitmentInput, conversation_id: int | None = None
) -> Commitment:
    """Record a commitment; the owner defaults to the actor.

    Raises NotFound (contact out of scope), ValidationFailed (no kind, owner unknown or
    inactive). Flushes; writes the first history event.
    """
    if not can_see_contact(actor, contact.id):
        raise NotFound("contact")
    if not (data.kind or "").strip():
        raise ValidationFailed([("kind", "Say what they committed to.")])
    owner_id = data.owner_id or actor.id
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active:
        raise ValidationFailed([("owner_id", "Pick an active person to follow up.")])
    commitment = Commitment(
        contact_id=contact.id,
        conversation_id=conversation_id,
        kind=data.kind.strip()[:40],
        description=(data.description or "").strip()[:500] or None,
        due_date=data.due_date,
        owner_id=owner.id,
        created_by_id=actor.id,
        status="open",
        status_changed_at=utcnow(),
    )
    db.session.add(commitment)
    db.session.flush()
    db.session.add(
        CommitmentEvent(
            commitment_id=commitment.id,
            by_user_id=actor.id,
            from_status=None,
            to_status="open",
            new_due_date=data.due_date,
            new_owner_id=owner.id,
        )
    )
    audit.record("commitment.create", actor=actor, entity=commitment, contact_id=contact.id)
    return commitment


def set_status(
    actor: User,
    commitment: Commitment,
    status: str,
    note: str | None = None,
    new_due_date: date | None = None,
) -> Commitment:
    """Change a commitment's status, keeping history.

    `rescheduled` needs `new_due_date` and leaves the commitment open-ended under the
    rescheduled status. Raises NotFound (out of scope), ValidationFailed (bad transition).
    """
    if not can_see_contact(actor, commitment.contact_id):
        raise NotFound("commitment")
    if status not in STATUSES:
        raise ValidationFailed([("status", "Unknown status.")])
    if status not in TRANSITIONS[commitment.status]:
        raise ValidationFailed(
            [("status", f"A {commitment.status} commitment cannot become {status}.")]
        )
    if status == "rescheduled":
        if new_due_date is None:
            raise ValidationFailed([("new_due_date", "Pick the new date.")])
        commitment.due_date = new_due_date
    event = CommitmentEvent(
        commitment_id=commitment.id,
        by_user_id=actor.id,
        from_status=commitment.status,
        to_status=status,
        new_due_date=new_due_date if status == "rescheduled" else None,
        note=(note or "").strip()[:500] or None,
    )
    db.session.add(event)
    commitment.status = status
    commitment.status_changed_at = utcnow()
    db.session.flush()
    audit.record("commitment.status", actor=actor, entity=commitment, status=status)
    return commitment
