"""Conversation services: default choice lists, logging an attempt or a one-on-one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.commitments.services import CommitmentInput, record_commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import CHANNELS, RESPONSES, ChoiceOption, Conversation
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.scoping import can_see_contact

DEFAULT_CHOICES = {
    "result_code": [
        ("not_home", "Not home"), ("refused", "Refused"), ("moved", "Moved"),
        ("deceased", "Deceased"), ("wrong_number", "Wrong number"),
        ("inaccessible", "Inaccessible"), ("come_back", "Come back later"),
    ],
    "issue": [
        ("health_care", "Health care"), ("wages", "Wages"), ("rent", "Rent and housing"),
        ("the_boss", "The boss / workplace"), ("immigration", "Immigration"),
        ("schools", "Schools"), ("child_care", "Child care"), ("transit", "Transit"),
        ("safety", "Public safety"), ("climate", "Climate"),
    ],
    "ask_kind": [
        ("volunteer_shift", "Volunteer shift"), ("house_meeting", "Host a house meeting"),
        ("training", "Attend a training"), ("recruit", "Recruit people"),
        ("vote_plan", "Make a voting plan"), ("sign_card", "Sign a card or petition"),
        ("one_on_one", "Follow-up one-on-one"), ("event", "Come to an event"),
    ],
    "commitment_kind": [
        ("volunteer_shift", "Volunteer shift"), ("house_meeting", "Host a house meeting"),
        ("training", "Attend a training"), ("recruit", "Recruit people"),
        ("vote_plan", "Make a voting plan"), ("sign_card", "Sign a card or petition"),
        ("one_on_one", "Follow-up one-on-one"), ("event", "Come to an event"),
    ],
}  # fmt: skip


def ensure_default_choices() -> None:
    """Create the default choice lists for any list that has no entries. Flushes."""
    for list_name, options in DEFAULT_CHOICES.items():
        exists = db.session.scalar(
            sa.select(ChoiceOption.id).where(ChoiceOption.list_name == list_name).limit(1)
        )
        if exists:
            continue
        for position, (code, label) in enumerate(options):
            db.session.add(
                ChoiceOption(list_name=list_name, code=code, label=label, position=position)
            )
    db.session.flush()


def choices(list_name: str) -> list[tuple[str, str]]:
    """Active (code, label) pairs of a configurable list, in order."""
    rows = db.session.execute(
        sa.select(ChoiceOption.code, ChoiceOption.label)
        .where(ChoiceOption.list_name == list_name, ChoiceOption.active.is_(True))
        .order_by(ChoiceOption.position, ChoiceOption.id)
    ).all()
    return [(r.code, r.label) for r in rows]


@dataclass(frozen=True)
class ConversationInput:
    """One logged attempt or conversation. Only `channel` (and a result or not) is needed."""

    channel: str = "door"
    result_code: str | None = None
    occurred_at: datetime | None = None
    support_level: int | None = None
    issues: tuple[str, ...] = ()
    issues_text: str | None = None
    story: str | None = None
    agitation: str | None = None
    ask_kind: str | None = None
    ask_text: str | None = None
    response: str | None = None
    notes: str | None = None
    follow_up_date: date | None = None
    commitments: tuple[CommitmentInput, ...] = field(default_factory=tuple)
    idempotency_key: str | None = None
    packet_id: int | None = None


def _validate(data: ConversationInput) -> None:
    errors: list[tuple[str | None, str]] = []
    if data.channel not in CHANNELS:
        errors.append(("channel", "Unknown channel."))
    if data.result_code and data.result_code not in dict(choices("result_code")):
        errors.append(("result_code", "Unknown result code."))
    if data.support_level is not None and not 1 <= data.support_level <= 5:
        errors.append(("support_level", "Support level is 1 to 5."))
    if data.response and data.response not in RESPONSES:
        errors.append(("response", "Response is yes, no or maybe."))
    if data.result_code and (data.commitments or data.support_level):
        errors.append(("result_code", "A failed attempt cannot carry an ID or commitments."))
    if errors:
        raise ValidationFailed(errors)


def log_conversation(actor: User, contact: Contact, data: ConversationInput) -> Conversation:
    """Log an attempt or a conversation, its commitments, and update the contact.

    A repeated `idempotency_key` from the same actor returns the first record instead of
    creating another. Raises NotFound (contact out of scope) and ValidationFailed.
    Flushes; audits; updates contact.last_attempt_at / last_contacted_at / support_level
    in the same transaction.
    """
    if not can_see_contact(actor, contact.id):
        raise NotFound("contact")
    if data.idempotency_key:
        existing = db.session.scalar(
            sa.select(Conversation).where(
                Conversation.user_id == actor.id,
                Conversation.idempotency_key == data.idempotency_key,
            )
        )
        if existing is not None:
            return existing
    _validate(data)
    when = data.occurred_at or utcnow()
    is_conversation = not data.result_code
    conversation = Conversation(
        contact_id=contact.id,
        user_id=actor.id,
        occurred_at=when,
        channel=data.channel,
        result_code=data.result_code or None,
        is_conversation=is_conversation,
        support_level=data.support_level,
        issues=list(data.issues),
        issues_text=data.issues_text,
        story=data.story,
        agitation=data.agitation,
        ask_kind=data.ask_kind,
        ask_text=data.ask_text,
        response=data.response,
        notes=data.notes,
        follow_up_date=data.follow_up_date,
        idempotency_key=data.idempotency_key,
        packet_id=data.packet_id,
    )
    db.session.add(conversation)
    db.session.flush()
    if contact.last_attempt_at is None or contact.last_attempt_at < when:
        contact.last_attempt_at = when
    if is_conversation:
        if contact.last_contacted_at is None or contact.last_contacted_at < when:
            contact.last_contacted_at = when
        if data.support_level is not None:
            contact.support_level = data.support_level
    for item in data.commitments:
        record_commitment(actor, contact, item, conversation_id=conversation.id)
    db.session.flush()
    audit.record(
        "conversation.create",
        actor=actor,
        entity=conversation,
        contact_id=contact.id,
        result=data.result_code or "conversation",
    )
    return conversation
