"""Storing what a device queued offline: exactly once per client id, refused by rule.

A device sends a batch of queued items; each is stored in its own transaction (the sync
view commits per item, retried on lock races). Every item carries the id the device gave it
when the person tapped (a UUID): the first store claims `(author, client id)` in
`synced_items` before any work, so a retried or concurrently repeated send answers
"already stored" with the same record and writes nothing twice.

The writes go through the features' own services (log_conversation, record_commitment,
set_status, create_contact), so the rules are the same as on the pages. Someone added at a
door is first matched to the people on file there (contacts.matching): the one the person
picked on the phone, or, added without signal, the same name at the same door, is linked
instead of copied; a new contact is created only when none matches. Refusals carry a
code the device shows in its "could not send" list:

* ``wrong_user``: queued while someone else was signed in on the device;
* ``packet_taken_back``: the packet is no longer the person's (reassigned or deleted);
* ``out_of_scope``: the person or follow-up is no longer in the actor's lists (turf
  reassigned);
* ``invalid``: the item breaks a rule (unknown result code, a commitment without a kind…).

Conflicts are decided by rule, never silently: attempts and conversations are append-only;
a contact edited on two devices (or offline and online) keeps, per field, the edit made
last, and the overwritten value is in the audit log (`apply_contact_edit`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import User
from fieldcrm.commitments import services as commitment_services
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.services import ContactInput, create_contact, link_existing
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.services import ConversationInput, log_conversation
from fieldcrm.database import utcnow
from fieldcrm.door.queries import door_address, get_packet, packet_door, people_on_file_at_door
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.fieldapp.models import SyncedItem
from fieldcrm.scoping import get_contact, visible_commitments

KINDS = ("attempt", "conversation", "commitment_outcome", "new_person", "contact_edit")
MAX_ITEMS = 200
# A device clock a little ahead is believed up to this much; beyond, the server's time.
CLOCK_SKEW = timedelta(minutes=5)
# Contact fields an offline edit may change (those organizers own; never imported ones).
EDITABLE_CONTACT_FIELDS = ("support_level", "preferred_languages", "notes", "do_not_contact")


class Refused(Exception):
    """An item the server will not store, with a code the device shows."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


@dataclass(frozen=True)
class QueuedItem:
    """One item as the device queued it."""

    client_id: str
    kind: str
    user_id: int | None
    queued_at: datetime | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Stored:
    """What storing an item created (answered to the device)."""

    record_type: str | None
    record_id: int | None
    result: dict[str, Any] = field(default_factory=dict)


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 instant from the device (with an offset or Z), as aware UTC."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise Refused("invalid", "time is not ISO 8601") from exc
    if parsed.tzinfo is None:
        raise Refused("invalid", "time has no UTC offset")
    return parsed.astimezone(UTC)


def parse_item(raw: Any) -> QueuedItem:
    """Check an item's envelope (id, kind, author, time, payload). Raises Refused."""
    if not isinstance(raw, dict):
        raise Refused("invalid", "not an object")
    client_id = str(raw.get("id") or "")
    try:
        client_id = str(uuid.UUID(client_id))
    except ValueError as exc:
        raise Refused("invalid", "the item id is not a UUID") from exc
    kind = raw.get("kind")
    if kind not in KINDS:
        raise Refused("invalid", "unknown kind")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise Refused("invalid", "no payload")
    user_id = raw.get("user_id")
    return QueuedItem(
        client_id=client_id,
        kind=kind,
        user_id=user_id if isinstance(user_id, int) else None,
        queued_at=parse_instant(raw.get("queued_at")),
        payload=payload,
    )


def effective_time(queued_at: datetime | None, now: datetime) -> datetime:
    """When the thing happened: the device's time, unless it is ahead of the server's."""
    if queued_at is None or queued_at > now + CLOCK_SKEW:
        return now
    return queued_at


def find_stored(actor: User, client_id: str) -> SyncedItem | None:
    """The stored row of an item the actor already sent, if any."""
    return db.session.scalar(
        sa.select(SyncedItem).where(
            SyncedItem.user_id == actor.id, SyncedItem.client_id == client_id
        )
    )


def store_item(actor: User, item: QueuedItem, data: Any, now: datetime) -> SyncedItem:
    """Store one queued item (`data`: its checked input, see fieldapp.forms) exactly once.

    Claims (actor, client id) first, then writes through the features' services. Raises
    Refused (and NotFound/ValidationFailed from the services, which the caller maps to
    refusals); an IntegrityError on the claim means a concurrent send stored it first.
    Flushes; never commits.
    """
    if item.user_id != actor.id:
        raise Refused("wrong_user")
    row = SyncedItem(
        user_id=actor.id, client_id=item.client_id, kind=item.kind, queued_at=item.queued_at
    )
    db.session.add(row)
    db.session.flush()
    when = effective_time(item.queued_at, now)
    stored = _HANDLERS[item.kind](actor, item, data, when)
    row.record_type, row.record_id, row.result = (
        stored.record_type,
        stored.record_id,
        stored.result,
    )
    db.session.flush()
    return row


def _packet(actor: User, packet_id: int | None):
    if not packet_id:
        return None
    try:
        return get_packet(actor, packet_id)
    except NotFound as exc:
        raise Refused("packet_taken_back") from exc


def _contact(actor: User, contact_id: int) -> Contact:
    try:
        return get_contact(actor, contact_id)
    except NotFound as exc:
        raise Refused("out_of_scope") from exc


def _key(item: QueuedItem, data: Any) -> str:
    """The conversation's idempotency key: the page form's own when the item replaces a
    form post that may have reached the server, else one derived from the client id."""
    return (getattr(data, "form_key", None) or f"sync:{item.client_id}")[:64]


def _log(actor: User, item: QueuedItem, data: Any, conversation: ConversationInput) -> Stored:
    packet = _packet(actor, data.packet_id)
    contact = _contact(actor, data.contact_id)
    if packet is not None and packet.mode == "phone" and conversation.channel == "door":
        conversation = _replace(conversation, channel="phone")
    record = log_conversation(actor, contact, conversation)
    commitments = db.session.scalars(
        sa.select(Commitment.id).where(Commitment.conversation_id == record.id)
    ).all()
    return Stored(
        "conversations",
        record.id,
        {"conversation_id": record.id, "contact_id": contact.id, "commitment_ids": commitments},
    )


def _replace(data: ConversationInput, **changes: Any) -> ConversationInput:
    from dataclasses import replace

    return replace(data, **changes)


def _attempt(actor: User, item: QueuedItem, data: Any, when: datetime) -> Stored:
    talked = data.result == "talked"
    conversation = ConversationInput(
        channel=data.channel,
        result_code=None if talked else data.result,
        occurred_at=when,
        packet_id=data.packet_id,
        idempotency_key=_key(item, data),
    )
    return _log(actor, item, data, conversation)


def _conversation(actor: User, item: QueuedItem, data: Any, when: datetime) -> Stored:
    conversation = _replace(
        data.conversation,
        occurred_at=when,
        packet_id=data.packet_id,
        idempotency_key=_key(item, data),
    )
    return _log(actor, item, data, conversation)


def _commitment_outcome(actor: User, item: QueuedItem, data: Any, when: datetime) -> Stored:
    commitment = db.session.scalar(
        visible_commitments(actor).where(Commitment.id == data.commitment_id)
    )
    if commitment is None:
        raise Refused("out_of_scope")
    result = {"commitment_id": commitment.id, "status": data.status}
    if commitment.status == data.status and data.status != "rescheduled":
        # Already so (marked on another device or the page): the outcome stands once.
        return Stored("commitments", commitment.id, {**result, "unchanged": True})
    commitment_services.set_status(
        actor, commitment, data.status, note=data.note, new_due_date=data.new_due_date
    )
    event = commitment_services.latest_event(commitment.id)
    if data.status in commitment_services.OUTCOMES and event is not None:
        result["event_id"] = event.id  # what the phone's Undo takes back, as on the page
    return Stored("commitments", commitment.id, result)


def _new_person(actor: User, item: QueuedItem, data: Any, when: datetime) -> Stored:
    """Someone met at a door: the person on file they are (picked on the phone, or the one
    at that door with that name), else a new contact at the door."""
    packet = _packet(actor, data.packet_id)
    if packet is None:
        raise Refused("invalid", "no packet")
    door = packet_door(packet, data.household_key)
    if door is None:
        raise Refused("invalid", "no such door in the packet")
    address = door_address(packet, door)
    person = ContactInput(
        first_name=data.first_name,
        last_name=data.last_name,
        phone=data.phone,
        email=data.email,
        res_line1=address.line1,
        res_city=address.city,
        res_state=address.state,
        res_zip5=address.zip5,
        turf_id=packet.turf_id,
    )
    match_id = data.match_id
    if match_id is None and not data.confirm_new:
        # Added without seeing the people on file (no signal): the same name at the same
        # door is that person, never a second copy.
        same = [
            m.contact.id
            for m in people_on_file_at_door(
                actor, packet, door, data.first_name, data.last_name, data.unit
            )
            if m.same_door and m.same_name
        ]
        match_id = same[0] if same else None
    if match_id is not None:
        try:
            found = link_existing(actor, match_id, person)
        except NotFound as exc:
            raise Refused("invalid", "that person is not a match any more") from exc
        return Stored("contacts", found.id, {"contact_id": found.id, "matched": True})
    contact = create_contact(actor, person)
    # At this door: the packet (and a leader's scope) finds residents by household key.
    contact.household_key = door.household_key
    contact.res_house_number = door.house_number
    contact.res_street_name = door.street_name
    contact.res_unit = data.unit
    db.session.flush()
    return Stored("contacts", contact.id, {"contact_id": contact.id})


def _contact_edit(actor: User, item: QueuedItem, data: Any, when: datetime) -> Stored:
    contact = _contact(actor, data.contact_id)
    edited_at = effective_time(data.edited_at, utcnow()) if data.edited_at else when
    applied, kept = apply_contact_edit(actor, contact, data.fields, edited_at, data.seen)
    return Stored(
        "contacts",
        contact.id,
        {
            "contact_id": contact.id,
            "applied": applied,
            "kept_newer": kept,
            # What the contact keeps instead, for the device's "changes not applied" notice.
            "kept_values": {name: _audit_value(getattr(contact, name)) for name in kept},
        },
    )


_HANDLERS = {
    "attempt": _attempt,
    "conversation": _conversation,
    "commitment_outcome": _commitment_outcome,
    "new_person": _new_person,
    "contact_edit": _contact_edit,
}


# -- contact edits: the later edit wins, per field ------------------------------------------


def last_server_edits(contact: Contact) -> dict[str, datetime]:
    """When each editable field of `contact` was last set on the server, by any path.

    * a save of the contact's edit form ("contact.update") sets every editable field at
      its time;
    * an offline edit applied here ("contact.field_edit") sets its field at the time the
      person made it on the device;
    * a conversation with a support level sets the support level when it happened.
    """
    last: dict[str, datetime] = {}

    def later(name: str, at: datetime | None) -> None:
        if at is not None and (name not in last or at > last[name]):
            last[name] = at

    events = db.session.execute(
        sa.select(audit.AuditEvent.action, audit.AuditEvent.at, audit.AuditEvent.details).where(
            audit.AuditEvent.entity_type == Contact.__tablename__,
            audit.AuditEvent.entity_id == contact.id,
            audit.AuditEvent.action.in_(("contact.update", "contact.field_edit")),
        )
    ).all()
    for action, at, details in events:
        if action == "contact.update":
            for name in EDITABLE_CONTACT_FIELDS:
                later(name, at)
        else:
            name = (details or {}).get("field")
            try:
                made = parse_instant((details or {}).get("edited_at")) or at
            except Refused:
                made = at
            if name in EDITABLE_CONTACT_FIELDS:
                later(name, made)
    later(
        "support_level",
        db.session.scalar(
            sa.select(sa.func.max(Conversation.occurred_at)).where(
                Conversation.contact_id == contact.id, Conversation.support_level.is_not(None)
            )
        ),
    )
    return last


def apply_contact_edit(
    actor: User,
    contact: Contact,
    fields: dict[str, Any],
    edited_at: datetime,
    seen: dict[str, Any] | None = None,
) -> tuple[list[str], list[str]]:
    """Apply an edit made at `edited_at` (on a device), field by field: a field set on the
    server after that keeps its newer value; otherwise the edit wins.

    `seen` holds the values the person saw before editing (the device sends them). A field
    whose value on the server is still the one they saw was not changed by anyone since,
    so the edit applies whatever the later saves of *other* fields (the edit form's save
    counts as setting every field); a field changed since keeps the later of the two edits.

    Every change is audited with the value it overwrote ("contact.field_edit"); every edit
    that lost to a newer one is audited with the value it would have set
    ("contact.field_edit_kept_newer"), so no edit disappears silently. Returns (applied,
    kept newer) field names. Raises ValidationFailed for an unknown field or a support
    level outside 1-5. Flushes.
    """
    unknown = set(fields) - set(EDITABLE_CONTACT_FIELDS)
    if unknown:
        raise ValidationFailed(
            [(None, _("Only support level, languages, notes and do-not-contact."))]
        )
    level = fields.get("support_level")
    if level is not None and not (isinstance(level, int) and 1 <= level <= 5):
        raise ValidationFailed([("support_level", _("Support level is 1 to 5."))])
    seen = seen or {}
    last = last_server_edits(contact)
    applied, kept = [], []
    for name in EDITABLE_CONTACT_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        unchanged_since_seen = name in seen and _same(seen[name], getattr(contact, name))
        if not unchanged_since_seen and name in last and last[name] > edited_at:
            kept.append(name)
            audit.record(
                "contact.field_edit_kept_newer",
                actor=actor,
                entity=contact,
                field=name,
                offline_value=_audit_value(value),
                server_value=_audit_value(getattr(contact, name)),
                seen=_audit_value(seen.get(name)),
                edited_at=edited_at.isoformat(),
            )
            continue
        before = getattr(contact, name)
        if before != value:
            setattr(contact, name, value)
        applied.append(name)
        audit.record(
            "contact.field_edit",
            actor=actor,
            entity=contact,
            field=name,
            before=_audit_value(before),
            after=_audit_value(value),
            seen=_audit_value(seen.get(name)),
            edited_at=edited_at.isoformat(),
        )
    db.session.flush()
    return applied, kept


def _same(a: Any, b: Any) -> bool:
    """Equal as the person sees them: a blank and no value are the same."""
    return (a if a not in ("", None) else None) == (b if b not in ("", None) else None)


def _audit_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value
