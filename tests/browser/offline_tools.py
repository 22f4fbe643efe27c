"""Shared steps for the field app's browser tests (the `phone` and `field_server` fixtures are in
conftest.py): signing in, the lists kept on the phone, going without signal and back.

Offline is `context.set_offline(True)` plus aborting the service worker's own requests:
Chromium's emulated offline does not reach a service worker's fetches (Playwright issue
#2311), so the worker is cut off with a route as well.
"""

from __future__ import annotations

import os
import re

import sqlalchemy as sa

from fieldcrm.extensions import db
from tests.browser.conftest import PASSWORD

os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")


def open_tab(context):
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return tab


def sign_in_as(tab, server, email):
    tab.goto(server.url + "/auth/login")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/(home|field)$"))


def _cut_off_worker(route):
    if route.request.service_worker is not None:
        route.abort("internetdisconnected")
    else:
        route.continue_()


def go_offline(context):
    context.set_offline(True)
    context.route("**/*", _cut_off_worker)


def go_online(context):
    context.unroute("**/*", _cut_off_worker)
    context.set_offline(False)


def tap_then_new_page(tab, target) -> None:
    """Tap `target` and wait until the page it leads to has loaded.

    A form queued on the phone moves to its next page, and reloads even when only the hash
    changes (`/commitments/` to `/commitments/#queued`): until the new page is in, the old one
    still answers, with its status line about to be replaced. So wait for a page that does
    not carry the mark set on this one."""
    tab.evaluate("() => { window.fieldcrmBeforeTap = true; }")
    target.tap()
    tab.wait_for_function(
        "() => !window.fieldcrmBeforeTap && document.readyState === 'complete'", timeout=30_000
    )


def lists_on_phone(tab, server):
    """Wait until the worker controls the page and the packet pages are on the phone."""
    tab.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    tab.evaluate("() => window.FieldApp.settled.then(() => true)")
    expected = [f"/turf/packets/{server.packet_id}", "/commitments/", "/field"]
    tab.wait_for_function(
        """(urls) => caches.open("fieldcrm-pages").then((c) => c.keys()).then((keys) => {
            const have = keys.map((k) => new URL(k.url).pathname);
            return urls.every((u) => have.includes(u)) && have.some((p) => /\\/log$/.test(p));
        })""",
        arg=expected,
        timeout=30_000,
    )


def leader_on_phone(phone, server):
    """The leader signed in on the phone with her lists stored: (tab, the page's script
    errors, collected from now on)."""
    tab = open_tab(phone)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in_as(tab, server, server.emails["leader"])
    tab.goto(f"{server.url}/field")
    lists_on_phone(tab, server)
    return tab, errors


def rows_of(server, model, **where):
    with server.app.app_context():
        rows = db.session.scalars(sa.select(model).filter_by(**where)).all()
        db.session.expunge_all()
        return rows


def wait_waiting(tab, start: str) -> None:
    """Wait until the status line's queue count starts with `start`."""
    tab.wait_for_function(
        """(start) => {
            const node = document.querySelector("#field-status .field-waiting");
            return node && node.textContent.startsWith(start);
        }""",
        arg=start,
        timeout=30_000,
    )


def door_row(doors, n):
    """The n-th door of the walk list, tapped open (a door is one row until opened)."""
    door = doors.nth(n)
    if door.locator("details.door-details").get_attribute("open") is None:
        door.locator("summary.door-row").tap()
    return door
