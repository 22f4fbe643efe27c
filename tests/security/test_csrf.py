"""CSRF is enforced on every POST route (walked from the URL map, CSRF switched on)."""

from __future__ import annotations

import pytest

from fieldcrm import create_app
from fieldcrm.auth import services
from fieldcrm.extensions import db
from tests.fixtures.factories import PASSWORD
from tests.fixtures.security import build_path, route_rules


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
        db.session.commit()
        user_id = admin.get_id()
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
            assert "expired" in response.get_data(as_text=True)


def test_csrf__json_body_without_token_refused(csrf_client):
    app, client = csrf_client
    for rule in route_rules(app, "POST"):
        path = build_path(app, rule, dict.fromkeys(rule.arguments, 1))
        assert client.post(path, json={"role": "admin"}).status_code == 400, path
