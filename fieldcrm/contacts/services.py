"""Contact services: create by hand (or link to the match on file), edit organizer-owned
fields, phones, tags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import Role, User
from fieldcrm.contacts import leaders, matching
from fieldcrm.contacts.models import Contact, ContactEmail, ContactPhone, Tag
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.lib.addresses import household_key, split_street_address
from fieldcrm.lib.phones import parse_phone
from fieldcrm.scoping import get_turf
from fieldcrm.webhooks import events as webhook_events


class StaleEdit(Exception):
    """The contact changed since the form was loaded; nothing was saved."""

    def __init__(self, contact: Contact):
        self.contact = contact
        super().__init__("contact changed by someone else")


def display_name(
    first: str | None, middle: str | None, last: str | None, suffix: str | None
) -> str:
    """'First Middle Last Suffix' with blanks skipped."""
    return " ".join(p for p in (first, middle, last, suffix) if p).strip()


@dataclass(frozen=True)
class ContactInput:
    """A contact entered by hand."""

    first_name: str
    last_name: str
    middle_name: str | None = None
    phone: str | None = None
    email: str | None = None
    res_line1: str | None = None
    res_city: str | None = None
    res_state: str | None = None
    res_zip5: str | None = None
    preferred_languages: str | None = None
    turf_id: int | None = None

    def probe(self) -> matching.PersonProbe:
        """What matching compares with the people on file."""
        return matching.PersonProbe(
            first_name=self.first_name,
            last_name=self.last_name,
            res_line1=self.res_line1,
            res_city=self.res_city,
            res_zip5=self.res_zip5,
        )


@dataclass(frozen=True)
class ContactEdit:
    """Fields organizers own on a contact (never touched by imports)."""

    version: int
    support_level: int | None
    preferred_languages: str | None
    do_not_contact: bool
    notes: str | None
    tags: tuple[str, ...] = ()


def add_phone(
    contact: Contact, raw: str, kind: str = "cell", source: str = "manual"
) -> ContactPhone:
    """Attach a phone, normalised to E.164 when dialable. Raises ValidationFailed when empty."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationFailed([("phone", _("Enter a phone number."))])
    parsed = parse_phone(raw)
    phone = ContactPhone(
        raw=raw[:40], e164=parsed.e164, valid=parsed.dialable, kind=kind, source=source
    )
    contact.phones.append(phone)
    return phone


def create_contact(actor: User, data: ContactInput) -> Contact:
    """Create a contact by hand in a turf the actor works in.

    The address is split into house number, street and unit, with a household (door) key,
    as an import would. A volunteer leader's new contact goes on their own list, so they
    see the person they added. Callers offer ``matching.find_matches`` first.
    Raises ValidationFailed (no name, turf outside scope). Flushes and audits.
    """
    if not (data.first_name or data.last_name):
        raise ValidationFailed([("first_name", _("Enter a name."))])
    turf = None
    if data.turf_id:
        try:
            turf = get_turf(actor, data.turf_id)
        except Exception as exc:
            raise ValidationFailed([("turf_id", _("Pick one of your turfs."))]) from exc
    parts = split_street_address(data.res_line1)
    contact = Contact(
        source="manual",
        first_name=data.first_name or None,
        middle_name=data.middle_name or None,
        last_name=data.last_name or None,
        display_name=display_name(data.first_name, data.middle_name, data.last_name, None),
        res_line1=data.res_line1,
        res_house_number=parts.house_number,
        res_street_name=parts.street_name,
        res_unit=(parts.unit or "")[:60] or None,  # a "#…" run may outgrow the column
        res_city=data.res_city,
        res_state=data.res_state,
        res_zip5=data.res_zip5,
        household_key=household_key(data.res_line1, None, data.res_zip5),
        preferred_languages=data.preferred_languages,
        turf=turf,
        owner_id=actor.id,
    )
    db.session.add(contact)
    if data.phone:
        add_phone(contact, data.phone)
    if data.email:
        contact.emails.append(ContactEmail(email=data.email.strip().lower(), source="manual"))
    db.session.flush()
    audit.record("contact.create", actor=actor, entity=contact)
    webhook_events.emit(
        "contact.created",
        {
            "contact_id": contact.id,
            "source": contact.source,
            "voter_id": contact.voter_id,
            "turf_id": contact.turf_id,
            "owner_id": contact.owner_id,
            "created_at": contact.created_at,
            "by_user_id": actor.id if actor is not None else None,
        },
    )
    if actor is not None and actor.role == Role.LEADER:
        leaders.put_on_own_list(actor, contact)
    return contact


def link_existing(actor: User, contact_id: int, data: ContactInput) -> Contact:
    """Use the person on file the actor chose instead of adding a second copy.

    `contact_id` must be one of ``matching.find_matches`` for what was typed (so nobody
    reaches a record by naming its id). A phone or email typed that the person does not
    have yet is added; a volunteer leader gets the person on their own list.
    Raises NotFound (not a match for the actor). Flushes and audits.
    """
    found = {m.contact.id: m.contact for m in matching.find_matches(actor, data.probe())}
    contact = found.get(contact_id)
    if contact is None:
        raise NotFound("contact")
    added = []
    if data.phone:
        parsed = parse_phone(data.phone)
        known = {p.e164 for p in contact.phones if p.e164} | {p.raw for p in contact.phones}
        if parsed.e164 not in known and data.phone.strip() not in known:
            add_phone(contact, data.phone)
            added.append("phone")
    email = (data.email or "").strip().lower()
    if email and email not in {e.email.lower() for e in contact.emails}:
        contact.emails.append(ContactEmail(email=email, source="manual"))
        added.append("email")
    db.session.flush()
    audit.record("contact.link", actor=actor, entity=contact, added=",".join(added) or None)
    if actor.role == Role.LEADER:
        leaders.put_on_own_list(actor, contact)
    return contact


def _tags(names: tuple[str, ...]) -> list[Tag]:
    clean = sorted({n.strip()[:60] for n in names if n and n.strip()})
    if not clean:
        return []
    existing = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(clean)))}
    out = []
    for name in clean:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        out.append(tag)
    return out


def touch_contact(
    contact: Contact,
    *,
    attempt_at: datetime | None = None,
    talked: bool = False,
    support_level: int | None = None,
) -> None:
    """Record on the contact what logging an attempt or a conversation changes.

    `last_attempt_at` (and `last_contacted_at` when they `talked`) only move forward, and
    are computed in the database, so two people saving at once cannot step back each
    other's time; `support_level` is set when given. One UPDATE without a version check:
    recording an attempt never fails because someone else touched the same person. Only a
    new support level bumps the version, because the edit form owns that field: a form
    opened before the new ID is refused (StaleEdit) rather than overwriting it. Expires
    the changed attributes of `contact` so they are read again.
    """
    table = Contact.__table__
    values: dict[str, object] = {}
    if attempt_at is not None:
        names = ["last_attempt_at", "last_contacted_at"] if talked else ["last_attempt_at"]
        for name in names:
            column = table.c[name]
            at = sa.literal(attempt_at, column.type)
            values[name] = sa.case((sa.or_(column.is_(None), column < at), at), else_=column)
    if support_level is not None:
        values["support_level"] = support_level
        values["version"] = table.c.version + 1
    if not values:
        return
    db.session.execute(sa.update(table).where(table.c.id == contact.id).values(**values))
    db.session.expire(contact, [*values, "updated_at"])


def update_contact(actor: User, contact: Contact, data: ContactEdit) -> Contact:
    """Save organizer-owned fields, refusing a stale form.

    Raises StaleEdit when `data.version` is not the contact's current version, and
    ValidationFailed for a support level outside 1-5. Flushes and audits.
    """
    if data.version != contact.version:
        raise StaleEdit(contact)
    if data.support_level is not None and not 1 <= data.support_level <= 5:
        raise ValidationFailed([("support_level", _("Support level is 1 to 5."))])
    before = {
        "support_level": contact.support_level,
        "do_not_contact": contact.do_not_contact,
    }
    contact.support_level = data.support_level
    contact.preferred_languages = data.preferred_languages
    contact.do_not_contact = data.do_not_contact
    contact.notes = data.notes
    contact.tags = _tags(data.tags)
    try:
        db.session.flush()
    except so.exc.StaleDataError as exc:  # a concurrent save won the race
        db.session.rollback()
        raise StaleEdit(contact) from exc
    audit.record(
        "contact.update",
        actor=actor,
        entity=contact,
        **{f"before_{k}": v for k, v in before.items()},
    )
    return contact
