"""Phone numbers to E.164 with phonenumbers (interim; the importer's fast path lands here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class PhoneResult:
    """A parsed phone: the raw text, E.164 when dialable, and why not otherwise."""

    raw: str
    e164: str | None
    dialable: bool
    reason: str | None = None


def parse_phone(raw: str | None, region: str = "US") -> PhoneResult:
    """Normalise one phone. 7-digit numbers are kept raw and marked not dialable."""
    text = (raw or "").strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        return PhoneResult(text, None, False, "empty")
    if len(digits) == 7:
        return PhoneResult(text, None, False, "no_area_code")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return PhoneResult(text, None, False, "unparseable")
    if not phonenumbers.is_valid_number(number):
        return PhoneResult(text, None, False, "invalid")
    return PhoneResult(
        text, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True
    )
