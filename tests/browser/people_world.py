"""The browser world for leader lists, adding people and follow-up outcomes (built through
the services): a region with turfs East and West, a director, an organizer per turf, a
volunteer leader in East, a few voter-file people and an open follow-up the leader owns."""

from __future__ import annotations

from datetime import timedelta

from fieldcrm.auth import services as auth_services
from fieldcrm.commitments.services import CommitmentInput, record_commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.turf import services as turf_services

VOTERS = [
    # first, last, line1, house number, street, unit, precinct
    ("ROSA", "ÁLVAREZ", "12 OAK ST APT 4", 12, "OAK ST", "APT 4", "E1"),
    ("MARCUS", "BELL", "14 OAK ST", 14, "OAK ST", None, "E1"),
    ("NIA", "BROOKS", "16 OAK ST", 16, "OAK ST", None, "E1"),
    ("WANDA", "WEST", "30 ELM ST", 30, "ELM ST", None, "W1"),
]


def build(password: str) -> dict:
    ensure_default_choices()
    region = turf_services.create_region(None, "Piedmont")
    east = turf_services.create_turf(None, region, "East", precinct_codes=["E1"])
    west = turf_services.create_turf(None, region, "West", precinct_codes=["W1"])

    def user(email, role, **kw):
        return auth_services.create_user(
            None,
            auth_services.UserInput(
                email=email, name=email.split("@")[0].title(), role=role, password=password, **kw
            ),
        )

    users = {
        "admin": user("admin@example.test", "admin"),
        "director": user("dana@example.test", "director", region_ids=(region.id,)),
        "organizer": user("ana@example.test", "organizer", turf_ids=(east.id,)),
        "organizer2": user("omar@example.test", "organizer", turf_ids=(west.id,)),
        "leader": user("lena@example.test", "leader", turf_ids=(east.id,)),
    }
    ids = {}
    for n, (first, last, line1, number, street, unit, precinct) in enumerate(VOTERS, start=1):
        contact = Contact(
            source="nc",
            voter_id=f"PW{n}",
            first_name=first,
            last_name=last,
            display_name=f"{first} {last}",
            precinct_code=precinct,
            res_line1=line1,
            res_house_number=number,
            res_street_name=street,
            res_unit=unit,
            res_city="BURLINGTON",
            res_state="NC",
            res_zip5="27215",
            household_key=f"27215|{number} {street}|{(unit or '').replace('APT ', '')}",
        )
        db.session.add(contact)
        db.session.flush()
        ids[last.lower()] = contact.id
    turf_services.assign_contacts_to_turfs()
    brooks = db.session.get(Contact, ids["brooks"])
    commitment = record_commitment(
        users["organizer"],
        brooks,
        CommitmentInput(
            kind="volunteer_shift",
            due_date=(utcnow() + timedelta(days=2)).date(),
            owner_id=users["leader"].id,
        ),
    )
    return {
        "emails": {k: u.email for k, u in users.items()},
        "user_ids": {k: u.id for k, u in users.items()},
        "contact_ids": ids,
        "commitment_id": commitment.id,
    }
