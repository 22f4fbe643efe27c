"""Phone numbers: raw text to E.164, one at a time or vectorised over a pandas Series.

Rules shared by both paths (the vectorised one must give exactly what the scalar one gives):

1. Blank cells (``""``, whitespace, ``"*"``) are not phones at all.
2. ``digits`` = the ASCII digits of the text. All-same digits (``0000000``, ``9999999999``) are
   placeholders; exactly 7 digits means the area code was lost. Both are kept raw, never dialable,
   and no area code is ever invented.
3. Everything else goes to ``phonenumbers``: dialable when ``is_valid_number`` holds, and then
   ``e164`` is its E.164 form.

The vectorised path short-circuits only the shapes for which it can prove it agrees with
``phonenumbers``: optional leading ``+``, digits and ``( ) . -`` / spaces, forming a NANP national
number (10 digits, or 11 starting with ``1``; the area code starting 2-9). For those, validity is a
function of a short prefix of the national number, and the prefix length is *derived from the
installed phonenumbers metadata* (see ``_nanp_prefix_depths``), so a metadata update cannot make the
fast path silently wrong. Each distinct prefix is asked of ``phonenumbers`` once and cached.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # private, but the stable way to walk a parsed regex
import re._parser as sre_parse
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PhoneResult", "format_phone", "normalize_phones", "parse_phone"]

_NON_DIGITS = re.compile(r"[^0-9]")
# Shapes the fast path may take: an optional leading "+", then digits and common punctuation.
_FAST_SHAPE = r"^\+?[0-9 ().\-]+$"
_BLANKS = frozenset({"", "*"})

REASON_BLANK = "blank"
REASON_PLACEHOLDER = "placeholder"
REASON_NO_AREA_CODE = "no_area_code"
REASON_UNPARSEABLE = "unparseable"
REASON_INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class PhoneResult:
    """One phone cell after normalisation; ``reason`` says why it is not dialable."""

    raw: str
    e164: str | None
    dialable: bool
    reason: str | None


def _classify_digits(digits: str) -> str | None:
    if len(digits) >= 7 and digits.count(digits[0]) == len(digits):
        return REASON_PLACEHOLDER
    if len(digits) == 7:
        return REASON_NO_AREA_CODE
    return None


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value  # NaN
    return type(value).__name__ == "NAType"


def parse_phone(raw: object, region: str = "US") -> PhoneResult:
    """Normalise one phone cell; never raises (bad input gives a non-dialable result)."""
    text = "" if _is_missing(raw) else str(raw).strip()
    if text in _BLANKS:
        return PhoneResult(text, None, False, REASON_BLANK)
    reason = _classify_digits(_NON_DIGITS.sub("", text))
    if reason is not None:
        return PhoneResult(text, None, False, reason)
    return _ask_phonenumbers(text, region)


@lru_cache(maxsize=65536)
def _ask_phonenumbers(text: str, region: str) -> PhoneResult:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return PhoneResult(text, None, False, REASON_UNPARSEABLE)
    if not phonenumbers.is_valid_number(number):
        return PhoneResult(text, None, False, REASON_INVALID)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneResult(text, e164, True, None)


def format_phone(number: str | None, region: str) -> str:
    """A stored number as people write it: ``+13367520471`` is ``(336) 752-0471`` where
    `region` is "US", and ``+44 20 7946 0958`` is shown in international format there.

    National format for numbers of `region`, international for every other; text that is
    not an E.164 number (a raw, non-dialable value) comes back unchanged.
    """
    text = (number or "").strip()
    if not text.startswith("+"):
        return text
    return _format_e164(text, region.upper())


@lru_cache(maxsize=4096)
def _format_e164(text: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(parsed):
        return text
    national = phonenumbers.region_code_for_number(parsed) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


# --- metadata analysis: how many leading digits decide NANP validity -------------------------


class _UnsupportedPatternError(Exception):
    """A regex construct the analysis does not model; the caller falls back to all 10 digits."""


def _char_set(items: list) -> set[str]:
    chars: set[str] = set()
    negate = False
    for op, av in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            chars.add(chr(av))
        elif op is sre_constants.RANGE:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op is sre_constants.CATEGORY and av is sre_constants.CATEGORY_DIGIT:
            chars.update("0123456789")
        else:
            raise _UnsupportedPatternError(op)
    digits = set("0123456789")
    return digits - chars if negate else chars & digits


def _seq_prefixes(items: list, n: int) -> set[str]:
    """All strings of length <= n that start a match of the fixed-width sequence ``items``."""
    results = {""}
    for op, av in items:
        grown: set[str] = set()
        for s in results:
            if len(s) >= n:
                grown.add(s)
                continue
            grown.update(s + t for t in _item_prefixes(op, av, n - len(s)))
        results = grown
    return results


def _item_prefixes(op: object, av: object, n: int) -> set[str]:
    if op is sre_constants.LITERAL:
        return {chr(av)}  # type: ignore[arg-type]
    if op is sre_constants.IN:
        return _char_set(av)  # type: ignore[arg-type]
    if op is sre_constants.SUBPATTERN:
        return _seq_prefixes(list(av[3]), n)  # type: ignore[index]
    if op is sre_constants.BRANCH:
        out: set[str] = set()
        for alt in av[1]:  # type: ignore[index]
            out |= _seq_prefixes(list(alt), n)
        return out
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        lo, hi, sub = av  # type: ignore[misc]
        if lo != hi:
            raise _UnsupportedPatternError(op)
        return _seq_prefixes(list(sub) * lo, n)
    raise _UnsupportedPatternError(op)


def _is_free_digits(op: object, av: object) -> int:
    """Width of a trailing ``\\d{k}`` item (0 when the item constrains its digits)."""
    if op is sre_constants.IN and _char_set(av) == set("0123456789"):  # type: ignore[arg-type]
        return 1
    if op is sre_constants.MAX_REPEAT:
        lo, hi, sub = av  # type: ignore[misc]
        sub = list(sub)
        if lo == hi and len(sub) == 1 and _is_free_digits(*sub[0]) == 1:
            return lo
    return 0


def _branches(pattern: str) -> list[list]:
    parsed = list(sre_parse.parse(pattern))
    if len(parsed) == 1 and parsed[0][0] is sre_constants.BRANCH:
        return [list(alt) for alt in parsed[0][1][1]]
    return [parsed]


def _branch_depth(items: list) -> int:
    free = 0
    for op, av in reversed(items):
        k = _is_free_digits(op, av)
        if not k:
            break
        free += k
    return 10 - free


def _area_codes_starting(starts: set[str], area_codes: dict[str, int]) -> set[str]:
    found = {s for s in starts if len(s) == 3 and s in area_codes}
    short = [s for s in starts if len(s) < 3]
    if short:
        found.update(npa for npa in area_codes if npa.startswith(tuple(short)))
    return found


@lru_cache(maxsize=1)
def _nanp_prefix_depths() -> dict[str, int]:
    """Map area code -> number of leading national digits that decide validity.

    ``is_valid_number`` for a +1 number picks the first NANP region (in metadata order) whose
    ``leading_digits`` match or whose type patterns match, then checks the type patterns of that
    region. Every pattern involved is walked here; a branch of the form ``P\\d{k}`` over 10 digits
    depends only on the first ``10 - k`` digits, and ``leading_digits`` only on its own width.
    The answer for an area code is the deepest branch that can start with it. Anything the walk
    does not understand makes that area code depend on all 10 digits (always exact, just slower).
    """
    depths: dict[str, int] = {f"{npa:03d}": 3 for npa in range(200, 1000)}
    descs = (
        "general_desc",
        "fixed_line",
        "mobile",
        "toll_free",
        "premium_rate",
        "shared_cost",
        "personal_number",
        "voip",
        "pager",
        "uan",
        "voicemail",
    )
    for region in COUNTRY_CODE_TO_REGION_CODE[1]:
        meta = PhoneMetadata.metadata_for_region(region)
        patterns: list[tuple[str, bool]] = []
        if meta.leading_digits:
            patterns.append((meta.leading_digits, True))
        for name in descs:
            desc = getattr(meta, name, None)
            if desc is not None and desc.national_number_pattern:
                patterns.append((desc.national_number_pattern, False))
        for pattern, is_leading in patterns:
            try:
                branches = _branches(pattern)
            except (re.error, _UnsupportedPatternError):  # pragma: no cover - defensive
                return dict.fromkeys(depths, 10)
            for items in branches:
                try:
                    width = sre_parse.SubPattern(sre_parse.State(), items).getwidth()
                    if is_leading:
                        depth = min(int(width[1]), 10)
                    elif width != (10, 10):
                        continue  # cannot fully match a 10-digit national number
                    else:
                        depth = _branch_depth(items)
                    starts = _seq_prefixes(items, 3)
                except _UnsupportedPatternError:
                    depth, starts = 10, {""}
                for npa in _area_codes_starting(starts, depths):
                    depths[npa] = max(depths[npa], depth)
    return depths


_NANP_REGIONS = frozenset(COUNTRY_CODE_TO_REGION_CODE[1])
_PREFIX_VALID: dict[str, bool] = {}
_PREFIX_CACHE_LIMIT = 2_000_000


def _prefix_is_valid(prefix: str) -> bool:
    valid = _PREFIX_VALID.get(prefix)
    if valid is None:
        if len(_PREFIX_VALID) >= _PREFIX_CACHE_LIMIT:
            _PREFIX_VALID.clear()
        number = phonenumbers.PhoneNumber(
            country_code=1, national_number=int(prefix.ljust(10, "0"))
        )
        valid = phonenumbers.is_valid_number(number)
        _PREFIX_VALID[prefix] = valid
    return valid


def normalize_phones(series: pd.Series, region: str = "US") -> pd.DataFrame:
    """Normalise a Series of phone cells; returns columns raw, e164, dialable on the same index.

    Blank cells come back with raw ``None``; callers that want one row per phone drop those.
    Agrees exactly with ``parse_phone`` on every input. Never raises on cell content.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(series)
    arr = pa.array(series.astype("string[pyarrow]").array).cast(pa.string())
    text = pc.fill_null(pc.utf8_trim_whitespace(arr), "")
    blank = pc.or_(pc.equal(text, ""), pc.equal(text, "*")).to_numpy(zero_copy_only=False)
    raw = np.full(n, None, dtype=object)
    e164 = np.full(n, None, dtype=object)
    dialable = np.zeros(n, dtype=bool)
    idx_present = np.flatnonzero(~blank)
    if len(idx_present):
        t = text.take(pa.array(idx_present))
        raw[idx_present] = t.to_numpy(zero_copy_only=False)
        digits = pc.replace_substring_regex(t, r"[^0-9]", "")
        dlen = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
        # all-same digits <=> the string equals itself shifted by one character
        same = pc.equal(pc.utf8_slice_codeunits(digits, 1), pc.utf8_slice_codeunits(digits, 0, -1))
        placeholder = (dlen >= 7) & same.to_numpy(zero_copy_only=False)
        rest = ~placeholder & (dlen != 7)

        fast = np.zeros(len(t), dtype=bool)
        if region in _NANP_REGIONS:
            shape_ok = pc.match_substring_regex(t, _FAST_SHAPE).to_numpy(zero_copy_only=False)
            plus = pc.starts_with(t, "+").to_numpy(zero_copy_only=False)
            national = pc.utf8_slice_codeunits(digits, -10)
            lead = pc.utf8_slice_codeunits(national, 0, 1)
            npa_ok = pc.and_(pc.greater_equal(lead, "2"), pc.less_equal(lead, "9")).to_numpy(
                zero_copy_only=False
            )
            one = pc.starts_with(digits, "1").to_numpy(zero_copy_only=False)
            fast = rest & shape_ok & npa_ok & (((dlen == 10) & ~plus) | ((dlen == 11) & one))
            fast_idx = np.flatnonzero(fast)
            if len(fast_idx):
                nat = national.take(pa.array(fast_idx))
                depth_map = _nanp_prefix_depths()
                npa = pc.dictionary_encode(pc.utf8_slice_codeunits(nat, 0, 3))
                npa_depths = [depth_map[x] for x in npa.dictionary.to_pylist()]
                depth = np.array(npa_depths, dtype="int64")[npa.indices.to_numpy()]
                valid = np.zeros(len(fast_idx), dtype=bool)
                for d in np.unique(depth):
                    sel = np.flatnonzero(depth == d)
                    keys = pc.utf8_slice_codeunits(nat.take(pa.array(sel)), 0, int(d))
                    encoded = pc.dictionary_encode(keys)
                    uniq_keys = encoded.dictionary.to_pylist()
                    ok = np.array([_prefix_is_valid(k) for k in uniq_keys], dtype=bool)
                    valid[sel] = ok[encoded.indices.to_numpy()]
                good = fast_idx[valid]
                dialable[idx_present[good]] = True
                e164[idx_present[good]] = pc.binary_join_element_wise(
                    "+1", nat.filter(pa.array(valid)), ""
                ).to_numpy(zero_copy_only=False)

        slow_idx = np.flatnonzero(rest & ~fast)
        if len(slow_idx):
            slow_text = raw[idx_present[slow_idx]]
            lookup = {v: _ask_phonenumbers(v, region) for v in set(slow_text)}
            e164[idx_present[slow_idx]] = [lookup[v].e164 for v in slow_text]
            dialable[idx_present[slow_idx]] = [lookup[v].dialable for v in slow_text]

    return pd.DataFrame(
        {
            "raw": pd.Series(raw, index=series.index, dtype=object),
            "e164": pd.Series(e164, index=series.index, dtype=object),
            "dialable": pd.Series(dialable, index=series.index, dtype=bool),
        }
    )
