"""Sign in and search contacts on a phone and a desktop, in headless Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_login_then_search_contacts(page, live_server, sign_in):
    sign_in(page, live_server.emails["organizer"])
    if page.viewport_size["width"] < 760:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_label("Search").fill("rosa")
    page.get_by_role("button", name="Search").click()
    rows = page.locator(".contact-row")
    assert rows.count() == 1
    assert "Rosa Alvarez" in rows.first.inner_text()
    assert (
        rows.first.get_by_role("link", name="Call Rosa Alvarez").get_attribute("href")
        == "tel:+13365550111"
    )
    rows.first.locator("a.contact-main").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Rosa Alvarez"


def test_search_never_shows_other_turfs(page, live_server, sign_in):
    sign_in(page, live_server.emails["organizer"])
    page.goto(live_server.url + "/contacts/?q=wanda")
    assert page.locator(".contact-row").count() == 0
    assert "No contacts match" in page.content()


def test_wrong_password_shows_error(page, live_server):
    page.goto(live_server.url + "/auth/login")
    page.get_by_label("Email").fill(live_server.emails["organizer"])
    page.get_by_label("Password").fill("nope nope nope")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().strip() == "Wrong email or password."


def test_page_fits_phone_width(page, live_server, sign_in):
    sign_in(page, live_server.emails["organizer"])
    page.goto(live_server.url + "/contacts/")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert overflow is False
