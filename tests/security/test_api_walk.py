"""The JSON API walked route by route with each persona's bearer token.

Like test_route_walk.py, these read `app.url_map` (the API routes, `route_rules(api=True)`),
so an API route added later is walked too. Every id a route takes gets a record outside the
persona's scope (404, never the record); every list, with every filter pointing outside the
scope, shows nothing outside it; a revoked token and a session cookie get 401 everywhere.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from fieldcrm.api import tokens
from fieldcrm.api.openapi import OPERATIONS
from fieldcrm.api.views import PUBLIC_ENDPOINTS
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder.services import ensure_default_ladder, move_contact
from tests.fixtures.api import ApiClient
from tests.fixtures.security import (
    PERSONAS,
    SECRETS,
    VISIBLE,
    build_path,
    int_args,
    leaks,
    out_of_scope_ids,
    route_rules,
)

MISSING_ID = 987_654_321
PREFIX = "/api/v1"

SQLI = ["' OR '1'='1", "1 OR 1=1", "1; DROP TABLE contacts; --", "%", "_", "\\", "-1",
        "99999999999999999999999"]  # fmt: skip


@pytest.fixture
def api_world(app, secure_world, cut, monkeypatch, api_limits_reset):
    """`secure_world` plus a ladder move for every contact and a packet in every turf."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    w = secure_world
    stages = ensure_default_ladder()
    w.moves = {key: move_contact(w.admin_dev, getattr(w, key), stages[0]) for key in SECRETS}
    db.session.commit()
    w.packets = {t.name: cut(w.admin_dev, t, target_size=50)[0] for t in (w.east, w.west, w.durham)}
    return w


def _in_scope_ids(w) -> dict[str, int]:
    """An id of each kind that Ana (and the admin) may reach."""
    return {
        "contact_id": w.east_1.id,
        "conversation_id": w.conversations["east_1"].id,
        "commitment_id": w.commitments["east_1"].id,
        "move_id": w.moves["east_1"].id,
        "packet_id": w.packets["East"].id,
        "turf_id": w.east.id,
    }


def _hidden(w, persona: str) -> dict[str, int]:
    ids = out_of_scope_ids(w, persona)
    key = next(k for k in ("durham_1", "west_1", "east_1") if k not in VISIBLE[persona])
    other_turf = next(t for t in (w.west, w.east, w.durham) if t.id == ids["turf_id"])
    return {**ids, "move_id": w.moves[key].id, "packet_id": w.packets[other_turf.name].id}


def _client_for(app, user) -> ApiClient:
    from tests.fixtures.app import FreshContextClient

    row, raw = tokens.create_token(None, user, "walk", now=utcnow())
    db.session.commit()
    app.test_client_class = FreshContextClient
    return ApiClient(app.test_client(), raw)


def _api_path(app, rule, values: dict[str, int]) -> str:
    return build_path(app, rule, values)[len(PREFIX) :]


def _leaked(persona: str, response) -> list[str]:
    """Names, note markers or voter ids of contacts `persona` must not see."""
    body = response.get_data(as_text=True)
    found = leaks(persona, body)
    hidden = [k for k in SECRETS if k not in VISIBLE[persona]]
    voter_ids = db.session.scalars(
        sa.select(Contact.voter_id).where(Contact.display_name.in_([SECRETS[k][0] for k in hidden]))
    ).all()
    return found + [v for v in voter_ids if v and f'"{v}"' in body]


def _op(endpoint: str):
    return next(op for op in OPERATIONS if op.endpoint == endpoint)


def _body_for(endpoint: str, contact_id: int, stage_id: int) -> dict:
    """A body that would be accepted apart from naming `contact_id`."""
    return {
        "api.create_conversation": {"contact_id": contact_id, "result_code": "not_home"},
        "api.create_commitment": {"contact_id": contact_id, "commitment_kind": "recruit"},
        "api.create_ladder_move": {"contact_id": contact_id, "to_stage_id": stage_id},
        "api.update_contact": {"notes": "x"},
        "api.set_commitment_outcome": {"commitment_status": "kept"},
    }.get(endpoint, {"contact_id": contact_id})


def test_walk__finds_the_api_routes(app):
    get_routes = {r.endpoint for r in route_rules(app, "GET", api=True)}
    assert {"api.list_contacts", "api.get_contact_record", "api.get_packet"} <= get_routes
    assert not any(r.endpoint.startswith("api.") for r in route_rules(app, "GET"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_id_routes__out_of_scope_ids_are_404_for_every_resource(app, api_world, persona):
    w = api_world
    api = _client_for(app, getattr(w, persona))
    hidden = _hidden(w, persona)
    stage_id = ensure_default_ladder()[1].id
    checked = []
    for method in ("GET", "POST", "PATCH"):
        for rule in route_rules(app, method, api=True):
            if not rule.arguments:
                continue
            assert set(int_args(rule)) == set(rule.arguments)
            missing = set(rule.arguments) - set(hidden)
            assert not missing, f"add an out-of-scope id for {missing} ({rule.rule})"
            path = _api_path(app, rule, {n: hidden[n] for n in rule.arguments})
            if method == "GET":
                response = api.get(path)
            else:
                call = api.post if method == "POST" else api.patch
                response = call(
                    path,
                    json=_body_for(rule.endpoint, hidden["contact_id"], stage_id),
                    headers={"If-Match": '"1"'},
                )
            assert response.status_code == 404, f"{persona} {method} {path}: {response.status_code}"
            assert response.get_json()["error"] == "not_found"
            assert _leaked(persona, response) == [], path
            checked.append((method, rule.endpoint))
    expected = {
        (op.method, op.endpoint) for op in OPERATIONS if "<" in op.rule
    }  # every resource with an id
    assert set(checked) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_creates__an_out_of_scope_contact_is_404_and_nothing_is_written(
    app, api_world, persona
):
    w = api_world
    api = _client_for(app, getattr(w, persona))
    hidden = _hidden(w, persona)
    stage_id = ensure_default_ladder()[1].id
    counts = _row_counts()
    for rule in route_rules(app, "POST", api=True):
        if rule.arguments or "contact_id" not in _op(rule.endpoint).body.model_fields:
            continue
        path = _api_path(app, rule, {})
        response = api.post(path, json=_body_for(rule.endpoint, hidden["contact_id"], stage_id))
        expected = (403, 404) if rule.endpoint == "api.create_ladder_move" else (404,)
        assert response.status_code in expected, f"{persona} POST {path}: {response.status_code}"
    assert _row_counts() == counts


def _row_counts() -> dict[str, int]:
    tables = ("conversations", "commitments", "ladder_moves", "contacts", "api_idempotency_keys")
    return {
        t: db.session.scalar(sa.text(f"SELECT COUNT(*) FROM {t}"))  # noqa: S608 - constants
        for t in tables
    }


def _list_filters(w, persona: str, endpoint: str) -> dict[str, object]:
    """Every documented filter of a list, pointed outside the persona's scope."""
    hidden = _hidden(w, persona)
    values = {
        "turf_id": hidden["turf_id"], "contact_id": hidden["contact_id"],
        "owner_id": hidden["user_id"], "precinct": "D1", "q": "Durham", "since": "2000-01-01",
        "updated_since": "2000-01-01", "support_level": 1, "status": "open", "mine": "false",
        "due_after": "2000-01-01", "due_before": "2199-01-01",
    }  # fmt: skip
    model = _op(endpoint).query
    return {name: values[name] for name in model.model_fields if name in values}


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_lists__show_nothing_out_of_scope_whatever_the_filter(app, api_world, persona):
    w = api_world
    api = _client_for(app, getattr(w, persona))
    for rule in route_rules(app, "GET", api=True):
        if rule.arguments or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = _api_path(app, rule, {})
        filters = _list_filters(w, persona, rule.endpoint) if _op(rule.endpoint).query else {}
        for query in ({}, filters, *({k: v} for k, v in filters.items())):
            response = api.get(path, query_string=query)
            assert response.status_code == 200, f"{persona} {path} {query}"
            assert _leaked(persona, response) == [], f"{persona} {path}?{query} leaked"


def test_api_lists__a_leaders_token_sees_only_their_people(app, api_world):
    w = api_world
    api = _client_for(app, w.leader_lena)
    mine = w.east_assigned.id
    assert [c["id"] for c in api.all("/contacts")] == [mine]
    for path in ("/conversations", "/commitments", "/ladder-moves"):
        records = api.all(path)
        assert records, path
        assert {r["contact_id"] for r in records} == {mine}, path
    assert api.all("/packets") == []  # none assigned to her
    assert [t["name"] for t in api.all("/turfs")] == ["East"]
    restricted = {"party", "birth_year", "birth_date", "sex", "race", "ethnicity",
                  "registration_date", "status", "cd", "sd", "hd"}  # fmt: skip
    assert restricted & set(api.get(f"/contacts/{mine}").get_json()) == set()


def test_api__a_revoked_token_is_401_on_every_route(app, api_world):
    w = api_world
    api = _client_for(app, w.admin_dev)
    assert api.get("/me").status_code == 200
    row = db.session.scalar(
        sa.select(tokens.ApiToken).where(tokens.ApiToken.token_hash == tokens.hash_token(api.token))
    )
    tokens.revoke_token(None, row, now=utcnow())
    db.session.commit()
    _assert_every_route_refuses(app, api_world, api)


def test_api__a_session_cookie_alone_is_401_on_every_route(app, api_world, client, login_as):
    login_as(api_world.admin_dev)
    cookie_only = ApiClient(client, token="")
    cookie_only._headers = lambda headers: dict(headers or {})  # type: ignore[method-assign]
    _assert_every_route_refuses(app, api_world, cookie_only)


def _assert_every_route_refuses(app, w, api: ApiClient) -> None:
    ids = _in_scope_ids(w)
    counts = _row_counts()
    walked = 0
    for method in ("GET", "POST", "PATCH"):
        for rule in route_rules(app, method, api=True):
            if rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            path = _api_path(app, rule, {n: ids[n] for n in rule.arguments})
            call = {"GET": api.get, "POST": api.post, "PATCH": api.patch}[method]
            kwargs = {} if method == "GET" else {"json": _body_for(rule.endpoint, w.east_1.id, 1)}
            response = call(path, headers={"If-Match": "*"}, **kwargs)
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert "Eve" not in response.get_data(as_text=True)
            walked += 1
    assert walked == len(OPERATIONS)
    assert _row_counts() == counts


@pytest.mark.parametrize("persona", ["organizer_ana", "leader_lena", "admin_dev"])
def test_api_sql_injection__every_query_parameter(app, api_world, persona):
    w = api_world
    api = _client_for(app, getattr(w, persona))
    before = db.session.scalar(sa.select(sa.func.count(Contact.id)))
    for rule in route_rules(app, "GET", api=True):
        op = next((o for o in OPERATIONS if o.endpoint == rule.endpoint), None)
        if rule.arguments or op is None or op.query is None:
            continue
        path = _api_path(app, rule, {})
        for payload in SQLI:
            for name in op.query.model_fields:
                response = api.get(path, query_string={name: payload})
                assert response.status_code in (200, 422), f"{path} {name}={payload!r}"
                if persona != "admin_dev":
                    assert _leaked(persona, response) == [], f"{path} {name}={payload!r}"
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == before


def test_api_id_routes__huge_ids_are_404(app, api_world):
    api = _client_for(app, api_world.admin_dev)
    for rule in route_rules(app, "GET", api=True):
        if rule.arguments:
            path = _api_path(app, rule, dict.fromkeys(rule.arguments, 1))
            huge = path.replace("/1", "/99999999999999999999999", 1)
            response = api.get(huge)
            assert response.status_code == 404, huge
            assert response.is_json, huge
    assert api.get(f"/contacts/{MISSING_ID}").status_code == 404


def test_api_get__never_writes_but_audit_and_last_use(app, api_world):
    w = api_world
    ids = _in_scope_ids(w)
    writes: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):  # noqa: PLR0913
        head = statement.lstrip().upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE")) and not any(
            table in head for table in ("AUDIT_EVENTS", "API_TOKENS")
        ):
            writes.append(statement.split("\n")[0][:120])

    for persona in ("admin_dev", "organizer_ana", "leader_lena"):
        api = _client_for(app, getattr(w, persona))
        engine = db.engine if isinstance(db.engine, sa.Engine) else db.engine.engine
        sa.event.listen(engine, "before_cursor_execute", watch)
        try:
            for rule in route_rules(app, "GET", api=True):
                path = _api_path(app, rule, {n: ids[n] for n in rule.arguments})
                response = api.get(path)
                assert response.status_code < 500, path
                assert writes == [], f"GET {path} as {persona} wrote: {writes}"
        finally:
            sa.event.remove(engine, "before_cursor_execute", watch)


def test_api_answers__are_json_never_html(app, api_world):
    api = _client_for(app, api_world.organizer_ana)
    for path in ("/contacts", "/nowhere", f"/contacts/{MISSING_ID}", "/contacts?limit=0"):
        response = api.get(path)
        assert response.is_json, path
        json.loads(response.get_data(as_text=True))
    assert api.client.delete(f"{PREFIX}/contacts").status_code == 405
    assert api.client.delete(f"{PREFIX}/contacts").is_json


def test_leak_check__sees_what_an_admin_token_shows(app, api_world):
    """The walks' leak check is not blind: the admin's answers hold Ana's hidden records."""
    admin = _client_for(app, api_world.admin_dev)
    for path in ("/contacts", "/conversations", "/commitments", "/ladder-moves"):
        assert _leaked("organizer_ana", admin.get(path)) != [], path
    packet = admin.get(f"/packets/{api_world.packets['West'].id}")
    assert _leaked("organizer_ana", packet) != []
