"""Hostile dates and control characters in every parameter and field: never a 500.

The parameters each route reads are discovered, not listed: a request class records
every query-string and form key a view (or its forms) asks for, on a first walk of the
URL map as an admin. Then every discovered parameter of every GET route and every field
of every POST route gets hostile values (dates at the ends of the calendar, NUL and
other control characters, huge numbers, long text) as each role. Routes and fields added
later are covered without touching this file.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldcrm.auth.models import User
from fieldcrm.extensions import db, limiter

ROLES = ["admin_dev", "director_dana", "organizer_ana", "leader_lena"]

HOSTILE_DATES = [
    "0001-01-01", "9999-12-31", "0000-00-00", "10000-01-01", "2026-02-30", "2026-13-01",
    "1899-12-31", "2200-01-01", "-1", "99999999999999999999", "2026-1-1", "２０２６-01-01",
]  # fmt: skip
HOSTILE_TEXT = [
    "\x00", "a\x00b", "\x01\x02\x1b[31m\x1f\x7f", "\u2028\u2029", "\ufeff", "\u202e", "\t\r\n",
    "%00", "\\x00", "𝕏" * 3, "x" * 5000, "' OR 1=1 --", "-1", "0", "1e309", "NaN",
]  # fmt: skip
HOSTILE = HOSTILE_DATES + HOSTILE_TEXT
# The walk of every parameter one by one uses the values the attack run reported.
REPORTED = ["0001-01-01", "9999-12-31", "99999999999999999999", "\x00", "a\x00b", "\x01\x1f\x7f"]


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


@pytest.fixture
def routes(discovered_routes):
    return discovered_routes


def _request(client, method, path, data):
    if method == "GET":
        return client.get(path, query_string=data)
    return client.post(path, data=data)


def _sign_in(login_as, world, persona):
    db.session.expire_all()
    login_as(db.session.get(User, getattr(world, persona).id))


def test_discovery__finds_the_parameters_routes_read(routes):
    by_endpoint = {(m, e): keys for m, _p, e, keys in routes}
    assert {"since", "until"} <= set(by_endpoint[("GET", "conversations.export")])
    assert {"date_from", "date_to", "actor"} <= set(by_endpoint[("GET", "admin.audit")])
    assert "q" in by_endpoint[("GET", "contacts.index")]
    assert {"phone", "kind"} <= set(by_endpoint[("POST", "contacts.add_phone")])
    assert sum(1 for m, *_ in routes if m == "POST") > 20


def test_every_parameter__hostile_values_never_500(app, client, login_as, secure_world, routes):
    """Each parameter on its own, each reported value, as the admin (who reaches every
    route): a 4xx with a message, never a 500. The other roles are in the test below."""
    persona = "admin_dev"
    checked = 0
    for method, path, _endpoint, keys in routes:
        for key in keys:
            for value in REPORTED:
                _sign_in(login_as, secure_world, persona)
                response = _request(client, method, path, {key: value})
                where = f"{persona} {method} {path} {key}={value[:40]!r}"
                assert response.status_code < 500, where
                if "\x00" in value and response.status_code not in (302, 403, 404, 405):
                    assert response.status_code == 400, where
                    assert "NUL character" in response.get_data(as_text=True), where
                checked += 1
    assert checked > 300


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_route__hostile_combinations_as_each_role(
    app, client, login_as, secure_world, routes, data
):
    """Hypothesis mixes hostile dates, control characters and random text over all the
    parameters of a route at once, as every role."""
    method, path, _endpoint, keys = data.draw(st.sampled_from([r for r in routes if r[3]]))
    persona = data.draw(st.sampled_from(ROLES))
    value = st.one_of(
        st.sampled_from(HOSTILE),
        st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
        st.text(st.characters(codec="utf-8"), max_size=20),
        st.integers().map(str),
    )
    chosen = data.draw(st.lists(st.sampled_from(keys), min_size=1, unique=True))
    params = {key: data.draw(value) for key in chosen}
    _sign_in(login_as, secure_world, persona)
    response = _request(client, method, path, params)
    assert response.status_code < 500, f"{persona} {method} {path} {params!r}"


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/conversations/export.csv?since=0001-01-01&until=9999-12-31", 400, "must be a date"),
        ("/commitments/export.csv?until=9999-12-31", 400, "must be a date"),
        ("/admin/audit?date_from=0001-01-01", 422, "Enter a date between"),
        ("/admin/audit?date_to=9999-12-31", 422, "Enter a date between"),
        ("/admin/audit?actor=99999999999999999999", 200, "Audit log"),
        ("/contacts/?q=%00", 400, "NUL character"),
        ("/contacts/?q=a%00b&page=1", 400, "NUL character"),
    ],
)
def test_reported_urls__clear_refusal_not_500(client, login_as, secure_world, url, status, message):
    login_as(secure_world.admin_dev)
    response = client.get(url)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_nul_in_a_path_part__refused_with_a_message(client, login_as, secure_world):
    login_as(secure_world.admin_dev)
    response = client.post("/conversations/choices/issue%00s", data={"issue%00s-label": "x"})
    assert response.status_code == 400
    assert "“list_name” contains a NUL character" in response.get_data(as_text=True)


def test_nul_in_saved_text__refused_with_a_message(client, login_as, secure_world):
    w = secure_world
    login_as(w.organizer_ana)
    response = client.post(
        f"/contacts/{w.east_1.id}/edit",
        data={"notes": "rent\x00strike", "version": "0", "support_level": ""},
    )
    assert response.status_code == 400
    assert "“notes” contains a NUL character" in response.get_data(as_text=True)
    db.session.expire_all()
    assert "strike" not in (db.session.get(type(w.east_1), w.east_1.id).notes or "")
