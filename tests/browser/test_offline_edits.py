"""Two phones editing the same person: the field app's quick edit is saved on the phone
first, and the server keeps, per field, the later edit. Phone A edits without signal,
phone B edits the same field later with signal; when A's signal returns, B's value stays,
A is told which field kept which value, the audit log has A's lost value, and the field
only A edited is applied."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.contacts.models import Contact
from tests.browser.offline_tools import (
    go_offline,
    go_online,
    lists_on_phone,
    open_tab,
    rows_of,
    sign_in_as,
    wait_waiting,
)

pytestmark = [pytest.mark.browser, pytest.mark.both_databases]


def _page_on_phone(tab, path: str) -> None:
    tab.wait_for_function(
        """(path) => caches.open("fieldcrm-pages").then((c) => c.keys())
            .then((keys) => keys.some((k) => new URL(k.url).pathname === path))""",
        arg=path,
        timeout=30_000,
    )


def _quick_edit(tab, **values) -> None:
    box = tab.locator("#quick-edit")
    box.locator("summary").tap()
    for label, value in values.items():
        box.get_by_label(label.replace("_", " ").capitalize()).fill(value)
    box.get_by_role("button", name="Save changes").tap()


def test_two_phones_edit_one_person__later_edit_kept_and_the_other_phone_told(
    phone, second_phone, field_server
):
    server = field_server
    [friend] = rows_of(server, Contact, voter_id="O0-1")
    path = f"/contacts/{friend.id}"

    # Phone A (Lena, the leader): her lists on the phone, then no signal.
    a = open_tab(phone)
    sign_in_as(a, server, server.emails["leader"])
    a.goto(f"{server.url}/field")
    lists_on_phone(a, server)
    _page_on_phone(a, path)
    go_offline(phone)
    a.goto(server.url + path)  # from the phone
    _quick_edit(a, notes="A: call after six", preferred_languages="es")
    a.locator(".quick-edit-said", has_text="Saved on this phone").wait_for()
    wait_waiting(a, "1 ")
    a.goto(f"{server.url}/field")  # what waits, named
    waiting = a.locator("#waiting-to-send li.field-item")
    waiting.filter(has_text="Contact edit · Pat O1 · Notes, Preferred languages").wait_for()
    a.goto(server.url + path)  # the person's page again: the edit shown, waiting
    a.locator(".quick-edit-said", has_text="waiting to send").wait_for()
    assert a.locator("#quick-edit").get_by_label("Notes").input_value() == "A: call after six"
    assert rows_of(server, Contact, id=friend.id)[0].notes is None

    # Phone B (Ana, the organizer), with signal, a little later: the same field.
    b = open_tab(second_phone)
    sign_in_as(b, server, server.emails["organizer"])
    b.goto(server.url + path)
    b.wait_for_function("() => window.FieldApp && !document.getElementById('quick-edit').hidden")
    _quick_edit(b, notes="B: prefers texts")
    b.locator("p.notes", has_text="B: prefers texts").wait_for()  # sent, and the page fresh
    assert rows_of(server, Contact, id=friend.id)[0].notes == "B: prefers texts"

    # A's signal returns: her queue is sent; B's later notes stay, her languages apply.
    go_online(phone)
    a.evaluate("window.dispatchEvent(new Event('online'))")
    wait_waiting(a, "Nothing waiting to send")
    a.locator(".quick-edit-said").wait_for(state="hidden")  # no longer waiting
    told = a.locator("#field-status .field-not-applied")
    told.wait_for()
    assert "Changes not applied (Pat O1)" in told.inner_text()
    assert "Notes stays “B: prefers texts”" in told.inner_text()
    [fresh] = rows_of(server, Contact, id=friend.id)
    assert (fresh.notes, fresh.preferred_languages) == ("B: prefers texts", "es")
    with server.app.app_context():
        from fieldcrm.extensions import db

        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_id == friend.id, AuditEvent.action.like("contact.field%"))
            .order_by(AuditEvent.id)
        ).all()
        trail = [(e.action, e.details["field"], e.actor_id) for e in events]
        lost = [e.details for e in events if e.action == "contact.field_edit_kept_newer"]
    assert trail == [
        ("contact.field_edit", "notes", server.ana_id),
        ("contact.field_edit", "preferred_languages", server.lena_id),
        ("contact.field_edit_kept_newer", "notes", server.lena_id),
    ]
    assert lost[0]["offline_value"] == "A: call after six"
    assert lost[0]["server_value"] == "B: prefers texts"
    # Told once is enough: OK takes the notice away.
    told.get_by_role("button", name="OK").tap()
    a.wait_for_function("() => !document.querySelector('#field-status .field-not-applied')")
