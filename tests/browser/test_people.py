"""People flows in headless Chromium: setting a weekly goal from the Team page, adding a
person who is already in the voter file, putting people on a leader's list, and undoing a
mis-tapped follow-up outcome on a phone."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.turf.models import WeeklyGoal
from tests.browser.conftest import PASSWORD, PHONE
from tests.browser.server import serve_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people_server(tmp_path_factory, live_server):
    """Our own app and world on a random port (live_server only checks for Chromium)."""
    from tests.browser import people_world

    path = tmp_path_factory.mktemp("people-live") / "live.sqlite"
    with serve_world(path, lambda: people_world.build(PASSWORD)) as server:
        yield server


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def _sign_in(tab, server, who):
    tab.goto(server.url + "/auth/login")
    tab.get_by_label("Email").fill(server.emails[who])
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/home")


def _scalar(server, stmt):
    from fieldcrm.extensions import db

    with server.app.app_context():
        return db.session.scalar(stmt)


def test_director_sets_a_weekly_goal_from_the_team_page(page, people_server):
    _sign_in(page, people_server, "director")
    page.goto(people_server.url + "/team")
    row = page.locator("tr", has_text="Ana")
    row.get_by_text("Set goal").first.click()
    row.get_by_label("Attempts").fill("120")
    row.get_by_label("Conversations").fill("30")
    row.get_by_role("button", name="Set goal").click()
    page.wait_for_url("**/team")
    assert "Goal set for Ana." in page.locator(".flashes").inner_text()
    ana = people_server.user_ids["organizer"]
    goal = _scalar(people_server, sa.select(WeeklyGoal.attempts).where(WeeklyGoal.user_id == ana))
    assert goal == 120
