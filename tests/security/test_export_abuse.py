"""Bulk-export abuse: a per-user rate limit, the password again for large exports from an old
sign-in, and unusual export volume flagged in the audit log for admins."""

from __future__ import annotations

import time

import pyotp
import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.auth import twofactor
from fieldcrm.extensions import db, limiter
from fieldcrm.security import SESSION_SEEN, SESSION_STARTED
from tests.fixtures.factories import PASSWORD

EXPORTS = [
    "/contacts/export.csv",
    "/conversations/export.csv",
    "/commitments/export.csv",
]


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


def _actions(action: str) -> list[AuditEvent]:
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def _signed_in_hours_ago(client, hours: float) -> None:
    now = int(time.time())
    with client.session_transaction() as sess:
        sess[SESSION_STARTED] = now - int(hours * 3600)
        sess[SESSION_SEEN] = now


def test_rate_limit__thirty_back_to_back_exports_are_not_all_served(
    app, login_as, world, fieldwork, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_RATE_LIMIT", "5 per minute")
    client = login_as(world.organizer_ana)
    codes = [client.get(EXPORTS[n % 3]).status_code for n in range(30)]
    assert codes[:5] == [200] * 5
    assert set(codes[5:]) == {429}  # one budget shared by every export
    # per user: another organizer still exports
    assert login_as(world.organizer_omar).get(EXPORTS[0]).status_code == 200


def test_reauth__large_export_from_an_old_sign_in_asks_for_the_password(
    app, login_as, world, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_REAUTH_ROWS", 1)  # Ana's turf has 2 contacts
    monkeypatch.setitem(app.config, "EXPORT_REAUTH_MINUTES", 10)
    client = login_as(world.organizer_ana)
    _signed_in_hours_ago(client, 11)

    refused = client.get("/contacts/export.csv?columns=full")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/auth/confirm?next=")
    assert _actions("export.contacts") == []
    assert _actions("export.reauth_required")[0].details["rows"] == 2

    # a small export (under the threshold) is served without asking
    assert client.get("/contacts/export.csv?q=Eve").status_code == 200

    page = client.get(refused.headers["Location"])
    assert page.status_code == 200
    wrong = client.post(refused.headers["Location"], data={"secret": "not it"})
    assert wrong.status_code == 422
    assert _actions("auth.reauth_failed")
    right = client.post(refused.headers["Location"], data={"secret": PASSWORD})
    assert right.status_code == 302
    assert right.headers["Location"] == "/contacts/export.csv?columns=full"
    assert client.get(right.headers["Location"]).status_code == 200
    assert len(_actions("export.contacts")) == 2


def test_reauth__a_fresh_sign_in_exports_at_once(app, login_as, world, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_REAUTH_ROWS", 1)
    client = login_as(world.organizer_ana)
    _signed_in_hours_ago(client, 0.05)  # three minutes
    assert client.get("/contacts/export.csv").status_code == 200


def test_reauth__a_two_step_code_works_too(app, client, login_as, make_user, world, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_REAUTH_ROWS", 0)
    user = make_user("admin", email="codes@example.test")
    secret = twofactor.new_secret()
    twofactor.confirm_enrolment(
        user, secret, pyotp.TOTP(secret).at(time.time() - 30), now=time.time()
    )
    db.session.commit()
    login_as(user)
    _signed_in_hours_ago(client, 2)
    refused = client.get("/contacts/export.csv")
    assert refused.status_code == 302
    ok = client.post(refused.headers["Location"], data={"secret": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert client.get("/contacts/export.csv").status_code == 200


def test_reauth__next_only_goes_to_this_site(login_as, world):
    client = login_as(world.organizer_ana)
    response = client.post("/auth/confirm?next=https://evil.test/x", data={"secret": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_unusual_volume__flagged_once_for_admins(app, login_as, world, fieldwork, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_ALERT_COUNT", 3)
    client = login_as(world.organizer_ana)
    for _ in range(5):
        assert client.get("/contacts/export.csv").status_code == 200
    flags = _actions("export.unusual")
    assert len(flags) == 1
    assert flags[0].actor_id == world.organizer_ana.id
    assert flags[0].details["exports"] == 3
    audit_page = login_as(world.admin_dev).get("/admin/audit?action=export.unusual")
    assert "export.unusual" in audit_page.get_data(as_text=True)
    home = login_as(world.admin_dev).get("/home").get_data(as_text=True)
    assert "1 unusual export volume alert in the last 7 days" in home
    assert "/admin/audit?action=export.unusual" in home
    director_home = login_as(world.director_dana).get("/home").get_data(as_text=True)
    assert "unusual export" not in director_home


def test_unusual_volume__by_rows(app, login_as, world, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_ALERT_ROWS", 3)
    client = login_as(world.organizer_ana)
    client.get("/contacts/export.csv")  # 2 rows
    assert _actions("export.unusual") == []
    client.get("/contacts/export.csv")  # 4 rows in the window
    flags = _actions("export.unusual")
    assert [(f.details["reason"], f.details["rows"]) for f in flags] == [("rows", 4)]
