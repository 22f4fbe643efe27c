"""Webhook events: emitted by the services, delivered after commit, signed, retried, logged."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldcrm import jobs
from fieldcrm.commitments import services as commitment_services
from fieldcrm.contacts import services as contact_services
from fieldcrm.conversations import services as conversation_services
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder import services as ladder_services
from fieldcrm.lib import webhook_signature as sig
from fieldcrm.webhooks import delivery as delivery_mod
from fieldcrm.webhooks.events import emit
from fieldcrm.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import SECRET


def _deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_signature__round_trip_and_refusals():
    body = b'{"event":"ping"}'
    header = sig.sign("s3cret-s3cret-s3cret", 1_767_225_600, body)
    assert header.startswith("sha256=")
    assert len(header) == 7 + 64
    assert sig.verify("s3cret-s3cret-s3cret", "1767225600", header, body, now=1_767_225_700)
    assert not sig.verify("another-secret-here", "1767225600", header, body, now=1_767_225_700)
    assert not sig.verify(
        "s3cret-s3cret-s3cret", "1767225600", header, body + b" ", now=1_767_225_700
    )
    assert not sig.verify("s3cret-s3cret-s3cret", "1767225601", header, body, now=1_767_225_700)
    # an old request is refused even with a good signature (replay)
    assert not sig.verify("s3cret-s3cret-s3cret", "1767225600", header, body, now=1_767_226_601)
    assert not sig.verify("s3cret-s3cret-s3cret", None, header, body)


def test_conversation_logged_on_the_page__delivered_signed_after_commit(
    login_as, world, fieldwork, receiver, endpoint
):
    response = login_as(world.organizer_ana).post(
        f"/contacts/{world.east_1.id}/conversations",
        data={"channel": "door", "result_code": "not_home", "idempotency_key": "wh-1"},
    )
    assert response.status_code == 302
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-fieldcrm-event"] == "conversation.logged"
    assert sig.verify(
        SECRET, headers["x-fieldcrm-timestamp"], headers["x-fieldcrm-signature"], request.body
    )
    payload = request.json
    assert payload["event"] == "conversation.logged"
    assert payload["id"] == headers["x-fieldcrm-delivery"]
    data = payload["data"]
    assert data["contact_id"] == world.east_1.id
    assert (data["channel"], data["result_code"], data["is_conversation"]) == (
        "door", "not_home", False,
    )  # fmt: skip
    assert data["user_id"] == world.organizer_ana.id
    assert data["voter_id"] == world.east_1.voter_id
    [row] = _deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)
    assert db.session.get(WebhookEndpoint, endpoint.id).last_status == "200"


def test_payload__carries_no_free_text(world, fieldwork, receiver, endpoint):
    data = conversation_services.ConversationInput(
        channel="door", support_level=2, notes="PRIVATE NOTE", story="PRIVATE STORY",
        ask_text="PRIVATE ASK", issues_text="PRIVATE ISSUES", issues=("rent",),
    )  # fmt: skip
    conversation_services.log_conversation(world.organizer_ana, world.east_1, data)
    db.session.commit()
    [request] = receiver.requests
    assert b"PRIVATE" not in request.body
    assert request.json["data"]["support_level"] == 2
    assert request.json["data"]["issues"] == ["rent"]


def test_every_event__emitted_once_by_its_service(
    world, fieldwork, receiver, endpoint, make_commitment
):
    ana = world.organizer_ana
    contact = contact_services.create_contact(
        ana, contact_services.ContactInput(first_name="New", last_name="Person")
    )
    db.session.commit()
    commitment = make_commitment(world.east_1, ana)
    commitment_services.set_status(ana, commitment, "kept")
    db.session.commit()
    ladder_services.step_contact(ana, world.east_1, "up", "came to a meeting")
    db.session.commit()
    assert receiver.events() == ["contact.created", "commitment.outcome", "ladder.moved"]
    created, outcome, moved = (r.json["data"] for r in receiver.requests)
    assert created["contact_id"] == contact.id
    assert created["source"] == "manual"
    assert (outcome["status"], outcome["from_status"]) == ("kept", "open")
    assert moved["from_stage_id"] is None
    assert moved["to_stage"] == fieldwork[0].name
    # each event has its own id; the same event to two endpoints shares it
    assert len({r.json["id"] for r in receiver.requests}) == 3


def test_endpoint__gets_only_the_events_it_picked(world, fieldwork, receiver, endpoint):
    endpoint.events = ["ladder.moved"]
    db.session.commit()
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.commit()
    assert receiver.requests == []
    assert _deliveries() == []


def test_rolled_back_change__sends_nothing(world, fieldwork, receiver, endpoint):
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.rollback()
    db.session.commit()  # a later commit must not send what was rolled back
    assert receiver.requests == []
    assert _deliveries() == []


def test_inactive_endpoint__gets_nothing(world, fieldwork, receiver, endpoint):
    endpoint.active = False
    db.session.commit()
    assert emit("conversation.logged", {"x": 1}) == []


def test_unknown_event__is_a_programming_error(db):
    with pytest.raises(ValueError):
        emit("conversation.deleted", {})


def test_failing_endpoint__retried_with_backoff_then_delivered(
    app, world, fieldwork, receiver, endpoint, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_DELAYS", "30,120")
    receiver.statuses = [500, 200]
    before = utcnow()
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.commit()
    [row] = _deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("retrying", 1, 500)
    assert row.next_attempt_at >= before + timedelta(seconds=30)
    assert db.session.get(WebhookEndpoint, endpoint.id).last_status == "500"
    # not due yet: the sweeper leaves it alone
    assert delivery_mod.deliver_due() == {}
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert delivery_mod.deliver_due() == {"delivered": 1}
    [row] = _deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 200)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].json["id"] == receiver.requests[1].json["id"]


def test_failing_endpoint__gives_up_after_the_last_retry(
    app, world, fieldwork, receiver, endpoint, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_DELAYS", "0,0")
    receiver.statuses = [503]
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.commit()
    [row] = _deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 503)
    assert len(receiver.requests) == 3
    assert delivery_mod.deliver_due() == {}


def test_unreachable_endpoint__recorded_as_refused(app, world, fieldwork, endpoint, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint.url = f"http://127.0.0.1:{port}/hook"
    db.session.commit()
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.commit()
    [row] = _deliveries()
    assert (row.status, row.last_error, row.last_status_code) == (
        "retrying", "connection refused", None,
    )  # fmt: skip
    assert db.session.get(WebhookEndpoint, endpoint.id).last_status == "connection refused"


def test_redirect__is_not_followed(app, world, fieldwork, receiver, endpoint):
    receiver.statuses = [302]
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.commit()
    [row] = _deliveries()
    assert (row.status, row.last_status_code) == ("retrying", 302)
    assert len(receiver.requests) == 1


def test_delivery__never_holds_the_page(
    app, login_as, world, fieldwork, receiver, endpoint, monkeypatch
):
    """With the thread runner (no Redis) the page is served before the delivery even starts:
    the job waits for the test, which lets it go only once it has the page's response."""
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    release = threading.Event()
    waited: list[bool] = []
    real_deliver = delivery_mod.deliver

    def held_deliver(delivery_id: int, force: bool = False) -> str:
        waited.append(release.wait(5))  # False if it ran inside the request
        return real_deliver(delivery_id, force)

    monkeypatch.setattr(delivery_mod, "deliver", held_deliver)
    try:
        response = login_as(world.organizer_ana).post(
            f"/contacts/{world.east_1.id}/conversations",
            data={"channel": "door", "result_code": "not_home", "idempotency_key": "slow-1"},
        )
        assert response.status_code == 302
        assert receiver.requests == []
    finally:
        release.set()
        jobs.wait_for_threads(30)
    assert waited == [True]
    [row] = _deliveries()
    assert (row.status, row.attempts) == ("delivered", 1)
    assert receiver.events() == ["conversation.logged"]


def test_cli__deliver_due_and_list(app, runner, world, fieldwork, receiver, endpoint):
    receiver.statuses = [500, 200]
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.commit()
    db.session.execute(
        sa.update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    result = runner.invoke(args=["webhooks", "deliver-due"])
    assert result.exit_code == 0, result.output
    assert "Tried 1 deliveries: delivered 1." in result.output
    listing = runner.invoke(args=["webhooks", "list"])
    assert listing.output.startswith(f"{endpoint.id}\ton\t{receiver.url}\t")
    assert "delivered 1" in listing.output
