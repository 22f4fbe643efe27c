"""The turf browser tests' own world: a director's region with two turfs of households."""

from __future__ import annotations

from datetime import timedelta

from fieldcrm.auth import services as auth_services
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.services import add_phone
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder.services import ensure_default_ladder
from fieldcrm.turf import services as turf_services
from fieldcrm.turf.models import WeeklyGoal


def build(password: str) -> dict:
    """Piedmont (director Dana): Riverside (organizer Ana, 3 streets) and Hilltop (empty);
    Triangle: Durham (not Dana's). Ana has a standing goal and a few conversations."""
    ensure_default_choices()
    ensure_default_ladder()
    piedmont = turf_services.create_region(None, "Piedmont")
    triangle = turf_services.create_region(None, "Triangle")
    riverside = turf_services.create_turf(None, piedmont, "Riverside", precinct_codes=["R1", "R2"])
    turf_services.create_turf(None, piedmont, "Hilltop", precinct_codes=["H1"])
    turf_services.create_turf(None, triangle, "Durham", precinct_codes=["D1"])

    def user(email, role, **kw):
        return auth_services.create_user(
            None,
            auth_services.UserInput(
                email=email, name=email.split("@")[0].title(), role=role, password=password, **kw
            ),
        )

    users = {
        "director": user("dana@example.test", "director", region_ids=(piedmont.id,)),
        "organizer": user("ana@example.test", "organizer", turf_ids=(riverside.id,)),
    }
    n = 0
    for s, street in enumerate(("OAK ST", "ELM ST", "PINE AVE")):
        for number in range(1, 31):
            n += 1
            contact = Contact(
                source="test",
                voter_id=f"T{n}",
                first_name="Pat",
                last_name=f"Door{n}",
                display_name=f"Pat Door{n}",
                precinct_code="R1" if s < 2 else "R2",
                res_line1=f"{number} {street}",
                res_house_number=number,
                res_street_name=street,
                res_city="BURLINGTON",
                res_state="NC",
                res_zip5="27215",
                household_key=f"{number} {street}|27215",
                latitude=36.08 + s * 0.002 + number * 0.00005,
                longitude=-79.44,
            )
            db.session.add(contact)
            if number == 1:
                add_phone(contact, "+13365550150")
    db.session.add(
        Contact(source="test", voter_id="D1", display_name="Dot Durham", precinct_code="D1")
    )
    db.session.flush()
    turf_services.assign_contacts_to_turfs()
    first = db.session.query(Contact).filter(Contact.voter_id == "T1").one()
    ana = users["organizer"]
    when = utcnow() - timedelta(hours=2)
    db.session.add(
        Conversation(contact_id=first.id, user_id=ana.id, occurred_at=when, is_conversation=True)
    )
    db.session.add(
        WeeklyGoal(user_id=ana.id, attempts=20, conversations=5, one_on_ones=2, commitments=3)
    )
    return {"emails": {k: u.email for k, u in users.items()}}
