"""What people see: a contact's history shows the time an attempt happened in program time
(4:51 PM Eastern), not in UTC (9:51 PM), on a phone and on a desktop."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from fieldcrm import programtime
from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations import services as conversation_services
from fieldcrm.extensions import db
from fieldcrm.turf import services as turf_services

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def attempt(live_server):
    """A door attempt on a new East contact, yesterday at 4:51 PM program time."""
    app = live_server.app
    with app.test_request_context():
        conversation_services.ensure_default_choices()
        contact = Contact(
            source="test",
            voter_id="PT1",
            first_name="Hazel",
            last_name="Clock",
            display_name="Hazel Clock",
            precinct_code="E1",
            res_line1="7 CEDAR ST",
            res_zip5="27215",
            household_key="7 CEDAR ST|27215",
        )
        db.session.add(contact)
        db.session.flush()
        turf_services.assign_contacts_to_turfs()
        organizer = db.session.scalar(
            db.select(User).where(User.email == live_server.emails["organizer"])
        )
        instant = programtime.day_time(programtime.today() - timedelta(days=1), time(16, 51))
        conversation_services.log_conversation(
            organizer,
            contact,
            conversation_services.ConversationInput(
                channel="door", result_code="not_home", occurred_at=instant
            ),
        )
        db.session.commit()
        return {"contact_id": contact.id, "utc_clock": f"{instant.hour - 12}:51"}


def test_contact_history_shows_program_local_time(page, live_server, sign_in, attempt):
    sign_in(page, live_server.emails["organizer"])
    page.goto(f"{live_server.url}/contacts/{attempt['contact_id']}")
    shown = page.locator(".timeline time").first.inner_text().replace("\u202f", " ")
    assert "4:51 PM" in shown
    body = page.locator("main").inner_text()
    assert attempt["utc_clock"] not in body
