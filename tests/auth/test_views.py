"""Sign-in through the real form, sign-out, throttling, redirects, sessions ending."""

from __future__ import annotations

import pytest

from fieldcrm.auth import services
from fieldcrm.auth.views import safe_next
from fieldcrm.extensions import db, limiter
from tests.fixtures.factories import PASSWORD


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


def _login(client, email, password=PASSWORD, next_=None):
    url = "/auth/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password})


def test_login__real_form_signs_in_and_redirects_home(client, make_user):
    user = make_user(email="real@example.test")
    response = _login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200


def test_login__wrong_password_and_unknown_user_look_the_same(client, make_user):
    make_user(email="known@example.test")
    wrong = _login(client, "known@example.test", "not the password")
    unknown = _login(client, "unknown@example.test", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Wrong email or password." in wrong.data
    assert wrong.data.replace(b"known@", b"X@") == unknown.data.replace(b"unknown@", b"X@")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/contacts/", "/contacts/"),
        ("https://evil.example/", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_safe_next__only_local_paths(target, expected):
    assert safe_next(target) == expected


def test_login__next_only_redirects_on_site(client, make_user):
    user = make_user()
    response = _login(client, user.email, next_="https://evil.example/")
    assert response.headers["Location"].endswith("/home")


def test_login__throttled_after_repeated_failures(client, make_user):
    make_user(email="target@example.test")
    statuses = [_login(client, "target@example.test", "guess").status_code for _ in range(12)]
    assert statuses[0] == 200
    assert statuses[-1] == 429


def test_logout__ends_session(client, make_user):
    user = make_user()
    _login(client, user.email)
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/home").status_code == 302


def test_logout__refuses_get(client, make_user):
    user = make_user()
    _login(client, user.email)
    assert client.get("/auth/logout").status_code == 405


def test_deactivation__ends_existing_session_on_next_request(client, world):
    _login(client, world.organizer_ana.email)
    assert client.get("/home").status_code == 200
    services.set_user_active(world.admin_dev, world.organizer_ana, False)
    db.session.commit()
    assert client.get("/home").status_code == 302


def test_password_change__keeps_this_session_ends_others(app, client, make_user):
    user = make_user()
    other = app.test_client()
    _login(client, user.email)
    _login(other, user.email)
    response = client.post(
        "/auth/account",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": "another good password",
            "pw-confirm": "another good password",
            "pw-submit": "1",
        },
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert other.get("/home").status_code == 302


def test_account__language_choice_changes_ui(client, make_user):
    user = make_user()
    _login(client, user.email)
    response = client.post("/auth/account", data={"prefs-locale": "es", "prefs-submit": "1"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locale == "es"


def test_csrf__form_without_token_is_refused(app, make_user):
    user = make_user()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post(
            "/auth/login", data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_ui_language__spanish_user_sees_spanish(client, make_user):
    user = make_user()
    user.locale = "es"
    db.session.commit()
    _login(client, user.email)
    body = client.get("/contacts/").get_data(as_text=True)
    assert "Contactos" in body
    assert '<html lang="es">' in body
    detail_form = client.get("/auth/account").get_data(as_text=True)
    assert "Su cuenta" in detail_form
