"""People flows in headless Chromium: setting a weekly goal from the Team page, adding a
person who is already in the voter file, putting people on a leader's list, and undoing a
mis-tapped follow-up outcome on a phone."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from fieldcrm.auth.models import LeaderAssignment
from fieldcrm.commitments.models import Commitment
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
    with page.expect_navigation():
        row.get_by_role("button", name="Set goal").click()
    assert "Goal set for Ana." in page.locator(".flashes").inner_text()
    ana = people_server.user_ids["organizer"]
    goal = _scalar(people_server, sa.select(WeeklyGoal.attempts).where(WeeklyGoal.user_id == ana))
    assert goal == 120


def test_leader_adds_a_voter_on_file_then_a_new_person_on_her_phone(phone, people_server):
    server = people_server
    rosa = server.contact_ids["álvarez"]
    _sign_in(phone, server, "leader")
    phone.goto(server.url + "/contacts/new")
    phone.get_by_label("First name").fill("Rosa")
    phone.get_by_label("Last name").fill("Alvarez")
    phone.get_by_label("Street address").fill("12 Oak Street #4")
    phone.get_by_label("ZIP").fill("27215")
    phone.get_by_role("button", name="Add contact").tap()
    matches = phone.locator("#matches")
    assert "ROSA ÁLVAREZ" in matches.inner_text()
    matches.get_by_role("button", name="ROSA ÁLVAREZ is the person").tap()
    phone.wait_for_url(f"**/contacts/{rosa}")
    assert "nothing was added twice" in phone.locator(".flashes").inner_text()
    assert phone.get_by_role("heading", level=1).inner_text() == "ROSA ÁLVAREZ"

    phone.goto(server.url + "/contacts/new")
    phone.get_by_label("First name").fill("Sam")
    phone.get_by_label("Last name").fill("Newby")
    phone.get_by_role("button", name="Add contact").tap()
    phone.wait_for_url(re.compile(r".*/contacts/\d+$"))
    assert "Contact added." in phone.locator(".flashes").inner_text()
    assert phone.get_by_role("heading", level=1).inner_text() == "Sam Newby"
    overflow = phone.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert overflow is False


def test_organizer_puts_ticked_people_on_a_leaders_list(page, people_server):
    server = people_server
    _sign_in(page, server, "organizer")
    page.goto(server.url + "/contacts/")
    page.get_by_label("Tick MARCUS BELL").check()
    page.get_by_label("Tick NIA BROOKS").check()
    bulk = page.locator("#bulk-leader")
    bulk.get_by_label("Volunteer leader").select_option(label="Lena")
    with page.expect_navigation():
        bulk.get_by_role("button", name="Put on the list").click()
    assert "on Lena’s list." in page.locator(".flashes").inner_text()
    lena = server.user_ids["leader"]
    on_list = _scalar(
        server,
        sa.select(sa.func.count())
        .select_from(LeaderAssignment)
        .where(
            LeaderAssignment.leader_id == lena,
            LeaderAssignment.contact_id.in_(
                [server.contact_ids["bell"], server.contact_ids["brooks"]]
            ),
        ),
    )
    assert on_list == 2


def test_leader_undoes_a_mis_tapped_kept_on_her_phone(phone, people_server):
    server = people_server
    _sign_in(phone, server, "leader")
    phone.goto(server.url + "/commitments/")
    row = phone.locator(".followup-row", has_text="NIA BROOKS")
    with phone.expect_navigation():
        row.get_by_role("button", name="Kept").tap()
    flash = phone.locator(".flashes")
    assert "NIA BROOKS: marked kept." in flash.inner_text()
    assert phone.locator(".followup-row", has_text="NIA BROOKS").count() == 0
    undo = flash.get_by_role("button", name="Undo")
    box = undo.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    with phone.expect_navigation():
        undo.tap()
    assert "Undone: NIA BROOKS’s follow-up is as it was." in flash.inner_text()
    assert phone.locator(".followup-row", has_text="NIA BROOKS").count() == 1
    status = _scalar(
        server, sa.select(Commitment.status).where(Commitment.id == server.commitment_id)
    )
    assert status == "open"
