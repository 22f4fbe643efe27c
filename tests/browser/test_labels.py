"""What a Spanish-speaking organizer sees on a phone: the program's lists, ladder stages and
roles in Spanish, no stored codes, and phones written as people write them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.auth import services as auth_services
from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderStage
from fieldcrm.ladder.services import ensure_default_ladder
from tests.browser.conftest import PASSWORD, PHONE

pytestmark = pytest.mark.browser

EMAIL = "lucia@example.test"


@pytest.fixture(scope="module")
def spanish(live_server):
    """Lucía, an organizer of East whose app is in Spanish, and a contact with a phone."""
    with live_server.app.app_context():
        ensure_default_choices()
        ensure_default_ladder()
        organizer = db.session.scalar(
            sa.select(User).where(User.email == live_server.emails["organizer"])
        )
        auth_services.create_user(
            None,
            auth_services.UserInput(
                email=EMAIL,
                name="Lucía",
                role="organizer",
                password=PASSWORD,
                locale="es",
                turf_ids=tuple(t.id for t in organizer.turfs),
            ),
        )
        contact = db.session.scalar(
            sa.select(Contact).where(Contact.first_name == "Rosa", Contact.last_name == "Alvarez")
        )
        contact.ladder_stage_id = db.session.scalar(
            sa.select(LadderStage.id).where(LadderStage.position == 1)
        )
        db.session.commit()
        return contact.id


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def test_spanish_organizer_sees_spanish_lists_and_phone_numbers(
    phone, live_server, sign_in, spanish
):
    sign_in(phone, EMAIL)
    phone.goto(f"{live_server.url}/contacts/{spanish}/log")
    phone.locator("#attempts > summary").tap()
    phone.get_by_role("button", name="No está en casa").tap()
    phone.wait_for_url(f"**/contacts/{spanish}")
    page = phone.locator("main").inner_text()
    history = phone.locator(".timeline").inner_text()
    assert "No está en casa" in history
    assert "not_home" not in history
    assert "Simpatizante" in page  # the ladder stage
    assert "(336) 555-0111" in page
    assert "+13365550111" not in page
    assert "Organizador de campo" in phone.locator("footer").inner_text()
