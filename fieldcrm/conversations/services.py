"""Conversation services: default choice lists, logging an attempt or a one-on-one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit, programtime
from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.commitments.services import CommitmentInput, record_commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.services import touch_contact
from fieldcrm.conversations.defaults import DEFAULT_CHOICES, shipped_texts
from fieldcrm.conversations.models import CHANNELS, RESPONSES, ChoiceOption, Conversation
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.lib.i18n import clean_translations, split_texts
from fieldcrm.scoping import can_see_contact, visible_conversations
from fieldcrm.webhooks import events as webhook_events

TEXT_LIMITS = {"label": 120, "phrase": 160}


def ensure_default_choices(default_locale: str = "en") -> int:
    """Create the default entries of every list that has none, labelled in `default_locale`
    (else English) with the other shipped languages as translations.

    Entries of a list that already has some are never added to or relabelled; a default
    entry whose label is still a shipped one and that has no translations and no phrase
    (it predates them) gets the shipped ones. So it is idempotent and keeps admins' edits.
    Flushes; returns how many entries it created or filled in.
    """
    rows = db.session.scalars(sa.select(ChoiceOption)).all()
    by_list: dict[str, dict[str, ChoiceOption]] = {}
    for row in rows:
        by_list.setdefault(row.list_name, {})[row.code] = row
    changed = 0
    for list_name, options in DEFAULT_CHOICES.items():
        existing = by_list.get(list_name)
        for position, (code, _label) in enumerate(options):
            texts = shipped_texts(list_name, code)
            if not existing:
                main, others = split_texts(texts, default_locale)
                db.session.add(
                    ChoiceOption(
                        list_name=list_name,
                        code=code,
                        label=main["label"],
                        phrase=main.get("phrase"),
                        translations=others,
                        position=position,
                    )
                )
                changed += 1
                continue
            row = existing.get(code)
            if row is None or row.translations or row.phrase:
                continue
            language = next((k for k, v in texts.items() if v["label"] == row.label), None)
            if language is None:  # relabelled by an admin
                continue
            main, others = split_texts(texts, language)
            row.phrase = main.get("phrase")
            row.translations = others
            changed += 1
    db.session.flush()
    return changed


def choice_options(list_name: str, *, include_retired: bool = False) -> list[ChoiceOption]:
    """The entries of a configurable list, in order (retired ones too when asked)."""
    stmt = sa.select(ChoiceOption).where(ChoiceOption.list_name == list_name)
    if not include_retired:
        stmt = stmt.where(ChoiceOption.active.is_(True))
    return list(db.session.scalars(stmt.order_by(ChoiceOption.position, ChoiceOption.id)))


def choices(list_name: str, locale: object | None = None) -> list[tuple[str, str]]:
    """Active (code, label) pairs of a configurable list, in order, labelled in `locale`
    (the default label where that language has none)."""
    return [(o.code, o.text_in("label", locale)) for o in choice_options(list_name)]


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
        errors.append(("channel", _("Unknown channel.")))
    if data.result_code and data.result_code not in dict(choices("result_code")):
        errors.append(("result_code", _("Unknown result code.")))
    if data.support_level is not None and not 1 <= data.support_level <= 5:
        errors.append(("support_level", _("Support level is 1 to 5.")))
    if data.response and data.response not in RESPONSES:
        errors.append(("response", _("Response is yes, no or maybe.")))
    if data.result_code and (data.commitments or data.support_level):
        errors.append(("result_code", _("A failed attempt cannot carry an ID or commitments.")))
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
    touch_contact(
        contact,
        attempt_at=when,
        talked=is_conversation,
        support_level=data.support_level if is_conversation else None,
    )
    commitments = [
        record_commitment(actor, contact, item, conversation_id=conversation.id)
        for item in data.commitments
    ]
    db.session.flush()
    audit.record(
        "conversation.create",
        actor=actor,
        entity=conversation,
        contact_id=contact.id,
        result=data.result_code or "conversation",
    )
    webhook_events.emit(
        "conversation.logged",
        {
            "conversation_id": conversation.id,
            "contact_id": contact.id,
            "voter_id": contact.voter_id,
            "source": contact.source,
            "occurred_at": when,
            "channel": conversation.channel,
            "result_code": conversation.result_code,
            "is_conversation": is_conversation,
            "support_level": conversation.support_level,
            "issues": list(data.issues),
            "ask_kind": data.ask_kind,
            "response": data.response,
            "follow_up_date": data.follow_up_date,
            "commitment_ids": [c.id for c in commitments],
            "user_id": actor.id,
        },
    )
    return conversation


# Fields an author may change when editing a logged conversation, in form order.
EDITABLE_FIELDS = (
    "channel", "result_code", "support_level", "issues", "issues_text", "story", "agitation",
    "ask_kind", "ask_text", "response", "notes", "follow_up_date",
)  # fmt: skip


def get_conversation(actor: User, conversation_id: int) -> Conversation:
    """The conversation if its contact is in the actor's scope. Raises NotFound otherwise."""
    conversation = db.session.scalar(
        visible_conversations(actor).where(Conversation.id == conversation_id)
    )
    if conversation is None:
        raise NotFound("conversation")
    return conversation


def can_edit(actor: User, conversation: Conversation, now: datetime, window_minutes: int) -> bool:
    """True when `actor` wrote the conversation less than `window_minutes` before `now`."""
    return (
        conversation.user_id == actor.id
        and conversation.created_at + timedelta(minutes=window_minutes) > now
    )


def update_conversation(
    actor: User,
    conversation: Conversation,
    data: ConversationInput,
    *,
    now: datetime,
    window_minutes: int,
) -> Conversation:
    """Edit a logged conversation: only its author, only within the edit window.

    Commitments are not edited here (they have their own outcomes). Raises NotFound (out of
    scope), PermissionDenied (not the author, or the window has passed), ValidationFailed.
    Flushes; audits the before and after of every changed field; refreshes the contact's
    support level when the edit changes it.
    """
    if not can_see_contact(actor, conversation.contact_id):
        raise NotFound("conversation")
    if not can_edit(actor, conversation, now, window_minutes):
        raise PermissionDenied("Only the author may edit a conversation, and only for a while.")
    _validate(data)
    if data.result_code and db.session.scalar(
        sa.select(sa.func.count(Commitment.id)).where(Commitment.conversation_id == conversation.id)
    ):
        raise ValidationFailed(
            [("result_code", _("This conversation has commitments; it cannot become an attempt."))]
        )
    new = {
        "channel": data.channel,
        "result_code": data.result_code or None,
        "support_level": data.support_level,
        "issues": list(data.issues),
        "issues_text": data.issues_text,
        "story": data.story,
        "agitation": data.agitation,
        "ask_kind": data.ask_kind,
        "ask_text": data.ask_text,
        "response": data.response,
        "notes": data.notes,
        "follow_up_date": data.follow_up_date,
    }
    changed = {
        k: (getattr(conversation, k), v) for k, v in new.items() if getattr(conversation, k) != v
    }
    if not changed:
        return conversation
    for name, (_before, after) in changed.items():
        setattr(conversation, name, after)
    conversation.is_conversation = not conversation.result_code
    if "support_level" in changed and conversation.is_conversation and data.support_level:
        touch_contact(conversation.contact, support_level=data.support_level)
    db.session.flush()
    details: dict[str, object] = {"changed": ",".join(changed)}
    for name, (before, after) in changed.items():
        details[f"before_{name}"] = _audit_value(before)
        details[f"after_{name}"] = _audit_value(after)
    audit.record("conversation.update", actor=actor, entity=conversation, **details)
    return conversation


def _audit_value(value: object) -> object:
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _clean_code(code: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", (code or "").strip().lower()).strip("_")[:40]


def add_choice(
    actor: User,
    list_name: str,
    label: str,
    code: str | None = None,
    *,
    phrase: str | None = None,
    translations: dict[str, dict[str, str | None]] | None = None,
    locales: tuple[str, ...] = (),
) -> ChoiceOption:
    """Append an entry to a configurable list (code derived from the label when blank).

    `translations` ({locale: {"label": …, "phrase": …}}) is kept for the given `locales`
    only; blank texts are dropped (that language shows the default label). Raises
    ValidationFailed (unknown list, empty label, code already in the list). Flushes; audits.
    """
    if list_name not in ChoiceOption.LISTS:
        raise ValidationFailed([("list_name", _("Unknown list."))])
    label = (label or "").strip()[:120]
    code = _clean_code(code or label)
    if not label or not code:
        raise ValidationFailed([("label", _("Enter a label."))])
    exists = db.session.scalar(
        sa.select(ChoiceOption.id).where(
            ChoiceOption.list_name == list_name, ChoiceOption.code == code
        )
    )
    if exists:
        raise ValidationFailed([("code", _("That code is already in this list."))])
    last = db.session.scalar(
        sa.select(sa.func.max(ChoiceOption.position)).where(ChoiceOption.list_name == list_name)
    )
    option = ChoiceOption(
        list_name=list_name,
        code=code,
        label=label,
        phrase=(phrase or "").strip()[:160] or None,
        translations=clean_translations(translations or {}, locales, TEXT_LIMITS),
        position=(last or 0) + 1,
        active=True,
    )
    db.session.add(option)
    db.session.flush()
    audit.record("choice.create", actor=actor, entity=option, list=list_name, code=code)
    return option


def update_choice(
    actor: User,
    option: ChoiceOption,
    label: str,
    position: int,
    active: bool,
    *,
    phrase: str | None = None,
    translations: dict[str, dict[str, str | None]] | None = None,
    locales: tuple[str, ...] = (),
) -> ChoiceOption:
    """Relabel, translate, reorder or retire a list entry (its code stays: logged records
    keep it). The texts of `locales` are replaced by `translations` (blank = none); other
    languages' texts stay.

    Raises ValidationFailed (empty label). Flushes; audits the before and after.
    """
    label = (label or "").strip()[:120]
    if not label:
        raise ValidationFailed([("label", _("Enter a label."))])
    texts = {k: v for k, v in (option.translations or {}).items() if k not in locales}
    texts.update(clean_translations(translations or {}, locales, TEXT_LIMITS))
    before = (option.label, option.position, option.active, option.phrase, option.translations)
    option.label, option.position, option.active = label, position, active
    option.phrase = (phrase or "").strip()[:160] or None
    option.translations = texts
    db.session.flush()
    audit.record(
        "choice.update",
        actor=actor,
        entity=option,
        before=f"{before[0]}|{before[1]}|{before[2]}",
        after=f"{label}|{position}|{active}",
        phrase_changed=before[3] != option.phrase,
        translations_changed=before[4] != texts,
    )
    return option


def export_row(
    c: Conversation,
    voter_id: str | None,
    source: str,
    turf: str | None,
    email: str | None,
) -> list[object]:
    """One row of the conversations export, in EXPORT_COLUMNS order (README "Exports")."""
    return [
        voter_id or "",
        source,
        c.contact_id,
        c.id,
        programtime.local_date(c.occurred_at).isoformat(),
        c.occurred_at.astimezone(UTC).isoformat(timespec="seconds"),
        c.channel,
        c.result_code or "",
        "true" if c.is_conversation else "false",
        c.support_level or "",
        ";".join(c.issues or []),
        c.issues_text or "",
        c.ask_kind or "",
        c.ask_text or "",
        c.response or "",
        c.follow_up_date.isoformat() if c.follow_up_date else "",
        turf or "",
        email or "",
    ]
