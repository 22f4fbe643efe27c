"""Adding a person by hand: the people on file who may be them are offered first; a
volunteer leader sees the person they added (it is on their list)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.auth.models import LeaderAssignment
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db


@pytest.fixture
def rosa(world, make_contact):
    """Rosa Álvarez, in the voter file at 12 OAK ST APT 4 (East), on nobody's list."""
    return make_contact(
        world.east,
        source="nc",
        first_name="ROSA",
        last_name="ÁLVAREZ",
        res_line1="12 OAK ST APT 4",
        res_house_number=12,
        res_street_name="OAK ST",
        res_unit="APT 4",
        res_zip5="27215",
        precinct_code="E1",
    )


ROSA_TYPED = {
    "first_name": "Rosa",
    "last_name": "Alvarez",
    "res_line1": "12 Oak Street #4",
    "res_zip5": "27215",
    "phone": "(336) 555-0177",
}


def _count(**where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Contact).filter_by(**where))


def test_new__leader_sees_the_person_she_added(login_as, world):
    client = login_as(world.leader_lena)
    response = client.post("/contacts/new", data={"first_name": "Sam", "last_name": "Newby"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Sam Newby" in page.get_data(as_text=True)
    contact = db.session.scalars(sa.select(Contact).filter_by(last_name="Newby")).one()
    on_list = db.session.scalar(
        sa.select(LeaderAssignment).filter_by(leader_id=world.leader_lena.id, contact_id=contact.id)
    )
    assert on_list is not None
    assert on_list.assigned_by_id == world.leader_lena.id


def test_new__offers_the_voter_on_file_instead_of_adding_a_copy(login_as, world, rosa):
    response = login_as(world.organizer_ana).post("/contacts/new", data=ROSA_TYPED)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Already on file?" in body
    assert "ROSA ÁLVAREZ" in body
    assert f'name="link_contact_id" value="{rosa.id}"' in body
    assert 'value="Rosa"' in body  # what was typed stays in the form
    assert _count(last_name="Alvarez") == 0


def test_new__choosing_the_match_opens_it_and_keeps_the_phone(login_as, world, rosa):
    client = login_as(world.organizer_ana)
    response = client.post("/contacts/new", data={**ROSA_TYPED, "link_contact_id": rosa.id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contacts/{rosa.id}")
    assert _count(last_name="Alvarez") == 0
    db.session.refresh(rosa)
    assert [p.e164 for p in rosa.phones] == ["+13365550177"]
    again = client.post("/contacts/new", data={**ROSA_TYPED, "link_contact_id": rosa.id})
    assert again.status_code == 302
    db.session.refresh(rosa)
    assert len(rosa.phones) == 1  # a phone already there is not added twice
    assert db.session.scalar(
        sa.select(AuditEvent.action).where(AuditEvent.entity_id == rosa.id).limit(1)
    )


def test_new__leader_choosing_the_match_puts_her_on_the_list(login_as, world, rosa):
    client = login_as(world.leader_lena)
    offered = client.post("/contacts/new", data=ROSA_TYPED)
    assert "This is them: add to my list" in offered.get_data(as_text=True)
    assert client.get(f"/contacts/{rosa.id}").status_code == 404  # not hers yet
    chosen = client.post("/contacts/new", data={**ROSA_TYPED, "link_contact_id": rosa.id})
    assert chosen.status_code == 302
    assert client.get(f"/contacts/{rosa.id}").status_code == 200
    assert _count(last_name="Alvarez") == 0


def test_new__leader_cannot_link_someone_who_is_not_a_match(login_as, world, rosa):
    """Naming a contact id that is not a match for what was typed reaches nobody."""
    client = login_as(world.leader_lena)
    response = client.post("/contacts/new", data={**ROSA_TYPED, "link_contact_id": world.east_1.id})
    assert response.status_code == 422
    assert "not a match" in response.get_data(as_text=True)
    assert client.get(f"/contacts/{world.east_1.id}").status_code == 404
    assert (
        db.session.scalar(sa.select(LeaderAssignment).filter_by(contact_id=world.east_1.id)) is None
    )


def test_new__none_of_these_adds_a_new_person_with_a_door(login_as, world, rosa):
    client = login_as(world.organizer_ana)
    response = client.post(
        "/contacts/new", data={**ROSA_TYPED, "turf_id": world.east.id, "confirm_new": "y"}
    )
    assert response.status_code == 302
    added = db.session.scalars(sa.select(Contact).filter_by(last_name="Alvarez")).one()
    assert (added.res_house_number, added.res_street_name, added.res_unit) == (
        12,
        "OAK STREET",
        "#4",
    )
    assert added.household_key == "27215|12 OAK STREET|4"


def test_new__nobody_on_file_adds_at_once(login_as, world, rosa):
    response = login_as(world.organizer_ana).post(
        "/contacts/new", data={"first_name": "Tom", "last_name": "Unique", "res_zip5": "27215"}
    )
    assert response.status_code == 302
    assert _count(last_name="Unique") == 1


def test_new__a_long_unit_is_kept_within_its_column(login_as, world):
    """The unit split off a typed line fits its column (PostgreSQL refuses longer text)."""
    line = "1 Oak St #" + "9" * 150
    response = login_as(world.organizer_ana).post(
        "/contacts/new",
        data={"first_name": "Lu", "last_name": "Long", "res_line1": line, "res_zip5": "27215"},
    )
    assert response.status_code == 302
    added = db.session.scalars(sa.select(Contact).filter_by(last_name="Long")).one()
    assert added.res_unit == "#" + "9" * 59
