"""Which personal fields each role sees (fieldcrm/contacts/visibility.py), over every route.

A volunteer leader gets what a follow-up needs (name, phones, address, their commitments),
never party, birth date or year, sex, race, ethnicity, voter status, registration date or
districts. Every GET route is rendered as a leader with ids of records she may reach, so
routes added later are walked too; a hidden field's value must appear in no response.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from fieldcrm.contacts.export import FULL_EXPORT_COLUMNS, columns_for
from fieldcrm.contacts.visibility import RESTRICTED_FIELDS, can_see, hidden_fields
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.extensions import db, limiter
from tests.fixtures.security import build_path, only_int_args, route_rules

# A distinctive value per restricted field, so any leak is found in any page or file.
MARKERS = {
    "party": "PARTYMARK",
    "birth_date": date(1911, 3, 4),
    "birth_year": 1911,
    "sex": "SEXMARK",
    "race": "RACEMARK",
    "ethnicity": "ETHNICMARK",
    "voter_status": "STATUSMARK",
    "registration_date": date(1977, 6, 5),
    "cd": "CDMARK",
    "sd": "SDMARK",
    "hd": "HDMARK",
}
SHOWN = {"first_name": "Ezra", "res_unit": "UNIT 9Z"}


def _leaks(body: str) -> list[str]:
    texts = {str(v) for v in MARKERS.values()} | {
        v.isoformat() for v in MARKERS.values() if isinstance(v, date)
    }
    return sorted(t for t in texts if t in body)


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


@pytest.fixture
def leader_world(world, fieldwork, make_conversation, make_commitment):
    """Lena's assigned contact carries every restricted field, a conversation, a commitment
    she owns, and a walk packet assigned to her with the contact's door."""
    w = world
    for field, value in {**MARKERS, **SHOWN}.items():
        setattr(w.east_assigned, field, value)
    w.conversation = make_conversation(w.east_assigned, w.leader_lena, notes="talked")
    w.commitment = make_commitment(w.east_assigned, w.leader_lena, description="a shift")
    w.packet = WalkPacket(
        turf_id=w.east.id, name="Lena's street", assigned_user_id=w.leader_lena.id, door_count=1
    )
    db.session.add(w.packet)
    db.session.flush()
    db.session.add(
        PacketDoor(
            packet_id=w.packet.id,
            household_key=w.east_assigned.household_key,
            position=1,
            street_name="MAIN ST",
            house_number=w.east_assigned.res_house_number,
        )
    )
    db.session.commit()
    return w


def test_policy__leaders_see_no_restricted_field_others_see_all(world):
    assert hidden_fields(world.leader_lena) == RESTRICTED_FIELDS
    for persona in ("admin_dev", "director_dana", "organizer_ana"):
        assert hidden_fields(getattr(world, persona)) == frozenset()
    assert not can_see(world.leader_lena, "party")
    assert can_see(world.leader_lena, "res_unit")


def test_policy__leader_export_columns_leave_restricted_fields_out(world):
    leader = columns_for(world.leader_lena, "full")
    assert {"party", "birth_year", "birth_date", "sex", "race", "ethnicity", "status"}.isdisjoint(
        leader
    )
    assert {"cd", "sd", "hd", "registration_date"}.isdisjoint(leader)
    assert {"first_name", "phone", "address", "unit", "zip4"} <= set(leader)
    assert columns_for(world.organizer_ana, "full") == FULL_EXPORT_COLUMNS


def test_every_get_route__shows_a_leader_no_restricted_field(app, client, login_as, leader_world):
    w = leader_world
    ids = {
        "contact_id": w.east_assigned.id,
        "conversation_id": w.conversation.id,
        "commitment_id": w.commitment.id,
        "turf_id": w.east.id,
        "packet_id": w.packet.id,
        "region_id": w.piedmont.id,
        "user_id": w.leader_lena.id,
    }
    login_as(w.leader_lena)
    rendered, leaked = [], {}
    for rule in route_rules(app, "GET"):
        if not only_int_args(rule) or rule.endpoint in ("auth.logout",):
            continue
        path = build_path(app, rule, {name: ids.get(name, 987_654_321) for name in rule.arguments})
        for query in ("", "?q=Ezra", "?columns=full", "?all=1"):
            response = client.get(path + query)
            if response.status_code == 200:
                rendered.append(rule.endpoint)
                found = _leaks(response.get_data(as_text=True))
                if found:
                    leaked[path + query] = found
    assert leaked == {}
    # the walk reached the pages that show this contact to her
    for endpoint in (
        "contacts.detail",
        "contacts.index",
        "contacts.edit",
        "conversations.log",
        "commitments.mine",
        "door.packet",
        "door.packet_sheet",
        "door.packet_phone",
    ):
        assert endpoint in rendered, endpoint
    sheet = client.get(f"/turf/packets/{w.packet.id}/sheet").get_data(as_text=True)
    assert "UNIT 9Z" in sheet  # the address for the visit is there
    assert ">Age<" not in sheet  # the age (from the birth year) is not


def test_contact_page__organizers_still_see_the_voter_file_fields(login_as, leader_world):
    body = (
        login_as(leader_world.organizer_ana)
        .get(f"/contacts/{leader_world.east_assigned.id}")
        .get_data(as_text=True)
    )
    assert "PARTYMARK" in body
    assert "1911" in body


def test_export__a_leader_allowed_to_export_gets_no_restricted_column(
    app, login_as, leader_world, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_LIMITS", {"leader": 100})
    response = login_as(leader_world.leader_lena).get("/contacts/export.csv?columns=full")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert _leaks(text) == []
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["first_name"] for r in rows] == ["Ezra"]
    assert rows[0]["unit"] == "UNIT 9Z"
    assert "party" not in rows[0]
