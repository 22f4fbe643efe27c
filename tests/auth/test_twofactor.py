"""Two-step sign-in: enrolment, the two-step login, replay, throttling, recovery, disabling."""

from __future__ import annotations

import time

import pyotp
import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.auth import twofactor
from fieldcrm.errors import ValidationFailed
from fieldcrm.extensions import db, limiter
from tests.fixtures.factories import PASSWORD


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


@pytest.fixture
def enrolled(make_user):
    """An organizer with 2FA on; returns (user, secret, recovery codes)."""
    user = make_user("organizer", email="twofa@example.test")
    secret = twofactor.new_secret()
    codes = twofactor.confirm_enrolment(
        user, secret, pyotp.TOTP(secret).at(time.time() - 30), now=time.time()
    )
    db.session.commit()
    return user, secret, codes


def _actions(user):
    return db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id)
    ).all()


def _password_step(client, user):
    return client.post("/auth/login", data={"email": user.email, "password": PASSWORD})


def test_confirm_enrolment__wrong_code_refused_and_audited(make_user):
    user = make_user()
    with pytest.raises(ValidationFailed):
        twofactor.confirm_enrolment(user, twofactor.new_secret(), "000000x")
    assert not user.totp_enabled
    assert "auth.2fa_enrol_failed" in _actions(user)


def test_confirm_enrolment__stores_only_hashed_recovery_codes(enrolled):
    user, _secret, codes = enrolled
    assert user.totp_enabled
    assert len(codes) == 10
    stored = " ".join(user.recovery_codes)
    assert not any(code.replace("-", "") in stored or code in stored for code in codes)


def test_verify_second_factor__code_cannot_be_reused(enrolled):
    user, secret, _codes = enrolled
    now = time.time()
    code = pyotp.TOTP(secret).at(now)
    assert twofactor.verify_second_factor(user, code, now=now)
    assert not twofactor.verify_second_factor(user, code, now=now)
    # An older code from the previous step is refused too once a newer one was used.
    assert not twofactor.verify_second_factor(user, pyotp.TOTP(secret).at(now - 30), now=now)


def test_verify_second_factor__recovery_code_works_once(enrolled):
    user, _secret, codes = enrolled
    assert twofactor.verify_second_factor(user, codes[0].upper())
    assert not twofactor.verify_second_factor(user, codes[0])
    assert len(user.recovery_codes) == 9


def test_login__with_2fa_is_not_signed_in_until_code_passes(client, enrolled):
    user, secret, _codes = enrolled
    response = _password_step(client, user)
    assert response.headers["Location"].endswith("/auth/2fa")
    assert client.get("/home").status_code == 302  # still anonymous
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    wrong = client.post("/auth/2fa", data={"code": "123456"})
    assert wrong.status_code == 422
    ok = client.post("/auth/2fa", data={"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert ok.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200
    actions = _actions(user)
    assert "auth.2fa_failed" in actions
    assert actions[-1] == "auth.login"


def test_login__2fa_code_replay_in_a_second_session_refused(app, client, enrolled):
    user, secret, _codes = enrolled
    code = pyotp.TOTP(secret).now()
    _password_step(client, user)
    assert client.post("/auth/2fa", data={"code": code}).status_code == 302
    other = app.test_client()
    _password_step(other, user)
    assert other.post("/auth/2fa", data={"code": code}).status_code == 422
    assert other.get("/home").status_code == 302


def test_login__2fa_guessing_is_throttled(client, enrolled):
    user, _secret, _codes = enrolled
    _password_step(client, user)
    statuses = [client.post("/auth/2fa", data={"code": "000000"}).status_code for _ in range(7)]
    assert statuses[:5] == [422] * 5
    assert statuses[-1] == 429


def test_two_factor__without_password_step_goes_to_sign_in(client):
    response = client.post("/auth/2fa", data={"code": "123456"})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_two_factor__pending_state_expires(client, enrolled, monkeypatch):
    user, secret, _codes = enrolled
    _password_step(client, user)
    later = time.time() + 301
    monkeypatch.setattr("fieldcrm.auth.views.time.time", lambda: later)
    response = client.post("/auth/2fa", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_setup__get_changes_nothing_and_post_enrols(client, login_as, make_user):
    user = make_user()
    login_as(user)
    page = client.get("/auth/2fa/setup")
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.data
    db.session.refresh(user)
    assert user.totp_secret is None
    assert not user.totp_enabled
    with client.session_transaction() as sess:
        secret = sess["_2fa_setup"]
    done = client.post("/auth/2fa/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert b"recovery" in done.data.lower()
    db.session.refresh(user)
    assert user.totp_enabled
    assert user.totp_secret == secret


def test_required_roles__admin_sent_to_enrol_first(app, client, login_as, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_2FA_FOR", ("admin", "director"))
    admin = make_user("admin")
    login_as(admin)
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/2fa/setup")
    assert client.get("/auth/2fa/setup").status_code == 200
    organizer = make_user("organizer")
    login_as(organizer)
    assert client.get("/home").status_code == 200


def test_disable__needs_password_and_code(client, login_as, enrolled):
    user, secret, _codes = enrolled
    login_as(user)
    bad = client.post(
        "/auth/2fa/disable", data={"off-password": "wrong password", "off-code": "123456"}
    )
    assert bad.status_code == 422
    db.session.refresh(user)
    assert user.totp_enabled
    ok = client.post(
        "/auth/2fa/disable",
        data={"off-password": PASSWORD, "off-code": pyotp.TOTP(secret).now()},
    )
    assert ok.status_code == 302
    db.session.refresh(user)
    assert not user.totp_enabled
    assert user.totp_secret is None
    assert "auth.2fa_disabled" in _actions(user)
    assert client.get("/home").status_code == 200  # this session kept


def test_disable__refused_when_role_requires_it(app, enrolled, monkeypatch):
    user, secret, _codes = enrolled
    with pytest.raises(ValidationFailed):
        twofactor.disable(user, PASSWORD, pyotp.TOTP(secret).now(), required_roles=("organizer",))


def test_recovery_codes__replaced_with_password_and_code(client, login_as, enrolled):
    user, secret, old = enrolled
    login_as(user)
    response = client.post(
        "/auth/2fa/recovery-codes",
        data={"codes-password": PASSWORD, "codes-code": pyotp.TOTP(secret).now()},
    )
    assert response.status_code == 200
    db.session.refresh(user)
    assert len(user.recovery_codes) == 10
    assert not twofactor.verify_second_factor(user, old[1])
