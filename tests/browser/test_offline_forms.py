"""The one-on-one form and the follow-ups' outcome forms save to the phone first, on a
phone in headless Chromium: without signal they say so plainly and are sent once the
signal is back, each stored exactly once; with signal the confirmation still names what
was created; without JavaScript the same forms post as plain forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.fieldapp.models import SyncedItem
from tests.browser.conftest import FIELD_PHONE
from tests.browser.offline_tools import (
    go_offline,
    go_online,
    leader_on_phone,
    open_tab,
    rows_of,
    sign_in_as,
    tap_then_new_page,
    wait_waiting,
)

pytestmark = [pytest.mark.browser, pytest.mark.both_databases]
QUEUED = "Saved on this phone. It will be sent when there is signal."


def _one_on_one(tab, server, contact_id: int, due: str, owner: str | None = None) -> None:
    tab.goto(f"{server.url}/contacts/{contact_id}/log")
    form = tab.locator("form.conversation-form")
    form.locator("label.chip", has_text="One-on-one").tap()
    form.locator("label.chip", has_text="1 Strong yes").tap()
    form.locator("#commitments-0-kind").select_option(label="Host a house meeting")
    form.locator("#commitments-0-due_date").fill(due)
    if owner:
        form.locator("#commitments-0-owner_id").select_option(label=owner)
    form.get_by_role("button", name="Save conversation").tap()


def _due(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_one_on_one_and_outcomes_without_signal__each_stored_once(phone, field_server):
    server = field_server
    tab, errors = leader_on_phone(phone, server)
    [friend] = rows_of(server, Contact, voter_id="O0-2")
    go_offline(phone)

    due = _due(20)
    _one_on_one(tab, server, friend.id, due)
    tab.wait_for_url(re.compile(rf".*/contacts/{friend.id}#queued$"))
    assert QUEUED in tab.locator("#field-status").inner_text()

    tab.goto(f"{server.url}/commitments/")
    kept = tab.locator(".followup-row", has_text="Pat O1").get_by_role("button", name="Kept")
    tap_then_new_page(tab, kept)
    tab.wait_for_url(re.compile(r".*/commitments/#queued$"))
    tab.wait_for_selector(".followup-row.queued")
    later = tab.locator(".followup-row", has_text="Pat O3")
    later.locator("details.more > summary").first.tap()
    new_date = _due(30)
    later.get_by_label("New date").fill(new_date)
    tap_then_new_page(tab, later.get_by_role("button", name="Reschedule"))
    wait_waiting(tab, "3 ")
    assert QUEUED in tab.locator("#field-status").inner_text()
    assert rows_of(server, Conversation) == []

    go_online(phone)
    tab.goto(f"{server.url}/field")
    wait_waiting(tab, "Nothing waiting to send")
    # Once the server has answered, the phone says what was created.
    flashes = tab.locator(".flashes")
    flashes.filter(has_text="you follow up").wait_for()
    assert "Conversation saved · commitment “Host a house meeting” due" in flashes.inner_text()
    assert "Pat O1: marked kept." in flashes.inner_text()
    tab.reload()  # a second send finds nothing (and doubles nothing)
    wait_waiting(tab, "Nothing waiting to send")

    lena = server.lena_id
    [talk] = rows_of(server, Conversation, user_id=lena)
    assert (talk.contact_id, talk.channel, talk.support_level) == (friend.id, "one_on_one", 1)
    [made] = rows_of(server, Commitment, conversation_id=talk.id)
    assert (made.kind, made.owner_id, made.due_date.isoformat()) == ("house_meeting", lena, due)
    [kept] = rows_of(server, Commitment, id=server.follow_up_id)
    assert kept.status == "kept"
    [moved] = rows_of(server, Commitment, id=server.later_follow_up_id)
    assert (moved.status, moved.due_date.isoformat()) == ("rescheduled", new_date)
    kinds = sorted(s.kind for s in rows_of(server, SyncedItem, user_id=lena))
    assert kinds == ["commitment_outcome", "commitment_outcome", "conversation"]
    assert errors == []


def test_one_on_one_with_signal__queued_first_then_confirmed(phone, field_server):
    """Ana, the organizer, hands the commitment to Lena, with signal."""
    server = field_server
    tab = open_tab(phone)
    sign_in_as(tab, server, server.emails["organizer"])
    [friend] = rows_of(server, Contact, voter_id="O0-4")
    _one_on_one(tab, server, friend.id, _due(12), owner="Lena (Volunteer leader)")
    tab.wait_for_url(f"**/contacts/{friend.id}")
    flash = tab.locator(".flashes")
    flash.filter(has_text="Conversation saved").wait_for()
    assert "commitment “Host a house meeting” due" in flash.inner_text()
    assert flash.inner_text().endswith("handed to Lena")
    [talk] = rows_of(server, Conversation, user_id=server.ana_id)
    [synced] = rows_of(server, SyncedItem, user_id=server.ana_id)
    assert (synced.kind, synced.record_id) == ("conversation", talk.id)


def test_without_javascript__the_forms_post_as_plain_forms(browser, field_server):
    server = field_server
    context = browser.new_context(
        viewport=FIELD_PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    try:
        tab = open_tab(context)
        sign_in_as(tab, server, server.emails["leader"])
        [friend] = rows_of(server, Contact, voter_id="O0-5")
        _one_on_one(tab, server, friend.id, _due(12))
        tab.wait_for_url(f"**/contacts/{friend.id}")
        assert "you follow up" in tab.locator(".flashes").inner_text()
        tab.goto(f"{server.url}/commitments/")
        tab.locator(".followup-row", has_text="Pat O1").get_by_role("button", name="Kept").tap()
        assert "Pat O1: marked kept." in tab.locator(".flashes").inner_text()
    finally:
        context.close()
    assert len(rows_of(server, Conversation, user_id=server.lena_id)) == 1
    assert rows_of(server, Commitment, id=server.follow_up_id)[0].status == "kept"
    assert rows_of(server, SyncedItem) == []
