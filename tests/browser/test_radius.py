"""Who's nearby on a phone: start from a person found by name, see real distances."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, PHONE
from tests.browser.server import serve_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def radius_server(tmp_path_factory, live_server):
    """The turf tests' world (streets of located households) on its own port."""
    from tests.browser import turf_world

    path = tmp_path_factory.mktemp("radius-live") / "live.sqlite"
    with serve_world(path, lambda: turf_world.build(PASSWORD)) as server:
        yield server


def test_radius_by_name_on_a_phone(browser, radius_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        tab.goto(radius_server.url + "/auth/login")
        tab.get_by_label("Email").fill(radius_server.emails["organizer"])
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url("**/home")
        tab.goto(radius_server.url + "/turf/radius")
        assert tab.get_by_label("Near").is_visible()
        assert "(id)" not in tab.content()  # nobody is asked for a record number

        tab.get_by_label("Near").fill("door1")  # Pat Door1 and Pat Door10 to Door19
        tab.get_by_label("Within (miles)").fill("0.05")
        tab.get_by_role("button", name="Search").click()
        assert tab.get_by_role("heading", name="Which one?").is_visible()
        tab.get_by_role("link", name="Pat Door12").click()

        assert tab.get_by_label("Near").input_value() == "Pat Door12"
        assert "Around Pat Door12" in tab.content()
        rows = tab.locator("ol.contact-list .contact-row")
        assert rows.count() > 3
        first = rows.first.inner_text()
        assert "Pat Door12" in first
        assert "here" in first
        second = rows.nth(1).inner_text()
        assert " ft" in second  # a neighbour, at a real distance
        assert "0.00 mi" not in tab.content()
        overflow = tab.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert overflow is False
        assert errors == []
    finally:
        context.close()
