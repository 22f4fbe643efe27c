"""Who on file is the person being added? Matching a typed name and address to contacts.

Before anyone adds a person by hand (the "Add contact" form, and later a door-to-door "add
someone at this door"), the people already on file who look like them are offered, so the
organizer opens the existing record and a leader puts them on their list instead of
creating a second copy of a voter.

* **Candidates** are read through indexed columns only: people at the typed ZIP and house
  number (``ix_contacts_zip_house``), and people whose last name is stored under one of the
  typed name's spellings (``ix_contacts_name``; within the typed ZIP when there is one).
  At most CANDIDATES of each.
* **Comparison** is in Python with ``fieldcrm.lib.matching`` (case, accents, St/Street,
  Apt/#…): a candidate is offered when they are at the same door with the same or a very
  similar name, or (for staff) when the name matches wherever they live, the same door first.
* **Scope**: admins, directors and organizers see matches among the people they may see.
  A volunteer leader sees their own people plus the people living in their turfs, but only
  those at the very door they typed with the name they typed (name and address, nothing
  else, are shown): what they already know from standing at the door, and never a list to
  browse.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fieldcrm.auth.models import Role, User, user_turfs
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.lib.addresses import split_street_address
from fieldcrm.lib.matching import (
    door_of,
    first_names_match,
    fold,
    last_names_match,
    name_variants,
    same_door,
    similar_names,
)
from fieldcrm.scoping import contact_scope

CANDIDATES = 300
LIMIT = 5


@dataclass(frozen=True)
class PersonProbe:
    """What was typed about a person: a name and, if known, where they live."""

    first_name: str | None
    last_name: str | None
    res_line1: str | None = None
    res_unit: str | None = None
    res_city: str | None = None
    res_zip5: str | None = None


@dataclass(frozen=True)
class Match:
    """A person on file who may be the one typed."""

    contact: Contact
    same_door: bool
    same_name: bool  # False: a very similar name at the same door (a typo)


def match_scope(actor: User | None) -> sa.ColumnElement[bool]:
    """Contacts `actor` may be offered as matches (see the module docstring)."""
    if actor is not None and actor.active and actor.role == Role.LEADER:
        own_turfs = sa.select(user_turfs.c.turf_id).where(user_turfs.c.user_id == actor.id)
        return sa.or_(contact_scope(actor), Contact.turf_id.in_(own_turfs))
    return contact_scope(actor)


def _zip5(text: str | None) -> str | None:
    value = (text or "").strip()[:5]
    return value if len(value) == 5 and value.isascii() and value.isdigit() else None


def _candidates(actor: User, probe: PersonProbe) -> list[Contact]:
    scope = match_scope(actor)
    zip5 = _zip5(probe.res_zip5)
    number = split_street_address(probe.res_line1).house_number
    found: dict[int, Contact] = {}
    if zip5 and number is not None:
        at_door = (
            sa.select(Contact)
            .where(Contact.res_zip5 == zip5, Contact.res_house_number == number, scope)
            .order_by(Contact.id)
            .limit(CANDIDATES)
        )
        found.update((c.id, c) for c in db.session.scalars(at_door))
    variants = name_variants(probe.last_name)
    if variants:
        named = sa.select(Contact).where(Contact.last_name.in_(variants), scope)
        if zip5:
            named = named.where(Contact.res_zip5 == zip5)
        named = named.order_by(Contact.id).limit(CANDIDATES)
        found.update((c.id, c) for c in db.session.scalars(named))
    return list(found.values())


def _at_door(probe: PersonProbe, contact: Contact) -> bool:
    typed = door_of(probe.res_line1, probe.res_unit, _zip5(probe.res_zip5))
    on_file = door_of(contact.res_line1, contact.res_unit, contact.res_zip5)
    if not same_door(typed, on_file):
        return False
    if typed is not None and on_file is not None and not (typed.zip5 and on_file.zip5):
        # No ZIP to compare on one side: the city must agree where both are known.
        a, b = fold(probe.res_city), fold(contact.res_city)
        return not (a and b) or a == b
    return True


def _names(probe: PersonProbe, contact: Contact) -> tuple[bool, bool]:
    """(same name, very similar name) of the probe and the contact."""
    if not (probe.last_name or "").strip():
        first = first_names_match(probe.first_name, contact.first_name)
        return first, first
    exact = last_names_match(probe.last_name, contact.last_name) and first_names_match(
        probe.first_name, contact.first_name
    )
    close = similar_names(probe.last_name, contact.last_name) and (
        first_names_match(probe.first_name, contact.first_name)
        or similar_names(probe.first_name, contact.first_name)
    )
    return exact, exact or close


def find_matches(actor: User, probe: PersonProbe, limit: int = LIMIT) -> list[Match]:
    """The people on file `actor` may be offered as the person typed, best first.

    Same door and same name first, then same door and a very similar name, then (not for
    volunteer leaders) the same name elsewhere, in the typed ZIP first. Read-only.
    """
    if not ((probe.first_name or "").strip() or (probe.last_name or "").strip()):
        return []
    # A leader, or anyone who typed no last name, is offered only people at that door.
    door_only = actor.role == Role.LEADER or not (probe.last_name or "").strip()
    typed_zip = _zip5(probe.res_zip5)
    matches = []
    for contact in _candidates(actor, probe):
        exact, close = _names(probe, contact)
        door = _at_door(probe, contact)
        if (door and close) or (exact and not door_only):
            matches.append(Match(contact, door, exact))
    matches.sort(
        key=lambda m: (
            not m.same_door,
            not m.same_name,
            m.contact.res_zip5 != typed_zip,
            m.contact.last_name or "",
            m.contact.first_name or "",
            m.contact.id,
        )
    )
    return matches[:limit]
