"""API contacts: scoped list with filters and cursor pages, get, create, PATCH with ETag."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.export import FULL_EXPORT_COLUMNS
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.visibility import RESTRICTED_FIELDS
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_id_order, contact_scope, scope_sizes


def _ids(records: list[dict]) -> list[int]:
    return [r["id"] for r in records]


def test_list__answers_data_and_next_with_export_columns(world, api_as):
    response = api_as(world.organizer_ana).get("/contacts")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"data", "next"}
    assert body["next"] is None
    assert _ids(body["data"]) == [world.east_1.id, world.east_assigned.id]
    eve = body["data"][0]
    assert set(FULL_EXPORT_COLUMNS) <= set(eve)
    assert eve["contact_id"] == eve["id"] == world.east_1.id
    assert eve["first_name"] == "Eve"
    assert eve["turf"] == "East"
    assert eve["turf_id"] == world.east.id
    assert eve["phone"] == "+13365550101"
    assert eve["phones"] == ["+13365550101"]
    assert eve["version"] == 1
    assert eve["tags"] == []


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("admin_dev", {"east_1", "east_assigned", "west_1", "durham_1", "orphan"}),
        ("director_dana", {"east_1", "east_assigned", "west_1"}),
        ("organizer_omar", {"west_1"}),
        ("leader_lena", {"east_assigned"}),
    ],
)
def test_list__each_role_sees_its_scope(world, api_as, persona, visible):
    records = api_as(getattr(world, persona)).all("/contacts")
    assert set(_ids(records)) == {getattr(world, key).id for key in visible}


def test_list__cursor_pages_cover_everything_once(world, api_as, make_contact):
    for _ in range(7):
        make_contact(world.east)
    api = api_as(world.organizer_ana)
    first = api.get("/contacts", query_string={"limit": 4}).get_json()
    assert len(first["data"]) == 4
    assert first["next"]
    everything = api.all("/contacts", limit=4)
    assert len(everything) == 9
    assert _ids(everything) == sorted(set(_ids(everything)))
    assert _ids(everything)[:4] == _ids(first["data"])


def test_list__filters(world, api_as, fieldwork):
    w = world
    w.east_1.support_level = 1
    w.east_1.ladder_stage_id = fieldwork[1].id
    w.west_1.precinct_code = "W9"
    w.durham_1.updated_at = utcnow() - timedelta(days=30)
    db.session.commit()
    api = api_as(w.admin_dev)

    def ids(**query):
        return set(_ids(api.all("/contacts", **query)))

    assert ids(turf_id=w.west.id) == {w.west_1.id}
    assert ids(precinct="W9") == {w.west_1.id}
    assert ids(support_level=1) == {w.east_1.id}
    assert ids(ladder_stage_id=fieldwork[1].id) == {w.east_1.id}
    assert ids(q="Durham") == {w.durham_1.id}
    assert ids(q="3365550101") == {w.east_1.id}
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    assert w.durham_1.id not in ids(updated_since=since)
    assert ids(updated_since="2000-01-01") >= {w.durham_1.id, w.east_1.id}
    assert ids(turf_id=w.west.id, support_level=1) == set()


def test_list__a_turf_filter_outside_scope_finds_nothing(world, api_as):
    assert api_as(world.organizer_ana).all("/contacts", turf_id=world.west.id) == []


def test_list__bad_parameters_are_422_naming_each(world, api_as):
    response = api_as(world.organizer_ana).get(
        "/contacts",
        query_string={
            "limit": "5000",
            "support_level": "9",
            "updated_since": "yesterday",
            "turf": "1",
            "cursor": "bm9wZQ",
        },
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert set(body["fields"]) == {"limit", "support_level", "updated_since", "turf"}
    bad_cursor = api_as(world.organizer_ana).get("/contacts", query_string={"cursor": "bm9wZQ"})
    assert bad_cursor.status_code == 422
    assert set(bad_cursor.get_json()["fields"]) == {"cursor"}


def test_list__query_count_is_pinned(world, api_as, make_contact, count_queries):
    api = api_as(world.admin_dev)
    api.get("/contacts")
    with count_queries() as n:
        assert api.get("/contacts").status_code == 200
    few = n()
    for i in range(20):
        make_contact(world.east, phone=f"+1336555{i:04d}")
    with count_queries() as n:
        assert len(api.get("/contacts").get_json()["data"]) == 25
    assert n() == few
    # the token (with its user), contacts, phones, emails, tags, the audit row
    assert few == 6


def test_get__etag_and_scope(world, api_as):
    api = api_as(world.organizer_ana)
    response = api.get(f"/contacts/{world.east_1.id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["id"] == world.east_1.id
    assert api.get(f"/contacts/{world.west_1.id}").status_code == 404
    assert api.get("/contacts/987654321").status_code == 404


def test_get__leader_sees_no_restricted_field(world, api_as):
    w = world
    w.east_assigned.party = "DEM"
    w.east_assigned.birth_year = 1970
    db.session.commit()
    leader = api_as(w.leader_lena).get(f"/contacts/{w.east_assigned.id}").get_json()
    organizer = api_as(w.organizer_ana).get(f"/contacts/{w.east_assigned.id}").get_json()
    restricted = {"party", "birth_year", "birth_date", "sex", "race", "ethnicity",
                  "registration_date", "status", "cd", "sd", "hd"}  # fmt: skip
    assert restricted & set(leader) == set()
    assert organizer["party"] == "DEM"
    assert organizer["birth_year"] == 1970
    assert "DEM" not in str(leader)
    assert RESTRICTED_FIELDS  # the policy the API follows


def test_create__201_with_the_record(world, api_as):
    api = api_as(world.organizer_ana)
    response = api.post(
        "/contacts",
        json={
            "first_name": "Nia",
            "last_name": "New",
            "phone": "336-555-0199",
            "email": "Nia@Example.org",
            "address": "5 ELM ST",
            "city": "Burlington",
            "state": "nc",
            "zip5": "27215",
            "turf_id": world.east.id,
        },
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert record["first_name"] == "Nia"
    assert record["state"] == "NC"
    assert record["phone"] == "+13365550199"
    assert record["email"] == "nia@example.org"
    assert record["source"] == "manual"
    assert record["turf"] == "East"
    assert db.session.get(Contact, record["id"]).owner_id == world.organizer_ana.id


def test_create__422_names_each_field_and_writes_nothing(world, api_as):
    api = api_as(world.organizer_ana)
    before = db.session.scalar(sa.select(sa.func.count(Contact.id)))
    response = api.post(
        "/contacts", json={"last_name": "X" * 101, "zip5": "2721", "state": "N", "role": "admin"}
    )
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) == {"first_name", "last_name", "zip5", "state", "role"}
    assert fields["role"] == ["Unknown field."]
    out_of_scope = api.post("/contacts", json={"first_name": "Zed", "turf_id": world.west.id})
    assert out_of_scope.status_code == 422
    assert set(out_of_scope.get_json()["fields"]) == {"turf_id"}
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == before


def test_create__needs_a_json_body(world, api_as):
    api = api_as(world.organizer_ana)
    assert api.post("/contacts", data="first_name=X").status_code == 415
    bad = api.client.post(
        "/api/v1/contacts",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert bad.status_code == 422
    assert api.post("/contacts", json=["a list"]).status_code == 422
    nul = api.post("/contacts", json={"first_name": "A\x00B"})
    assert nul.status_code == 422
    assert set(nul.get_json()["fields"]) == {"first_name"}


def test_update__needs_if_match_428(world, api_as):
    response = api_as(world.organizer_ana).patch(
        f"/contacts/{world.east_1.id}", json={"support_level": 2}
    )
    assert response.status_code == 428
    assert response.get_json()["error"] == "precondition_required"


def test_update__with_the_etag_saves_only_the_fields_sent(world, api_as):
    w = world
    w.east_1.notes = "keep me"
    w.east_1.preferred_languages = "es"
    db.session.commit()
    api = api_as(w.organizer_ana)
    etag = api.get(f"/contacts/{w.east_1.id}").headers["ETag"]
    response = api.patch(
        f"/contacts/{w.east_1.id}",
        json={"support_level": 2, "tags": ["house meeting", "union"]},
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.get_json()
    record = response.get_json()
    assert record["support_level"] == 2
    assert record["tags"] == ["house meeting", "union"]
    assert record["preferred_languages"] == "es"
    assert "notes" not in record
    db.session.expire_all()
    assert db.session.get(Contact, w.east_1.id).notes == "keep me"
    assert response.headers["ETag"] == f'"{record["version"]}"' != etag
    cleared = api.patch(
        f"/contacts/{w.east_1.id}",
        json={"support_level": None},
        headers={"If-Match": response.headers["ETag"]},
    )
    assert cleared.status_code == 200
    assert cleared.get_json()["support_level"] is None
    assert cleared.get_json()["tags"] == ["house meeting", "union"]


def test_update__stale_etag_is_412_and_nothing_changes(world, api_as):
    w = world
    api = api_as(w.organizer_ana)
    etag = api.get(f"/contacts/{w.east_1.id}").headers["ETag"]
    other = api_as(w.director_dana)
    assert (
        other.patch(
            f"/contacts/{w.east_1.id}", json={"notes": "first"}, headers={"If-Match": etag}
        ).status_code
        == 200
    )
    late = api.patch(
        f"/contacts/{w.east_1.id}", json={"notes": "second"}, headers={"If-Match": etag}
    )
    assert late.status_code == 412
    assert late.get_json()["error"] == "precondition_failed"
    assert late.headers["ETag"] != etag
    db.session.expire_all()
    assert db.session.get(Contact, w.east_1.id).notes == "first"
    star = api.patch(f"/contacts/{w.east_1.id}", json={"notes": "any"}, headers={"If-Match": "*"})
    assert star.status_code == 200


def test_update__422_and_404(world, api_as):
    api = api_as(world.organizer_ana)
    bad = api.patch(
        f"/contacts/{world.east_1.id}",
        json={"support_level": 9, "version": 5, "turf_id": world.west.id},
        headers={"If-Match": '"1"'},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"support_level", "version", "turf_id"}
    assert (
        api.patch(
            f"/contacts/{world.west_1.id}", json={"notes": "x"}, headers={"If-Match": '"1"'}
        ).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(Contact, world.east_1.id).version == 1


def test_list__small_scopes_read_their_turfs_large_ones_walk_the_ids(world):
    """An organizer's few people among many are read through the turf index and sorted,
    not found by walking every contact's id (which read the rest of the table to end an
    organizer's last page); a scope holding much of the program walks the ids."""

    def sorted_through_turfs(actor, rows: int) -> bool:
        return "+" in str(contact_id_order(actor, rows))

    # 5 contacts in a row of ids: East holds 2 (Ana's), Dana's regions 3.
    # Small means size² < rows × 5.
    assert sorted_through_turfs(world.organizer_ana, rows=1)
    assert sorted_through_turfs(world.director_dana, rows=5)
    assert not sorted_through_turfs(world.director_dana, rows=1)
    assert not sorted_through_turfs(world.admin_dev, rows=1000)
    assert not sorted_through_turfs(world.leader_lena, rows=1000)


@pytest.mark.parametrize("limit", [1, 2, 1000])
def test_list__pages_are_complete_and_in_order_on_either_path(world, api_as, make_contact, limit):
    for _ in range(5):
        make_contact(world.east)
        make_contact(world.west)
    for persona in ("organizer_ana", "director_dana", "admin_dev"):
        actor = getattr(world, persona)
        ids = _ids(api_as(actor).all("/contacts", limit=limit))
        assert ids == sorted(set(ids))
        assert set(ids) == set(
            db.session.scalars(sa.select(Contact.id).where(contact_scope(actor)))
        )


def test_list__sizing_a_scope_never_reads_the_contacts_table(world):
    """min() and max() of the id in one SELECT made SQLite read every contact (70 ms a page
    at 1,000,000); each must be a lookup at one end of the key."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL reads min() and max() from the key either way")
    sql = str(
        scope_sizes(world.organizer_ana).compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    plan = [r[-1] for r in connection.execute(sa.text("EXPLAIN QUERY PLAN " + sql))]
    assert not [step for step in plan if step.startswith("SCAN contacts")], plan
    assert sum(step.startswith("SEARCH contacts") for step in plan) == 2, plan
