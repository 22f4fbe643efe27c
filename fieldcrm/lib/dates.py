"""Calendar dates people may type or put in a link: ISO format, within sane bounds.

Python's dates run from year 1 to 9999, but "the day after 9999-12-31" or year 1 in a
time zone overflow, and no organizing program plans outside these years. Every date that
comes from a request (query string or form) is checked against these bounds, in one
place, before any arithmetic is done with it.
"""

from __future__ import annotations

from datetime import date

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2199, 12, 31)


class DateOutOfRange(ValueError):
    """A well-formed date outside DATE_MIN..DATE_MAX."""


def in_bounds(value: date) -> bool:
    """True when `value` lies within DATE_MIN..DATE_MAX (inclusive)."""
    return DATE_MIN <= value <= DATE_MAX


def parse_iso_date(text: str) -> date:
    """A YYYY-MM-DD date within bounds.

    Raises ValueError when `text` is not such a date (DateOutOfRange when it is one, but
    outside DATE_MIN..DATE_MAX).
    """
    text = text.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(text)
    value = date.fromisoformat(text)
    if not in_bounds(value):
        raise DateOutOfRange(text)
    return value
