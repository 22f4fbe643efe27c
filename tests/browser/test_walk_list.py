"""The walk list on a phone (390 x 844, headless Chromium): a 60-door packet in about ten
screens, every control a thumb can hit, each person's latest result at a glance (also after a
reload), "Talked" opening the short conversation form, and "Add someone at this door" offering
the people on file before adding anyone."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.scoping import can_see_contact
from tests.browser.conftest import PASSWORD
from tests.browser.server import serve_world

pytestmark = pytest.mark.browser
PHONE_390 = {"width": 390, "height": 844}
TAP = 44


@pytest.fixture
def walk_server(tmp_path, live_server):
    """A fresh 60-door world per test (live_server only checks for Chromium)."""
    from tests.browser import walk_world

    with serve_world(tmp_path / "walk.sqlite", lambda: walk_world.build(PASSWORD)) as server:
        yield server


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=PHONE_390, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _open_packet(tab, server):
    tab.goto(server.url + "/auth/login")
    tab.get_by_label("Email").fill(server.emails["leader"])
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/(home|field)$"))
    tab.goto(f"{server.url}/turf/packets/{server.packet_id}")
    tab.evaluate("() => window.FieldApp.settled.then(() => true)")


def _rows(server, model, **where):
    with server.app.app_context():
        rows = db.session.scalars(sa.select(model).filter_by(**where)).all()
        db.session.expunge_all()
        return rows


def _door(tab, number: int, street: str = "OAK ST"):
    """The row of a door by its house number and street; tapped open if it is closed."""
    door = tab.locator(f"li.door[data-household='{number} {street}|27215']")
    if door.locator("details.door-details").get_attribute("open") is None:
        door.locator("summary.door-row").tap()
    return door


def _person(door) -> int:
    """The id of the first person at a door."""
    return int(door.locator("input[name=contact_id]").first.get_attribute("value"))


def test_sixty_doors_fit_in_about_ten_phone_screens(tab, walk_server):
    _open_packet(tab, walk_server)
    assert walk_server.doors == 60
    assert tab.locator("li.door").count() == 60
    height = tab.evaluate("document.documentElement.scrollHeight")
    print("walk list height", height)
    assert height <= 10 * PHONE_390["height"], height
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # Whole streets in walk order: up the odd side, back down the even side.
    numbers = tab.eval_on_selector_all(
        "li.door[data-household$='OAK ST|27215']",
        "rows => rows.map(r => parseInt(r.dataset.household, 10))",
    )
    assert numbers == [*range(1, 21, 2), *range(20, 0, -2)]


def test_every_control_is_a_thumb_wide(tab, walk_server):
    _open_packet(tab, walk_server)
    door = _door(tab, 5)
    door.locator("details.more-results summary").first.tap()
    door.locator("details.add-person summary").tap()
    small = tab.evaluate(
        """(tap) => [...document.querySelectorAll(
              '.walk-list summary, .walk-list a, .walk-list button, .walk-list input')]
            .filter((n) => n.type !== 'hidden' && n.getClientRects().length)
            .map((n) => [n.textContent.trim() || n.name, n.getBoundingClientRect().height])
            .filter(([, h]) => h < tap)""",
        TAP,
    )
    assert small == []


def test_a_result_is_seen_at_a_glance_also_after_a_reload(tab, walk_server):
    _open_packet(tab, walk_server)
    door = _door(tab, 9)
    person = _person(door)
    door.locator("form[data-attempt]").first.get_by_role("button", name="Refused").tap()
    latest = tab.locator(f"[data-latest-for='{person}']")
    latest.filter(has_text="Refused").wait_for()
    tab.locator("#field-status .field-waiting", has_text="Nothing waiting to send").wait_for()
    tab.reload()
    assert re.match(r"Refused · \w+ \d+", tab.locator(f"[data-latest-for='{person}']").inner_text())
    [attempt] = _rows(walk_server, Conversation, contact_id=person, user_id=walk_server.lena_id)
    assert (attempt.result_code, attempt.packet_id) == ("refused", walk_server.packet_id)


def test_talked_opens_the_short_form_and_comes_back_to_the_list(tab, walk_server):
    _open_packet(tab, walk_server)
    door = _door(tab, 11)
    person = _person(door)
    door.locator("form[data-attempt]").first.get_by_role("link", name="Talked").tap()
    tab.wait_for_url(re.compile(rf".*/contacts/{person}/log\?next=.*"))
    # Opening the form stores nothing: no empty conversation.
    assert _rows(walk_server, Conversation, contact_id=person, user_id=walk_server.lena_id) == []
    form = tab.locator("form.conversation-form")
    form.locator("label.chip", has_text="2 Lean yes").tap()
    form.get_by_role("button", name="Save conversation").tap()
    tab.wait_for_url(f"**/turf/packets/{walk_server.packet_id}")
    latest = tab.locator(f"[data-latest-for='{person}']")
    assert latest.inner_text().startswith("Talked · ")
    [talk] = _rows(walk_server, Conversation, contact_id=person, user_id=walk_server.lena_id)
    assert (talk.is_conversation, talk.support_level, talk.channel) == (True, 2, "door")


def test_add_someone_offers_the_people_on_file_first(tab, walk_server):
    _open_packet(tab, walk_server)
    door = _door(tab, 7)
    door.locator("details.add-person summary").tap()
    door.get_by_label("First name").fill("Rosa")
    door.get_by_label("Last name").fill("Vega")
    door.get_by_role("button", name="Add", exact=True).tap()
    offered = door.locator(".door-matches")
    offered.get_by_text("Rosa Vega").wait_for()
    offered.get_by_role("button", name="That is them").tap()
    tab.wait_for_url(re.compile(rf".*/contacts/{walk_server.rosa_id}/log\?next=.*"))
    assert len(_rows(walk_server, Contact, last_name="Vega")) == 1
    with walk_server.app.app_context():
        from fieldcrm.auth.models import User

        lena = db.session.get(User, walk_server.lena_id)
        assert can_see_contact(lena, walk_server.rosa_id)  # on her list now

    # Nobody on file by that name: added as a new person at the door.
    tab.goto(f"{walk_server.url}/turf/packets/{walk_server.packet_id}")
    tab.evaluate("() => window.FieldApp.settled.then(() => true)")
    door = _door(tab, 3)
    door.locator("details.add-person summary").tap()
    door.get_by_label("First name").fill("Nina")
    door.get_by_label("Last name").fill("Nueva")
    door.get_by_role("button", name="Add", exact=True).tap()
    door.get_by_text("Added Nina Nueva").wait_for()
    [nina] = _eventually(lambda: _rows(walk_server, Contact, last_name="Nueva"), tab)
    assert nina.household_key == "3 OAK ST|27215"
    assert tab.locator(".door-matches").filter(has_text="Nina").count() == 0


def _eventually(read, tab, seconds: float = 10):
    """What `read()` returns once it is not empty (the phone sends in the background)."""
    for _ in range(int(seconds * 5)):
        found = read()
        if found:
            return found
        tab.wait_for_timeout(200)
    return read()
