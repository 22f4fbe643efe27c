"""Column rules: trimming, blanks, dates, ZIP codes, districts, names, numbers, computed with
Arrow over whole columns (no per-row Python, except on the few rows a rule singles out).

* **Districts** (cd/sd/hd): a number, optionally zero-padded, optionally after a word or with a
  pandas ``.0`` tail (``"064"``, ``"64"``, ``"6.0"``, ``"Congressional 6"``), becomes the bare
  number (``"64"``, ``"6"``); anything else (``"15B"``) is kept upper-cased.
* **Precinct codes** are trimmed (FL pads them: ``"  2"`` -> ``"2"``) and upper-cased, and a
  pandas ``.0`` tail on an all-digit code is removed; leading zeros are kept because codes are
  text.
"""

from __future__ import annotations

import collections
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fieldcrm.lib.addresses import collapse_whitespace
from fieldcrm.lib.csvsafe import unneutralise as unneutralise_text
from fieldcrm.lib.names import split_full_name

NULL_STR = pa.scalar(None, pa.string())


def is_ascii_column(arr: pa.Array) -> bool:
    """All bytes of the column's data buffer are ASCII (a fast numpy scan, no decoding)."""
    data = arr.buffers()[2]
    return data is None or not len(data) or int(np.frombuffer(data, dtype=np.uint8).max()) < 128


def upper(arr: pa.Array) -> pa.Array:
    # same result as utf8_upper on ASCII text, at a fraction of the cost
    return pc.ascii_upper(arr) if is_ascii_column(arr) else pc.utf8_upper(arr)


def trim(arr: pa.Array) -> pa.Array:
    # the ASCII kernel is several times faster; it is only exact when there is no Unicode
    # whitespace to trim, i.e. when the column is pure ASCII
    if is_ascii_column(arr):
        return pc.ascii_trim_whitespace(arr)
    return pc.utf8_trim_whitespace(arr)


def nullify(trimmed: pa.Array) -> pa.Array:
    """Blank cells ("" or "*", after trimming) become null."""
    length = pc.binary_length(trimmed)
    blank = pc.or_(pc.equal(length, 0), pc.and_(pc.equal(length, 1), pc.equal(trimmed, "*")))
    return pc.if_else(blank, NULL_STR, trimmed)


def collapse(arr: pa.Array) -> pa.Array:
    return collapse_whitespace(arr)


def join_words(arrays: list[pa.Array]) -> pa.Array:
    """Join the non-null values of each row with one space (whitespace collapsed).

    Built from element-wise joins of non-null pairs rather than
    ``binary_join_element_wise(null_handling="skip")``: some pyarrow versions drop the rows where
    every input is null with "skip", which would misalign the columns.
    """
    present = [a for a in arrays if a.null_count < len(a)]
    if not present:
        return arrays[0]
    result = present[0]
    for extra in present[1:]:
        both = pc.binary_join_element_wise(result, extra, " ")
        result = pc.coalesce(both, result, extra)
    return empty_to_null(pc.utf8_trim(collapse(result), " "))


def empty_to_null(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(pc.fill_null(arr, ""), ""), NULL_STR, arr)


def matches(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(
        zero_copy_only=False
    )


def digits(arr: pa.Array, shortest: int = 1, longest: int | None = None) -> np.ndarray:
    """Rows of ASCII digits only, ``shortest`` to ``longest`` of them: the regular expression
    ``^[0-9]{shortest,longest}$`` (``shortest`` at least 1), several times faster; False
    where null."""
    ok = pc.ascii_is_decimal(arr)  # false for "" and for any non-ASCII digit
    length = pc.binary_length(arr)
    if shortest > 1:
        ok = pc.and_(ok, pc.greater_equal(length, shortest))
    if longest is not None:
        ok = pc.and_(ok, pc.less_equal(length, longest))
    return np_mask(ok)


def np_mask(arr: pa.Array) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def map_values(arr: pa.Array, table: dict[str, str]) -> pa.Array:
    keys = pa.array(list(table), pa.string())
    values = pa.array(list(table.values()), pa.string())
    return values.take(pc.index_in(arr, value_set=keys))


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_DATE_MDY = r"^(?P<a>[0-9]{1,2})[/-](?P<b>[0-9]{1,2})[/-](?P<y>[0-9]{4})(?:[ T].*)?$"


_DATE_YMD = r"^(?P<y>[0-9]{4})[/-](?P<a>[0-9]{1,2})[/-](?P<b>[0-9]{1,2})(?:[ T].*)?$"


_DATE_8 = r"^(?P<x>[0-9]{8})$"


def extract(arr: pa.Array, pattern: str, name: str) -> pa.Array:
    """Named group ``name`` of ``pattern``; null where the text is null or does not match
    (a struct field alone would give ``""`` there)."""
    struct = pc.extract_regex(arr, pattern)
    return pc.if_else(pc.is_valid(struct), struct.field(name), NULL_STR)


def to_int(arr: pa.Array) -> np.ndarray:
    numbers = pc.if_else(pa.array(digits(arr, 1, 9)), arr, NULL_STR)
    return pc.fill_null(pc.cast(numbers, pa.int64()), -1).to_numpy(zero_copy_only=False)


def parse_dates(arr: pa.Array, order: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) int arrays; -1 where the text is missing or not a date shape.

    ``order`` ("ymd", "mdy" or "dmy") reads 8-digit dates (YYYYMMDD, MMDDYYYY, DDMMYYYY) and
    the two leading numbers of ``a/b/yyyy`` dates (day first only for "dmy");
    ``yyyy-mm-dd`` is read as such whatever the order.

    Each shape's regex runs only on the rows the previous shapes did not match, so a file with
    one date format pays for one regex.
    """
    n = len(arr)
    y = np.full(n, -1, dtype=np.int64)
    m = np.full(n, -1, dtype=np.int64)
    d = np.full(n, -1, dtype=np.int64)
    todo = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    eight_parts = {
        "mdy": ((4, 8), (0, 2), (2, 4)),
        "dmy": ((4, 8), (2, 4), (0, 2)),
    }.get(order, ((0, 4), (4, 6), (6, 8)))
    for pattern in (_DATE_MDY, _DATE_YMD, _DATE_8):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        sub = arr.take(pa.array(idx)) if len(idx) < n else arr
        struct = pc.extract_regex(sub, pattern)
        hit = pc.is_valid(struct).to_numpy(zero_copy_only=False)
        if not hit.any():
            continue
        if pattern is _DATE_8:
            x = struct.field("x")
            fields = [pc.utf8_slice_codeunits(x, a, b) for a, b in eight_parts]
        elif pattern is _DATE_MDY and order == "dmy":
            fields = [struct.field(g) for g in ("y", "b", "a")]
        else:
            fields = [struct.field(g) for g in ("y", "a", "b")]
        for target, values in zip((y, m, d), fields, strict=True):
            target[idx[hit]] = to_int(values)[hit]
        todo[idx[hit]] = False
    return y, m, d


_DIM = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def dates(
    arr: pa.Array,
    order: str,
    name: str,
    min_year: int,
    warnings: collections.Counter,
    today_days: int,
) -> tuple[pa.Array, np.ndarray]:
    """Parsed dates as date32 plus the year (or -1); placeholders and invalid dates are null."""
    present = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    y, m, d = parse_dates(arr, order)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = _DIM[np.clip(m, 0, 12)] + ((m == 2) & leap)
    shaped = (y >= 0) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim)
    days = np.where(shaped, _days_from_civil(y, m, d), 0)
    placeholder = shaped & ((y < min_year) | ((y == 1900) & (m == 1) & (d == 1)))
    future = shaped & (days > today_days)
    invalid = present & (~shaped | future)
    ok = shaped & ~placeholder & ~future
    if placeholder.any():
        warnings[f"placeholder_{name}"] += int(placeholder.sum())
    if invalid.any():
        warnings[f"invalid_{name}"] += int(invalid.sum())
    out = pa.array(days.astype(np.int32), pa.int32(), mask=~ok).cast(pa.date32())
    return out, np.where(ok, y, -1)


def zip_parts(arr: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """(zip5, zip4, invalid mask, zero-padded mask) from 5/9-digit ZIPs, pandas ``.0`` junk
    and 3-4 digit ZIPs whose leading zeros a spreadsheet dropped (``9312`` -> ``09312``)."""
    n = len(arr)
    none = np.zeros(n, dtype=bool)
    length = pc.binary_length(arr)
    numbers = pc.fill_null(pc.and_(pc.ascii_is_decimal(arr), pc.less(length, 10)), False)
    if pc.all(pc.or_(pc.is_null(arr), pc.and_(numbers, pc.equal(length, 5)))).as_py():
        return arr, pa.nulls(n, pa.string()), none, none  # the usual case: plain 5-digit ZIPs
    s = pc.replace_substring_regex(arr, r"^([0-9]+)\.0+$", r"\1")
    s = pc.replace_substring_regex(s, r"[ -]", "")
    is5 = digits(s, 5, 5)
    is9 = digits(s, 9, 9)
    is34 = digits(s, 3, 4)
    zip5 = pc.if_else(
        pa.array(is5 | is9),
        pc.utf8_slice_codeunits(s, 0, 5),
        pc.if_else(pa.array(is34), pc.utf8_lpad(s, 5, "0"), NULL_STR),
    )
    zip4 = pc.if_else(pa.array(is9), pc.utf8_slice_codeunits(s, 5, 9), NULL_STR)
    invalid = pc.is_valid(arr).to_numpy(zero_copy_only=False) & ~(is5 | is9 | is34)
    return zip5, zip4, invalid, is34


_DISTRICT = r"^(?:[A-Za-z .]*[ ])?0*(?P<n>[0-9]+)(?:\.0+)?$"


_ROMAN = pa.array(["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"], pa.string())


_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"


_MC = re.compile(r"\bMc([a-z])")


def district(arr: pa.Array) -> pa.Array:
    numbers = pc.fill_null(pc.ascii_is_decimal(arr), True)  # ^[0-9]+$
    if pc.all(numbers).as_py():  # the usual case: plain, maybe zero-padded numbers
        stripped = pc.utf8_ltrim(arr, "0")
        return pc.if_else(pc.equal(stripped, ""), "0", stripped)
    number = extract(arr, _DISTRICT, "n")
    return pc.coalesce(number, upper(arr))


_NAME_PARTS = ("first_name", "middle_name", "last_name", "name_suffix")


def fill_from_full_name(out: dict[str, Any], full: pa.Array) -> None:
    """Fill first/middle/last/suffix from a full-name column in the rows where the file gives
    no first or no last name (mapped name columns win). Each distinct name is split once."""
    need = pc.and_(
        pc.is_valid(full), pc.or_(pc.is_null(out["first_name"]), pc.is_null(out["last_name"]))
    )
    if not pc.any(need).as_py():
        return
    encoded = pc.if_else(need, full, NULL_STR).dictionary_encode()
    parts = [split_full_name(text) for text in encoded.dictionary.to_pylist()]
    for i, key in enumerate(_NAME_PARTS):
        # in those rows each part the file leaves blank comes from the split
        split = pa.array([p[i] for p in parts], pa.string()).take(encoded.indices)
        out[key] = pc.coalesce(out[key], split)


def display_name(first: pa.Array, last: pa.Array, suffix: pa.Array) -> pa.Array:
    base = join_words([first, last])
    if is_ascii_column(base):
        shout = pc.or_(pc.ascii_is_upper(base), pc.ascii_is_lower(base))
        named = pc.if_else(shout, pc.ascii_title(base), base)
    else:
        shout = pc.or_(pc.utf8_is_upper(base), pc.utf8_is_lower(base))
        named = pc.if_else(shout, pc.utf8_title(base), base)
    # literal prefilter; the word-boundary rule is applied in Python to the few hits
    mc = pc.fill_null(pc.match_substring(named, "Mc"), False)
    if pc.any(mc).as_py():
        fixed = [
            _MC.sub(lambda m: "Mc" + m.group(1).upper(), v) for v in named.filter(mc).to_pylist()
        ]
        named = pc.replace_with_mask(named, mc, pa.array(fixed, named.type))
    suffix_up = upper(suffix)
    roman = pc.is_in(suffix_up, value_set=_ROMAN)
    suffix_fmt = pc.if_else(roman, suffix_up, pc.if_else(shout, pc.utf8_title(suffix), suffix))
    return join_words([named, suffix_fmt])


def floats(arr: pa.Array, limit: float, name: str, warnings: collections.Counter) -> np.ndarray:
    ok = matches(arr, _NUMBER)
    text = pc.if_else(pa.array(ok), arr, NULL_STR)
    values = pc.fill_null(pc.cast(text, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    bad = (pc.is_valid(arr).to_numpy(zero_copy_only=False) & ~ok) | (np.abs(values) > limit)
    if bad.any():
        warnings[f"invalid_{name}"] += int(bad.sum())
    return np.where(bad, np.nan, values)


def year_column(arr: pa.Array, warnings: collections.Counter, this_year: int) -> np.ndarray:
    year_text = extract(arr, r"^(?P<y>[0-9]{4})(?:\.0+)?$", "y")
    years = to_int(year_text)
    present = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    placeholder = (years >= 0) & (years < 1900)
    invalid = present & ((years < 0) | (years > this_year))
    if placeholder.any():
        warnings["placeholder_birth_year"] += int(placeholder.sum())
    if invalid.any():
        warnings["invalid_birth_year"] += int(invalid.sum())
    return np.where(placeholder | invalid, -1, years)


def unneutralise(column: pa.Array) -> pa.Array:
    """Undo the formula guard of FieldCRM's CSV export (a leading ``'`` it added)."""
    quoted = pc.fill_null(pc.starts_with(column, "'"), False)
    if not pc.any(quoted).as_py():
        return column
    fixed = [unneutralise_text(v) for v in column.filter(quoted).to_pylist()]
    return pc.replace_with_mask(column, quoted, pa.array(fixed, column.type))


def split_cells(cell: pa.Array, separator: str) -> list[pa.Array]:
    """A column of cells listing several values as one column per position (null past the
    end of a cell's list), blanks dropped."""
    lists = [
        [p.strip() for p in v.split(separator) if p.strip()] if v is not None else []
        for v in cell.to_pylist()
    ]
    width = max((len(values) for values in lists), default=0)
    return [
        pa.array([values[i] if i < len(values) else None for values in lists], pa.string())
        for i in range(width)
    ]
