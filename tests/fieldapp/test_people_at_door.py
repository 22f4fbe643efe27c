"""Someone met at a door: the people on file there are offered first, and a new contact is
created only when none is the person (also for a person added without signal)."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.door.models import PacketDoor
from fieldcrm.extensions import db
from fieldcrm.scoping import can_see_contact
from tests.fieldapp.conftest import item


def _door(packet, number):
    return db.session.scalar(
        sa.select(PacketDoor).where(
            PacketDoor.packet_id == packet.id, PacketDoor.house_number == number
        )
    )


def _count(**where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Contact).filter_by(**where))


def _rosa(street_world, make_contact):
    """Rosa Vega, on file at 7 OAK ST, unit B: a later import, so not on the walk list."""
    return make_contact(
        street_world.east,
        first_name="Rosa",
        last_name="Vega",
        res_line1="7 OAK ST",
        res_unit="B",
        res_house_number=7,
        res_street_name="OAK ST",
        household_key="7 OAK ST B|27215",
        precinct_code="E1",
    )


def _matches(client, packet, door, first, last):
    return client.get(
        f"/field/api/packets/{packet.id}/matches",
        query_string={"household_key": door.household_key, "first_name": first, "last_name": last},
    )


def test_matches__people_on_file_at_the_door_first(
    street_world, lena_packet, login_as, make_contact
):
    w = street_world
    rosa = _rosa(w, make_contact)
    client = login_as(w.leader_lena)
    door = _door(lena_packet, 7)
    answer = _matches(client, lena_packet, door, "rosa", "VEGA").get_json()
    assert answer["matches"] == [
        {
            "id": rosa.id,
            "name": "Rosa Vega",
            "address": rosa.address,
            "same_door": True,
            "voter_file": True,
            "in_packet": False,
        }
    ]
    # somebody already on the list at this door is offered as such
    [resident] = w.oak[7]
    [found] = _matches(client, lena_packet, door, "Pat", resident.last_name).get_json()["matches"]
    assert (found["id"], found["in_packet"]) == (resident.id, True)
    # nobody by that name here
    assert _matches(client, lena_packet, door, "Bo", "Nobody").get_json() == {"matches": []}


def test_matches__a_leader_is_never_offered_people_elsewhere(
    street_world, lena_packet, login_as, make_contact
):
    w = street_world
    _rosa(w, make_contact)
    answer = _matches(login_as(w.leader_lena), lena_packet, _door(lena_packet, 3), "Rosa", "Vega")
    assert answer.get_json() == {"matches": []}


def test_matches__a_packet_not_yours_is_404_json(street_world, cut, login_as):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    answer = _matches(login_as(w.leader_lena), packet, _door(packet, 1), "Rosa", "Vega")
    assert answer.status_code == 404
    assert answer.get_json() == {"error": "not_found"}


def _new_person(w, packet, door, first, last, **extra):
    payload = {
        "packet_id": packet.id,
        "household_key": door.household_key,
        "form": [["first_name", first], ["last_name", last], ["phone", "336-555-0142"]],
        **extra,
    }
    return item("new_person", w.leader_lena, payload)


def test_sync__the_person_picked_on_the_phone_is_linked_not_copied(
    street_world, lena_packet, login_as, send, make_contact
):
    w = street_world
    rosa = _rosa(w, make_contact)
    login_as(w.leader_lena)
    assert not can_see_contact(w.leader_lena, rosa.id)
    picked = _new_person(w, lena_packet, _door(lena_packet, 7), "Rosa", "Vega", match_id=rosa.id)
    [answer] = send(picked).get_json()["items"]
    assert answer["status"] == "stored", answer
    assert (answer["record_id"], answer["result"]["matched"]) == (rosa.id, True)
    assert _count(first_name="Rosa") == 1
    assert can_see_contact(w.leader_lena, rosa.id)  # on her list now
    db.session.expire_all()
    assert [p.e164 for p in db.session.get(Contact, rosa.id).phones] == ["+13365550142"]


def test_sync__added_without_signal_the_same_name_at_the_door_is_that_person(
    street_world, lena_packet, login_as, send, make_contact
):
    w = street_world
    rosa = _rosa(w, make_contact)
    login_as(w.leader_lena)
    offline = _new_person(w, lena_packet, _door(lena_packet, 7), "Rosa", "Vega")
    [answer] = send(offline).get_json()["items"]
    assert (answer["status"], answer["record_id"]) == ("stored", rosa.id)
    assert _count(first_name="Rosa") == 1


def test_sync__someone_new_after_seeing_the_people_on_file_is_created(
    street_world, lena_packet, login_as, send, make_contact
):
    w = street_world
    rosa = _rosa(w, make_contact)
    login_as(w.leader_lena)
    door = _door(lena_packet, 7)
    new = _new_person(w, lena_packet, door, "Rosa", "Vega", confirm_new=True)
    [answer] = send(new).get_json()["items"]
    assert answer["status"] == "stored"
    assert answer["record_id"] != rosa.id
    assert _count(first_name="Rosa") == 2
    assert db.session.get(Contact, answer["record_id"]).household_key == door.household_key


def test_sync__a_picked_person_who_is_not_a_match_is_refused(
    street_world, lena_packet, login_as, send
):
    w = street_world
    login_as(w.leader_lena)
    wrong = _new_person(w, lena_packet, _door(lena_packet, 7), "Rosa", "Vega", match_id=w.west_1.id)
    [answer] = send(wrong).get_json()["items"]
    assert (answer["status"], answer["code"]) == ("refused", "invalid")
    assert _count(first_name="Rosa") == 0
