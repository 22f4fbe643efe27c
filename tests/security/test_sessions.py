"""Sessions: timeouts, a new session at sign-in, ending for real, expired CSRF tokens."""

from __future__ import annotations

import re
import time

import pytest

from fieldcrm import create_app
from fieldcrm.auth import services
from fieldcrm.extensions import db, limiter
from fieldcrm.security import SESSION_SEEN, SESSION_STARTED
from tests.fixtures.factories import PASSWORD
from tests.fixtures.security import expired_csrf_token


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


def _sign_in(client, user):
    return client.post("/auth/login", data={"email": user.email, "password": PASSWORD})


def test_session__idle_timeout_signs_out(client, make_user):
    user = make_user()
    _sign_in(client, user)
    assert client.get("/home").status_code == 200
    with client.session_transaction() as sess:
        sess[SESSION_SEEN] = int(time.time()) - 61 * 60
    response = client.get("/home")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.get("/home").status_code == 302


def test_session__absolute_timeout_even_when_active(client, make_user):
    user = make_user()
    _sign_in(client, user)
    with client.session_transaction() as sess:
        sess[SESSION_STARTED] = int(time.time()) - 13 * 3600
        sess[SESSION_SEEN] = int(time.time())
    assert client.get("/home").status_code == 302


def test_session__cookie_content_replaced_at_sign_in(client, make_user):
    user = make_user()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker before sign-in"
    _sign_in(client, user)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == user.get_id()


@pytest.mark.parametrize(
    "end",
    [
        lambda user, admin: services.end_all_sessions(user),
        lambda user, admin: services.change_password(user, PASSWORD, "another long password"),
        lambda user, admin: services.set_user_active(admin, user, False),
        lambda user, admin: services.update_user(
            admin,
            user,
            services.UserInput(email=user.email, name=user.name, role="leader"),
        ),
    ],
    ids=["logout", "password_change", "deactivation", "role_change"],
)
def test_session__ends_on_next_request(client, make_user, end):
    user, admin = make_user("organizer"), make_user("admin")
    _sign_in(client, user)
    assert client.get("/home").status_code == 200
    end(user, admin)
    db.session.commit()
    assert client.get("/home").status_code == 302


def test_logout__old_cookie_is_dead(app, client, make_user):
    user = make_user()
    _sign_in(client, user)
    stolen = client.get_cookie("session").value
    client.post("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen, domain="localhost")
    assert replay.get("/home").status_code == 302


def test_login__unknown_user_and_wrong_password_take_similar_time(
    app, client, make_user, monkeypatch
):
    # Production hashing cost, so hashing (not bookkeeping) dominates, as it does live.
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 3)
    monkeypatch.setitem(app.config, "ARGON2_MEMORY_COST", 65536)
    make_user(email="timing@example.test")
    client.post("/auth/login", data={"email": "warm@example.test", "password": "x"})

    def timed(email):
        start = time.perf_counter()
        for _ in range(3):
            client.post("/auth/login", data={"email": email, "password": "wrong password!"})
        return time.perf_counter() - start

    limiter.reset()
    wrong = timed("timing@example.test")
    limiter.reset()
    unknown = timed("nobody@example.test")
    assert max(wrong, unknown) < 3 * min(wrong, unknown)


def test_remember_me__off_and_short(app, client, make_user):
    user = make_user()
    response = _sign_in(client, user)
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert app.config["REMEMBER_COOKIE_DURATION"].total_seconds() <= 12 * 3600


def test_csrf__expired_token_keeps_what_was_typed(tmp_path):
    app = create_app(
        "config.TestConfig",
        overrides={
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'csrf.sqlite'}",
        },
    )
    with app.app_context():
        db.create_all()
        user = services.create_user(
            None,
            services.UserInput(
                email="csrf@example.test", name="C", role="organizer", password=PASSWORD
            ),
        )
        db.session.commit()
        email = user.email
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    long_note = "Talked for 40 minutes about rent <b>& the landlord</b>\nfollow up Tuesday"
    client.get("/auth/account")  # the form page, which issues this session's token
    with client.session_transaction() as sess:
        expired = expired_csrf_token(app, sess["csrf_token"])
    response = client.post(
        "/auth/account",
        data={"prefs-locale": "es", "prefs-submit": "1", "notes": long_note, "csrf_token": expired},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Submit again" in body
    assert 'name="notes"' in body
    assert "&lt;b&gt;&amp; the landlord&lt;/b&gt;" in body
    assert "<b>& the landlord</b>" not in body
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    assert fresh != expired
    again = client.post(
        "/auth/account", data={"prefs-locale": "es", "prefs-submit": "1", "csrf_token": fresh}
    )
    assert again.status_code == 302


def test_csrf__passwords_are_never_echoed(tmp_path):
    app = create_app(
        "config.TestConfig",
        overrides={
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'csrf2.sqlite'}",
        },
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    client.get("/auth/login")
    with client.session_transaction() as sess:
        expired = expired_csrf_token(app, sess["csrf_token"])
    response = client.post(
        "/auth/login",
        data={"email": "a@example.test", "password": "hunter2-secret", "csrf_token": expired},
        headers={"Referer": "http://localhost/auth/login"},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Submit again" in body
    assert "hunter2-secret" not in body
    assert "a@example.test" in body
