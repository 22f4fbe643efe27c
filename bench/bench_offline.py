"""Benchmark: the field app without signal, in Debian's Chromium driven by Playwright.

Generates its own program (one turf, an organizer, a volunteer leader, BENCH_OFFLINE_DOORS
doors with one or two people each, cut into one walk packet assigned to the leader), serves
the app on loopback (the werkzeug server, threaded, CSRF on) and, on a phone viewport
(390 x 844, touch):

1. **Opening a packet offline**: the leader signs in and opens the field app with signal
   (the lists and pages go onto the phone), the signal goes, and the BENCH_OFFLINE_DOORS-door
   walk list is opened from the phone BENCH_OFFLINE_OPENS times while BENCH_OFFLINE_RESULTS
   results wait in the queue. Measured from the navigation's start to the field app having
   drawn the page (status line, queued results on the list: `FieldApp.settled`); median.
2. **Sending after reconnecting**: BENCH_OFFLINE_RESULTS one-tap results are queued on the
   phone without signal, the signal comes back, and the time is measured until the phone's
   queue is empty (every item answered "stored"). Then every result must be on the server
   exactly once (one conversation and one synced item per queued result).
3. **Weight of the walk list**: the packet page's HTML and the scripts and stylesheets it
   loads, each gzip-compressed (level 6, as a web server sends them).

Step 2 runs on SQLite (a temporary file) and, when a PostgreSQL server answers on
BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432), on a fresh database created and
dropped here (named BENCH_PG_DATABASE, default bench_offline_<pid>). Steps 1 and 3 run
once (on SQLite): the page opens from the phone and weighs the same whatever the database.

Playwright's `context.set_offline(True)` does not reach a service worker's own requests
(Playwright issue #2311), so "no signal" also aborts every request a service worker makes,
as tests/browser/test_offline.py does.

Prints `bench <name>: <value> <unit> (goal <= <value> <unit>)` lines. A small run:
`BENCH_OFFLINE_RESULTS=40 BENCH_OFFLINE_DOORS=20 BENCH_OFFLINE_OPENS=2 \
python bench/bench_offline.py`.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

from bench.dataset import postgres_database  # noqa: E402

RESULTS = int(os.environ.get("BENCH_OFFLINE_RESULTS", "500"))
DOORS = int(os.environ.get("BENCH_OFFLINE_DOORS", "80"))
OPENS = int(os.environ.get("BENCH_OFFLINE_OPENS", "10"))
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE") or f"bench_offline_{os.getpid()}"
CHROMIUM = os.environ.get("FIELDCRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
PASSWORD = "bench-offline-password"  # noqa: S105 - a synthetic bench account
GOALS = {"send": 10.0, "open": 500.0, "weight": 150.0}
RESULT_CODES = ("not_home", "refused", "come_back", "moved")


def log(message: str) -> None:
    print(f"  ({message})", flush=True)


def line(name: str, value: float, unit: str, goal: float) -> None:
    print(f"bench {name}: {value:.1f} {unit} (goal <= {goal:g} {unit})", flush=True)


# -- the program -------------------------------------------------------------------------


def seed() -> dict:
    """One turf, Ana (organizer), Lena (leader), DOORS doors cut into Lena's packet."""
    from fieldcrm.auth import services as auth_services
    from fieldcrm.contacts.models import Contact
    from fieldcrm.conversations.services import ensure_default_choices
    from fieldcrm.database import utcnow
    from fieldcrm.door import services as door_services
    from fieldcrm.extensions import db
    from fieldcrm.ladder.services import ensure_default_ladder
    from fieldcrm.turf import services as turf_services

    ensure_default_choices()
    ensure_default_ladder()
    region = turf_services.create_region(None, "Bench")
    turf = turf_services.create_turf(None, region, "Riverside", precinct_codes=["R1"])

    def user(email: str, role: str):
        return auth_services.create_user(
            None,
            auth_services.UserInput(
                email=email, name=email.split("@")[0].title(), role=role, password=PASSWORD,
                turf_ids=(turf.id,),
            ),
        )  # fmt: skip

    ana = user("ana@bench.test", "organizer")
    lena = user("lena@bench.test", "leader")
    streets = ("OAK ST", "ELM ST", "PINE AVE", "BIRCH CT")
    per_street = -(-DOORS // len(streets))
    doors = 0
    for s, street in enumerate(streets):
        for number in range(1, per_street + 1):
            if doors == DOORS:
                break
            doors += 1
            for k in range(1 + number % 2):
                db.session.add(
                    Contact(
                        source="bench",
                        voter_id=f"B{s}-{number}-{k}",
                        first_name=("Maria", "James", "Keisha", "Nguyen")[(number + k) % 4],
                        last_name=f"Resident{s}{number}{k}",
                        display_name=f"Resident {s}-{number}-{k}",
                        precinct_code="R1",
                        res_line1=f"{number} {street}",
                        res_house_number=number,
                        res_street_name=street,
                        res_city="BURLINGTON",
                        res_state="NC",
                        res_zip5="27215",
                        household_key=f"{number} {street}|27215",
                        latitude=36.08 + s * 0.002,
                        longitude=-79.44 + number * 0.0002,
                    )
                )
    db.session.flush()
    turf_services.assign_contacts_to_turfs()
    packets = door_services.cut_turf(
        ana,
        turf,
        door_services.CutInput(target_size=DOORS, name_prefix="Walk", assigned_user_id=lena.id),
        utcnow(),
    )
    assert len(packets) == 1, packets
    assert packets[0].door_count == DOORS, packets
    people = [
        c.id
        for c in db.session.query(Contact).filter(Contact.turf_id == turf.id).order_by(Contact.id)
    ]
    return {"packet_id": packets[0].id, "lena_id": lena.id, "email": lena.email, "people": people}


@contextmanager
def serve(database_url: str) -> Iterator[SimpleNamespace]:
    """The app with a seeded program on a random loopback port, until the block ends."""
    from werkzeug.serving import make_server

    from config import _database_url
    from fieldcrm import create_app
    from fieldcrm.extensions import db

    app = create_app(
        "config.DevelopmentConfig",
        overrides={
            "SECRET_KEY": secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": _database_url(database_url),
            "RATELIMIT_STORAGE_URI": "memory://",
            "REDIS_URL": None,
            "DEMO_LOGINS": False,
            "LOG_LEVEL": "WARNING",
        },
    )
    with app.app_context():
        db.create_all()
        data = seed()
        db.session.commit()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app, **data)
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


# -- the phone ---------------------------------------------------------------------------


def _cut_off_worker(route) -> None:  # noqa: ANN001 - a Playwright route
    if route.request.service_worker is not None:
        route.abort("internetdisconnected")
    else:
        route.continue_()


def offline(context) -> None:  # noqa: ANN001
    context.set_offline(True)
    context.route("**/*", _cut_off_worker)


def online(context) -> None:  # noqa: ANN001
    context.unroute("**/*", _cut_off_worker)
    context.set_offline(False)


def sign_in_with_lists(tab, server) -> None:  # noqa: ANN001
    """Sign in as the leader and wait until her packet's page is kept on the phone."""
    tab.goto(server.url + "/auth/login")
    tab.get_by_label("Email").fill(server.email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/(home|field)$"))
    tab.goto(server.url + "/field")
    tab.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    tab.evaluate("() => window.FieldApp.settled.then(() => true)")
    tab.wait_for_function(
        """(path) => caches.open("fieldcrm-pages").then((c) => c.keys())
            .then((keys) => keys.some((k) => new URL(k.url).pathname === path))""",
        arg=f"/turf/packets/{server.packet_id}",
        timeout=60_000,
    )


def queue_results(tab, server, count: int) -> None:  # noqa: ANN001
    """Queue `count` one-tap results on the phone, as taps at the doors do."""
    payloads = [
        {
            "packet_id": server.packet_id,
            "contact_id": server.people[i % len(server.people)],
            "result": RESULT_CODES[i % len(RESULT_CODES)],
            "channel": "door",
        }
        for i in range(count)
    ]
    queued = tab.evaluate(
        """async (payloads) => {
            for (const p of payloads) { await window.FieldStore.enqueue("attempt", p); }
            return (await window.FieldStore.items()).filter((i) => i.state === "waiting").length;
        }""",
        payloads,
    )
    assert queued == count, queued


def waiting(tab) -> tuple[int, int]:  # noqa: ANN001
    """(waiting, could not send) on the phone."""
    return tuple(
        tab.evaluate(
            """() => window.FieldStore.items().then((all) => [
                all.filter((i) => i.state === "waiting").length,
                all.filter((i) => i.state === "refused").length])"""
        )
    )


def open_packet_offline(tab, server) -> float:  # noqa: ANN001
    """Milliseconds from navigation start until the field app has drawn the walk list."""
    tab.goto(f"{server.url}/turf/packets/{server.packet_id}")
    return tab.evaluate("() => window.FieldApp.settled.then(() => performance.now())")


def send_after_reconnecting(tab, context) -> float:  # noqa: ANN001
    """Seconds from the signal coming back until the phone's queue is empty."""
    start = time.perf_counter()
    online(context)
    deadline = start + 120
    while True:
        left, refused = waiting(tab)
        if left == 0:
            break
        if time.perf_counter() > deadline:
            raise AssertionError(f"{left} results still waiting after 120 s")
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    assert refused == 0, f"{refused} results could not be sent"
    return seconds


def stored_once(server, count: int) -> None:  # noqa: ANN001
    import sqlalchemy as sa

    from fieldcrm.conversations.models import Conversation
    from fieldcrm.extensions import db
    from fieldcrm.fieldapp.models import SyncedItem

    with server.app.app_context():
        conversations = db.session.scalar(
            sa.select(sa.func.count(Conversation.id)).where(Conversation.user_id == server.lena_id)
        )
        synced = db.session.scalars(
            sa.select(SyncedItem.client_id).where(SyncedItem.user_id == server.lena_id)
        ).all()
    assert conversations == count, f"{conversations} conversations for {count} results"
    assert len(synced) == len(set(synced)) == count, f"{len(synced)} synced items"


def page_weight_kb(tab, server) -> tuple[float, list[str]]:  # noqa: ANN001
    """gzip size (KB) of the packet page's HTML plus the scripts and stylesheets it loads."""
    page = tab.request.get(f"{server.url}/turf/packets/{server.packet_id}")
    assert page.ok, page.status
    html = page.body()
    assets = re.findall(rb'<script[^>]+src="([^"]+)"', html) + re.findall(
        rb'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html
    )
    sizes = {"page": len(gzip.compress(html, compresslevel=6))}
    for src in assets:
        url = src.decode().replace("&amp;", "&")
        response = tab.request.get(server.url + url)
        assert response.ok, (url, response.status)
        sizes[url.split("?")[0]] = len(gzip.compress(response.body(), compresslevel=6))
    parts = [f"{name} {size / 1024:.1f}" for name, size in sizes.items()]
    return sum(sizes.values()) / 1024, parts


def run(browser, label: str, database_url: str, measure_page: bool) -> None:  # noqa: ANN001
    with serve(database_url) as server:
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, service_workers="allow"
        )
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        try:
            sign_in_with_lists(tab, server)
            offline(context)
            tab.goto(f"{server.url}/turf/packets/{server.packet_id}")  # from the phone
            assert tab.locator("li.door").count() == DOORS
            queue_results(tab, server, RESULTS)
            if measure_page:
                opens = [open_packet_offline(tab, server) for _ in range(OPENS)]
                log(f"opens offline, ms: {', '.join(f'{t:.0f}' for t in opens)}")
                line(
                    f"offline_packet_open_{DOORS}_doors",
                    statistics.median(opens),
                    "ms",
                    GOALS["open"],
                )
            seconds = send_after_reconnecting(tab, context)
            stored_once(server, RESULTS)
            line(f"offline_send_{RESULTS}_{label}", seconds, "s", GOALS["send"])
            log(f"{RESULTS} results on {label}: each stored once")
            if measure_page:
                weight, parts = page_weight_kb(tab, server)
                log("gzip KB: " + ", ".join(parts))
                line(f"packet_page_weight_{DOORS}_doors", weight, "KB", GOALS["weight"])
        finally:
            context.close()


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print(f"bench_offline: Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 1
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="bench_offline_") as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            run(browser, "sqlite", f"sqlite:///{Path(tmp) / 'offline.sqlite'}", True)
            with postgres_database(PG_DATABASE) as url:
                if url is None:
                    log("PostgreSQL not reachable: skipped the PostgreSQL run")
                else:
                    run(browser, "postgres", url, False)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
