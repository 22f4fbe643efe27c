"""Door services and queries: cutting a turf into packets, who may open a packet, its
progress, its walk list and phone-bank list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.services import ConversationInput, log_conversation
from fieldcrm.database import utcnow
from fieldcrm.door import queries, services
from fieldcrm.door.cutting import Door, street_key
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db


def _packet_doors(packet_ids):
    return db.session.execute(
        sa.select(PacketDoor.packet_id, PacketDoor.household_key, PacketDoor.position)
        .where(PacketDoor.packet_id.in_(packet_ids))
        .order_by(PacketDoor.packet_id, PacketDoor.position)
    ).all()


def test_cut_turf__every_door_in_exactly_one_packet(street_world, cut):
    w = street_world
    packets = cut(w.organizer_ana, w.east, target_size=6)
    rows = _packet_doors([p.id for p in packets])
    keys = [r.household_key for r in rows]
    households = set(
        db.session.scalars(sa.select(Contact.household_key).where(Contact.turf_id == w.east.id))
    )
    assert len(keys) == len(set(keys)) == len(households) == 20
    assert sum(p.door_count for p in packets) == 20


def test_cut_turf__packet_sizes_within_bounds(street_world, cut):
    packets = cut(street_world.organizer_ana, street_world.east, target_size=6)
    sizes = [p.door_count for p in packets]
    assert all(s <= 9 for s in sizes)  # max = target * 3 // 2
    assert sum(1 for s in sizes if s < 3) <= 1
    assert [p.name for p in packets] == [f"East {i:02d}" for i in range(1, len(packets) + 1)]


def test_cut_turf__street_order_up_the_odd_side_down_the_even(street_world, cut):
    w = street_world
    packets = cut(w.organizer_ana, w.east, target_size=50)
    assert len(packets) == 1
    doors = db.session.scalars(
        sa.select(PacketDoor).where(PacketDoor.packet_id == packets[0].id).order_by("position")
    ).all()
    oak = [d.house_number for d in doors if d.street_name == "OAK ST"]
    assert oak == [1, 3, 5, 7, 9, 11, 12, 10, 8, 6, 4, 2]
    streets = [d.street_name for d in doors]
    # whole streets stay together: each street is one consecutive run
    runs = [s for i, s in enumerate(streets) if i == 0 or streets[i - 1] != s]
    assert len(runs) == len(set(runs))


def test_cut_turf__universe_and_numbering_continue(street_world, cut):
    w = street_world
    w.oak[1][0].support_level = 2
    w.oak[3][0].support_level = 3
    db.session.commit()
    first = cut(w.organizer_ana, w.east, target_size=5, universe="persuadable")
    assert [p.door_count for p in first] == [2]
    second = cut(w.organizer_ana, w.east, target_size=50, name_prefix="Saturday")
    assert second[0].name == "Saturday 02"
    assert second[0].universe == {"name": "all", "stale_days": 30}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target_size": 2}, "target_size"),
        ({"mode": "bike"}, "mode"),
        ({"universe": "nobody"}, "universe"),
    ],
)
def test_cut_turf__rejects_bad_input(street_world, cut, fields, field):
    with pytest.raises(ValidationFailed) as err:
        cut(street_world.organizer_ana, street_world.east, **fields)
    assert err.value.errors[0][0] == field


def test_cut_turf__scope_and_roles(street_world, cut):
    w = street_world
    with pytest.raises(NotFound):
        cut(w.organizer_omar, w.east)
    with pytest.raises(PermissionDenied):
        cut(w.leader_lena, w.east)
    with pytest.raises(ValidationFailed):  # an assignee must work the turf
        cut(w.organizer_ana, w.east, assigned_user_id=w.organizer_omar.id)
    packets = cut(w.director_dana, w.east, assigned_user_id=w.leader_lena.id)
    assert packets[0].assigned_user_id == w.leader_lena.id


def test_packet_progress__counts_doors_attempted_since_creation(
    street_world, cut, make_conversation
):
    w = street_world
    long_ago = utcnow() - timedelta(days=3)
    make_conversation(w.oak[1][0], w.organizer_ana, occurred_at=long_ago)  # before the cut
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    assert queries.packet_progress([packet.id]) == {packet.id: 0}
    both = w.oak[2]  # two people, one door
    for person in both:
        log_conversation(
            w.organizer_ana, person, ConversationInput(result_code="not_home", packet_id=packet.id)
        )
    log_conversation(w.organizer_ana, w.elm[1][0], ConversationInput())
    db.session.commit()
    assert queries.packet_progress([packet.id]) == {packet.id: 2}
    stops = queries.packet_stops(w.organizer_ana, packet)
    assert sum(s.attempted for s in stops) == 2
    assert len(next(s for s in stops if s.door.house_number == 2).people) == 2


def test_packet_scope__leader_sees_assigned_packet_and_its_people(street_world, cut):
    from fieldcrm.scoping import can_see_contact

    w = street_world
    resident = w.oak[5][0]
    assert not can_see_contact(w.leader_lena, resident.id)
    packet = cut(w.organizer_ana, w.east, target_size=50, assigned_user_id=w.leader_lena.id)[0]
    assert can_see_contact(w.leader_lena, resident.id)
    assert queries.get_packet(w.leader_lena, packet.id) is not None
    assert not can_see_contact(w.leader_lena, w.west_1.id)
    with pytest.raises(NotFound):
        queries.get_packet(w.organizer_omar, packet.id)
    services.assign_packet(w.organizer_ana, packet, None)
    db.session.commit()
    assert not can_see_contact(w.leader_lena, resident.id)


def test_phone_bank__only_dialable_people(street_world, cut):
    w = street_world
    w.oak[4][0].do_not_contact = True
    db.session.commit()
    packet = cut(w.organizer_ana, w.east, target_size=50, mode="phone")[0]
    rows = queries.phone_bank(w.organizer_ana, packet)
    assert [c.id for c, _phone in rows] == [w.east_1.id]
    assert rows[0][1].e164 == "+13365550101"


def test_door_helpers__walk_sheet_keys_match_cutting():
    assert street_key(Door(key="a", street_name="Oak St.", precinct="P1")) == ("oak st", "P1")
    assert WalkPacket.__tablename__ == "walk_packets"
