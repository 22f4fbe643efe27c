"""What the demo looks like in a real browser, as each role, on a laptop and on a phone:
tables fit the screen, every tap target is finger-sized, maps outline and name the turfs,
a turf can be drawn with a finger, and an admin's tile server shows under the turfs."""

from __future__ import annotations

import base64
import json
import re

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact, Organization
from fieldcrm.door.models import WalkPacket
from fieldcrm.extensions import db
from fieldcrm.settings import services as settings_services
from fieldcrm.settings.models import AppSetting
from fieldcrm.turf.models import Turf
from tests.browser.server import serve_world

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ROLES = ("admin", "director", "organizer", "leader")
# a 1x1 PNG, served for every tile of the fake tile server
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, live_server):
    """The demo program on its own server (live_server only checks for Chromium)."""
    from tests.browser import demo_world

    work = tmp_path_factory.mktemp("demo-live")
    with serve_world(work / "live.sqlite", lambda: demo_world.build(work)) as server:
        with server.app.app_context():
            east = db.session.scalar(sa.select(Turf).where(Turf.name == "Burlington East"))
            server.ids = {
                "east": east.id,
                "org": db.session.scalar(sa.select(sa.func.min(Organization.id))),
                "contact": db.session.scalar(
                    sa.select(sa.func.min(Contact.id)).where(Contact.turf_id == east.id)
                ),
                "packet": db.session.scalar(
                    sa.select(WalkPacket.id).where(WalkPacket.assigned_user_id.is_not(None))
                ),
                "rejects": server.rejects_batch,
            }
        yield server


@pytest.fixture
def open_as(browser, demo):
    """`open_as(role, viewport)`: a signed-in tab (a phone viewport is a touch phone)."""
    contexts = []

    def _open(role: str, viewport: dict):
        phone = viewport["width"] < 760
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        tab.goto(demo.url + "/auth/login")
        tab.get_by_label("Email").fill(demo.emails[role])
        tab.get_by_label("Password").fill(demo.password)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url("**/home")
        return tab

    yield _open
    for context in contexts:
        context.close()


def _visit(tab, url: str) -> None:
    response = tab.goto(url)
    assert response is not None
    assert response.status == 200, url
    # The page and what it loads, not the network gone quiet: a leader's pages start the
    # service worker copying their list for offline use, a hundred pages and more, which
    # on a slow machine outlasts any timeout and changes nothing on screen.
    tab.wait_for_load_state("load")
    for element in tab.locator(".map").all():  # maps draw after their data arrives
        if element.get_attribute("data-outlines-url") or element.get_attribute("data-url"):
            tab.wait_for_selector(f"#{element.get_attribute('id')}[data-loaded=true]")


# ---------------------------------------------------------------------------------------------
# 14.13: every table fits its screen; long lists paginate

TABLE_PAGES = {
    "admin": [
        "/coverage", "/coverage?turf={east}", "/turf/", "/team", "/ladder/", "/commitments/team",
        "/admin/users", "/admin/audit", "/imports/", "/imports/{rejects}", "/organizations/{org}",
        "/contacts/{contact}", "/turf/packets/{packet}/sheet",
    ],
    "director": [
        "/coverage", "/coverage?turf={east}", "/turf/", "/team", "/ladder/", "/commitments/team",
        "/imports/", "/organizations/{org}",
    ],
    "organizer": [
        "/home", "/team", "/ladder/", "/commitments/", "/commitments/team", "/organizations/{org}",
        "/contacts/{contact}",
    ],
    "leader": ["/home", "/commitments/", "/contacts/", "/turf/packets"],
}  # fmt: skip

MEASURE_TABLES = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  // the walk sheet is a paper form: on a screen it scrolls inside its own frame
  tables: [...document.querySelectorAll("table")]
    .filter(t => t.getClientRects().length && !t.closest(".sheet-frame"))
    .map(t => ({
      name: t.id || t.className || "table",
      width: Math.round(t.getBoundingClientRect().width),
      room: t.parentElement.clientWidth,
    })),
})"""


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "phone"])
@pytest.mark.parametrize("role", ROLES)
def test_tables__fit_the_screen(open_as, demo, role, viewport):
    tab = open_as(role, viewport)
    problems = []
    for path in TABLE_PAGES[role]:
        _visit(tab, demo.url + path.format(**demo.ids))
        m = tab.evaluate(MEASURE_TABLES)
        if m["scrollWidth"] > m["viewport"]:
            problems.append(f"{path}: page {m['scrollWidth']} px wide in {m['viewport']} px")
        problems += [
            f"{path}: {t['name']} {t['width']} px wide in {t['room']} px"
            for t in m["tables"]
            if t["width"] > t["room"] + 1
        ]
    assert problems == []


def test_tables__gap_column_in_view_and_the_rest_on_demand(open_as, demo):
    tab = open_as("director", LAPTOP)
    _visit(tab, demo.url + "/coverage")
    table = tab.locator("#coverage-table")
    gap = table.get_by_role("columnheader", name="Gap")
    assert gap.bounding_box()["x"] + gap.bounding_box()["width"] <= LAPTOP["width"]
    assert not table.get_by_role("columnheader", name="IDs 1/2/3/4/5").is_visible()
    tab.locator("label[for=coverage-columns]").click()
    assert table.get_by_role("columnheader", name="IDs 1/2/3/4/5").is_visible()
    assert tab.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def test_tables__import_rejects_paginate_and_stay_short_on_a_phone(open_as, demo):
    tab = open_as("admin", PHONE)
    _visit(tab, demo.url + f"/imports/{demo.ids['rejects']}")
    rows = tab.locator("table.rejects tbody tr")
    assert rows.count() == 20
    assert "Page 1 of 3" in tab.locator(".pagination").inner_text()
    assert not tab.get_by_text("NOTES FROM THE COUNTY OFFICE").first.is_visible()
    assert tab.evaluate("document.documentElement.scrollHeight") < 6000
    rows.first.get_by_text("Raw line").click()  # the raw line, on demand
    assert tab.get_by_text("NOTES FROM THE COUNTY OFFICE").first.is_visible()
    tab.get_by_role("link", name="Next").click()
    assert "Page 2 of 3" in tab.locator(".pagination").inner_text()


# ---------------------------------------------------------------------------------------------
# 14.14: every tap target is at least 44 px tall on a phone

TAP_PAGES = {
    "admin": [
        "/turf/{east}", "/turf/new", "/contacts/{contact}", "/contacts/{contact}/log",
        "/imports/{rejects}", "/organizations/{org}", "/turf/packets/{packet}", "/settings/",
    ],
    "director": ["/turf/{east}", "/contacts/{contact}", "/organizations/{org}"],
    "organizer": [
        "/turf/{east}", "/contacts/{contact}", "/contacts/{contact}/log", "/organizations/{org}",
        "/turf/packets/{packet}", "/turf/packets/{packet}/phone",
    ],
    "leader": ["/turf/packets/{packet}"],
}  # fmt: skip

# Every visible link, button, submit and select, with its height, except:
# * elements parked off-screen until focused (the skip link sits at left: -999px; focused,
#   it is 44 px tall);
# * links inside a paragraph of text ("… Set up a tile server" in a hint): WCAG 2.5.5 and
#   2.5.8 exempt inline links in a sentence, and making them 44 px boxes would break the
#   text's lines. A paragraph counts as text when it has words besides the link.
SMALL_TARGETS = """() => {
  const inSentence = (el) => {
    const p = el.tagName === "A" ? el.closest("p") : null;
    if (!p || p.classList.contains("link-row")) return false;
    const words = (s) => s.replace(/\\s+/g, " ").trim().length;
    return words(p.textContent) > words(el.textContent) + 3;
  };
  return [...document.querySelectorAll("a[href], button, input[type=submit], select")]
    .filter(el => el.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
    .map(el => [el, el.getBoundingClientRect()])
    .filter(([el, r]) => r.width > 0 && r.height > 0 && r.right > 0 && !inSentence(el))
    .filter(([el, r]) => r.height < 43.5)
    .map(([el, r]) => {
      const text = el.innerText || el.value || el.getAttribute("aria-label") || "";
      return `${el.tagName.toLowerCase()} "${text.trim().slice(0, 30)}" ${Math.round(r.height)} px`;
    });
}"""


@pytest.mark.parametrize("role", ROLES)
def test_taps__every_target_is_44px_on_a_phone(open_as, demo, role):
    tab = open_as(role, PHONE)
    nav = sorted(
        {
            href
            for href in tab.locator("#site-nav a").evaluate_all("els => els.map(a => a.href)")
            if href.startswith(demo.url)
        }
    )
    pages = [*nav, *(demo.url + p.format(**demo.ids) for p in TAP_PAGES[role])]
    small = {}
    for url in pages:
        _visit(tab, url)
        found = tab.evaluate(SMALL_TARGETS)
        if found:
            small[url.removeprefix(demo.url)] = found
    _visit(tab, demo.url + "/home")
    tab.get_by_role("button", name="Menu").click()  # the menu's own links, opened
    found = tab.evaluate(SMALL_TARGETS)
    if found:
        small["/home (menu open)"] = found
    assert len(pages) >= 5
    assert small == {}


# ---------------------------------------------------------------------------------------------
# 14.12: maps outline and name every turf; drawing works with a finger; tile server setting


def test_map__outlines_and_names_every_turf_without_tiles(open_as, demo):
    tab = open_as("admin", LAPTOP)
    _visit(tab, demo.url + "/coverage")
    names = set(tab.locator("#coverage-map .turf-label").all_inner_texts())
    assert names == {
        "Burlington East", "Burlington West", "Graham", "Durham Central", "Durham North",
        "Mebane", "Saxapahaw",
    }  # fmt: skip
    assert tab.locator("#coverage-map path.turf-outline").count() == 7
    data = tab.request.get(demo.url + "/coverage/map.json").json()
    sources = {t["name"]: t["outline_source"] for t in data["turfs"]}
    assert sources["Burlington East"] == "shapes"  # the demo's precinct shapes
    assert sources["Mebane"] == "shapes"  # its ZIP's shape
    assert sources["Saxapahaw"] == "people"  # no shape: the hull of its geocoded people
    assert tab.locator("#coverage-map").evaluate("el => el.classList.contains('without-tiles')")


def test_map__turf_page_names_its_turf(open_as, demo):
    tab = open_as("organizer", PHONE)
    _visit(tab, demo.url + f"/turf/{demo.ids['east']}")
    labels = tab.locator("#turf-map .turf-label").all_inner_texts()
    assert sorted(labels) == ["Burlington East", "Burlington West"]  # the turfs she works


def test_map__draw_a_turf_with_a_finger(open_as, demo):
    tab = open_as("admin", PHONE)
    _visit(tab, demo.url + "/turf/new")
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    the_map = tab.locator("#turf-draw-map")

    def tap_map(fx: float, fy: float) -> None:
        the_map.scroll_into_view_if_needed()
        box = the_map.bounding_box()
        tab.touchscreen.tap(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)

    for fx, fy in ((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)):
        tap_map(fx, fy)
    assert "4 corners" in tab.locator("#turf-draw-count").inner_text()
    drawn = json.loads(tab.locator("#geojson").input_value())
    assert drawn["type"] == "Polygon"
    assert len(drawn["coordinates"][0]) == 5
    tab.get_by_role("button", name="Undo last corner").tap()
    assert len(json.loads(tab.locator("#geojson").input_value())["coordinates"][0]) == 4
    tap_map(0.3, 0.7)
    assert "4 corners" in tab.locator("#turf-draw-count").inner_text()
    tab.get_by_label("Region").select_option(label="Piedmont")
    tab.get_by_label("Name", exact=True).fill("Haw River")
    tab.get_by_role("button", name="Save turf").tap()
    tab.wait_for_url("**/turf/jobs/*")
    with demo.app.app_context():
        turf = db.session.scalar(sa.select(Turf).where(Turf.name == "Haw River"))
        assert turf is not None
        assert turf.geojson["type"] == "Polygon"
        assert len(turf.geojson["coordinates"][0]) == 5
        turf_id = turf.id
    _visit(tab, demo.url + f"/turf/{turf_id}")
    assert "Haw River" in tab.locator("#turf-map .turf-label").all_inner_texts()
    assert errors == []


def test_map__admin_sets_a_tile_server(open_as, demo):
    tab = open_as("admin", LAPTOP)
    fetched: list[str] = []

    def tile(route):
        fetched.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=TILE)

    tab.context.route("https://tiles.example.test/**", tile)
    blocked: list[str] = []
    tab.on(
        "console",
        lambda msg: blocked.append(msg.text) if "Content Security" in msg.text else None,
    )
    try:
        _visit(tab, demo.url + "/settings/")
        tab.get_by_label("Tile URL").fill("https://tiles.example.test/{z}/{x}/{y}.png")
        tab.get_by_label("Credit shown on the map").fill("© Example Tiles")
        tab.get_by_label("Credit link").fill("https://tiles.example.test/credits")
        tab.get_by_role("button", name="Save map settings").click()
        assert "Map settings saved." in tab.locator(".flashes").inner_text()
        _visit(tab, demo.url + "/coverage")
        tab.wait_for_selector("#coverage-map img.leaflet-tile-loaded")
        assert fetched
        assert "© Example Tiles" in tab.locator(".leaflet-control-attribution").inner_text()
        assert blocked == []
        assert tab.locator("#coverage-map .turf-label").count() == 7  # still named over tiles
    finally:
        with demo.app.app_context():
            db.session.execute(
                sa.delete(AppSetting).where(AppSetting.key.in_(settings_services.MAP_KEYS))
            )
            db.session.commit()


# ---------------------------------------------------------------------------------------------
# What the screenshot review of every role's pages, phone and desktop, found


def test_review__contact_cards_stay_left_aligned_on_a_phone(open_as, demo):
    """A card without Call and Text buttons is wider: its name, address and badges still
    start at the card's left edge, like every other card's (they were centred)."""
    tab = open_as("leader", PHONE)
    _visit(tab, demo.url + "/contacts/")
    offsets = tab.evaluate(
        """() => [...document.querySelectorAll(".contact-row .contact-main")].map((a) => {
            const left = a.getBoundingClientRect().left;
            return [...a.children].map((c) => Math.round(c.getBoundingClientRect().left - left));
        })"""
    )
    assert len(offsets) > 10
    assert [o for o in offsets if set(o) != {0}] == []


def test_review__webhook_events_tick_beside_their_words(open_as, demo):
    """Each event's checkbox sits on the same row as its words, a finger-sized row (the box
    was alone on a line above its bold label)."""
    tab = open_as("admin", PHONE)
    _visit(tab, demo.url + "/admin/webhooks/")
    rows = tab.evaluate(
        """() => [...document.querySelectorAll("ul#events > li")].map((li) => {
            const box = li.querySelector("input").getBoundingClientRect();
            const words = li.querySelector("label").getBoundingClientRect();
            return {beside: words.left >= box.right && words.top < box.bottom,
                    height: Math.round(li.getBoundingClientRect().height)};
        })"""
    )
    assert len(rows) == 4
    assert all(r["beside"] for r in rows), rows
    assert all(r["height"] >= 44 for r in rows), rows


def test_review__field_app_shows_due_dates_as_people_write_them(open_as, demo):
    """The field app's follow-ups (drawn on the phone from the lists) say "due Nov 1, 2026",
    as every other page does, not "due 2026-11-01"."""
    tab = open_as("leader", PHONE)
    _visit(tab, demo.url + "/field")
    tab.wait_for_selector("[data-list=follow_ups] .followup-row")
    text = tab.locator("main").inner_text()
    assert re.search(r"due [A-Z][a-z]{2} \d{1,2}, 20\d\d", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)


def test_review__spanish_pages_fit_a_phone(open_as, demo):
    """Spanish words are longer: the contact page's labels ("Etapa en la escalera de
    liderazgo") and the list's buttons ("Llamar", "Enviar texto", "Registrar") wrap instead
    of pushing the page wider than the phone (466 and 410 px in 390)."""
    from fieldcrm.auth.models import User

    def set_locale(locale: str) -> None:
        with demo.app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == demo.emails["organizer"]))
            user.locale = locale
            db.session.commit()

    set_locale("es")
    try:
        tab = open_as("organizer", PHONE)
        wide = {}
        for path in ("/contacts/{contact}", "/contacts/", "/home", "/commitments/", "/team"):
            _visit(tab, demo.url + path.format(**demo.ids))
            assert tab.locator("html").get_attribute("lang") == "es"
            width = tab.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide[path] = width
        assert wide == {}
    finally:
        set_locale("en")


def test_review__home_lists_keep_the_colon_by_the_name(open_as, demo):
    """ "Luis Green: Recruit people", not "Luis Green : Recruit people" with the colon adrift
    (or starting the next line) after the 44 px name link on a phone."""
    tab = open_as("organizer", PHONE)
    _visit(tab, demo.url + "/home")
    gaps = tab.evaluate(
        """() => [...document.querySelectorAll("main ul.plain > li")].map((li) => {
            const link = li.querySelector("a");
            let node = link.nextSibling || link.parentElement.nextSibling;
            if (!node || node.nodeType !== 3 || !node.textContent.trim().startsWith(":")) {
                return null;
            }
            const range = document.createRange();
            range.setStart(node, node.textContent.indexOf(":"));
            range.setEnd(node, node.textContent.indexOf(":") + 1);
            const colon = range.getBoundingClientRect(), name = link.getBoundingClientRect();
            return Math.round(colon.left - name.right) + (colon.top > name.bottom ? 1000 : 0);
        }).filter((gap) => gap !== null)"""
    )
    assert len(gaps) > 3
    assert [g for g in gaps if g > 1] == []
