"""Field work on a phone, in headless Chromium: a one-tap door attempt; a one-on-one whose
commitment a volunteer leader owns; the leader signs in and marks it kept."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from tests.browser import fieldwork_world
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        ids = fieldwork_world.build()
        db.session.commit()
    return ids


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def _rows(live_server, model, **where):
    with live_server.app.app_context():
        stmt = sa.select(model).filter_by(**where)
        rows = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return rows


def test_log_door_attempt_in_one_tap(phone, live_server, sign_in, people):
    contact_id = people["door"]
    sign_in(phone, live_server.emails["organizer"])
    phone.goto(f"{live_server.url}/contacts/{contact_id}")
    phone.get_by_role("link", name="Log a conversation").click()
    phone.locator("#attempts > summary").tap()  # no conversation: the result in one tap
    phone.get_by_role("button", name="Not home").tap()
    phone.wait_for_url(f"**/contacts/{contact_id}")
    assert "Logged: Not home." in phone.locator(".flashes").inner_text()
    [attempt] = _rows(live_server, Conversation, contact_id=contact_id)
    assert (attempt.result_code, attempt.channel, attempt.is_conversation) == (
        "not_home",
        "door",
        False,
    )
    history = phone.locator(".timeline").inner_text()
    assert "Door · Not home" in history  # words, not the stored codes
    assert "not_home" not in history
    overflow = phone.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert overflow is False


def test_one_on_one_with_leader_commitment_then_leader_marks_it_kept(
    phone, browser, live_server, sign_in, people
):
    contact_id = people["one_on_one"]
    sign_in(phone, live_server.emails["organizer"])
    phone.goto(f"{live_server.url}/contacts/{contact_id}/log")
    form = phone.locator("form.conversation-form")
    form.locator("label.chip", has_text="One-on-one").tap()
    form.locator("label.chip", has_text="1 Strong yes").tap()
    form.locator("details.more-fields > summary").tap()  # the rest, one tap away
    form.locator("label.chip", has_text="Rent and housing").tap()
    form.get_by_label("Their story").fill("Rent went up twice this year; two kids.")
    form.get_by_label("The ask", exact=True).select_option(label="Host a house meeting")
    form.locator("label.chip", has_text=re.compile(r"^Yes$")).tap()
    form.locator("#commitments-0-kind").select_option(label="Host a house meeting")
    form.locator("#commitments-0-due_date").fill("2030-03-14")
    form.locator("#commitments-0-owner_id").select_option(label="Lena (Volunteer leader)")
    form.get_by_role("button", name="Save conversation").tap()
    phone.wait_for_url(f"**/contacts/{contact_id}")
    [conversation] = _rows(live_server, Conversation, contact_id=contact_id)
    assert conversation.channel == "one_on_one"
    assert conversation.support_level == 1
    assert conversation.issues == ["rent"]
    assert conversation.response == "yes"
    [commitment] = _rows(live_server, Commitment, contact_id=contact_id)
    [lena] = _rows(live_server, User, email=live_server.emails["leader"])
    assert commitment.owner_id == lena.id
    assert commitment.kind == "house_meeting"
    assert commitment.due_date.isoformat() == "2030-03-14"

    # The leader signs in on her own phone and marks it kept from her follow-ups.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    leader = context.new_page()
    leader.set_default_timeout(10_000)
    try:
        sign_in(leader, live_server.emails["leader"])
        leader.get_by_role("button", name="Menu").tap()
        leader.get_by_role("navigation").get_by_role("link", name="Follow-ups").tap()
        row = leader.locator(".followup-row", has_text="Nia Brooks")
        assert "Host a house meeting" in row.inner_text()
        row.get_by_role("button", name="Kept").tap()
        leader.wait_for_url("**/commitments/")
        assert "marked kept" in leader.locator(".flashes").inner_text()
        assert leader.locator(".followup-row", has_text="Nia Brooks").count() == 0
    finally:
        context.close()
    [kept] = _rows(live_server, Commitment, contact_id=contact_id)
    assert kept.status == "kept"
