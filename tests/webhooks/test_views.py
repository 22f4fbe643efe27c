"""The admin pages for webhooks: register, refuse odd URLs, test, resend; admins only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.extensions import db
from fieldcrm.webhooks.models import WebhookDelivery, WebhookEndpoint


def _form(url: str, **extra) -> dict:
    data = {"url": url, "events": ["conversation.logged", "ladder.moved"], "active": "y"}
    data.update(extra)
    return data


def _endpoints() -> list[WebhookEndpoint]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookEndpoint)))


@pytest.mark.parametrize("persona", ["director_dana", "organizer_ana", "leader_lena"])
def test_pages__admins_only(login_as, world, persona):
    client = login_as(getattr(world, persona))
    assert client.get("/admin/webhooks/").status_code == 403
    assert client.post("/admin/webhooks/new", data=_form("https://x.test/h")).status_code == 403
    assert _endpoints() == []


def test_register__with_a_secret_then_listed(login_as, world, receiver):
    client = login_as(world.admin_dev)
    response = client.post(
        "/admin/webhooks/new", data=_form(receiver.url, secret="0123456789abcdef-secret")
    )
    assert response.status_code == 302
    [endpoint] = _endpoints()
    assert endpoint.secret == "0123456789abcdef-secret"
    assert endpoint.events == ["conversation.logged", "ladder.moved"]
    index = client.get("/admin/webhooks/").get_data(True)
    assert receiver.url in index
    show = client.get(f"/admin/webhooks/{endpoint.id}").get_data(True)
    assert "0123456789abcdef-secret" not in show  # the secret is never shown again
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "webhook.create"))
    assert "secret" not in str(audit.details).lower()


def test_register__without_a_secret_generates_one_shown_once(login_as, world):
    client = login_as(world.admin_dev)
    response = client.post("/admin/webhooks/new", data=_form("https://hooks.example.test/in"))
    [endpoint] = _endpoints()
    assert len(endpoint.secret) >= 32
    page = client.get(response.headers["Location"]).get_data(True)
    assert endpoint.secret in page
    assert endpoint.secret not in client.get(f"/admin/webhooks/{endpoint.id}").get_data(True)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.test/in",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:6379/_INFO",
        "https://user:pass@hooks.example.test/in",
        "hooks.example.test/in",
        "https:///nohost",
        "http://hooks.example.test:99999/in",
        "https://hooks.example.test/a b",
    ],
)
def test_register__refuses_urls_that_are_not_plain_http(login_as, world, url):
    response = login_as(world.admin_dev).post("/admin/webhooks/new", data=_form(url))
    assert response.status_code == 422
    assert _endpoints() == []


def test_register__needs_events_and_a_long_enough_secret(login_as, world):
    client = login_as(world.admin_dev)
    assert (
        client.post("/admin/webhooks/new", data=_form("https://h.test/", events=[])).status_code
        == 422
    )
    assert (
        client.post(
            "/admin/webhooks/new", data=_form("https://h.test/", events=["contact.deleted"])
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/admin/webhooks/new", data=_form("https://h.test/", secret="short")
        ).status_code
        == 422
    )
    assert _endpoints() == []


def test_edit__keeps_the_secret_when_left_blank(login_as, world, endpoint):
    client = login_as(world.admin_dev)
    response = client.post(
        f"/admin/webhooks/{endpoint.id}/edit",
        data=_form(endpoint.url, events=["contact.created"], description="CRM sync"),
    )
    assert response.status_code == 302
    [row] = _endpoints()
    assert (row.events, row.description, row.active) == (["contact.created"], "CRM sync", True)
    assert row.secret == "a-long-shared-secret-for-tests"
    client.post(
        f"/admin/webhooks/{endpoint.id}/edit", data={"url": row.url, "events": ["contact.created"]}
    )
    assert _endpoints()[0].active is False  # an unticked box switches it off


def test_test_event_and_resend(login_as, world, receiver, endpoint):
    client = login_as(world.admin_dev)
    assert client.post(f"/admin/webhooks/{endpoint.id}/test").status_code == 302
    assert receiver.events() == ["ping"]
    [delivery] = db.session.scalars(sa.select(WebhookDelivery)).all()
    assert delivery.status == "delivered"
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(True)
    assert "ping" in page
    assert "delivered" in page
    assert client.post(f"/admin/webhooks/deliveries/{delivery.id}/resend").status_code == 302
    assert receiver.events() == ["ping", "ping"]
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).attempts == 1  # counted afresh


def test_delete__removes_endpoint_and_log(login_as, world, receiver, endpoint):
    client = login_as(world.admin_dev)
    client.post(f"/admin/webhooks/{endpoint.id}/test")
    assert client.post(f"/admin/webhooks/{endpoint.id}/delete").status_code == 302
    assert _endpoints() == []
    assert db.session.scalars(sa.select(WebhookDelivery)).all() == []


def test_nav__admins_see_the_webhooks_page(login_as, world):
    assert "/admin/webhooks/" in login_as(world.admin_dev).get("/home").get_data(True)
    assert "/admin/webhooks/" not in login_as(world.organizer_ana).get("/home").get_data(True)


def test_form__events_are_checkboxes_none_of_which_is_required_alone(login_as, world):
    page = login_as(world.admin_dev).get("/admin/webhooks/").get_data(True)
    assert page.count('name="events"') == 4
    assert 'name="events" required' not in page
