"""The field app without signal, on a phone in headless Chromium: the packet opens from the
phone, results, a new person, a one-on-one and a follow-up outcome are queued and, once the
signal is back, every record is on the server exactly once with its author and time; an
expired session asks to sign in and then sends; a packet taken back shows in "could not
send".

Offline is `context.set_offline(True)` plus aborting the service worker's own requests:
Chromium's emulated offline does not reach a service worker's fetches (Playwright issue
#2311), so the worker is cut off with a route as well.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest

from fieldcrm.auth.models import User, new_session_token
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.door.models import WalkPacket
from fieldcrm.extensions import db
from fieldcrm.fieldapp.models import SyncedItem
from tests.browser.conftest import PASSWORD
from tests.browser.offline_tools import (
    door_row,
    go_offline,
    go_online,
    leader_on_phone,
    lists_on_phone,
    open_tab,
    rows_of,
    sign_in_as,
    tap_then_new_page,
    wait_waiting,
)

pytestmark = [pytest.mark.browser, pytest.mark.both_databases]
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")


def _waiting(tab) -> str:
    return tab.locator("#field-status .field-waiting").inner_text()


def test_a_shift_without_signal_is_sent_once_when_the_signal_returns(phone, field_server):
    server = field_server
    tab, errors = leader_on_phone(phone, server)
    started = datetime.now(UTC)

    go_offline(phone)
    tab.goto(f"{server.url}/turf/packets/{server.packet_id}")  # from the phone
    tab.locator("#field-status .field-offline").wait_for()  # filled in once the page runs
    assert "No signal" in tab.locator("#field-status").inner_text()
    doors = tab.locator("li.door")
    assert doors.count() == 27
    # Results at 20 doors: the first person at each, "Not home".
    for n in range(20):
        door_row(doors, n).locator("form[data-attempt]").first.get_by_role(
            "button", name="Not home"
        ).tap()
        tab.wait_for_function(
            "(n) => document.querySelectorAll('li.door.queued').length >= n", arg=n + 1
        )
    assert _waiting(tab) == "20 waiting to send"
    # Reloaded from the phone, the list still shows each result, waiting to send.
    first = doors.nth(0).locator("input[name=contact_id]").first.get_attribute("value")
    tab.reload()
    wait_waiting(tab, "20 ")
    assert tab.locator(f"[data-latest-for='{first}']").inner_text() == (
        "Not home · waiting to send"
    )
    assert "20 of 27 doors attempted" in tab.locator("#packet-progress").inner_text()
    # Someone new at the 21st door.
    door = door_row(doors, 20)
    door.locator("details.add-person summary", has_text="Add someone at this door").click()
    door.get_by_label("First name").fill("Rosa")
    door.get_by_label("Last name").fill("Nueva")
    door.get_by_label("Phone").fill("336-555-0177")
    door.get_by_role("button", name="Add").tap()
    wait_waiting(tab, "21 ")

    # A one-on-one with a commitment, from the form kept on the phone.
    friend = rows_of(server, Contact, voter_id="O0-2")[0]
    tab.goto(f"{server.url}/contacts/{friend.id}/log")
    form = tab.locator("form.conversation-form")
    form.locator("label.chip", has_text="One-on-one").tap()
    form.locator("label.chip", has_text="1 Strong yes").tap()
    form.locator("details.more-fields > summary").tap()
    form.get_by_label("Their story").fill("Two jobs, rent up again.")
    form.locator("#commitments-0-kind").select_option(label="Host a house meeting")
    form.locator("#commitments-0-due_date").fill("2030-03-14")
    form.get_by_role("button", name="Save conversation").tap()
    tab.wait_for_url(re.compile(r".*#queued$"))
    assert "Saved on this phone" in tab.locator("#field-status").inner_text()

    # The follow-up she owns: kept.
    tab.goto(f"{server.url}/commitments/")
    row = tab.locator(".followup-row", has_text="Pat O1")
    tap_then_new_page(tab, row.get_by_role("button", name="Kept"))
    tab.wait_for_url(re.compile(r".*/commitments/#queued$"))
    tab.wait_for_selector(".followup-row.queued")

    # Close the page, open the app again (still no signal): nothing is lost.
    tab.close()
    tab = open_tab(phone)
    tab.goto(f"{server.url}/field")
    wait_waiting(tab, "23 ")
    assert _waiting(tab) == "23 waiting to send"
    assert tab.locator("#waiting-to-send li").count() == 23
    offline_until = datetime.now(UTC)
    assert rows_of(server, Conversation) == []

    go_online(phone)
    tab.reload()
    wait_waiting(tab, "Nothing waiting to send")
    assert "last sent" in tab.locator("#field-status").inner_text()
    tab.reload()  # a second send finds nothing to send (and doubles nothing)

    lena = server.lena_id
    attempts = rows_of(server, Conversation, user_id=lena, result_code="not_home")
    assert len(attempts) == 20
    assert len({a.contact_id for a in attempts}) == 20
    assert all(a.packet_id == server.packet_id for a in attempts)
    assert all(started <= a.occurred_at <= offline_until for a in attempts)
    [talk] = rows_of(server, Conversation, user_id=lena, channel="one_on_one")
    assert (talk.contact_id, talk.support_level) == (friend.id, 1)
    assert started <= talk.occurred_at <= offline_until
    [made] = rows_of(server, Commitment, conversation_id=talk.id)
    assert (made.kind, made.owner_id, made.created_by_id) == ("house_meeting", lena, lena)
    [kept] = rows_of(server, Commitment, id=server.follow_up_id)
    assert kept.status == "kept"
    [rosa] = rows_of(server, Contact, last_name="Nueva")
    assert rosa.owner_id == lena
    assert len(rows_of(server, SyncedItem, user_id=lena)) == 23
    assert errors == []


def test_expired_session_asks_to_sign_in_then_sends(phone, field_server):
    server = field_server
    tab = open_tab(phone)
    sign_in_as(tab, server, server.emails["leader"])
    tab.goto(f"{server.url}/field")
    lists_on_phone(tab, server)
    go_offline(phone)
    tab.goto(f"{server.url}/turf/packets/{server.packet_id}")
    door_row(tab.locator("li.door"), 0).get_by_role("button", name="Refused").first.tap()
    door_row(tab.locator("li.door"), 1).get_by_role("button", name="Not home").first.tap()
    wait_waiting(tab, "2 ")
    with server.app.app_context():  # meanwhile her session ends (signed out elsewhere)
        user = db.session.get(User, server.lena_id)
        user.session_token = new_session_token()
        db.session.commit()
    go_online(phone)
    tab.evaluate("window.dispatchEvent(new Event('online'))")
    link = tab.get_by_role("link", name="Sign in to send 2 waiting")
    link.wait_for()
    assert rows_of(server, Conversation) == []
    link.tap()
    tab.get_by_label("Email").fill(server.emails["leader"])
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    wait_waiting(tab, "Nothing waiting to send")
    sent = rows_of(server, Conversation, user_id=server.lena_id)
    assert sorted(c.result_code for c in sent) == ["not_home", "refused"]


def test_packet_taken_back_shows_in_could_not_send(phone, field_server):
    server = field_server
    tab = open_tab(phone)
    sign_in_as(tab, server, server.emails["leader"])
    tab.goto(f"{server.url}/field")
    lists_on_phone(tab, server)
    tab.goto(f"{server.url}/turf/packets/{server.spare_id}")
    go_offline(phone)
    tab.reload()
    door_row(tab.locator("li.door"), 0).get_by_role("button", name="Not home").first.tap()
    tab.wait_for_selector("li.door.queued")
    with server.app.app_context():  # the organizer takes the packet back meanwhile
        db.session.get(WalkPacket, server.spare_id).assigned_user_id = None
        db.session.commit()
    go_online(phone)
    tab.goto(f"{server.url}/field")
    bad = tab.locator("#could-not-send")
    bad.wait_for()
    assert "This packet is no longer assigned to you." in bad.inner_text()
    assert "1 could not be sent" in tab.locator("#field-status").inner_text()
    item = bad.locator("li.field-item")
    assert item.get_by_role("button", name="Try again").is_visible()
    assert item.get_by_role("button", name="Copy").is_visible()
    # Trying again is refused again (never dropped); discarding is the person's choice.
    item.get_by_role("button", name="Try again").tap()
    bad.locator("li.field-item").wait_for()
    tab.on("dialog", lambda dialog: dialog.accept())
    bad.locator("li.field-item").get_by_role("button", name="Discard").tap()
    tab.wait_for_function("() => document.getElementById('could-not-send').hidden")
    assert rows_of(server, Conversation) == []


def test_talked_without_signal_opens_the_form_kept_on_the_phone(phone, field_server):
    server = field_server
    tab = open_tab(phone)
    sign_in_as(tab, server, server.emails["leader"])
    tab.goto(f"{server.url}/field")
    lists_on_phone(tab, server)
    go_offline(phone)
    tab.goto(f"{server.url}/turf/packets/{server.packet_id}")
    door = door_row(tab.locator("li.door"), 2)
    person = door.locator("input[name=contact_id]").first.get_attribute("value")
    door.get_by_role("link", name="Talked").tap()
    # The link carries where to come back to; the copy on the phone is found all the same.
    tab.wait_for_url(re.compile(rf".*/contacts/{person}/log\?next=.*"))
    form = tab.locator("form.conversation-form")
    form.locator("label.chip", has_text="2 Lean yes").tap()
    form.get_by_role("button", name="Save conversation").tap()
    tab.wait_for_url(re.compile(rf".*/turf/packets/{server.packet_id}#queued$"))
    latest = tab.locator(f"[data-latest-for='{person}']")
    latest.filter(has_text="Talked · waiting to send").wait_for()
    go_online(phone)
    tab.evaluate("window.dispatchEvent(new Event('online'))")
    wait_waiting(tab, "Nothing waiting to send")
    [talk] = rows_of(server, Conversation, contact_id=int(person))
    assert (talk.is_conversation, talk.support_level, talk.user_id) == (True, 2, server.lena_id)
