"""The small world the browser tests run against (built through the services)."""

from __future__ import annotations

from fieldcrm.auth import services as auth_services
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.services import add_phone
from fieldcrm.extensions import db
from fieldcrm.turf import services as turf_services


def build(password: str) -> dict:
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
        "organizer": user("ana@example.test", "organizer", turf_ids=(east.id,)),
        "organizer2": user("omar@example.test", "organizer", turf_ids=(west.id,)),
        "leader": user("lena@example.test", "leader", turf_ids=(east.id,)),
    }
    people = [
        ("Rosa", "Alvarez", "E1", "+13365550111"),
        ("Marcus", "Bell", "E1", None),
        ("Wanda", "West", "W1", "+13365550122"),
    ]
    for n, (first, last, precinct, phone) in enumerate(people, start=1):
        contact = Contact(
            source="test",
            voter_id=f"B{n}",
            first_name=first,
            last_name=last,
            display_name=f"{first} {last}",
            precinct_code=precinct,
            res_line1=f"{n}0 OAK ST",
            res_zip5="27215",
            household_key=f"{n}0 OAK ST|27215",
        )
        db.session.add(contact)
        if phone:
            add_phone(contact, phone)
    db.session.flush()
    turf_services.assign_contacts_to_turfs()
    return {"emails": {k: u.email for k, u in users.items()}}
