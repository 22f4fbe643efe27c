"""Field-work additions to the browser world: choice lists, the ladder, two fresh contacts."""

from __future__ import annotations

from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.extensions import db
from fieldcrm.ladder.services import ensure_default_ladder
from fieldcrm.turf import services as turf_services

PEOPLE = {"door": ("Tomas", "Ortega"), "one_on_one": ("Nia", "Brooks")}


def build() -> dict[str, int]:
    """Add what logging needs (idempotent); return the new contacts' ids by purpose."""
    ensure_default_choices()
    ensure_default_ladder()
    ids = {}
    for n, (purpose, (first, last)) in enumerate(PEOPLE.items(), start=1):
        contact = Contact(
            source="test",
            voter_id=f"FW{n}",
            first_name=first,
            last_name=last,
            display_name=f"{first} {last}",
            precinct_code="E1",
            res_line1=f"{n}5 ELM ST",
            res_zip5="27215",
            household_key=f"{n}5 ELM ST|27215",
        )
        db.session.add(contact)
        db.session.flush()
        ids[purpose] = contact.id
    turf_services.assign_contacts_to_turfs()
    return ids
