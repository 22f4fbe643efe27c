"""Program time: local days, weeks and months as UTC bounds; every time shown in program time;
and no module but fieldcrm.programtime knows the program's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from fieldcrm import programtime
from fieldcrm.audit import AuditEvent
from fieldcrm.extensions import db

ROOT = Path(__file__).resolve().parents[1]

# 4:51 PM Eastern on a winter Thursday is 21:51 UTC (the "9:51 PM").
WINTER = datetime(2025, 11, 20, 21, 51, tzinfo=UTC)
# The same wall-clock time in summer (EDT) is 20:51 UTC.
SUMMER = datetime(2025, 7, 17, 20, 51, tzinfo=UTC)


def _text(html: str) -> str:
    """Page text with Babel's narrow no-break spaces made plain."""
    return html.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize("instant", [WINTER, SUMMER])
def test_format_datetime__shows_program_time_not_utc(ctx, instant):
    shown = _text(programtime.format_datetime(instant, "short"))
    assert "4:51 PM" in shown
    assert "9:51" not in shown
    assert "8:51" not in shown


def test_format_datetime__follows_the_configured_zone(app, monkeypatch):
    monkeypatch.setitem(app.config, "PROGRAM_TIMEZONE", "America/Los_Angeles")
    with app.test_request_context():
        assert "1:51 PM" in _text(programtime.format_datetime(WINTER, "short"))
        # the local date of a late-evening instant is the program's, not UTC's
        assert programtime.local_date(datetime(2025, 11, 21, 5, 0, tzinfo=UTC)) == date(
            2025, 11, 20
        )


def test_format_datetime__spanish_interface_same_time(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert "16:51" in _text(programtime.format_datetime(WINTER, "short"))


def test_format_date__local_day_of_an_instant(ctx):
    late = datetime(2025, 11, 21, 3, 30, tzinfo=UTC)  # 10:30 PM on the 20th in Eastern
    assert programtime.format_date(late) == programtime.format_date(date(2025, 11, 20))
    assert programtime.format_date(None) == "" == programtime.format_datetime(None)


def test_format_day__short_this_year_with_the_year_otherwise(app):
    with app.app_context():
        this_year = programtime.today().replace(month=12, day=12)
    with app.test_request_context():
        assert programtime.format_day(this_year) == "Dec 12"
        assert programtime.format_day(this_year.replace(year=this_year.year + 1)) == (
            f"Dec 12, {this_year.year + 1}"
        )
        # an instant is said by its local day
        late = datetime(2025, 11, 21, 3, 30, tzinfo=UTC)
        assert programtime.format_day(late) == "Nov 20, 2025"
        assert programtime.format_day(None) == ""
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert programtime.format_day(this_year) == "12 dic"


def test_day_start__local_midnight_across_daylight_saving(ctx):
    # US clocks spring forward on Sunday 2026-03-08
    assert programtime.day_start(date(2026, 3, 8)) == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert programtime.day_start(date(2026, 3, 8), days=1) == datetime(2026, 3, 9, 4, tzinfo=UTC)
    assert programtime.day_time(date(2026, 7, 1), time(16, 51)) == datetime(
        2026, 7, 1, 20, 51, tzinfo=UTC
    )


def test_week_and_month_spans(ctx):
    sunday = date(2026, 3, 8)
    week = programtime.week_of(sunday)
    assert (week.first_day, week.last_day) == (date(2026, 3, 2), sunday)
    assert week.start == datetime(2026, 3, 2, 5, tzinfo=UTC)
    assert week.end == datetime(2026, 3, 9, 4, tzinfo=UTC)  # a 167-hour week
    assert week.contains(datetime(2026, 3, 9, 3, 59, tzinfo=UTC))  # Sunday 11:59 PM EDT
    assert not week.contains(week.end)
    december = programtime.month_of(date(2026, 12, 31))
    assert (december.first_day, december.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    assert december.end == datetime(2027, 1, 1, 5, tzinfo=UTC)
    assert programtime.month_of(date(2028, 2, 10)).last_day == date(2028, 2, 29)
    starts = programtime.week_starts(date(2026, 3, 11), 3)
    assert starts == (
        datetime(2026, 2, 23, 5, tzinfo=UTC),
        datetime(2026, 3, 2, 5, tzinfo=UTC),
        datetime(2026, 3, 9, 4, tzinfo=UTC),
    )


def test_today_is_the_program_date(ctx):
    assert programtime.today() == datetime.now(UTC).astimezone(programtime.zone()).date()


def test_bad_zone_refused_at_start():
    from fieldcrm import create_app

    with pytest.raises(RuntimeError, match="PROGRAM_TIMEZONE"):
        create_app("config.TestConfig", overrides={"PROGRAM_TIMEZONE": "Eastern"})


# -- pages -------------------------------------------------------------------------------


def _recent_local_451pm(app) -> tuple[datetime, str]:
    """Yesterday at 4:51 PM program time, and how 4:51 PM would read in UTC ("8:51"/"9:51")."""
    with app.test_request_context():
        instant = programtime.day_time(programtime.today() - timedelta(days=1), time(16, 51))
    return instant, f"{instant.hour - 12}:51"


def test_contact_history_and_last_reached_show_program_time(
    app, login_as, world, make_conversation
):
    instant, utc_clock = _recent_local_451pm(app)
    make_conversation(world.east_1, world.organizer_ana, occurred_at=instant)
    world.east_1.last_contacted_at = instant
    db.session.commit()
    page = _text(login_as(world.organizer_ana).get(f"/contacts/{world.east_1.id}").get_data(True))
    timeline = page[page.index('class="timeline"') :]
    assert "4:51 PM" in timeline
    assert utc_clock not in page
    last_reached = re.search(r"Last reached</dt><dd>([^<]*)</dd>", page)
    assert last_reached
    assert "4:51" in last_reached.group(1)


def test_audit_log_shows_program_time(app, login_as, world):
    db.session.add(AuditEvent(action="auth.login", actor_id=world.admin_dev.id, at=WINTER))
    db.session.commit()
    page = _text(login_as(world.admin_dev).get("/admin/audit").get_data(True))
    assert "4:51:00 PM" in page
    assert "9:51" not in page


def test_coverage_last_activity_shows_program_time(app, login_as, world, make_conversation):
    instant, utc_clock = _recent_local_451pm(app)
    make_conversation(world.east_1, world.organizer_ana, occurred_at=instant)
    page = _text(login_as(world.director_dana).get("/coverage").get_data(True))
    assert "4:51 PM" in page
    assert utc_clock not in page


# -- one place ---------------------------------------------------------------------------

# What only fieldcrm/programtime.py may say: the zone's setting, zone objects, and how weeks
# and months are cut (config.py defines the setting; nothing else reads it).
ZONE_KNOWLEDGE = re.compile(
    r"PROGRAM_TIMEZONE|BABEL_DEFAULT_TIMEZONE|zoneinfo|ZoneInfo|pytz|\.weekday\(\)"
    r"|replace\(day=1\)|date\.today\(\)"
)


def test_only_programtime_knows_the_program_zone():
    offenders = []
    files = [*ROOT.glob("fieldcrm/**/*.py"), *ROOT.glob("templates/**/*.html")]
    for path in files:
        if path.name == "programtime.py" or "translations" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ZONE_KNOWLEDGE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == [], "program time belongs in fieldcrm/programtime.py:\n" + "\n".join(
        offenders
    )
