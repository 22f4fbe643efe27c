"""Turf flows in headless Chromium: coverage → drill-down → cut → walk sheet; a phone home."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, PHONE
from tests.browser.server import serve_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def turf_server(tmp_path_factory, live_server):
    """Our own app and world on a random port (live_server only checks for Chromium)."""
    from tests.browser import turf_world

    path = tmp_path_factory.mktemp("turf-live") / "live.sqlite"
    with serve_world(path, lambda: turf_world.build(PASSWORD)) as server:
        yield server


def _sign_in(tab, server, email):
    tab.goto(server.url + "/auth/login")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/home")


def test_director_coverage_drill_cut_and_print(page, turf_server):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, turf_server, turf_server.emails["director"])
    page.goto(turf_server.url + "/coverage")
    table = page.locator("#coverage-table")
    assert "Riverside" in table.inner_text()
    assert "Durham" not in page.content()
    page.wait_for_selector("#coverage-map .leaflet-interactive")  # the overlay, without tiles
    table.get_by_role("link", name="Riverside").click()
    assert "Riverside by precinct" in page.get_by_role("heading", level=1).inner_text()
    assert "R1" in page.locator("#coverage-table").inner_text()
    page.get_by_role("link", name="Turf and packets").click()
    page.get_by_label("Doors per packet").fill("25")
    page.get_by_role("button", name="Cut packets").click()
    assert "Cut 3 packets." in page.locator(".flashes").inner_text()  # a street each
    page.get_by_role("link", name="Riverside 01").click()
    page.get_by_role("link", name="Printable walk sheet").click()
    assert "Walk sheet: Riverside 01" in page.get_by_role("heading", level=1).inner_text()
    headers = page.locator("thead th").all_inner_texts()
    assert "Not home" in headers
    assert "Refused" in headers
    assert page.locator("tbody tr").count() >= 20
    assert errors == []


def test_organizer_home_on_a_phone_and_one_tap(browser, turf_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    try:
        _sign_in(tab, turf_server, turf_server.emails["organizer"])
        assert "Your week" in tab.get_by_role("heading", level=1).inner_text()
        stats = tab.locator(".stats").inner_text()
        assert "/ 20" in stats  # attempts goal
        assert "Riverside" in tab.content()
        overflow = tab.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert overflow is False
        tab.goto(turf_server.url + "/turf/packets")
        tab.locator(".packet-list a").first.click()
        door = tab.locator("li.door").nth(1)
        door.locator("summary.door-row").click()  # a door is one row until opened
        door.get_by_role("button", name="Not home").first.click()
        tab.wait_for_selector("li.door.done")
        assert "1 of" in tab.locator("#packet-progress").inner_text()
        box = door.get_by_role("button", name="Not home").first.bounding_box()
        assert box["height"] >= 44  # a thumb-sized target
    finally:
        context.close()
