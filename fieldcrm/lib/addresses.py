"""Street addresses: split a one-line residence address and build a household (door) key.

Voter files deliver the residence as one line with irregular spacing (NC:
``"187  CAVALIER WAY   #104"``). The rules, shared by the scalar and the vectorised functions:

* Clean: runs of ASCII whitespace become one space, leading/trailing spaces go, letters are
  upper-cased.
* Placeholders (``REMOVED``, ``CONFIDENTIAL``, ``UNKNOWN``, ``NONE``, ``N/A``, ``*``) are
  no address.
* A leading house number is digits with an optional letter, ``-NN`` range or ``1/2`` fraction
  (``"123A"``, ``"12-14"``, ``"5 1/2"``), followed by a space. ``house_number`` is its leading
  digits as an int (``None`` when longer than 9 digits).
* A comma before the unit or at the end is dropped (``"187 Cavalier Way, Apt 4"``).
* A trailing unit is ``#X`` or a designator (APT, UNIT, STE, SUITE, LOT, RM, ROOM, TRLR, SPC,
  SPACE, BLDG, FL, FLOOR, DEPT) followed by an identifier that contains a digit or is one letter,
  so ``"PARKING LOT RD"`` keeps ``LOT`` in the street name.
* The household key is ``"<zip5>|<house number and street>|<unit id>"``, where the unit id drops
  the designator and ``#`` (``"APT 104"``, ``"# 104"`` and ``"#104"`` are the same door). No key
  without a 5-digit ZIP or without an address, because the street alone is not a door.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AddressParts",
    "clean_address_line",
    "household_key",
    "household_keys",
    "split_street_address",
    "split_street_addresses",
]

_WS = r"[ \t\r\n\f\v]+"
_WS_RE = re.compile(_WS)
_DESIGNATORS = "APT|APARTMENT|UNIT|STE|SUITE|LOT|RM|ROOM|TRLR|SPC|SPACE|BLDG|FL|FLOOR|DEPT"
_UNIT_ID = r"(?:[A-Z]?[0-9][A-Z0-9-]*|[A-Z])"
_SPLIT = (
    r"^(?:(?P<num>[0-9]+)(?P<sfx>[A-Z]|-[0-9]+[A-Z]?|-[A-Z]| 1/2)? )?"
    r"(?P<street>.*?),?"
    rf"(?: (?P<unit>#[ ]?[A-Z0-9-]+|(?:{_DESIGNATORS})(?:\. ?| ?# ?| ){_UNIT_ID}))?$"
)
_SPLIT_RE = re.compile(_SPLIT)
_UNIT_PREFIX = rf"^(?:(?:{_DESIGNATORS})(?:\. ?| ?# ?| )|# ?)"
_UNIT_PREFIX_RE = re.compile(_UNIT_PREFIX)
PLACEHOLDER_LINES = frozenset({"REMOVED", "CONFIDENTIAL", "UNKNOWN", "NONE", "N/A", "*", ""})
_MAX_HOUSE_DIGITS = 9


class AddressParts(NamedTuple):
    """A residence line split into house number, street and unit."""

    house_number: int | None
    house_number_raw: str | None
    street_name: str | None
    unit: str | None


def clean_address_line(line: object) -> str | None:
    """Collapse whitespace and upper-case; ``None`` for blanks and placeholders like REMOVED."""
    if not isinstance(line, str):
        return None
    cleaned = _WS_RE.sub(" ", line).strip(" ").upper()
    return None if cleaned in PLACEHOLDER_LINES else cleaned


def split_street_address(line: object) -> AddressParts:
    """Split one residence line; never raises (unusable input gives all ``None``)."""
    cleaned = clean_address_line(line)
    if cleaned is None:
        return AddressParts(None, None, None, None)
    match = _SPLIT_RE.match(cleaned)
    if match is None:  # pragma: no cover - the pattern matches every cleaned line
        return AddressParts(None, None, cleaned, None)
    num, sfx, street, unit = match.group("num", "sfx", "street", "unit")
    raw = None if num is None else num + (sfx or "")
    number = int(num) if num is not None and len(num) <= _MAX_HOUSE_DIGITS else None
    return AddressParts(number, raw, street or None, unit)


def _unit_id(unit: object) -> str | None:
    cleaned = clean_address_line(unit)
    if cleaned is None:
        return None
    return _UNIT_PREFIX_RE.sub("", cleaned) or None


def household_key(line1: object, unit: object, zip5: object) -> str | None:
    """Door key for grouping voters into households; ``None`` without a usable address."""
    if not isinstance(zip5, str) or len(zip5) != 5 or not zip5.isascii() or not zip5.isdigit():
        return None
    parts = split_street_address(line1)
    if parts.street_name is None and parts.house_number_raw is None:
        return None
    door = " ".join(p for p in (parts.house_number_raw, parts.street_name) if p)
    unit_id = _unit_id(unit) or _unit_id(parts.unit) or ""
    return f"{zip5}|{door}|{unit_id}"


# --- vectorised versions ---------------------------------------------------------------------


_WS_CONTROL = "\t\r\n\f\v"


def _needs_collapse(arr):  # noqa: ANN001, ANN202 - pyarrow string array in, bool mask out
    """Rows holding two spaces in a row or an ASCII whitespace other than a space; None
    when none does. A byte search over the data buffer first (memchr speed: most columns
    have neither), then plain substring searches per row, which are several times faster
    than the regular expression ``"  |[\\t\\r\\n\\f\\v]"``."""
    import pyarrow.compute as pc

    from fieldcrm.lib.arrowtext import bytes_present

    found = bytes_present(arr, (b"  ", *(c.encode() for c in _WS_CONTROL)))
    if not found:
        return None
    needs = pc.match_substring(arr, "  ")
    for char in found:
        if char != b"  ":
            needs = pc.or_(needs, pc.match_substring(arr, char.decode()))
    return pc.fill_null(needs, False)


def collapse_whitespace(arr):  # noqa: ANN001, ANN201 - pyarrow string array in and out
    """Runs of ASCII whitespace -> one space, vectorised; the work runs only on rows that
    need it (most rows have single spaces only, and replacement is the costly step)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    needs = _needs_collapse(arr)
    if needs is None:
        return arr
    count = pc.sum(needs).as_py() or 0
    if count == 0:
        return arr
    # splitting on ASCII whitespace runs and joining with one space is the regex
    # ``[ \t\r\n\f\v]+ -> " "`` (empty pieces at the ends become single spaces too)
    # and is several times faster than regex replacement
    if count * 4 > len(arr):
        return pc.binary_join(pc.ascii_split_whitespace(arr), " ")
    fixed = pc.binary_join(pc.ascii_split_whitespace(arr.filter(needs)), " ")
    return pc.replace_with_mask(arr, needs, fixed.cast(arr.type))


def _clean_arrow(series: pd.Series):  # noqa: ANN202 - returns (pyarrow array, ascii mask)
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(series.astype("string[pyarrow]").array).cast(pa.string())
    cleaned = pc.utf8_upper(pc.utf8_trim(collapse_whitespace(arr), " "))
    placeholder = pc.is_in(cleaned, value_set=pa.array(sorted(PLACEHOLDER_LINES)))
    cleaned = pc.if_else(placeholder, pa.scalar(None, pa.string()), cleaned)
    ascii_ok = pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False)
    return cleaned, ascii_ok


def split_street_addresses(series: pd.Series) -> pd.DataFrame:
    """Vectorised ``split_street_address``: columns house_number (Int64), house_number_raw,
    street_name, unit (str or missing) on the series' index. Never raises on content."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    cleaned, ascii_ok = _clean_arrow(series)
    parts = pc.extract_regex(cleaned, _SPLIT)
    num = parts.field("num")
    sfx = pc.fill_null(parts.field("sfx"), "")
    has_num = pc.and_(pc.is_valid(num), pc.not_equal(pc.fill_null(num, ""), ""))
    raw = pc.if_else(has_num, pc.binary_join_element_wise(num, sfx, ""), None)
    street = parts.field("street")
    street = pc.if_else(pc.equal(pc.fill_null(street, ""), ""), None, street)
    unit = parts.field("unit")
    unit = pc.if_else(pc.equal(pc.fill_null(unit, ""), ""), None, unit)
    short = pc.less_equal(pc.utf8_length(pc.fill_null(num, "")), _MAX_HOUSE_DIGITS)
    number = pc.if_else(pc.and_(has_num, short), num, None).cast(pa.int64())

    out = pd.DataFrame(
        {
            "house_number": pd.array(number.to_pandas(), dtype="Int64"),
            "house_number_raw": pd.array(raw, dtype="string[pyarrow]"),
            "street_name": pd.array(street, dtype="string[pyarrow]"),
            "unit": pd.array(unit, dtype="string[pyarrow]"),
        },
        index=series.index,
    )
    slow = np.flatnonzero(~ascii_ok)
    for pos in slow:  # non-ASCII text: Python's upper() is the reference, so ask it
        parts_py = split_street_address(series.iloc[pos])
        out.iloc[pos] = list(parts_py)
    return out


def household_keys(
    line1: pd.Series,
    unit: pd.Series | None,
    zip5: pd.Series,
    parts: pd.DataFrame | None = None,
) -> pd.Series:
    """Vectorised ``household_key`` over aligned Series; missing where there is no key.

    ``parts`` may pass ``split_street_addresses(line1)`` when the caller already has it.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if parts is None:
        parts = split_street_addresses(line1)
    raw = pa.array(parts["house_number_raw"].array).cast(pa.string())
    street = pa.array(parts["street_name"].array).cast(pa.string())
    door = pc.binary_join_element_wise(
        pc.fill_null(raw, ""), pc.fill_null(street, ""), pa.scalar(" ")
    )
    door = pc.utf8_trim(door, " ")

    def unit_ids(values: pd.Series) -> pa.Array:
        cleaned, ascii_ok = _clean_arrow(values)
        ids = pc.replace_substring_regex(cleaned, _UNIT_PREFIX, "", max_replacements=1)
        ids = pc.if_else(pc.equal(pc.fill_null(ids, ""), ""), None, ids)
        if not ascii_ok.all():
            py = ids.to_pylist()
            for pos in np.flatnonzero(~ascii_ok):
                py[pos] = _unit_id(values.iloc[pos])
            ids = pa.array(py, pa.string())
        return ids

    from_line = unit_ids(parts["unit"])
    given = unit_ids(unit) if unit is not None else pa.nulls(len(line1), pa.string())
    unit_id = pc.fill_null(pc.coalesce(given, from_line), "")

    zips = pa.array(zip5.astype("string[pyarrow]").array).cast(pa.string())
    zip_ok = pc.fill_null(pc.match_substring_regex(zips, r"^[0-9]{5}$"), False)
    ok = pc.and_(zip_ok, pc.or_(pc.is_valid(raw), pc.is_valid(street)))
    key = pc.binary_join_element_wise(pc.fill_null(zips, ""), door, unit_id, "|")
    key = pc.if_else(ok, key, None)
    return pd.Series(pd.array(key, dtype="string[pyarrow]"), index=line1.index)
