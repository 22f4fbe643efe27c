"""API conversations (idempotent create), commitments (outcomes), ladder moves, turfs, packets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.api.models import ApiIdempotencyKey
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count(model.id))) or 0


# -- conversations -------------------------------------------------------------------------


def test_conversation__the_issue_example_logs_an_attempt(world, api_as, fieldwork):
    w = world
    response = api_as(w.organizer_ana).post(
        "/conversations",
        json={"contact_id": w.east_1.id, "channel": "door", "result_code": "not_home"},
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert record["contact_id"] == w.east_1.id
    assert record["result_code"] == "not_home"
    assert record["is_conversation"] is False
    assert record["canvasser_email"] == "ana@example.test"
    assert record["id"] == record["conversation_id"]
    db.session.expire_all()
    assert db.session.get(Contact, w.east_1.id).last_attempt_at is not None


def test_conversation__one_on_one_with_commitments(world, api_as, fieldwork):
    w = world
    response = api_as(w.organizer_ana).post(
        "/conversations",
        json={
            "contact_id": w.east_1.id,
            "channel": "one_on_one",
            "occurred_at": "2026-11-03T18:30:00Z",
            "support_level": 1,
            "issues": ["rent", "wages"],
            "story": "Works two jobs.",
            "ask_kind": "house_meeting",
            "response": "yes",
            "commitments": [
                {"commitment_kind": "house_meeting", "due_date": "2030-01-15"},
                {"commitment_kind": "recruit", "owner_id": w.leader_lena.id},
            ],
        },
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert record["issues"] == ["rent", "wages"]
    assert record["occurred_at"].startswith("2026-11-03")
    commitments = db.session.scalars(
        sa.select(Commitment).where(Commitment.conversation_id == record["id"])
    ).all()
    assert sorted(c.kind for c in commitments) == ["house_meeting", "recruit"]
    db.session.expire_all()
    assert db.session.get(Contact, w.east_1.id).support_level == 1


def test_conversation__idempotency_key_stores_one_record(world, api_as, fieldwork):
    api = api_as(world.organizer_ana)
    body = {"contact_id": world.east_1.id, "channel": "phone", "result_code": "not_home"}
    headers = {"Idempotency-Key": "7c1d5f0e-retry"}
    first = api.post("/conversations", json=body, headers=headers)
    again = api.post("/conversations", json=dict(reversed(body.items())), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _count(Conversation) == 1
    key = db.session.scalar(sa.select(ApiIdempotencyKey))
    assert key.user_id == world.organizer_ana.id
    assert key.resource_id == first.get_json()["id"]


def test_conversation__keys_are_forgotten_after_the_remembered_days(world, api_as, fieldwork):
    """A week-old key is deleted when its user claims the next one; sent again, it is new."""
    api = api_as(world.organizer_ana)
    body = {"contact_id": world.east_1.id, "channel": "phone", "result_code": "not_home"}
    assert (
        api.post("/conversations", json=body, headers={"Idempotency-Key": "old"}).status_code == 201
    )
    db.session.execute(sa.update(ApiIdempotencyKey).values(created_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    again = api.post("/conversations", json=body, headers={"Idempotency-Key": "old"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert _count(Conversation) == 2
    # the old claim was deleted and the key claimed anew: one row, for the new record
    keys = db.session.scalars(sa.select(ApiIdempotencyKey)).all()
    assert [(k.key, k.resource_id) for k in keys] == [("old", again.get_json()["id"])]


def test_conversation__same_key_other_body_is_refused(world, api_as, fieldwork):
    api = api_as(world.organizer_ana)
    headers = {"Idempotency-Key": "k-1"}
    body = {"contact_id": world.east_1.id, "result_code": "not_home"}
    assert api.post("/conversations", json=body, headers=headers).status_code == 201
    other = api.post("/conversations", json={**body, "result_code": "refused"}, headers=headers)
    assert other.status_code == 422
    assert set(other.get_json()["fields"]) == {"Idempotency-Key"}
    elsewhere = api.post(
        "/commitments",
        json={"contact_id": world.east_1.id, "commitment_kind": "recruit"},
        headers=headers,
    )
    assert elsewhere.status_code == 422
    assert _count(Conversation) == 1
    assert _count(Commitment) == 0


def test_conversation__keys_are_per_user(world, api_as, fieldwork):
    headers = {"Idempotency-Key": "shared-key"}
    body = {"contact_id": world.east_1.id, "result_code": "not_home"}
    assert api_as(world.organizer_ana).post("/conversations", json=body, headers=headers)
    response = api_as(world.director_dana).post("/conversations", json=body, headers=headers)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert _count(Conversation) == 2


def test_conversation__bad_key_is_422(world, api_as, fieldwork):
    response = api_as(world.organizer_ana).post(
        "/conversations",
        json={"contact_id": world.east_1.id, "result_code": "not_home"},
        headers={"Idempotency-Key": "has spaces in it"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"Idempotency-Key"}
    assert _count(Conversation) == 0


def test_conversation__nothing_half_written_when_a_commitment_is_refused(world, api_as, fieldwork):
    """The conversation is flushed before its commitments: an owner the service refuses
    must leave no conversation, commitment or contact change behind."""
    w = world
    response = api_as(w.organizer_ana).post(
        "/conversations",
        json={
            "contact_id": w.east_1.id,
            "support_level": 2,
            "commitments": [
                {"commitment_kind": "recruit"},
                {"commitment_kind": "training", "owner_id": w.organizer_tri.id},
            ],
        },
        headers={"Idempotency-Key": "half"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"commitments.owner_id"}
    db.session.expire_all()
    assert _count(Conversation) == 0
    assert _count(Commitment) == 0
    assert _count(ApiIdempotencyKey) == 0
    contact = db.session.get(Contact, w.east_1.id)
    assert contact.support_level is None
    assert contact.last_attempt_at is None


def test_conversation__422_names_each_field(world, api_as, fieldwork):
    response = api_as(world.organizer_ana).post(
        "/conversations",
        json={
            "contact_id": "twelve",
            "channel": "boat",
            "occurred_at": "2026-11-03T18:30:00",
            "support_level": 7,
            "response": "perhaps",
            "follow_up_date": "2026-02-30",
            "commitments": [{"due_date": "soon"}],
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {
        "contact_id", "channel", "occurred_at", "support_level", "response",
        "follow_up_date", "commitments.0.commitment_kind", "commitments.0.due_date",
    }  # fmt: skip
    unknown_code = api_as(world.organizer_ana).post(
        "/conversations", json={"contact_id": world.east_1.id, "result_code": "abducted"}
    )
    assert unknown_code.status_code == 422
    assert set(unknown_code.get_json()["fields"]) == {"result_code"}
    assert _count(Conversation) == 0


def test_conversation__out_of_scope_contact_or_packet_is_404(world, api_as, fieldwork):
    api = api_as(world.organizer_ana)
    response = api.post("/conversations", json={"contact_id": world.west_1.id})
    assert response.status_code == 404
    assert set(response.get_json()["fields"]) == {"contact_id"}
    packet = api.post("/conversations", json={"contact_id": world.east_1.id, "packet_id": 999})
    assert packet.status_code == 404
    assert _count(Conversation) == 0


def test_conversations__list_since_and_by_contact(world, api_as, make_conversation):
    w = world
    old = make_conversation(w.east_1, w.organizer_ana)
    old.updated_at = utcnow() - timedelta(days=10)
    db.session.commit()
    new = make_conversation(w.east_assigned, w.organizer_ana, notes="hello")
    make_conversation(w.west_1, w.organizer_omar)
    api = api_as(w.organizer_ana)
    assert [r["id"] for r in api.all("/conversations")] == [old.id, new.id]
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    assert [r["id"] for r in api.all("/conversations", since=since)] == [new.id]
    by_contact = api.all("/conversations", contact_id=w.east_1.id)
    assert [r["id"] for r in by_contact] == [old.id]
    one = api.get(f"/conversations/{new.id}").get_json()
    assert one["id"] == new.id
    assert "notes" not in one
    assert "hello" not in str(one)


# -- commitments ---------------------------------------------------------------------------


def test_commitments__list_with_status_and_due_filters(world, api_as, make_commitment):
    w = world
    today = date.today()
    soon = make_commitment(w.east_1, w.organizer_ana, due_date=today + timedelta(days=2))
    later = make_commitment(w.east_1, w.organizer_ana, due_date=today + timedelta(days=20))
    kept = make_commitment(w.east_assigned, w.leader_lena, status="kept", due_date=today)
    make_commitment(w.west_1, w.organizer_omar)
    api = api_as(w.organizer_ana)

    def ids(**query):
        return [r["id"] for r in api.all("/commitments", **query)]

    assert ids() == [soon.id, later.id, kept.id]
    assert ids(status="kept") == [kept.id]
    assert ids(status="open", due_before=(today + timedelta(days=5)).isoformat()) == [soon.id]
    assert ids(due_after=(today + timedelta(days=5)).isoformat()) == [later.id]
    assert ids(owner_id=w.leader_lena.id) == [kept.id]
    record = api.get(f"/commitments/{soon.id}").get_json()
    assert record["commitment_status"] == "open"
    assert record["owner_email"] == "ana@example.test"
    bad = api.get("/commitments", query_string={"status": "done", "due_after": "May"})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"status", "due_after"}


def test_commitments__create_and_set_outcome(world, api_as, fieldwork):
    w = world
    api = api_as(w.organizer_ana)
    created = api.post(
        "/commitments",
        json={"contact_id": w.east_1.id, "commitment_kind": "training", "due_date": "2030-02-01"},
    )
    assert created.status_code == 201, created.get_json()
    commitment_id = created.get_json()["id"]
    no_date = api.post(
        f"/commitments/{commitment_id}/outcome", json={"commitment_status": "rescheduled"}
    )
    assert no_date.status_code == 422
    assert set(no_date.get_json()["fields"]) == {"new_due_date"}
    kept = api.post(f"/commitments/{commitment_id}/outcome", json={"commitment_status": "kept"})
    assert kept.status_code == 200
    assert kept.get_json()["commitment_status"] == "kept"
    again = api.post(f"/commitments/{commitment_id}/outcome", json={"commitment_status": "kept"})
    assert again.status_code == 422
    assert set(again.get_json()["fields"]) == {"commitment_status"}
    assert api.post(f"/commitments/{commitment_id}/outcome", json={}).status_code == 422


def test_commitments__outcome_out_of_scope_is_404(world, api_as, make_commitment):
    theirs = make_commitment(world.west_1, world.organizer_omar)
    response = api_as(world.organizer_ana).post(
        f"/commitments/{theirs.id}/outcome", json={"commitment_status": "kept"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Commitment, theirs.id).status == "open"


def test_commitments__create_refuses_an_owner_outside_the_team(world, api_as, fieldwork):
    response = api_as(world.organizer_ana).post(
        "/commitments",
        json={
            "contact_id": world.east_1.id,
            "commitment_kind": "recruit",
            "owner_id": world.organizer_tri.id,
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"owner_id"}
    assert _count(Commitment) == 0


# -- ladder moves --------------------------------------------------------------------------


def test_ladder__move_list_and_roles(world, api_as, fieldwork):
    w = world
    stages = fieldwork
    api = api_as(w.organizer_ana)
    moved = api.post(
        "/ladder-moves",
        json={"contact_id": w.east_1.id, "to_stage_id": stages[1].id, "reason": "Hosted"},
    )
    assert moved.status_code == 201, moved.get_json()
    record = moved.get_json()
    assert record["to_stage"] == stages[1].name
    assert record["from_stage_id"] is None
    same = api.post("/ladder-moves", json={"contact_id": w.east_1.id, "to_stage_id": stages[1].id})
    assert same.status_code == 422
    assert set(same.get_json()["fields"]) == {"to_stage_id"}
    unknown = api.post("/ladder-moves", json={"contact_id": w.east_1.id, "to_stage_id": 999})
    assert unknown.status_code == 422
    assert set(unknown.get_json()["fields"]) == {"to_stage_id"}
    missing = api.post("/ladder-moves", json={"contact_id": w.east_1.id})
    assert set(missing.get_json()["fields"]) == {"to_stage_id"}
    off = api.post("/ladder-moves", json={"contact_id": w.east_1.id, "to_stage_id": None})
    assert off.status_code == 201
    assert off.get_json()["to_stage_id"] is None
    leader = api_as(w.leader_lena).post(
        "/ladder-moves", json={"contact_id": w.east_assigned.id, "to_stage_id": stages[0].id}
    )
    assert leader.status_code == 403
    assert [r["id"] for r in api.all("/ladder-moves")] == [record["id"], off.get_json()["id"]]
    future = (utcnow() + timedelta(days=1)).date().isoformat()
    assert api.all("/ladder-moves", since=future) == []
    assert _count(LadderMove) == 2
    assert api_as(w.organizer_omar).all("/ladder-moves") == []


# -- turfs and packets ---------------------------------------------------------------------


def test_turfs__scoped_list_and_get(world, api_as):
    w = world
    names = [t["name"] for t in api_as(w.director_dana).all("/turfs")]
    assert names == ["East", "West"]
    api = api_as(w.organizer_ana)
    assert [t["id"] for t in api.all("/turfs")] == [w.east.id]
    turf = api.get(f"/turfs/{w.east.id}").get_json()
    assert turf["region"] == "Piedmont"
    assert turf["precinct_codes"] == ["E1"]
    assert api.get(f"/turfs/{w.west.id}").status_code == 404


def test_packets__doors_in_walk_order(street_world, api_as, cut):
    w = street_world
    packet = cut(w.organizer_ana, w.east, target_size=50)[0]
    api = api_as(w.organizer_ana)
    listed = api.all("/packets")
    assert [p["id"] for p in listed] == [packet.id]
    assert listed[0]["door_count"] == packet.door_count
    assert listed[0]["doors_attempted"] == 0
    detail = api.get(f"/packets/{packet.id}").get_json()
    assert [d["position"] for d in detail["doors"]] == sorted(
        d["position"] for d in detail["doors"]
    )
    assert len(detail["doors"]) == packet.door_count
    two = next(d for d in detail["doors"] if d["household_key"] == "2 OAK ST|27215")
    assert len(two["people"]) == 2
    assert api_as(w.organizer_omar).get(f"/packets/{packet.id}").status_code == 404
    assert api_as(w.leader_lena).all("/packets") == []


@pytest.mark.parametrize(
    "path", ["/conversations", "/commitments", "/ladder-moves", "/turfs", "/packets"]
)
def test_lists__query_count_is_pinned(
    street_world, api_as, cut, make_conversation, make_commitment, count_queries, path
):
    w = street_world
    api = api_as(w.admin_dev)

    def add_rows():
        cut(w.organizer_ana, w.east, target_size=5)
        contact = w.oak[1][0]
        make_conversation(contact, w.organizer_ana)
        make_commitment(contact, w.organizer_ana)
        stage = w.stages[len(db.session.scalars(sa.select(LadderMove)).all()) % 2]
        from fieldcrm.ladder.services import move_contact

        if contact.ladder_stage_id != stage.id:
            move_contact(w.admin_dev, contact, stage)
        db.session.commit()

    add_rows()
    api.get(path)
    with count_queries() as n:
        assert api.get(path).status_code == 200
    few = n()
    for _ in range(3):
        add_rows()
    with count_queries() as n:
        assert len(api.get(path).get_json()["data"]) > 1
    assert n() == few
