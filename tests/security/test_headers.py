"""Security headers, cookies, trusted hosts, proxies, request ids, health, error pages."""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask import Blueprint

from fieldcrm import create_app as _create_app
from fieldcrm.logging_setup import JsonFormatter


def create_app(config, overrides=None):
    """An extra app on its own in-memory SQLite (never the shared PostgreSQL test db)."""
    return _create_app(
        config, overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://", **(overrides or {})}
    )


def test_headers__strict_csp_and_friends_on_every_page(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # off outside production


def test_headers__signed_in_pages_are_not_cached(client, login_as, world):
    login_as(world.organizer_ana)
    assert client.get("/home").headers["Cache-Control"] == "no-store"


def test_headers__tile_host_allowed_for_images_only():
    app = create_app(
        "config.TestConfig",
        overrides={"MAP_TILE_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png"},
    )
    csp = app.test_client().get("/auth/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.example.org" in csp
    assert "script-src 'self';" in csp


def test_headers__hsts_and_secure_cookies_in_production(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    import importlib

    import config

    importlib.reload(config)
    try:
        app = create_app(
            config.ProductionConfig,
            overrides={"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
        )
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        assert app.config["REQUIRE_2FA_FOR"] == ("admin", "director")
        response = app.test_client().get("/auth/login", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        monkeypatch.delenv("DATABASE_URL")
        importlib.reload(config)
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "fieldcrm"]:
            root.removeHandler(handler)


def test_session_cookie__host_prefix_in_production(monkeypatch, tmp_path):
    """`__Host-`: Secure, Path=/, no Domain, so no other host can set or shadow it."""
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    import importlib

    import config
    from fieldcrm.auth import services
    from fieldcrm.extensions import db
    from tests.fixtures.factories import PASSWORD

    importlib.reload(config)
    try:
        app = _create_app(
            config.ProductionConfig,
            overrides={
                "SECRET_KEY": "y" * 40,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite'}",
            },
        )
        with app.app_context():
            db.create_all()
            services.create_user(
                None,
                services.UserInput(
                    email="host@example.test", name="H", role="organizer", password=PASSWORD
                ),
            )
            db.session.commit()
        client = app.test_client()
        page = client.get("/auth/login", base_url="https://localhost")
        (cookie,) = page.headers.getlist("Set-Cookie")
        assert cookie.startswith("__Host-")
        attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
        assert "secure" in attributes
        assert "path=/" in attributes
        assert not [a for a in attributes if a.startswith("domain")]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[1]
        signed_in = client.post(
            "/auth/login",
            data={"email": "host@example.test", "password": PASSWORD, "csrf_token": token},
            base_url="https://localhost",
            headers={"Referer": "https://localhost/auth/login"},
        )
        assert signed_in.status_code == 302
        assert client.get("/home", base_url="https://localhost").status_code == 200
        with app.app_context():
            db.engine.dispose()
        for unsafe in (
            {"SESSION_COOKIE_SECURE": False},
            {"SESSION_COOKIE_DOMAIN": "example.org"},
            {"SESSION_COOKIE_PATH": "/crm"},
        ):
            with pytest.raises(RuntimeError, match="__Host-"):
                create_app(
                    config.ProductionConfig,
                    overrides={
                        "SECRET_KEY": "y" * 40,
                        "SESSION_COOKIE_NAME": "__Host-fieldcrm_session",
                        **unsafe,
                    },
                )
    finally:
        monkeypatch.delenv("DATABASE_URL")
        importlib.reload(config)
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "fieldcrm"]:
            root.removeHandler(handler)


def test_session_cookie__httponly_and_samesite(client, make_user):
    from tests.fixtures.factories import PASSWORD

    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_trusted_hosts__other_host_refused():
    app = create_app("config.TestConfig", overrides={"TRUSTED_HOSTS": ["crm.example.org"]})
    client = app.test_client()
    assert client.get("/auth/login", base_url="http://evil.example").status_code == 400
    assert client.get("/auth/login", base_url="http://crm.example.org").status_code == 200


@pytest.mark.parametrize(("proxies", "expected"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_proxy_headers__trusted_only_from_configured_proxies(proxies, expected):
    app = create_app("config.TestConfig", overrides={"PROXY_COUNT": proxies})
    seen = {}

    @app.get("/_test/ip")
    def show_ip():
        from flask import request  # noqa: TID251 - a test-only view

        seen["ip"] = request.remote_addr
        return "ok"

    app.test_client().get(
        "/_test/ip",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen["ip"] == expected


def test_request_id__generated_and_echoed(client):
    response = client.get("/auth/login", headers={"X-Request-ID": "from-client"})
    rid = response.headers["X-Request-ID"]
    assert rid != "from-client"
    assert len(rid) == 32


def test_request_id__taken_from_trusted_proxy_when_sane():
    app = create_app("config.TestConfig", overrides={"PROXY_COUNT": 1})
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42"}).headers["X-Request-ID"] == (
        "lb-42"
    )
    bad = client.get("/healthz", headers={"X-Request-ID": "<script> and spaces"})
    assert bad.headers["X-Request-ID"] != "<script> and spaces"


def test_access_log__json_line_with_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="fieldcrm.access")
    response = client.get("/auth/login?email=secret@example.test")
    record = next(r for r in caplog.records if r.name == "fieldcrm.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["path"] == "/auth/login"
    assert line["status"] == 200
    assert "secret@example.test" not in json.dumps(line)  # no query strings in logs


def test_healthz__json_without_auth_or_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}


def test_healthz__redis_down_is_503(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"] == "error"


def test_error_page__never_shows_a_stack_trace(caplog):
    app = create_app("config.TestConfig", overrides={"PROPAGATE_EXCEPTIONS": False})
    boom = Blueprint("boom", __name__)

    @boom.get("/_test/boom")
    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    app.register_blueprint(boom)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/_test/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert "hunter2" not in body
    assert "RuntimeError" not in body
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


def test_upload_too_large__friendly_413(app, client, login_as, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    login_as(world.organizer_ana)
    response = client.post(
        f"/contacts/{world.east_1.id}/phones", data={"phone": "1" * 5000, "kind": "cell"}
    )
    assert response.status_code == 413
    assert b"Traceback" not in response.data
    assert b"<html" in response.data
