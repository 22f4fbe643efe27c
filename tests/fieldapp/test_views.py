"""The field app's pages and JSON: CSRF on replayed writes, the device's lists scoped and
trimmed to what the role may see, the service worker and manifest served from this server."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldcrm import create_app
from fieldcrm.auth import services
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.extensions import db as _db
from fieldcrm.turf.models import Region, Turf
from tests.fixtures.factories import PASSWORD

STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.fixture
def csrf_app(tmp_path):
    app = create_app(
        "config.TestConfig",
        overrides={
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'csrf.sqlite'}",
        },
    )
    with app.app_context():
        _db.create_all()
        ensure_default_choices()
        turf = Turf(name="T", region=Region(name="R"), precinct_codes=["P"])
        _db.session.add(turf)
        _db.session.flush()
        user = services.create_user(
            None,
            services.UserInput(
                email="o@example.test",
                name="O",
                role="organizer",
                password=PASSWORD,
                turf_ids=(turf.id,),
            ),
        )
        contact = Contact(first_name="Rosa", display_name="Rosa", turf=turf)
        _db.session.add(contact)
        _db.session.commit()
        app.config["TEST_IDS"] = (user.get_id(), user.id, contact.id)
    yield app
    with app.app_context():
        _db.engine.dispose()


def _signed_in(app):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = app.config["TEST_IDS"][0]
    return client


def _tap(app) -> dict:
    _session, user_id, contact_id = app.config["TEST_IDS"]
    return {
        "id": str(uuid.uuid4()),
        "kind": "attempt",
        "user_id": user_id,
        "queued_at": datetime.now(UTC).isoformat(),
        "payload": {"contact_id": contact_id, "result": "not_home"},
    }


def test_sync__needs_this_sessions_csrf_token(csrf_app):
    phone, other = _signed_in(csrf_app), _signed_in(csrf_app)
    token = phone.get("/field/api/session").get_json()["csrf_token"]
    foreign = other.get("/field/api/session").get_json()["csrf_token"]
    body = {"items": [_tap(csrf_app)]}
    assert phone.post("/field/api/sync", json=body).status_code == 400
    assert phone.post("/field/api/sync", json=body, headers={"X-CSRFToken": "x"}).status_code == 400
    assert (
        phone.post("/field/api/sync", json=body, headers={"X-CSRFToken": foreign}).status_code
        == 400
    )
    # Replayed by someone without the session (a copied request): refused.
    stranger = csrf_app.test_client()
    replay = stranger.post("/field/api/sync", json=body, headers={"X-CSRFToken": token})
    assert replay.status_code in (400, 401)
    ok = phone.post("/field/api/sync", json=body, headers={"X-CSRFToken": token})
    assert ok.status_code == 200
    assert ok.get_json()["items"][0]["status"] == "stored"
    with csrf_app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 1


def test_lists__leader_gets_her_packets_doors_and_follow_ups_without_restricted_fields(
    street_world, lena_packet, login_as, client, make_commitment
):
    w = street_world
    w.east_assigned.birth_year = 1960
    w.east_assigned.party = "DEM"
    make_commitment(w.east_assigned, w.leader_lena, kind="house_meeting")
    login_as(w.leader_lena)
    data = client.get("/field/api/lists", headers={"Accept": "application/json"}).get_json()
    assert data["user"]["id"] == w.leader_lena.id
    [packet] = data["packets"]
    assert packet["id"] == lena_packet.id
    positions = [d["position"] for d in packet["doors"]]
    assert positions == sorted(positions)
    people = [p for d in packet["doors"] for p in d["people"]]
    assert people
    assert all("birth_year" not in p and "party" not in p for p in people)
    assert [f["name"] for f in data["follow_ups"]] == ["Ezra Assigned"]
    assert {c["code"] for c in data["result_codes"]} >= {"not_home", "refused"}
    assert f"/turf/packets/{lena_packet.id}" in data["pages"]
    # nobody outside her lists
    names = {p["name"] for p in people} | {f["name"] for f in data["follow_ups"]}
    assert "Wes West" not in names
    assert "Dot Durham" not in names


def test_lists__organizer_sees_birth_year_and_recent_results(
    street_world, lena_packet, login_as, client, make_conversation
):
    w = street_world
    lena_packet.assigned_user_id = w.organizer_ana.id
    _db.session.commit()
    resident = _db.session.scalars(
        sa.select(Contact).where(Contact.household_key == "1 OAK ST|27215")
    ).first()
    make_conversation(resident, w.organizer_ana, result_code="not_home", is_conversation=False)
    login_as(w.organizer_ana)
    data = client.get("/field/api/lists").get_json()
    people = {p["id"]: p for d in data["packets"][0]["doors"] for p in d["people"]}
    assert "birth_year" in people[resident.id]
    assert people[resident.id]["latest"]["result"] == "not_home"
    assert data["recent"][0]["contact_id"] == resident.id


def test_field_home_needs_sign_in(client, db):
    response = client.get("/field")
    assert response.status_code == 302


def test_service_worker_and_shell_reference_no_other_server(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Service-Worker-Allowed"] == "/"
    body = response.get_data(as_text=True)
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", body)
    imported = re.findall(r'"(/static/[^"?]+)', body)
    assert imported, "the worker loads its modules from this server"
    for path in imported:
        assert (STATIC / path.removeprefix("/static/")).is_file(), path
    # workbox-sw's loader (which defaults to a CDN) is not used: modules load directly.
    assert "workbox-sw" not in body
    for name in ("field.js", "field-store.js", "packet.js"):
        text = (STATIC / "js" / name).read_text()
        assert not re.search(r"https?://", text), name


def test_manifest__installable(client, db):
    data = client.get("/manifest.webmanifest").get_json()
    assert data["display"] == "standalone"
    assert data["start_url"] == "/field"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200
        assert response.data.startswith(b"\x89PNG")
        response.close()
