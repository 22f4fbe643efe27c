"""Generic walks over every route: scoping, method safety, mass assignment, injection, XSS.

These tests read `app.url_map`, so routes added by any feature are walked automatically.
Id parameters with a known meaning (contact_id, turf_id, …) get a real record outside the
persona's scope; any other id parameter gets an id that does not exist. Either way a
signed-in persona must get 403 or 404, never the record. When a new kind of scoped id is
added, add it to `out_of_scope_ids` in tests/fixtures/security.py.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db, limiter
from tests.fixtures.security import (
    PERSONAS,
    build_path,
    int_args,
    leaks,
    only_int_args,
    out_of_scope_ids,
    route_ids,
    route_rules,
)

MISSING_ID = 987_654_321

# Routes that accept POST and also GET because GET renders the form (and changes nothing:
# test_get__never_writes checks that for every GET route).
FORM_PAGES = {
    "auth.login",
    "auth.two_factor",
    "auth.two_factor_setup",
    "auth.confirm",
    "auth.account",
    "admin.new_user",
    "admin.edit_user",
    "contacts.new",
    "contacts.edit",
    "imports.new",
    "imports.check",
    "conversations.edit",
    "ladder.stages",
    "ladder.edit_stage",
    "organizations.new",
    "organizations.edit",
    "turf.new",
    "turf.edit",
}

# Query parameters any list, search, report or export might read.
FILTER_PARAMS = [
    "q", "sort", "order", "dir", "page", "per_page", "turf", "turf_id", "region", "region_id",
    "support", "stage", "organization", "language", "status", "action", "actor", "from", "to",
    "since", "until", "date_from", "date_to", "channel", "mine", "kind", "owner", "owner_id",
    "user_id", "organizer", "contact_id", "filter", "format", "ip", "entity_type", "entity_id",
]  # fmt: skip

SQLI = [
    "' OR '1'='1",
    "1 OR 1=1",
    "1; DROP TABLE contacts; --",
    "name DESC; --",
    "' UNION SELECT email, password_hash FROM users --",
    "%",
    "_",
    "\\",
    "-1",
    "99999999999999999999999",
]

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


def _html(response) -> str:
    return response.get_data(as_text=True) if response.status_code < 300 else ""


def test_state_changing_routes__refuse_get(app):
    offenders = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in route_rules(app, "POST")
        if "GET" in rule.methods and rule.endpoint not in FORM_PAGES
    ]
    assert offenders == [], (
        "POST routes that also answer GET (list in FORM_PAGES only form pages whose GET "
        "renders the form and changes nothing)"
    )


def test_get__never_writes(app, client, login_as, secure_world):
    """No GET route writes to the database (apart from auditing a denial)."""
    w = secure_world
    ids = route_ids(w)
    writes: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):  # noqa: PLR0913
        head = statement.lstrip().upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE")) and "AUDIT_EVENTS" not in head:
            writes.append(statement.split("\n")[0][:120])

    engine = db.engine if isinstance(db.engine, sa.Engine) else db.engine.engine
    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        for persona in ("admin_dev", "organizer_ana"):
            login_as(getattr(w, persona))
            for rule in route_rules(app, "GET"):
                if not only_int_args(rule):
                    continue
                values = {name: ids.get(name, MISSING_ID) for name in rule.arguments}
                path = build_path(app, rule, values)
                client.get(path)
                assert writes == [], f"GET {path} as {persona} wrote: {writes}"
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)


@pytest.mark.parametrize("persona", PERSONAS)
def test_id_routes__out_of_scope_records_are_403_or_404(
    app, client, login_as, secure_world, persona
):
    w = secure_world
    login_as(getattr(w, persona))
    hidden = out_of_scope_ids(w, persona)
    checked = []
    for rule in route_rules(app, "GET"):
        if not rule.arguments or not only_int_args(rule):
            continue
        values = {name: hidden.get(name, MISSING_ID) for name in int_args(rule)}
        path = build_path(app, rule, values)
        response = client.get(path)
        assert response.status_code in (403, 404), f"{persona} GET {path}: {response.status_code}"
        assert leaks(persona, response.get_data(as_text=True)) == [], path
        checked.append(path)
    assert checked  # the walk found id routes to check


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_routes__show_nothing_out_of_scope_even_with_filters(
    app, client, login_as, secure_world, persona
):
    """Lists, searches, JSON, map data and exports: no out-of-scope record, whatever the filter."""
    w = secure_world
    login_as(getattr(w, persona))
    hidden = out_of_scope_ids(w, persona)
    aliases = {
        "turf": hidden["turf_id"], "region": hidden["region_id"], "owner": hidden["user_id"],
        "organizer": hidden["user_id"], "owner_id": hidden["user_id"],
    }  # fmt: skip
    filters = {name: hidden.get(name, aliases.get(name, "")) for name in FILTER_PARAMS}
    for rule in route_rules(app, "GET"):
        if rule.arguments:
            continue
        path = build_path(app, rule, {})
        for query in ({}, filters, {"q": "Durham"}, {"q": "West"}, {"q": "NOTE"}):
            response = client.get(path, query_string=query)
            assert response.status_code < 500, f"{path} {query}"
            body = response.get_data(as_text=True)
            assert leaks(persona, body) == [], f"{persona} {path}?{query} leaked"
            assert "$argon2" not in body


@pytest.mark.parametrize("persona", ["organizer_ana", "leader_lena", "admin_dev"])
def test_sql_injection__every_filter_parameter(app, client, login_as, secure_world, persona):
    w = secure_world
    login_as(getattr(w, persona))
    visible_before = db.session.scalar(sa.select(sa.func.count(Contact.id)))
    for rule in route_rules(app, "GET"):
        if rule.arguments:
            continue
        path = build_path(app, rule, {})
        for payload in SQLI:
            all_at_once = client.get(path, query_string=dict.fromkeys(FILTER_PARAMS, payload))
            assert all_at_once.status_code < 500, f"{path} all={payload!r}"
            if persona != "admin_dev":
                assert leaks(persona, all_at_once.get_data(as_text=True)) == [], path
        for name in FILTER_PARAMS:
            response = client.get(path, query_string={name: SQLI[0]})
            assert response.status_code < 500, f"{path} {name}"
            if persona != "admin_dev":
                assert leaks(persona, response.get_data(as_text=True)) == [], f"{path} {name}"
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == visible_before


def _fill_strings(obj, payload: str) -> None:
    """Set every string column of `obj` that can hold `payload` (except keys and codes)."""
    skip = {"email", "password_hash", "session_token", "role", "locale", "source", "kind",
            "status", "channel", "totp_secret", "household_key", "voter_id"}  # fmt: skip
    for column in obj.__table__.columns:
        length = getattr(column.type, "length", None)
        python_type = (
            getattr(column.type, "python_type", None) if hasattr(column.type, "length") else None
        )
        if column.name in skip or column.primary_key or column.foreign_keys:
            continue
        if python_type is str and (length is None or length >= len(payload)):
            setattr(obj, column.key, payload)


def test_xss__free_text_is_escaped_everywhere(app, client, login_as, secure_world):
    w = secure_world
    for obj in (
        w.east_1,
        w.conversations["east_1"],
        w.commitments["east_1"],
        w.east,
        w.piedmont,
        w.organizer_ana,
    ):
        _fill_strings(obj, XSS)
    db.session.commit()
    ids = route_ids(w)
    pages = 0
    for persona in ("admin_dev", "director_dana", "organizer_ana"):
        login_as(getattr(w, persona))
        for rule in route_rules(app, "GET"):
            if not only_int_args(rule):
                continue
            path = build_path(app, rule, {n: ids.get(n, MISSING_ID) for n in rule.arguments})
            for query in ({}, {"q": "<script>"}):
                response = client.get(path, query_string=query)
                if "html" not in (response.content_type or ""):
                    continue
                body = response.get_data(as_text=True)
                assert "<script>alert" not in body, f"{persona} {path}"
                assert "<img src=x onerror" not in body, f"{persona} {path}"
                pages += 1
    assert pages > 10


# Extra fields a hostile client might add to any form to take over scope or identity.
EXTRA_FIELDS = {
    "role": "admin",
    "active": "1",
    "turf_id": "",
    "owner_id": "",
    "region_ids": "",
    "turf_ids": "",
    "turfs": "",
    "regions": "",
    "user_id": "",
    "created_by_id": "",
    "is_admin": "1",
    "totp_enabled": "0",
    "session_token": "stolen",
    "id": "1",
}


def test_mass_assignment__extra_fields_ignored_on_every_post_route(
    app, client, login_as, secure_world
):
    """POST every route as an organizer with extra fields; nothing about scope moves."""
    w = secure_world
    ana = w.organizer_ana
    extra = {
        **EXTRA_FIELDS,
        "turf_id": str(w.durham.id),
        "owner_id": str(w.organizer_tri.id),
        "region_ids": str(w.triangle.id),
        "turf_ids": str(w.durham.id),
        "turfs": str(w.durham.id),
        "regions": str(w.triangle.id),
        "user_id": str(w.organizer_tri.id),
        "created_by_id": str(w.organizer_tri.id),
    }
    ids = route_ids(w)
    before_turf, before_owner = w.east_1.turf_id, w.east_1.owner_id
    for rule in route_rules(app, "POST"):
        if not only_int_args(rule) or rule.endpoint in ("auth.logout", "auth.login"):
            continue
        login_as(ana)
        path = build_path(app, rule, {n: ids.get(n, MISSING_ID) for n in rule.arguments})
        response = client.post(path, data=extra)
        assert response.status_code < 500, path
    db.session.expire_all()
    ana = db.session.get(User, ana.id)
    assert ana.role == "organizer"
    assert [t.id for t in ana.turfs] == [w.east.id]
    assert ana.regions == []
    east_1 = db.session.get(Contact, w.east_1.id)
    assert east_1.turf_id == before_turf
    assert east_1.owner_id == before_owner
    strays = db.session.scalars(
        sa.select(Contact).where(Contact.turf_id == w.durham.id, Contact.id != w.durham_1.id)
    ).all()
    assert strays == []


def test_id_routes__huge_ids_are_404_not_500(app, client, login_as, secure_world):
    login_as(secure_world.admin_dev)
    for rule in route_rules(app, "GET"):
        if rule.arguments and only_int_args(rule):
            path = build_path(app, rule, dict.fromkeys(rule.arguments, 1))
            huge = path.replace("/1", "/99999999999999999999999", 1)
            assert client.get(huge).status_code == 404, huge
    assert client.get("/contacts/?page=99999999999999999999").status_code == 404
