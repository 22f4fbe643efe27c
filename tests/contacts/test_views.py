"""Contact pages: scoped list, search, filters, pagination, detail, edit, phones."""

from __future__ import annotations

import pytest

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db


def test_index__organizer_sees_only_own_turf(login_as, world):
    body = login_as(world.organizer_ana).get("/contacts/").get_data(as_text=True)
    assert "Eve East" in body
    assert "Ezra Assigned" in body
    assert "Wes West" not in body
    assert "Dot Durham" not in body


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("eve", "Eve East"),
        ("EAST", "Eve East"),
        ("5550101", "Eve East"),
        ("Ezra assigned", "Ezra Assigned"),
    ],
)
def test_index__search_by_name_phone(login_as, world, query, found):
    body = (
        login_as(world.organizer_ana)
        .get("/contacts/", query_string={"q": query})
        .get_data(as_text=True)
    )
    assert found in body


def test_index__search_by_voter_id_and_address(login_as, world):
    client = login_as(world.organizer_ana)
    assert "Eve East" in client.get(f"/contacts/?q={world.east_1.voter_id}").get_data(True)
    street = world.east_1.res_line1.split()[0]
    assert "Eve East" in client.get(f"/contacts/?q={street}+main").get_data(True)


def test_index__search_cannot_reach_out_of_scope(login_as, world):
    body = login_as(world.organizer_ana).get("/contacts/?q=Wes").get_data(as_text=True)
    assert "Wes West" not in body
    assert "No contacts match" in body


def test_index__sql_metacharacters_are_harmless(login_as, world):
    client = login_as(world.admin_dev)
    for q in ["%", "_", "' OR 1=1 --", "\\", '"; DROP TABLE contacts; --']:
        assert client.get("/contacts/", query_string={"q": q, "sort": q}).status_code == 200
    assert db.session.query(Contact).count() == 5


@pytest.mark.parametrize("support", ["99999", "2147483647", "-1", "0", "6"])
def test_index__out_of_range_support_level_is_ignored(login_as, world, support):
    """The support column is a small integer: a number outside 1-5 filters nothing (was a
    500 "smallint out of range" on PostgreSQL), on the list and its export."""
    client = login_as(world.admin_dev)
    assert client.get("/contacts/", query_string={"support": support}).status_code == 200
    assert client.get("/contacts/export.csv", query_string={"support": support}).status_code in (
        200,
        403,
    )


def test_index__paginates(login_as, world, make_contact):
    for _ in range(55):
        make_contact(world.east, last_name="Many")
    client = login_as(world.organizer_ana)
    first = client.get("/contacts/?q=many").get_data(as_text=True)
    assert "Page 1 of 2" in first
    second = client.get("/contacts/?q=many&page=2").get_data(as_text=True)
    assert second.count('class="contact-row"') == 5


def test_detail__in_scope_shows_profile_phones_and_household(login_as, world, make_contact):
    make_contact(
        world.east,
        first_name="Hal",
        last_name="Housemate",
        household_key=world.east_1.household_key,
    )
    body = login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}").get_data(True)
    assert "Eve East" in body
    assert 'href="tel:+13365550101"' in body
    assert 'href="sms:+13365550101"' in body
    assert "Hal Housemate" in body


@pytest.mark.parametrize("persona", ["organizer_omar", "organizer_tri", "leader_lena"])
def test_detail__out_of_scope_is_404(login_as, world, persona):
    assert login_as(getattr(world, persona)).get(f"/contacts/{world.east_1.id}").status_code == 404


def test_detail__missing_is_404(login_as, world):
    assert login_as(world.admin_dev).get("/contacts/999999").status_code == 404


def test_edit__saves_organizer_fields(login_as, world):
    client = login_as(world.organizer_ana)
    response = client.post(
        f"/contacts/{world.east_1.id}/edit",
        data={
            "version": world.east_1.version,
            "support_level": "2",
            "preferred_languages": "es",
            "tags": "tenant, captain",
            "notes": "Met at the bus stop",
        },
    )
    assert response.status_code == 302
    db.session.refresh(world.east_1)
    assert world.east_1.support_level == 2
    assert sorted(t.name for t in world.east_1.tags) == ["captain", "tenant"]


def test_edit__stale_form_is_refused_and_nothing_overwritten(login_as, world):
    client = login_as(world.organizer_ana)
    stale_version = world.east_1.version
    client.post(
        f"/contacts/{world.east_1.id}/edit",
        data={"version": stale_version, "support_level": "1", "notes": "first save"},
    )
    response = client.post(
        f"/contacts/{world.east_1.id}/edit",
        data={"version": stale_version, "support_level": "5", "notes": "second save"},
    )
    assert response.status_code == 409
    assert "Changed by someone else" in response.get_data(as_text=True)
    db.session.refresh(world.east_1)
    assert world.east_1.notes == "first save"
    assert world.east_1.support_level == 1


def test_edit__extra_fields_cannot_move_turf_or_owner(login_as, world):
    client = login_as(world.organizer_ana)
    client.post(
        f"/contacts/{world.east_1.id}/edit",
        data={
            "version": world.east_1.version,
            "turf_id": world.west.id,
            "owner_id": world.organizer_omar.id,
            "notes": "x",
        },
    )
    db.session.refresh(world.east_1)
    assert world.east_1.turf_id == world.east.id
    assert world.east_1.owner_id is None


def test_add_phone__normalises_and_flags_undialable(login_as, world):
    client = login_as(world.organizer_ana)
    client.post(
        f"/contacts/{world.east_assigned.id}/phones",
        data={"phone": "(336) 555-0199", "kind": "cell"},
    )
    client.post(
        f"/contacts/{world.east_assigned.id}/phones", data={"phone": "555-0199", "kind": "home"}
    )
    db.session.refresh(world.east_assigned)
    phones = {p.raw: p for p in world.east_assigned.phones}
    assert phones["(336) 555-0199"].e164 == "+13365550199"
    assert phones["555-0199"].valid is False
    assert phones["555-0199"].e164 is None


def test_new__creates_in_own_turf_only(login_as, world):
    client = login_as(world.organizer_ana)
    refused = client.post(
        "/contacts/new", data={"first_name": "New", "last_name": "Person", "turf_id": world.west.id}
    )
    assert refused.status_code == 422
    created = client.post(
        "/contacts/new",
        data={
            "first_name": "New",
            "last_name": "Person",
            "turf_id": world.east.id,
            "phone": "336-555-0142",
        },
    )
    assert created.status_code == 302
    contact = db.session.query(Contact).filter_by(first_name="New").one()
    assert contact.turf_id == world.east.id
    assert contact.phones[0].e164 == "+13365550142"
