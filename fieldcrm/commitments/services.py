"""Commitment services: record, change status (with history), undo or correct an outcome,
reassign owners."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import Role, User
from fieldcrm.commitments.models import STATUSES, Commitment, CommitmentEvent
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.labels import label
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
        raise ValidationFailed([("kind", _("Say what they committed to."))])
    owner_id = data.owner_id or actor.id
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active or not _may_own(actor, owner):
        raise ValidationFailed([("owner_id", _("Pick an active person to follow up."))])
    now = utcnow()  # the status time and its history event agree (undo restores it)
    commitment = Commitment(
        contact_id=contact.id,
        conversation_id=conversation_id,
        kind=data.kind.strip()[:40],
        description=(data.description or "").strip()[:500] or None,
        due_date=data.due_date,
        owner_id=owner.id,
        created_by_id=actor.id,
        status="open",
        status_changed_at=now,
    )
    db.session.add(commitment)
    db.session.flush()
    db.session.add(
        CommitmentEvent(
            commitment_id=commitment.id,
            at=now,
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
        raise ValidationFailed([("status", _("Unknown status."))])
    if status not in TRANSITIONS[commitment.status]:
        raise ValidationFailed(
            [
                (
                    "status",
                    _(
                        "A commitment marked %(old)s cannot become %(new)s.",
                        old=label(commitment.status, "commitment_status"),
                        new=label(status, "commitment_status"),
                    ),
                )
            ]
        )
    if status == "rescheduled":
        if new_due_date is None:
            raise ValidationFailed([("new_due_date", _("Pick the new date."))])
        commitment.due_date = new_due_date
    now = utcnow()
    event = CommitmentEvent(
        commitment_id=commitment.id,
        at=now,
        by_user_id=actor.id,
        from_status=commitment.status,
        to_status=status,
        new_due_date=new_due_date if status == "rescheduled" else None,
        note=(note or "").strip()[:500] or None,
    )
    db.session.add(event)
    from_status = commitment.status
    commitment.status = status
    commitment.status_changed_at = now
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
# The one-tap outcomes: undone within minutes by whoever tapped, corrected later.
OUTCOMES = ("kept", "flaked", "cancelled")
CORRECTIONS = (*OUTCOMES, "open")


def latest_event(commitment_id: int) -> CommitmentEvent | None:
    """The commitment's most recent history event."""
    return db.session.scalar(
        sa.select(CommitmentEvent)
        .where(CommitmentEvent.commitment_id == commitment_id)
        .order_by(CommitmentEvent.id.desc())
        .limit(1)
    )


def can_undo(
    actor: User, event: CommitmentEvent | None, now: datetime, window_minutes: int
) -> bool:
    """True when `event` is an outcome `actor` tapped less than `window_minutes` ago."""
    return (
        event is not None
        and event.by_user_id == actor.id
        and event.change is None
        and event.from_status is not None
        and event.to_status in OUTCOMES
        and event.at + timedelta(minutes=window_minutes) > now
    )


def _status_time_before(commitment: Commitment, event_id: int) -> datetime:
    """What `status_changed_at` was just before event `event_id`, replayed from history:
    an ordinary status change sets it, an undo takes the undone change back, and a
    correction sets it only when it reopens the follow-up."""
    events = db.session.scalars(
        sa.select(CommitmentEvent)
        .where(CommitmentEvent.commitment_id == commitment.id, CommitmentEvent.id < event_id)
        .order_by(CommitmentEvent.id)
    )
    times = [commitment.created_at]
    for event in events:
        if event.change == "undo":
            if len(times) > 1:
                times.pop()
        elif event.change == "correction":
            if event.to_status == "open":
                times.append(event.at)
        elif event.from_status is None or event.from_status != event.to_status:
            times.append(event.at)
    return times[-1]


def undo_status(
    actor: User, commitment: Commitment, event_id: int, *, now: datetime, window_minutes: int
) -> Commitment:
    """Take back the outcome (kept, flaked, cancelled) the actor just tapped.

    Only the latest event, tapped by the actor less than `window_minutes` before `now`, is
    undone: the commitment gets its earlier status and status time back, and the undo is
    a history event of its own (change "undo"). Later, ``correct_outcome`` applies.
    Raises NotFound (out of scope), ValidationFailed (not undoable). Flushes; audits.
    """
    if not can_see_contact(actor, commitment.contact_id):
        raise NotFound("commitment")
    event = latest_event(commitment.id)
    if (
        event is None
        or event.id != event_id
        or event.to_status != commitment.status
        or not can_undo(actor, event, now, window_minutes)
    ):
        raise ValidationFailed(
            [("status", _("Too late to undo: correct the outcome on the person’s page."))]
        )
    restored, undone = event.from_status, commitment.status
    db.session.add(
        CommitmentEvent(
            commitment_id=commitment.id,
            by_user_id=actor.id,
            from_status=undone,
            to_status=restored,
            change="undo",
        )
    )
    commitment.status = restored
    commitment.status_changed_at = _status_time_before(commitment, event.id)
    db.session.flush()
    audit.record("commitment.undo", actor=actor, entity=commitment, undone=undone, status=restored)
    return commitment


def correct_outcome(
    actor: User, commitment: Commitment, status: str, note: str | None = None
) -> Commitment:
    """Correct a kept, flaked or cancelled outcome after the fact (a mis-tap, news later).

    The new status is another outcome, or "open" to follow the person up again. Between
    outcomes the status time stays when the outcome happened, so kept rates per week count
    the corrected outcome in its own week; reopening sets it to now. The correction is a
    history event (change "correction", with the note). A volunteer leader corrects only
    follow-ups they own. Raises NotFound (out of scope), PermissionDenied (a leader, not
    the owner), ValidationFailed (not an outcome, same status). Flushes; audits.
    """
    if not can_see_contact(actor, commitment.contact_id):
        raise NotFound("commitment")
    if actor.role == Role.LEADER and commitment.owner_id != actor.id:
        raise PermissionDenied("a leader corrects only their own follow-ups")
    if commitment.status not in OUTCOMES:
        raise ValidationFailed(
            [("status", _("Only a kept, flaked or cancelled outcome is corrected."))]
        )
    if status not in CORRECTIONS or status == commitment.status:
        raise ValidationFailed([("status", _("Pick the outcome it should have been."))])
    previous, now = commitment.status, utcnow()
    db.session.add(
        CommitmentEvent(
            commitment_id=commitment.id,
            at=now,
            by_user_id=actor.id,
            from_status=previous,
            to_status=status,
            note=(note or "").strip()[:500] or None,
            change="correction",
        )
    )
    commitment.status = status
    if status == "open":
        commitment.status_changed_at = now
    db.session.flush()
    audit.record(
        "commitment.correct", actor=actor, entity=commitment, previous=previous, status=status
    )
    return commitment


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
        raise ValidationFailed([("owner_id", _("Only open follow-ups can change hands."))])
    owner = db.session.get(User, new_owner_id)
    if owner is None or not owner.active or not _may_own(actor, owner):
        raise ValidationFailed([("owner_id", _("Pick an active person on your team."))])
    if owner.id == commitment.owner_id:
        raise ValidationFailed([("owner_id", _("They already follow this up."))])
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
        raise ValidationFailed([("sms_template", _("Keep it under 320 characters."))])
    unknown = set(re.findall(r"{([^{}]*)}", text)) - {"first_name", "commitment", "sender"}
    if unknown:
        raise ValidationFailed(
            [("sms_template", _("Use only {first_name}, {commitment} and {sender}."))]
        )
    actor.sms_template = text or None
    db.session.flush()
    audit.record("user.sms_template", actor=actor, entity=actor)
