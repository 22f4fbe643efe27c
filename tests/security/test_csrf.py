"""CSRF is enforced on every POST route (walked from the URL map, CSRF switched on).

A refused form is offered again ("Submit again", with what was typed) only when the
request is same-origin and carries a token this session issued that has merely expired:
a forged cross-site POST must never come back as a re-armed form.
"""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from fieldcrm import create_app
from fieldcrm.audit import AuditEvent
from fieldcrm.auth import services
from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.extensions import db
from tests.fixtures.factories import PASSWORD
from tests.fixtures.security import build_path, expired_csrf_token, route_rules

ATTACKER_PHONE = "+1 919 555 0187"
OURS = "http://localhost"


@pytest.fixture
def csrf_client(tmp_path):
    """A client of an app with CSRF on, signed in as an admin (the widest access)."""
    app = create_app(
        "config.TestConfig",
        overrides={
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'csrf.sqlite'}",
        },
    )
    with app.app_context():
        db.create_all()
        admin = services.create_user(
            None,
            services.UserInput(email="a@example.test", name="A", role="admin", password=PASSWORD),
        )
        contact = Contact(
            source="test",
            voter_id="CSRF1",
            first_name="Rosa",
            last_name="Alvarez",
            display_name="Rosa Alvarez",
            res_line1="1 OAK ST",
            res_zip5="27215",
            household_key="1 OAK ST|27215",
        )
        db.session.add(contact)
        db.session.commit()
        user_id = admin.get_id()
        app.config["TEST_CONTACT_ID"] = contact.id
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
    yield app, client
    with app.app_context():
        db.engine.dispose()


def test_csrf__every_post_route_refuses_a_missing_or_wrong_token(csrf_client):
    app, client = csrf_client
    rules = route_rules(app, "POST")
    assert rules
    for rule in rules:
        path = build_path(app, rule, dict.fromkeys(rule.arguments, 1))
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(path, data=data)
            assert response.status_code == 400, f"POST {path} {data}: {response.status_code}"
            body = response.get_data(as_text=True)
            assert "Form not accepted" in body
            assert "Submit again" not in body


def test_csrf__json_body_without_token_refused(csrf_client):
    app, client = csrf_client
    for rule in route_rules(app, "POST"):
        path = build_path(app, rule, dict.fromkeys(rule.arguments, 1))
        assert client.post(path, json={"role": "admin"}).status_code == 400, path


def _session_secret(client) -> str:
    """The raw CSRF secret this client's session holds (a page is fetched to issue it)."""
    client.get("/auth/account")
    with client.session_transaction() as sess:
        return sess["csrf_token"]


def _phones(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(ContactPhone.raw)).all()


def _post_phone(app, client, token: str | None, headers: dict[str, str]):
    data = {"phone": ATTACKER_PHONE, "kind": "cell"}
    if token is not None:
        data["csrf_token"] = token
    path = f"/contacts/{app.config['TEST_CONTACT_ID']}/phones"
    return client.post(path, data=data, headers=headers)


def _assert_plain_refusal(response) -> None:
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Form not accepted" in body
    assert "Submit again" not in body
    assert ATTACKER_PHONE not in body
    assert 'name="phone"' not in body
    assert 'action="/contacts/' not in body


@pytest.mark.parametrize(
    ("token_kind", "headers"),
    [
        ("none", {"Origin": "http://evil.example"}),
        ("none", {"Origin": "http://localhost:8081"}),  # same site, other origin
        ("none", {"Referer": "http://evil.example/page"}),
        ("none", {}),
        ("none", {"Origin": OURS}),
        ("forged", {"Origin": OURS}),
        ("foreign_expired", {"Origin": OURS}),  # an attacker's own session's expired token
        ("own_expired", {"Origin": "http://evil.example"}),
        ("own_expired", {"Origin": "null"}),
        ("own_expired", {"Origin": "https://localhost"}),  # other scheme
        ("own_expired", {"Referer": "http://evil.example/form"}),
        ("own_expired", {}),  # neither Origin nor Referer
    ],
)
def test_csrf__refusal_without_rescue_echoes_nothing(csrf_client, token_kind, headers):
    """The attack: a cross-site page auto-posts the attacker's phone to a contact; the
    victim must get a plain refusal, not a "Submit again" form re-armed with a fresh token."""
    app, client = csrf_client
    raw = _session_secret(client)
    token = {
        "none": None,
        "forged": "forged",
        "foreign_expired": expired_csrf_token(app, "f" * 40),
        "own_expired": expired_csrf_token(app, raw),
    }[token_kind]
    _assert_plain_refusal(_post_phone(app, client, token, headers))
    assert _phones(app) == []


@pytest.mark.parametrize(
    "headers", [{"Origin": OURS}, {"Referer": OURS + "/contacts/1"}, {"Origin": OURS + ":80"}]
)
def test_csrf__own_expired_token_same_origin_is_rescued(csrf_client, headers):
    app, client = csrf_client
    token = expired_csrf_token(app, _session_secret(client))
    response = _post_phone(app, client, token, headers)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Submit again" in body
    assert f'name="phone" value="{ATTACKER_PHONE}"' in body
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    again = _post_phone(app, client, fresh, {"Origin": OURS})
    assert again.status_code == 302
    assert _phones(app) == [ATTACKER_PHONE]


def test_csrf__refusal_is_logged_with_context_and_audited(csrf_client, caplog):
    app, client = csrf_client
    caplog.set_level(logging.INFO)
    response = _post_phone(app, client, None, {"Origin": "http://evil.example"})
    assert response.status_code == 400
    request_id = response.headers.get("X-Request-ID")
    assert request_id
    (line,) = [r for r in caplog.records if getattr(r, "event", None) == "access.csrf_refused"]
    assert line.levelno == logging.WARNING
    assert line.path == f"/contacts/{app.config['TEST_CONTACT_ID']}/phones"
    assert line.method == "POST"
    assert line.user_id is not None
    assert line.request_id == request_id
    assert line.reason == "The CSRF token is missing."
    assert line.rescue_offered is False
    assert [r for r in caplog.records if r.name == "flask_wtf.csrf"] == []
    assert all(r.request_id == request_id for r in caplog.records if r.name != "werkzeug")
    with app.app_context():
        (event,) = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "access.csrf_refused")
        ).all()
        assert str(event.actor_id) == line.user_id
        assert event.details["path"] == line.path
        assert event.details["status"] == 400
        assert event.details["reason"] == "The CSRF token is missing."
        assert event.ip == "127.0.0.1"


def test_csrf__anonymous_refusal_logged_not_audited(csrf_client, caplog):
    app, _client = csrf_client
    caplog.set_level(logging.INFO)
    response = app.test_client().post("/auth/login", data={"email": "x@example.test"})
    assert response.status_code == 400
    (line,) = [r for r in caplog.records if getattr(r, "event", None) == "access.csrf_refused"]
    assert line.path == "/auth/login"
    assert line.user_id is None
    with app.app_context():
        refused = sa.select(AuditEvent).where(AuditEvent.action == "access.csrf_refused")
        assert db.session.scalars(refused).all() == []
