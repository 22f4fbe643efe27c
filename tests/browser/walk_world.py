"""A 60-door walk packet for leader Lena (Riverside, four streets, one to three people at a
door, half of them tried before), and Rosa Vega: on file at 7 OAK ST, unit B, added after the
packet was cut, so she is not on the walk list."""

from __future__ import annotations

from datetime import timedelta

from fieldcrm.auth import services as auth_services
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.database import utcnow
from fieldcrm.door import services as door_services
from fieldcrm.extensions import db
from fieldcrm.ladder.services import ensure_default_ladder
from fieldcrm.turf import services as turf_services

STREETS = (("OAK ST", 20), ("ELM ST", 16), ("PINE AVE", 14), ("BIRCH CT", 10))
FIRST = ("Maria", "James", "Guadalupe", "Robert", "Keisha", "Nguyen", "Patricia", "Oluwaseun")
LAST = ("Gonzalez-Ramirez", "Washington", "Smith", "Okafor", "Hernandez", "Lee", "Johnson")
RESULTS = ("not_home", "refused", "come_back", None)  # None: they talked


def build(password: str) -> dict:
    ensure_default_choices()
    ensure_default_ladder()
    region = turf_services.create_region(None, "Piedmont")
    riverside = turf_services.create_turf(None, region, "Riverside", precinct_codes=["R1"])

    def user(email, role, **kw):
        return auth_services.create_user(
            None,
            auth_services.UserInput(
                email=email, name=email.split("@")[0].title(), role=role, password=password, **kw
            ),
        )

    ana = user("ana@example.test", "organizer", turf_ids=(riverside.id,))
    lena = user("lena@example.test", "leader", turf_ids=(riverside.id,))
    people: list[Contact] = []
    for s, (street, doors) in enumerate(STREETS):
        for number in range(1, doors + 1):
            for k in range(1 + (number * 7 + s) % 3 // 2 + (number % 5 == 0)):
                n = len(people)
                contact = Contact(
                    source="test",
                    voter_id=f"W{n}",
                    first_name=FIRST[n % len(FIRST)],
                    last_name=LAST[(n + k) % len(LAST)],
                    display_name=f"{FIRST[n % len(FIRST)]} {LAST[(n + k) % len(LAST)]}",
                    precinct_code="R1",
                    res_line1=f"{number} {street}",
                    res_house_number=number,
                    res_street_name=street,
                    res_city="BURLINGTON",
                    res_state="NC",
                    res_zip5="27215",
                    household_key=f"{number} {street}|27215",
                    latitude=36.08 + s * 0.002,
                    longitude=-79.44 + number * 0.0002,
                )
                db.session.add(contact)
                people.append(contact)
    db.session.flush()
    turf_services.assign_contacts_to_turfs()
    [packet] = door_services.cut_turf(
        ana,
        riverside,
        door_services.CutInput(target_size=60, name_prefix="Walk", assigned_user_id=lena.id),
        utcnow(),
    )
    # Half the people were tried before the packet was cut (last week's pass).
    before = utcnow() - timedelta(days=6)
    for n, person in enumerate(people[::2]):
        code = RESULTS[n % len(RESULTS)]
        db.session.add(
            Conversation(
                contact_id=person.id,
                user_id=ana.id,
                occurred_at=before,
                channel="door",
                result_code=code,
                is_conversation=code is None,
            )
        )
    rosa = Contact(
        source="test",
        voter_id="W-ROSA",
        first_name="Rosa",
        last_name="Vega",
        display_name="Rosa Vega",
        precinct_code="R1",
        res_line1="7 OAK ST",
        res_unit="B",
        res_house_number=7,
        res_street_name="OAK ST",
        res_city="BURLINGTON",
        res_state="NC",
        res_zip5="27215",
        household_key="7 OAK ST B|27215",
        turf_id=riverside.id,
    )
    db.session.add(rosa)
    db.session.flush()
    return {
        "emails": {"organizer": ana.email, "leader": lena.email},
        "packet_id": packet.id,
        "doors": packet.door_count,
        "people": len(people),
        "rosa_id": rosa.id,
        "lena_id": lena.id,
    }
