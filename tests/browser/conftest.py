"""Browser-test fixtures: a live server on a temp SQLite file and headless Debian Chromium.

Tests skip when Chromium or Playwright is missing, unless FIELDCRM_REQUIRE_BROWSER=1 (CI),
where they fail instead: a green CI run must have driven a real browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.browser.server import serve_world

CHROMIUM = os.environ.get("FIELDCRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
# The phone the field app is built for (and measured on in bench/bench_offline.py).
FIELD_PHONE = {"width": 390, "height": 844}
PASSWORD = "browser test password"


def _require_browser() -> None:
    missing = None
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        missing = f"Chromium not found at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed"
    if missing:
        if os.environ.get("FIELDCRM_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """The app served on 127.0.0.1 (random port), with CSRF on and a small world seeded."""
    _require_browser()
    from tests.browser import world

    path = tmp_path_factory.mktemp("live") / "live.sqlite"
    with serve_world(path, lambda: world.build(PASSWORD)) as server:
        yield server


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(params=["phone", "desktop"])
def page(request, browser):
    viewport = PHONE if request.param == "phone" else DESKTOP
    context = browser.new_context(viewport=viewport, is_mobile=request.param == "phone")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


@pytest.fixture
def sign_in(live_server):
    def _sign_in(tab, email: str) -> None:
        tab.goto(live_server.url + "/auth/login")
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url("**/home")

    return _sign_in


@pytest.fixture
def field_server(tmp_path, live_server):
    """The offline world, fresh per test (live_server only checks for Chromium), on
    PostgreSQL when TEST_DATABASE_URL names it: the field app's browser tests run on both
    databases (the Makefile's second pass selects them by the `both_databases` mark)."""
    from tests.browser import offline_world

    with serve_world(
        tmp_path / "offline.sqlite", lambda: offline_world.build(PASSWORD), on_postgres=True
    ) as server:
        yield server


def _phone_context(browser):
    return browser.new_context(
        viewport=FIELD_PHONE, is_mobile=True, has_touch=True, service_workers="allow"
    )


@pytest.fixture
def phone(browser):
    """A phone with the field app's service worker (390 x 844, touch)."""
    context = _phone_context(browser)
    yield context
    context.close()


@pytest.fixture
def second_phone(browser):
    """Another phone: a second device, with its own store and worker."""
    context = _phone_context(browser)
    yield context
    context.close()
