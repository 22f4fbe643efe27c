"""Program time: the one module that knows the program's time zone.

Timestamps are stored, compared and exported as UTC instants (fieldcrm.database.UTCDateTime).
People think in the program's local calendar: "today", "this week", "this month", the day in
a date filter, the time on a page. Every translation between the two goes through here, so
nothing else reads PROGRAM_TIMEZONE or builds a ZoneInfo (tests/test_programtime.py checks).

* A **week** runs Monday 00:00 to the next Monday 00:00, program time (the weeks weekly goals
  and the dashboards' trend count in).
* A **month** is the calendar month, program time: "this month" runs from the 1st at 00:00.
  Early in a month the current week started in the previous one; its days before the 1st
  count in "this week" and not in "this month" (the ladder board names both start dates).
* Display: Flask-Babel's time zone is the viewer's program time zone (`viewer_zone`, its
  timezone selector), so a UTC instant handed to `format_datetime` shows as local time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_skeleton
from flask import current_app
from flask_babel import format_date as _babel_format_date
from flask_babel import format_datetime as _babel_format_datetime
from flask_babel import get_locale


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse to start when PROGRAM_TIMEZONE is not an IANA time zone name.

    Raises RuntimeError naming the bad value (else the first page showing a time would fail).
    """
    name = config.get("PROGRAM_TIMEZONE")
    try:
        ZoneInfo(name)  # type: ignore[arg-type]
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise RuntimeError(
            f"PROGRAM_TIMEZONE {name!r} is not a time zone name (e.g. America/New_York)"
        ) from exc


def zone_name() -> str:
    """The program's time zone name (config PROGRAM_TIMEZONE, an IANA name)."""
    return current_app.config["PROGRAM_TIMEZONE"]


def zone() -> ZoneInfo:
    """The program's time zone."""
    return ZoneInfo(zone_name())


def viewer_zone() -> str:
    """Flask-Babel's timezone selector: the zone times are shown in to whoever is viewing.

    Every viewer sees the program's time zone (one program, one calendar); a per-user or
    per-region zone would be chosen here.
    """
    return zone_name()


def now() -> datetime:
    """The current time in program time (timezone-aware)."""
    return datetime.now(zone())


def today() -> date:
    """Today's date where the program works."""
    return now().date()


def today_anywhere() -> date:
    """The latest date on Earth now (the calendar at UTC+14), without the app's config.

    For code that runs where the program's zone is not known (a voter file's reading
    processes): a date after it is in the future wherever the program works, so a date
    checked against it is never refused for being "in the future" when it is today in the
    program's zone (a program east of UTC is a day ahead of UTC each morning); one at most a
    day ahead of the program's today passes.
    """
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def local(value: datetime) -> datetime:
    """An instant (aware; naive means UTC) as program-local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone())


def local_date(value: datetime) -> date:
    """The program-local calendar date an instant falls on."""
    return local(value).date()


def day_start(day: date, days: int = 0) -> datetime:
    """The UTC instant the local calendar day `day` (plus `days`) begins.

    Across a daylight-saving change the local midnight is resolved by zoneinfo (fold=0).
    """
    return datetime.combine(day + timedelta(days=days), time.min, tzinfo=zone()).astimezone(UTC)


def day_time(day: date, clock: time) -> datetime:
    """The UTC instant of a local wall-clock time on a local day."""
    return datetime.combine(day, clock, tzinfo=zone()).astimezone(UTC)


def monday(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Span:
    """A stretch of the program's calendar: local days first_day..last_day (inclusive),
    with `start` and `end` the UTC instants it begins and ends (half-open: start <= t < end)."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def days(first_day: date, last_day: date) -> Span:
    """The local days first_day..last_day as UTC bounds."""
    return Span(first_day, last_day, day_start(first_day), day_start(last_day, days=1))


def week_of(day: date) -> Span:
    """The Monday-to-Sunday week `day` falls in."""
    first = monday(day)
    return days(first, first + timedelta(days=6))


def month_of(day: date) -> Span:
    """The calendar month `day` falls in."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return days(first, following - timedelta(days=1))


def week_starts(last_day: date, weeks: int) -> tuple[datetime, ...]:
    """UTC instants at which each of the `weeks` weeks ending with `last_day`'s week begins."""
    first = monday(last_day) - timedelta(weeks=weeks - 1)
    return tuple(day_start(first + timedelta(weeks=i)) for i in range(weeks))


# -- display -----------------------------------------------------------------------------


def format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """An instant as the viewer's local date and time, in their language ("" for None)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Flask-Babel converts to viewer_zone() itself (rebase): give it the instant as is.
    return _babel_format_datetime(value, fmt)


def format_date(value: date | datetime | None, fmt: str = "medium") -> str:
    """A calendar date (or the local date of an instant), in the viewer's language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_date(value)
    return _babel_format_date(value, fmt)


def format_day(value: date | datetime | None) -> str:
    """A calendar date (or the local date of an instant) said short, in the viewer's language:
    "Dec 12" (es: "12 dic") this year, "Dec 12, 2031" another year; "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_date(value)
    skeleton = "MMMd" if value.year == today().year else "yMMMd"
    locale = get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return format_skeleton(skeleton, value, locale=locale)
