"""The offline browser tests' world: Riverside's 27 doors cut into a packet for leader Lena,
a second small packet of hers ("Spare", taken back in a test), and two follow-ups she owns."""

from __future__ import annotations

from datetime import timedelta

from fieldcrm.auth import services as auth_services
from fieldcrm.commitments.services import CommitmentInput, record_commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.database import utcnow
from fieldcrm.door import services as door_services
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.extensions import db
from fieldcrm.ladder.services import ensure_default_ladder
from fieldcrm.turf import services as turf_services

DOORS = 24


def build(password: str) -> dict:
    ensure_default_choices()
    ensure_default_ladder()
    region = turf_services.create_region(None, "Piedmont")
    riverside = turf_services.create_turf(None, region, "Riverside", precinct_codes=["R1", "R2"])

    def user(email, role, **kw):
        return auth_services.create_user(
            None,
            auth_services.UserInput(
                email=email, name=email.split("@")[0].title(), role=role, password=password, **kw
            ),
        )

    ana = user("ana@example.test", "organizer", turf_ids=(riverside.id,))
    lena = user("lena@example.test", "leader", turf_ids=(riverside.id,))
    for s, (street, precinct, doors) in enumerate((("OAK ST", "R1", DOORS), ("ELM ST", "R2", 3))):
        for number in range(1, doors + 1):
            db.session.add(
                Contact(
                    source="test",
                    voter_id=f"O{s}-{number}",
                    first_name="Pat",
                    last_name=f"{street[0]}{number}",
                    display_name=f"Pat {street[0]}{number}",
                    precinct_code=precinct,
                    res_line1=f"{number} {street}",
                    res_house_number=number,
                    res_street_name=street,
                    res_city="BURLINGTON",
                    res_state="NC",
                    res_zip5="27215",
                    household_key=f"{number} {street}|27215",
                )
            )
    db.session.flush()
    turf_services.assign_contacts_to_turfs()
    # Precinct R1 (OAK ST) and R2 (ELM ST) are cut separately: one packet per street.
    oak = door_services.cut_turf(
        ana,
        riverside,
        door_services.CutInput(target_size=24, name_prefix="Walk", assigned_user_id=lena.id),
        utcnow(),
    )
    # A second, small packet of hers: the one taken back while she is offline.
    spare = WalkPacket(
        turf_id=riverside.id, name="Spare", mode="door", assigned_user_id=lena.id, door_count=3
    )
    db.session.add(spare)
    db.session.flush()
    for number in range(1, 4):
        db.session.add(
            PacketDoor(
                packet_id=spare.id,
                household_key=f"{number} ELM ST|27215",
                position=number,
                street_name="ELM ST",
                house_number=number,
            )
        )
    friend = db.session.query(Contact).filter(Contact.voter_id == "O0-1").one()
    follow_up = record_commitment(
        ana,
        friend,
        CommitmentInput(
            kind="volunteer_shift", due_date=(utcnow() + timedelta(days=2)).date(), owner_id=lena.id
        ),
    )
    # A second follow-up of hers, for a person further down the street (rescheduled in a test).
    later = record_commitment(
        ana,
        db.session.query(Contact).filter(Contact.voter_id == "O0-3").one(),
        CommitmentInput(
            kind="volunteer_shift", due_date=(utcnow() + timedelta(days=3)).date(), owner_id=lena.id
        ),
    )
    return {
        "later_follow_up_id": later.id,
        "ana_id": ana.id,
        "emails": {"organizer": ana.email, "leader": lena.email},
        "packet_id": oak[0].id,
        "spare_id": spare.id,
        "follow_up_id": follow_up.id,
        "lena_id": lena.id,
    }
