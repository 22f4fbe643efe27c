"""The sync endpoint: each queued item stored exactly once, per-item answers, refusals by
rule (scope, author, shape), 401 JSON when signed out or timed out."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.door.models import PacketDoor
from fieldcrm.extensions import db
from fieldcrm.fieldapp.models import SyncedItem
from fieldcrm.scoping import can_see_contact
from fieldcrm.security import SESSION_SEEN, SESSION_STARTED
from tests.fieldapp.conftest import item


def _count(model, **where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def _resident(packet):
    door = db.session.scalars(
        sa.select(PacketDoor).where(PacketDoor.packet_id == packet.id).order_by(PacketDoor.position)
    ).first()
    contact = db.session.scalars(
        sa.select(Contact).where(Contact.household_key == door.household_key)
    ).first()
    return door, contact


def test_attempt__stored_once_whatever_the_retries(street_world, lena_packet, login_as, send):
    w = street_world
    login_as(w.leader_lena)
    _door, contact = _resident(lena_packet)
    tap = item(
        "attempt",
        w.leader_lena,
        {"packet_id": lena_packet.id, "contact_id": contact.id, "result": "not_home"},
    )
    first = send(tap)
    assert first.status_code == 200
    [answer] = first.get_json()["items"]
    assert answer["status"] == "stored"
    assert answer["id"] == tap["id"]
    for _ in range(3):  # the answer was lost; the phone sends again
        [again] = send(tap).get_json()["items"]
        assert again["status"] == "already"
        assert again["record_id"] == answer["record_id"]
    [conversation] = db.session.scalars(
        sa.select(Conversation).where(Conversation.contact_id == contact.id)
    ).all()
    assert conversation.user_id == w.leader_lena.id
    assert conversation.result_code == "not_home"
    assert conversation.packet_id == lena_packet.id
    # the time the person tapped, not the time the signal came back
    assert abs(conversation.occurred_at - datetime.fromisoformat(tap["queued_at"])) < timedelta(
        seconds=1
    )
    assert _count(SyncedItem, user_id=w.leader_lena.id) == 1


def test_batch__answers_per_item_and_a_refusal_stops_nothing(
    street_world, lena_packet, login_as, send
):
    w = street_world
    login_as(w.leader_lena)
    _door, contact = _resident(lena_packet)
    good = item(
        "attempt",
        w.leader_lena,
        {"packet_id": lena_packet.id, "contact_id": contact.id, "result": "talked"},
    )
    bad_code = item(
        "attempt",
        w.leader_lena,
        {"packet_id": lena_packet.id, "contact_id": contact.id, "result": "abducted"},
    )
    not_mine = item(
        "attempt", w.leader_lena, {"packet_id": None, "contact_id": w.west_1.id, "result": "talked"}
    )
    other_user = item(
        "attempt",
        w.organizer_ana,
        {"packet_id": lena_packet.id, "contact_id": contact.id, "result": "refused"},
    )
    garbage = {"id": "not-a-uuid", "kind": "attempt", "payload": {}}
    answers = send(good, bad_code, not_mine, other_user, garbage).get_json()["items"]
    assert [a["status"] for a in answers] == ["stored", "refused", "refused", "refused", "refused"]
    assert [a.get("code") for a in answers[1:]] == [
        "invalid",
        "out_of_scope",
        "wrong_user",
        "invalid",
    ]
    assert all(a["reason"] for a in answers[1:])
    assert _count(Conversation, contact_id=contact.id) == 1
    assert _count(Conversation, contact_id=w.west_1.id) == 0


def test_one_on_one_with_commitment_and_follow_up_outcome(street_world, login_as, send):
    w = street_world
    login_as(w.organizer_ana)
    due = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    form = [
        ["channel", "one_on_one"],
        ["support_level", "1"],
        ["issues", "rent"],
        ["issues", "wages"],
        ["story", "Rent went up twice."],
        ["ask_kind", "house_meeting"],
        ["response", "yes"],
        ["commitments-0-kind", "house_meeting"],
        ["commitments-0-due_date", due],
        ["commitments-0-owner_id", str(w.leader_lena.id)],
        ["idempotency_key", "form-key-1"],
    ]
    talk = item("conversation", w.organizer_ana, {"contact_id": w.east_1.id, "form": form})
    [answer] = send(talk).get_json()["items"]
    assert answer["status"] == "stored", answer
    conversation = db.session.get(Conversation, answer["record_id"])
    assert (conversation.channel, conversation.support_level) == ("one_on_one", 1)
    assert conversation.issues == ["rent", "wages"]
    [commitment] = db.session.scalars(
        sa.select(Commitment).where(Commitment.conversation_id == conversation.id)
    ).all()
    assert commitment.owner_id == w.leader_lena.id
    assert answer["result"]["commitment_ids"] == [commitment.id]

    # The leader marks it kept on her phone; a second phone's "kept" changes nothing.
    login_as(w.leader_lena)
    kept = item(
        "commitment_outcome", w.leader_lena, {"commitment_id": commitment.id, "status": "kept"}
    )
    again = item(
        "commitment_outcome", w.leader_lena, {"commitment_id": commitment.id, "status": "kept"}
    )
    answers = send(kept, again).get_json()["items"]
    assert [a["status"] for a in answers] == ["stored", "stored"]
    assert answers[1]["result"].get("unchanged") is True
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).status == "kept"
    assert len(db.session.get(Commitment, commitment.id).events) == 2  # open, kept


def test_same_page_form_sent_by_post_and_by_queue_is_one_record(
    street_world, login_as, send, client
):
    """A form post that reached the server, then queued by the worker because the answer
    never came back: the page form's key makes it one conversation."""
    w = street_world
    login_as(w.organizer_ana)
    client.post(
        f"/contacts/{w.east_1.id}/conversations",
        data={"channel": "door", "notes": "first", "idempotency_key": "page-key-7"},
    )
    queued = item(
        "conversation",
        w.organizer_ana,
        {
            "contact_id": w.east_1.id,
            "form": [["channel", "door"], ["notes", "first"], ["idempotency_key", "page-key-7"]],
        },
    )
    [answer] = send(queued).get_json()["items"]
    assert answer["status"] == "stored"
    assert _count(Conversation, contact_id=w.east_1.id) == 1


def test_new_person_at_a_door_is_in_the_packet(street_world, lena_packet, login_as, send):
    w = street_world
    login_as(w.leader_lena)
    door, neighbour = _resident(lena_packet)
    new = item(
        "new_person",
        w.leader_lena,
        {
            "packet_id": lena_packet.id,
            "household_key": door.household_key,
            "form": [["first_name", "Rosa"], ["last_name", "Neu"], ["phone", "336-555-0199"]],
        },
    )
    [answer] = send(new).get_json()["items"]
    assert answer["status"] == "stored", answer
    contact = db.session.get(Contact, answer["record_id"])
    assert (contact.display_name, contact.household_key) == ("Rosa Neu", door.household_key)
    assert contact.turf_id == w.east.id
    assert contact.res_line1 == neighbour.res_line1
    assert contact.phones[0].e164 == "+13365550199"
    assert can_see_contact(w.leader_lena, contact.id)


def test_reassigned_packet__refused_with_a_reason(street_world, lena_packet, login_as, send):
    w = street_world
    _door, contact = _resident(lena_packet)
    lena_packet.assigned_user_id = None  # taken back while the phone was offline
    db.session.commit()
    login_as(w.leader_lena)
    tap = item(
        "attempt",
        w.leader_lena,
        {"packet_id": lena_packet.id, "contact_id": contact.id, "result": "not_home"},
    )
    [answer] = send(tap).get_json()["items"]
    assert (answer["status"], answer["code"]) == ("refused", "packet_taken_back")
    assert "no longer assigned" in answer["reason"]
    assert _count(Conversation, contact_id=contact.id) == 0
    assert _count(SyncedItem) == 0  # nothing claimed: the person may retry later


def test_reassigned_turf__refused_then_stored_on_retry_once_back(
    street_world, login_as, send, client
):
    from fieldcrm.turf import services as turf_services

    w = street_world
    login_as(w.organizer_ana)
    tap = item("attempt", w.organizer_ana, {"contact_id": w.east_1.id, "result": "not_home"})
    turf_services.set_turf_people(w.admin_dev, w.east, [w.leader_lena.id])
    db.session.commit()
    # Her scope changed: her session ended; the phone asks her to sign in, then sends.
    assert send(tap).status_code == 401
    login_as(w.organizer_ana)
    [refused] = send(tap).get_json()["items"]
    assert refused["code"] == "out_of_scope"
    turf_services.set_turf_people(w.admin_dev, w.east, [w.leader_lena.id, w.organizer_ana.id])
    db.session.commit()
    login_as(w.organizer_ana)
    [stored] = send(tap).get_json()["items"]
    assert stored["status"] == "stored"


def test_contact_edit__later_edit_wins_per_field_and_the_loser_is_audited(
    street_world, login_as, send, client
):
    w = street_world
    login_as(w.organizer_ana)
    contact = w.east_1
    now = datetime.now(UTC)
    # Phone A edited notes and languages an hour ago (offline).
    a = item(
        "contact_edit",
        w.organizer_ana,
        {
            "contact_id": contact.id,
            "edited_at": (now - timedelta(hours=1)).isoformat(),
            "fields": {"notes": "from phone A", "preferred_languages": "es"},
        },
    )
    # Meanwhile someone saved the contact's edit form online (every field, just now).
    client.post(
        f"/contacts/{contact.id}/edit",
        data={
            "version": str(contact.version),
            "notes": "from the office",
            "preferred_languages": "en",
        },
    )
    [answer_a] = send(a).get_json()["items"]
    assert answer_a["status"] == "stored"
    assert sorted(answer_a["result"]["kept_newer"]) == ["notes", "preferred_languages"]
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).notes == "from the office"
    lost = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "contact.field_edit_kept_newer")
    ).all()
    assert {e.details["offline_value"] for e in lost} == {"from phone A", "es"}

    # Phone B edited the notes a minute ago (later than the office): B's notes win, and the
    # value it overwrote is in the audit log.
    b = item(
        "contact_edit",
        w.organizer_ana,
        {
            "contact_id": contact.id,
            "edited_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            "fields": {"notes": "from phone B"},
        },
    )
    [answer_b] = send(b).get_json()["items"]
    assert answer_b["result"]["applied"] == ["notes"]
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).notes == "from phone B"
    [edit] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "contact.field_edit")
    ).all()
    assert (edit.details["before"], edit.details["after"]) == ("from the office", "from phone B")


def test_signed_out__401_json(client, db):
    for method, path in (("get", "/field/api/session"), ("get", "/field/api/lists")):
        response = getattr(client, method)(path, headers={"Accept": "application/json"})
        assert response.status_code == 401
        assert response.get_json()["error"] == "signed_out"
    response = client.post("/field/api/sync", json={"items": []})
    assert response.status_code == 401


def test_timed_out_session__401_json_not_a_redirect(street_world, login_as, client, app):
    login_as(street_world.leader_lena)
    with client.session_transaction() as sess:
        old = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
        sess[SESSION_STARTED] = old
        sess[SESSION_SEEN] = old
    response = client.get("/field/api/session", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "signed_out"


def test_background_requests_do_not_keep_a_session_alive(street_world, login_as, client):
    login_as(street_world.leader_lena)
    client.get("/home")
    with client.session_transaction() as sess:
        sess[SESSION_SEEN] = seen = int(time.time()) - 120
    client.get("/field/api/session", headers={"Accept": "application/json"})
    with client.session_transaction() as sess:
        assert sess[SESSION_SEEN] == seen


def test_too_many_items_refused(street_world, login_as, send):
    login_as(street_world.leader_lena)
    response = send(*[{"id": str(n)} for n in range(201)])
    assert response.status_code == 413
