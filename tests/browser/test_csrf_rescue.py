"""A form served from another origin cannot use the expired-form rescue (headless Chromium).

The attack: a page on another origin auto-posts a phone number to a contact of the
signed-in victim. It must get a plain refusal, never a "Submit again" form re-armed with a
fresh token. The genuine case (this session's own form, expired) still keeps what was typed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.extensions import db
from tests.browser.conftest import DESKTOP
from tests.fixtures.security import expired_csrf_token

pytestmark = pytest.mark.browser

ATTACK_PAGE = """<!doctype html>
<html><body>
<form id="f" method="post" action="{action}">
  <input name="phone" value="{phone}"><input name="kind" value="cell">
</form>
<script>document.getElementById("f").submit();</script>
</body></html>"""


def _contact_id(app, first_name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Contact.id).where(Contact.first_name == first_name))


def _phones(app, contact_id: int) -> list[str]:
    with app.app_context():
        stmt = sa.select(ContactPhone.raw).where(ContactPhone.contact_id == contact_id)
        return db.session.scalars(stmt).all()


@pytest.fixture
def attacker_site() -> Iterator:
    """Serves one page on another loopback port (another origin, same site)."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(path: str, html: str) -> str:
        pages[path] = html
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield publish
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_forged_cross_origin_post__plain_refusal_nothing_rearmed(
    tab, live_server, sign_in, attacker_site
):
    app = live_server.app
    contact_id = _contact_id(app, "Rosa")
    phone = "+1 336 555 0666"
    action = f"{live_server.url}/contacts/{contact_id}/phones"
    sign_in(tab, live_server.emails["organizer"])
    tab.goto(attacker_site("/win-a-prize", ATTACK_PAGE.format(action=action, phone=phone)))
    tab.wait_for_url(action)
    heading = tab.get_by_role("heading", level=1).inner_text()
    assert heading == "Form not accepted"
    assert tab.get_by_role("button", name="Submit again").count() == 0
    assert phone not in tab.content()
    assert tab.locator('input[name="phone"]').count() == 0
    assert phone not in _phones(app, contact_id)
    # The victim is still signed in: the refusal did not break their session.
    tab.goto(f"{live_server.url}/contacts/{contact_id}")
    assert tab.get_by_role("heading", level=1).inner_text() == "Rosa Alvarez"


def test_own_expired_form__rescued_and_saved(tab, live_server, sign_in):
    app = live_server.app
    contact_id = _contact_id(app, "Marcus")
    phone = "+1 336 555 0777"
    sign_in(tab, live_server.emails["organizer"])
    tab.goto(f"{live_server.url}/contacts/{contact_id}")
    (cookie,) = [c for c in tab.context.cookies() if c["name"] == app.config["SESSION_COOKIE_NAME"]]
    with app.test_request_context():
        session = app.session_interface.get_signing_serializer(app).loads(cookie["value"])
    expired = expired_csrf_token(app, session["csrf_token"])
    form = tab.locator(f'form[action="/contacts/{contact_id}/phones"]')
    form.locator('input[name="csrf_token"]').evaluate("(el, v) => { el.value = v; }", expired)
    tab.get_by_label("Add a phone").fill(phone)
    form.get_by_role("button").click()
    assert tab.get_by_role("heading", level=1).inner_text() == "The form expired"
    assert phone not in _phones(app, contact_id)
    tab.get_by_role("button", name="Submit again").click()
    tab.wait_for_url(f"**/contacts/{contact_id}")
    assert phone in _phones(app, contact_id)
