"""Search keys: names folded for case and accents, phones as reversed digits.

The contacts search matches stored keys with a B-tree index instead of running a function
over every row, so the keys are computed once, when a name or phone is written. These are
the only rules for them; the scalar and the vectorised (Arrow) functions agree exactly.

**Names.** ``fold`` turns text into lower-case words of letters and digits:

1. Apostrophes go (``O'Brien`` -> ``obrien``, also ``’ ‘ ` ´ ʼ ʻ``).
2. Compatibility decomposition (NFKD), then nonspacing marks go: ``Álvarez`` -> ``alvarez``,
   ``Nuñez`` -> ``nunez``, ``ﬁ`` -> ``fi``.
3. Lower case, then the letters NFKD leaves whole are spelled out: ``ß`` -> ``ss``, ``æ`` ->
   ``ae``, ``ø`` -> ``o``, ``œ`` -> ``oe``, ``ł`` -> ``l``, ``đ``/``ð`` -> ``d``, ``þ`` ->
   ``th``, ``ı`` -> ``i``, ``ħ`` -> ``h``; a final ``ς`` is ``σ``.
4. Anything but a letter, a digit or a spacing mark separates words (``García-López`` ->
   ``garcia lopez``); words are joined by one space.

Letters of other scripts stay as they are (lower-cased), so a name written in Cyrillic or
Arabic is found by the same letters. A contact's ``search_name`` is ``fold(last) + " " +
fold(first)`` (``"alvarez nunez jose"``), its ``search_first`` is ``fold(first)``
(``"jose"``), and its ``search_surname`` the last word of a last name of several words
(``"nunez"``; ``"cruz"`` for de la Cruz; None for a one-word last name): a query word
matches where it starts one of the three, a prefix range an index serves.

**Phones.** ``phone_key`` is the number's digits, last digit first (``+13365550101`` ->
``"10105556331"``): any ending of the number (``0101``, ``555-0101``, the ten digits
without the country code) is a prefix of it, again a range an index serves.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "FIRST_LENGTH",
    "NAME_LENGTH",
    "PHONE_LENGTH",
    "fold",
    "fold_array",
    "name_keys",
    "name_keys_arrays",
    "phone_key",
    "phone_key_array",
    "prefix_upper",
]

NAME_LENGTH = 200
FIRST_LENGTH = 100
PHONE_LENGTH = 20

_APOSTROPHES = "'’‘`´ʼʻ"
# Lower-case letters NFKD does not decompose, spelled the way people type them.
_SPELLED = {
    "ß": "ss",
    "æ": "ae",
    "ø": "o",
    "œ": "oe",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "ħ": "h",
    "ŋ": "n",
    "ς": "σ",
}
_SPELL = str.maketrans(_SPELLED)
_NON_DIGITS = re.compile(r"[^0-9]+")


def _word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "Mc"


def fold(text: str | None) -> str:
    """``text`` as lower-case, accent-free words joined by single spaces ("" for nothing)."""
    if not text:
        return ""
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    spelled = bare.lower().translate(_SPELL)
    words = "".join(c if _word_char(c) else " " for c in spelled)
    return " ".join(words.split())


def name_keys(first: str | None, last: str | None) -> tuple[str, str, str | None]:
    """(search_name, search_first, search_surname) of a person: ``("alvarez nunez jose",
    "jose", "nunez")`` for José Álvarez-Núñez, ``("smith ann", "ann", None)`` for Ann Smith."""
    last_key, first_key = fold(last), fold(first)
    name = f"{last_key} {first_key}".strip()[:NAME_LENGTH].rstrip()
    _, space, surname = last_key.rpartition(" ")
    return name, first_key[:FIRST_LENGTH].rstrip(), surname[:FIRST_LENGTH] if space else None


def phone_key(e164: str | None, raw: str | None) -> str | None:
    """The digits of the E.164 form (else of the raw text), last first; None without digits."""
    digits = _NON_DIGITS.sub("", e164 or raw or "")
    return digits[::-1][:PHONE_LENGTH] or None


def prefix_upper(prefix: str) -> str:
    """The smallest string above every string that starts with ``prefix`` (non-empty):
    ``key >= prefix AND key < prefix_upper(prefix)`` is "key starts with prefix"."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:  # pragma: no cover - no name ends in the last code point
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(last + 1)


# --- the same rules over Arrow arrays (bulk imports) --------------------------------------


def fold_array(values: pa.Array) -> pa.Array:
    """``fold`` of every string of an Arrow array (nulls give ""). Pure Arrow compute."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.fill_null(pc.cast(values, pa.string()), "")
    if not len(text) or pc.all(pc.string_is_ascii(text)).as_py():
        return _fold_ascii(text)
    # Decomposing is the costly part: do it once per distinct name (names repeat a lot).
    encoded = pc.dictionary_encode(text)
    return _fold_unicode(encoded.dictionary).take(encoded.indices)


def _fold_ascii(text: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    lowered = pc.ascii_lower(text)
    # Most names are letters only and need nothing more; the others get the regexes.
    other = pc.invert(pc.ascii_is_alnum(text))
    if not pc.any(other).as_py():
        return lowered
    part = pc.replace_substring_regex(lowered.filter(other), r"['`]", "")
    part = pc.utf8_trim(pc.replace_substring_regex(part, r"[^a-z0-9]+", " "), characters=" ")
    return pc.replace_with_mask(lowered, other, part)


def _fold_unicode(text: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    text = pc.replace_substring_regex(text, f"[{_APOSTROPHES}]", "")
    text = pc.utf8_normalize(text, form="NFKD")
    text = pc.replace_substring_regex(text, r"\p{Mn}+", "")
    text = pc.utf8_lower(text)
    for letter, spelled in _SPELLED.items():
        text = pc.replace_substring(text, letter, spelled)
    words = pc.replace_substring_regex(text, r"[^\p{L}\p{N}\p{Mc}]+", " ")
    return pc.utf8_trim(words, characters=" ")


def _cut(values: pa.Array, length: int) -> pa.Array:
    import pyarrow.compute as pc

    return pc.utf8_rtrim(pc.utf8_slice_codeunits(values, 0, length), characters=" ")


def name_keys_arrays(first: pa.Array, last: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """``name_keys`` over Arrow arrays of first and last names."""
    import pyarrow as pa
    import pyarrow.compute as pc

    first_key, last_key = fold_array(first), fold_array(last)
    joined = pc.utf8_trim(pc.binary_join_element_wise(last_key, first_key, " "), characters=" ")
    several = pc.match_substring(last_key, " ")  # the surname of the others is None
    surname = pa.nulls(len(last_key), pa.string())
    if pc.any(several).as_py():
        last_words = pc.replace_substring_regex(last_key.filter(several), r"^.* ", "")
        surname = pc.replace_with_mask(
            surname, several, pc.utf8_slice_codeunits(last_words, 0, FIRST_LENGTH)
        )
    return _cut(joined, NAME_LENGTH), _cut(first_key, FIRST_LENGTH), surname


def phone_key_array(e164: pa.Array, raw: pa.Array) -> pa.Array:
    """``phone_key`` over Arrow arrays of E.164 forms and raw texts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    source = pc.coalesce(pc.cast(e164, pa.string()), pc.cast(raw, pa.string()), "")
    digits = pc.replace_substring_regex(source, r"[^0-9]+", "")
    reversed_ = pc.utf8_slice_codeunits(pc.utf8_reverse(digits), 0, PHONE_LENGTH)
    return pc.if_else(pc.equal(reversed_, ""), pa.scalar(None, pa.string()), reversed_)
