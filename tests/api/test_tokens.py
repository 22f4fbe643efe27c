"""Personal API tokens: stored hashed, refused when revoked/expired/deactivated, per-token
rate limit, every call audited, no cookie ever signs an API call in."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import sqlalchemy as sa

from fieldcrm.api import tokens
from fieldcrm.api.models import ApiToken
from fieldcrm.audit import AuditEvent
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from tests.fixtures.api import ApiClient


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def test_token__stored_as_sha256_only(world, make_token):
    row, raw = make_token(world.organizer_ana, "Parsons sync")
    assert raw.startswith("fcrm_")
    assert len(raw) > 40
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:12]
    stored = db.session.execute(sa.select(ApiToken.__table__)).one()._asdict()
    assert raw not in {str(v) for v in stored.values()}


def test_bearer__good_token_acts_as_its_user(world, api_as):
    response = api_as(world.organizer_ana).get("/me")
    assert response.status_code == 200
    assert response.get_json() == {
        "id": world.organizer_ana.id,
        "name": "Ana",
        "email": "ana@example.test",
        "role": "organizer",
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_bearer__missing_or_unknown_token_is_401_json(client, world):
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer fcrm_" + "x" * 43},
    ):
        response = client.get("/api/v1/contacts", headers=headers)
        assert response.status_code == 401, headers
        assert response.get_json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer__revoked_expired_and_deactivated_are_refused(client, world, make_token):
    ana = world.organizer_ana
    revoked_row, revoked = make_token(ana, "old")
    tokens.revoke_token(ana, revoked_row, now=utcnow())
    expired_row, expired = make_token(ana, "short")
    expired_row.expires_at = utcnow() - timedelta(minutes=1)
    _row, omars = make_token(world.organizer_omar, "omar")
    world.organizer_omar.active = False
    db.session.commit()
    for raw, reason in ((revoked, "revoked"), (expired, "expired"), (omars, "deactivated")):
        response = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401, reason
        assert reason in response.get_json()["message"]
    refused = _events("api.token_refused")
    assert [e.details["reason"] for e in refused] == ["revoked", "expired", "inactive"]
    assert refused[0].actor_id == ana.id
    assert refused[0].details["token_id"] == revoked_row.id


def test_bearer__session_cookie_does_not_authenticate_the_api(client, login_as, world):
    login_as(world.admin_dev)
    assert client.get("/contacts/").status_code == 200  # the cookie works on the pages
    for path in ("/api/v1/me", "/api/v1/contacts", f"/api/v1/contacts/{world.east_1.id}"):
        assert client.get(path).status_code == 401, path
    response = client.post(
        "/api/v1/conversations",
        json={"contact_id": world.east_1.id, "result_code": "not_home"},
    )
    assert response.status_code == 401


def test_bearer__token_wins_over_a_session_cookie(client, login_as, world, make_token):
    login_as(world.admin_dev)
    _row, raw = make_token(world.leader_lena)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.get_json()["role"] == "leader"
    assert "Set-Cookie" not in response.headers


def test_last_used__noted_at_most_once_a_minute(world, make_token, client):
    row, raw = make_token(world.organizer_ana)
    headers = {"Authorization": f"Bearer {raw}"}
    assert row.last_used_at is None
    client.get("/api/v1/me", headers=headers)
    db.session.expire_all()
    first = db.session.get(ApiToken, row.id).last_used_at
    assert first is not None
    client.get("/api/v1/me", headers=headers)
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at == first


def test_every_call__audited_with_token_status_and_path(world, api_as, make_token):
    api = api_as(world.organizer_ana)
    api.get("/contacts")
    api.get(f"/contacts/{world.west_1.id}")  # out of scope
    api.post("/conversations", json={"contact_id": world.east_1.id, "channel": "boat"})
    calls = _events("api.call")
    assert [(e.details["method"], e.details["path"], e.details["status"]) for e in calls] == [
        ("GET", "/api/v1/contacts", 200),
        ("POST", "/api/v1/conversations", 422),
    ]
    (denied,) = _events("access.not_found")
    assert denied.details["path"] == f"/api/v1/contacts/{world.west_1.id}"
    assert denied.details["token_id"] == calls[0].details["token_id"]
    assert all(e.actor_id == world.organizer_ana.id for e in [*calls, denied])


def test_rate_limit__per_token(app, client, world, make_token, api_limits_reset, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    _row, first = make_token(world.organizer_ana)
    _row, second = make_token(world.organizer_ana)
    a, b = ApiClient(client, first), ApiClient(client, second)
    assert [a.get("/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = a.get("/contacts")
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "rate_limited"
    assert b.get("/me").status_code == 200  # another token has its own budget


def test_account_page__create_shows_token_once_then_lists_and_revokes(client, login_as, world):
    login_as(world.organizer_ana)
    assert client.get("/auth/account").status_code == 200
    assert "/account/api-tokens/" in client.get("/auth/account").get_data(as_text=True)
    response = client.post(
        "/account/api-tokens/create", data={"name": "Parsons sync", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    raw = re.search(r"fcrm_[A-Za-z0-9_-]{40,}", body).group(0)
    listing = client.get("/account/api-tokens/").get_data(as_text=True)
    assert "Parsons sync" in listing
    assert raw not in listing  # shown once only
    assert raw[:12] in listing
    row = db.session.scalar(sa.select(ApiToken))
    assert row.user_id == world.organizer_ana.id
    assert row.expires_at - utcnow() > timedelta(days=29)
    api = ApiClient(client, raw)
    assert api.get("/me").status_code == 200
    client.post(f"/account/api-tokens/{row.id}/revoke")
    assert api.get("/me").status_code == 401
    assert [e.action for e in _events("api_token.revoke")] == ["api_token.revoke"]


def test_account_page__refuses_blank_name_and_others_tokens(client, login_as, world, make_token):
    other, _raw = make_token(world.organizer_omar)
    login_as(world.organizer_ana)
    assert client.post("/account/api-tokens/create", data={"name": " "}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
    assert client.post(f"/account/api-tokens/{other.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, other.id).revoked_at is None
    assert other.name not in client.get("/account/api-tokens/").get_data(as_text=True)


def test_cli__create_list_revoke(runner, world, client):
    result = runner.invoke(
        args=["api-tokens", "create", "--as", "ana@example.test", "--name", "Nightly sync"]
    )
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert re.fullmatch(r"fcrm_[A-Za-z0-9_-]{43}", raw)
    api = ApiClient(client, raw)
    assert api.get("/me").get_json()["email"] == "ana@example.test"
    listed = runner.invoke(args=["api-tokens", "list"])
    (line,) = listed.stdout.strip().splitlines()
    token_id = int(line.split("\t")[0])
    assert "Nightly sync" in line
    assert "active" in line
    assert raw not in line
    revoked = runner.invoke(args=["api-tokens", "revoke", str(token_id)])
    assert revoked.exit_code == 0, revoked.output
    assert api.get("/me").status_code == 401
    assert "revoked" in runner.invoke(args=["api-tokens", "list"]).stdout


def test_cli__unknown_user_or_token(runner, world):
    result = runner.invoke(args=["api-tokens", "create", "--as", "nobody@x.test", "--name", "n"])
    assert result.exit_code != 0
    assert runner.invoke(args=["api-tokens", "revoke", "999"]).exit_code != 0
    expired = runner.invoke(
        args=[
            "api-tokens",
            "create",
            "--as",
            "ana@example.test",
            "--name",
            "n",
            "--expires-in-days",
            "0",
        ]  # fmt: skip
    )
    assert expired.exit_code != 0
