"""Input adapters for queued items: each kind's payload checked for shape, as the pages'
forms check a post (the same form classes where a page has one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from fieldcrm.commitments.forms import OutcomeForm
from fieldcrm.conversations.forms import LogConversationForm
from fieldcrm.conversations.services import ConversationInput
from fieldcrm.fieldapp.sync import EDITABLE_CONTACT_FIELDS, QueuedItem, Refused, parse_instant
from fieldcrm.forms import FieldCRMForm, blank_to_none

RESULT_MAX = 40


@dataclass(frozen=True)
class AttemptData:
    contact_id: int
    packet_id: int | None
    result: str  # "talked" or a result code
    channel: str = "door"
    form_key: str | None = None


@dataclass(frozen=True)
class ConversationData:
    contact_id: int
    packet_id: int | None
    conversation: ConversationInput
    form_key: str | None = None


@dataclass(frozen=True)
class OutcomeData:
    commitment_id: int
    status: str
    note: str | None
    new_due_date: date | None


@dataclass(frozen=True)
class NewPersonData:
    packet_id: int
    household_key: str
    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    unit: str | None
    #: the person on file they picked as the one met at the door (instead of a new contact)
    match_id: int | None = None
    #: they saw the people on file and none is the person: add a new contact
    confirm_new: bool = False


@dataclass(frozen=True)
class ContactEditData:
    contact_id: int
    fields: dict[str, Any]
    edited_at: datetime | None
    #: the values the person saw before editing (of the fields in `fields`)
    seen: dict[str, Any] = field(default_factory=dict)


class NewPersonForm(FieldCRMForm):
    """Someone met at a door who is not on the list."""

    class Meta:
        csrf = False  # the sync request itself carries the token

    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = EmailField(
        _l("Email"), validators=[Optional(), Email(), Length(max=254)], filters=[blank_to_none]
    )
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=60)])


def _id(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise Refused("invalid", "a record id is missing")
    return value


def _optional_id(value: Any) -> int | None:
    return None if value in (None, "") else _id(value)


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refused("invalid", "text expected")
    text = value.strip()
    if len(text) > limit:
        # refused, never cut: the item stays on the phone to be copied or shortened
        raise Refused("invalid", f"longer than {limit:,} characters")
    return text or None


def _pairs(value: Any) -> MultiDict:
    """A form's fields as the device captured them: [[name, value], …] (or an object)."""
    if isinstance(value, dict):
        value = list(value.items())
    if not isinstance(value, list) or not all(
        isinstance(p, list | tuple) and len(p) == 2 and isinstance(p[0], str) for p in value
    ):
        raise Refused("invalid", "form fields expected")
    return MultiDict([(name, "" if v is None else str(v)) for name, v in value])


def _form_errors(form: FieldCRMForm) -> str:
    return "; ".join(f"{name}: {', '.join(map(str, errs))}" for name, errs in form.errors.items())


def item_input(item: QueuedItem) -> Any:
    """The checked input of a queued item. Raises Refused("invalid", …)."""
    p = item.payload
    if item.kind == "attempt":
        result = _text(p.get("result"), RESULT_MAX)
        if not result:
            raise Refused("invalid", "no result")
        channel = p.get("channel") if p.get("channel") in ("door", "phone") else "door"
        return AttemptData(
            contact_id=_id(p.get("contact_id")),
            packet_id=_optional_id(p.get("packet_id")),
            result=result,
            channel=channel,
            form_key=_text(p.get("form_key"), 64),
        )
    if item.kind == "conversation":
        form = LogConversationForm(formdata=_pairs(p.get("form")), meta={"csrf": False})
        # The lists are checked by the service (codes, owners, scope), as on the page.
        form.set_choices({"result_code": [], "issue": [], "ask_kind": []})
        if not form.validate():
            raise Refused("invalid", _form_errors(form))
        return ConversationData(
            contact_id=_id(p.get("contact_id")),
            packet_id=_optional_id(p.get("packet_id")),
            conversation=form.to_input(form.commitment_inputs()),
            form_key=_text(p.get("form_key"), 64) or _text(form.idempotency_key.data, 64),
        )
    if item.kind == "commitment_outcome":
        pairs = MultiDict(
            [(k, str(p[k])) for k in ("status", "note", "new_due_date") if p.get(k) is not None]
        )
        form = OutcomeForm(formdata=pairs, meta={"csrf": False})
        if not form.validate() or form.status.data == "open":
            raise Refused("invalid", _form_errors(form) or "status")
        return OutcomeData(
            commitment_id=_id(p.get("commitment_id")),
            status=form.status.data,
            note=form.note.data,
            new_due_date=form.new_due_date.data,
        )
    if item.kind == "new_person":
        form = NewPersonForm(formdata=_pairs(p.get("form") or {}), meta={"csrf": False})
        key = _text(p.get("household_key"), 300)
        if not form.validate() or not key:
            raise Refused("invalid", _form_errors(form) or "no door")
        return NewPersonData(
            packet_id=_id(p.get("packet_id")),
            household_key=key,
            first_name=form.first_name.data,
            last_name=form.last_name.data or "",
            phone=form.phone.data or None,
            email=form.email.data,
            unit=form.unit.data or None,
            match_id=_optional_id(p.get("match_id")),
            confirm_new=p.get("confirm_new") is True,
        )
    fields = p.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise Refused("invalid", "no fields")
    seen = p.get("seen") if isinstance(p.get("seen"), dict) else {}
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in EDITABLE_CONTACT_FIELDS:
            raise Refused("invalid", f"{name} cannot be edited here")
        clean[name] = _contact_value(name, value)
    return ContactEditData(
        contact_id=_id(p.get("contact_id")),
        fields=clean,
        edited_at=parse_instant(p.get("edited_at")),
        seen={name: _contact_value(name, seen[name]) for name in clean if name in seen},
    )


def _contact_value(name: str, value: Any) -> Any:
    """An editable contact field's value as the device sent it, checked."""
    if name == "support_level":
        return None if value in (None, "") else _level(value)
    if name == "do_not_contact":
        return bool(value)
    return _text(value, 5000 if name == "notes" else 100)


def _level(value: Any) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError) as exc:
        raise Refused("invalid", "support level is 1 to 5") from exc
    if not 1 <= level <= 5:
        raise Refused("invalid", "support level is 1 to 5")
    return level
