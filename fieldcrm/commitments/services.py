"""Commitment services: record, change status (with history), reassign owners."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.commitments.models import STATUSES, Commitment, CommitmentEvent
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.scoping import can_see_contact, visible_users
from fieldcrm.webhooks import events as webhook_events

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
    if owner is None or not owner.active or not _may_own(actor, owner):
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
    from_status = commitment.status
    commitment.status = status
    commitment.status_changed_at = utcnow()
    db.session.flush()
    audit.record("commitment.status", actor=actor, entity=commitment, status=status)
    webhook_events.emit(
        "commitment.outcome",
        {
            "commitment_id": commitment.id,
            "contact_id": commitment.contact_id,
            "conversation_id": commitment.conversation_id,
            "kind": commitment.kind,
            "status": status,
            "from_status": from_status,
            "due_date": commitment.due_date,
            "owner_id": commitment.owner_id,
            "changed_at": commitment.status_changed_at,
            "by_user_id": actor.id,
        },
    )
    return commitment


ACTIVE_STATUSES = ("open", "rescheduled")


def _may_own(actor: User | None, owner: User) -> bool:
    """True when `owner` is someone `actor` may hand a follow-up to (or the actor)."""
    if actor is None or owner.id == actor.id:
        return True
    return (
        db.session.scalar(
            sa.select(sa.literal(1)).where(visible_users(actor).where(User.id == owner.id).exists())
        )
        is not None
    )


def reassign_commitment(
    actor: User, commitment: Commitment, new_owner_id: int, note: str | None = None
) -> Commitment:
    """Hand a commitment to another follow-up owner among the actor's visible users.

    Raises NotFound (commitment out of scope), ValidationFailed (owner unknown, inactive,
    outside the actor's team, unchanged, or the commitment is closed). Flushes; keeps a
    history event; audits.
    """
    if not can_see_contact(actor, commitment.contact_id):
        raise NotFound("commitment")
    if commitment.status not in ACTIVE_STATUSES:
        raise ValidationFailed([("owner_id", "Only open follow-ups can change hands.")])
    owner = db.session.get(User, new_owner_id)
    if owner is None or not owner.active or not _may_own(actor, owner):
        raise ValidationFailed([("owner_id", "Pick an active person on your team.")])
    if owner.id == commitment.owner_id:
        raise ValidationFailed([("owner_id", "They already follow this up.")])
    previous = commitment.owner_id
    commitment.owner_id = owner.id
    db.session.add(
        CommitmentEvent(
            commitment_id=commitment.id,
            by_user_id=actor.id,
            from_status=commitment.status,
            to_status=commitment.status,
            new_owner_id=owner.id,
            note=(note or "").strip()[:500] or None,
        )
    )
    db.session.flush()
    audit.record(
        "commitment.reassign",
        actor=actor,
        entity=commitment,
        from_owner_id=previous,
        to_owner_id=owner.id,
    )
    return commitment


def kept_rate_of(kept: int, flaked: int) -> float | None:
    """kept / (kept + flaked), or None when nothing was kept or flaked yet."""
    total = kept + flaked
    return kept / total if total else None


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def sms_body(template: str, *, first_name: str | None, commitment: str, sender: str) -> str:
    """Fill a follow-up text template; unknown {placeholders} become empty, never an error."""
    values = _Blank(first_name=(first_name or "").title(), commitment=commitment, sender=sender)
    try:
        return template.format_map(values).strip()
    except (ValueError, IndexError, AttributeError):  # a stray brace in a user's template
        return template.strip()


def sms_link(e164: str, body: str) -> str:
    """An `sms:` URI with a prefilled body that iOS and Android both read."""
    return f"sms:{e164}?&body={quote(body, safe='')}"


def set_sms_template(actor: User, template: str | None) -> None:
    """Set the actor's own follow-up text (blank = the program default). Flushes; audits.

    Raises ValidationFailed when longer than 320 characters or when a {placeholder} is not
    one of {first_name}, {commitment}, {sender}.
    """
    text = (template or "").strip()
    if len(text) > 320:
        raise ValidationFailed([("sms_template", "Keep it under 320 characters.")])
    unknown = set(re.findall(r"{([^{}]*)}", text)) - {"first_name", "commitment", "sender"}
    if unknown:
        raise ValidationFailed(
            [("sms_template", "Use only {first_name}, {commitment} and {sender}.")]
        )
    actor.sms_template = text or None
    db.session.flush()
    audit.record("user.sms_template", actor=actor, entity=actor)
