"""The one-on-one form on a phone (390 x 844, headless Chromium): what every conversation
needs first, the rest one tap away, Save always on screen, and a confirmation naming what was
created ("Conversation saved · commitment “Host a house meeting” due Dec 12 handed to Lena")."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from tests.browser.conftest import PASSWORD
from tests.browser.server import serve_world

pytestmark = pytest.mark.browser
PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def talk_server(tmp_path_factory, live_server):
    from tests.browser import walk_world

    path = tmp_path_factory.mktemp("talk") / "talk.sqlite"
    with serve_world(path, lambda: walk_world.build(PASSWORD)) as server:
        yield server


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=PHONE_390, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _sign_in(tab, server, who="organizer"):
    tab.goto(server.url + "/auth/login")
    tab.get_by_label("Email").fill(server.emails[who])
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/(home|field)$"))


def _person(server, voter_id):
    with server.app.app_context():
        return db.session.scalar(sa.select(Contact.id).where(Contact.voter_id == voter_id))


def _save_on_screen(tab) -> bool:
    box = tab.get_by_role("button", name="Save conversation").bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_390["height"]


def test_the_essentials_first_and_save_always_on_screen(tab, talk_server):
    _sign_in(tab, talk_server)
    tab.goto(f"{talk_server.url}/contacts/{_person(talk_server, 'W10')}/log")
    form = tab.locator("form.conversation-form")
    for essential in ("How", "Support level", "The ask", "Their response", "They commit to"):
        assert form.get_by_text(essential, exact=True).first.is_visible(), essential
    for later in ("Their story", "Agitation", "Notes and assessment"):
        assert not form.get_by_label(later).is_visible(), later
    assert _save_on_screen(tab)
    # The whole short form is about two screens; Save stays on screen all the way down.
    height = tab.evaluate("document.documentElement.scrollHeight")
    assert height <= 2.5 * PHONE_390["height"], height
    for y in range(0, height, 400):
        tab.evaluate("(y) => window.scrollTo(0, y)", y)
        assert _save_on_screen(tab), y
    # The rest is one tap away.
    form.locator("details.more-fields > summary").tap()
    assert form.get_by_label("Their story").is_visible()
    form.get_by_label("Notes and assessment").scroll_into_view_if_needed()
    assert _save_on_screen(tab)
    overflow = tab.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert overflow is False


def test_saving_names_what_was_created(tab, talk_server):
    _sign_in(tab, talk_server)
    contact_id = _person(talk_server, "W12")
    tab.goto(f"{talk_server.url}/contacts/{contact_id}/log")
    form = tab.locator("form.conversation-form")
    form.locator("label.chip", has_text="One-on-one").tap()
    form.locator("label.chip", has_text="1 Strong yes").tap()
    form.get_by_label("The ask", exact=True).select_option(label="Host a house meeting")
    form.locator("label.chip", has_text=re.compile(r"^Yes$")).tap()
    form.locator("#commitments-0-kind").select_option(label="Host a house meeting")
    form.locator("#commitments-0-due_date").fill("2031-12-12")
    form.locator("#commitments-0-owner_id").select_option(label="Lena (Volunteer leader)")
    form.locator("details.more-fields > summary").tap()
    form.get_by_label("Their story").fill("Rent went up twice this year.")
    form.get_by_role("button", name="Save conversation").tap()
    tab.wait_for_url(f"**/contacts/{contact_id}")
    flash = tab.locator(".flashes").inner_text()
    assert flash == (
        "Conversation saved · commitment “Host a house meeting” due Dec 12, 2031 handed to Lena"
    )
    with talk_server.app.app_context():
        [talk] = db.session.scalars(
            sa.select(Conversation).where(
                Conversation.contact_id == contact_id, Conversation.channel == "one_on_one"
            )
        ).all()
        [made] = db.session.scalars(
            sa.select(Commitment).where(Commitment.conversation_id == talk.id)
        ).all()
        assert (talk.channel, talk.support_level, talk.response) == ("one_on_one", 1, "yes")
        assert talk.story == "Rent went up twice this year."
        assert (made.kind, made.due_date.isoformat()) == ("house_meeting", "2031-12-12")


def test_a_second_commitment_from_more_is_numbered_after_the_first(tab, talk_server):
    _sign_in(tab, talk_server)
    contact_id = _person(talk_server, "W14")
    tab.goto(f"{talk_server.url}/contacts/{contact_id}/log")
    form = tab.locator("form.conversation-form")
    form.locator("#commitments-0-kind").select_option(label="Volunteer shift")
    form.locator("details.more-fields > summary").tap()
    form.get_by_role("button", name="Add another commitment").tap()
    assert form.locator("#commitments-3-kind").count() == 1
    form.locator("#commitments-3-kind").select_option(label="Attend a training")
    form.get_by_role("button", name="Save conversation").tap()
    tab.wait_for_url(f"**/contacts/{contact_id}")
    flash = tab.locator(".flashes").inner_text()
    assert "“Volunteer shift”, you follow up" in flash
    assert "“Attend a training”, you follow up" in flash
