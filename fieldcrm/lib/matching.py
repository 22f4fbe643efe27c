"""Is the person someone typed the same as a person on file? Folding names and addresses.

Pure functions, no database (``fieldcrm.contacts.matching`` applies them to the candidates
it reads). The rules:

* **Folding** (``fold``): Unicode NFKD with the combining marks dropped, the few letters
  that do not decompose spelled out (``ł ø đ æ œ ß ı``…), case folded, anything that is not a
  letter or digit a space, runs of spaces one. ``"Nuñez"``, ``"NUNEZ"`` and ``"nuñez"`` fold
  alike, as do ``"José"`` and ``"JOSE"``.
* **Names**: ``name_variants`` lists the spellings to look a typed name up by in an index
  (case forms; with the accents dropped; with one accent added, as most accented names
  carry one). Last names match when they fold to the same letters ignoring spaces, hyphens
  and apostrophes (``"De la Cruz"`` = ``"DELACRUZ"``, ``"O'Neil"`` = ``"ONEIL"``), or when every
  word typed is one of the words on file (``"Álvarez"`` finds ``"ALVAREZ GARCIA"``). First
  names match on their first word: equal, an initial of the other, or the start of the
  other from three letters (``"Rob"`` / ``"ROBERT"``). ``similar_names`` is the looser test
  used only at the same door: each name at least ``SIMILAR`` alike (a typo such as
  ``"Alvares"``).
* **Doors**: a residence line is split by ``fieldcrm.lib.addresses`` into house number,
  street and unit. Street words are folded and abbreviated the USPS way (``STREET`` → ``ST``,
  ``AVENUE`` → ``AVE``, ``NORTH`` → ``N``…, Publication 28's common suffixes and the
  directions); the unit drops its designator (``APT 4``, ``Apartment 4``, ``#4``, ``Unit 4``
  are unit ``4``). Two doors are the same when the house numbers are equal, the streets are
  equal (or equal once suffixes and directions are left out: ``"N Main"`` = ``"MAIN ST"``), the
  ZIPs (when both are known) are equal, and the units are equal or one side has none.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from typing import NamedTuple

from fieldcrm.lib.addresses import split_street_address

__all__ = [
    "Door",
    "door_of",
    "first_names_match",
    "fold",
    "last_names_match",
    "name_variants",
    "same_door",
    "similar_names",
]

SIMILAR = 0.8

# Letters NFKD leaves whole; spelled as their closest ASCII.
_SPELLED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
     "þ": "th", "Þ": "TH", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ħ": "h"}
)  # fmt: skip
_NOT_WORD = re.compile(r"[^0-9a-z]+")

# USPS Publication 28: common street suffixes and the directions, in their abbreviations.
STREET_SUFFIXES = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "avn": "ave", "road": "rd",
    "drive": "dr", "drv": "dr", "lane": "ln", "court": "ct", "crt": "ct", "boulevard": "blvd",
    "boul": "blvd", "place": "pl", "circle": "cir", "circ": "cir", "terrace": "ter",
    "parkway": "pkwy", "pky": "pkwy", "highway": "hwy", "hiway": "hwy", "trail": "trl",
    "square": "sq", "extension": "ext", "expressway": "expy", "freeway": "fwy",
    "turnpike": "tpke", "crossing": "xing", "alley": "aly", "cove": "cv", "crescent": "cres",
    "plaza": "plz", "route": "rte", "way": "way", "loop": "loop", "run": "run",
}  # fmt: skip
DIRECTIONS = {
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne",
    "northwest": "nw", "southeast": "se", "southwest": "sw",
}  # fmt: skip
OTHER_WORDS = {
    "saint": "st", "fort": "ft", "mount": "mt", "heights": "hts", "first": "1st",
    "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "sixth": "6th",
    "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
}  # fmt: skip
STREET_ABBREVIATIONS = {**STREET_SUFFIXES, **DIRECTIONS, **OTHER_WORDS}
_SUFFIXES_AND_DIRECTIONS = frozenset(STREET_SUFFIXES.values()) | frozenset(DIRECTIONS.values())
_UNIT_WORDS = frozenset(
    {"apt", "apartment", "unit", "ste", "suite", "lot", "rm", "room", "trlr", "spc", "space",
     "bldg", "fl", "floor", "dept", "no"}
)  # fmt: skip


def fold(text: object) -> str:
    """Case- and accent-folded words of `text`, one space apart ('' for None or blanks)."""
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def _joined(text: object) -> str:
    return fold(text).replace(" ", "")


# One accent a name typed without it may be stored with (Álvarez, Pérez, Nuñez, José…).
_ACCENTED = {"a": "á", "e": "éè", "i": "í", "o": "ó", "u": "úü", "n": "ñ", "c": "ç"}
MAX_VARIANTS = 240


def name_variants(text: str | None) -> list[str]:
    """Spellings a name may be stored under, for an indexed ``IN`` lookup before the
    folded comparison: as typed and without accents, each with one accent added (the way
    most accented names are written), each as typed, upper, title and lower case."""
    if not text or not text.strip():
        return []
    typed = " ".join(text.split())
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", typed.translate(_SPELLED))
        if not unicodedata.combining(ch)
    )  # fmt: skip
    spellings = {typed, bare}
    for i, ch in enumerate(bare):
        for accented in _ACCENTED.get(ch.lower(), ""):
            spellings.add(
                bare[:i] + (accented.upper() if ch.isupper() else accented) + bare[i + 1 :]
            )
    forms = {f(v) for v in spellings for f in (str, str.upper, str.title, str.lower)}
    return sorted(forms)[:MAX_VARIANTS]


def last_names_match(typed: str | None, on_file: str | None) -> bool:
    """True when the typed last name is the one on file (see the module docstring)."""
    a, b = _joined(typed), _joined(on_file)
    if not a or not b:
        return False
    if a == b:
        return True
    words_typed, words_file = set(fold(typed).split()), set(fold(on_file).split())
    return words_typed <= words_file or words_file <= words_typed


def first_names_match(typed: str | None, on_file: str | None) -> bool:
    """True when the first words agree: equal, an initial, or a 3+ letter start."""
    a = (fold(typed).split() or [""])[0]
    b = (fold(on_file).split() or [""])[0]
    if not a or not b:
        return not a  # nothing typed matches anyone; something typed needs a name on file
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and (len(short) == 1 or len(short) >= 3)


def similar_names(typed: str | None, on_file: str | None) -> bool:
    """True when the names are at least SIMILAR alike after folding (a typo)."""
    a, b = _joined(typed), _joined(on_file)
    return bool(a and b) and SequenceMatcher(None, a, b).ratio() >= SIMILAR


class Door(NamedTuple):
    """A residence reduced to what identifies the door."""

    number: str | None
    street: tuple[str, ...]
    unit: str | None
    zip5: str | None


def _street_words(street: str | None) -> tuple[str, ...]:
    return tuple(STREET_ABBREVIATIONS.get(w, w) for w in fold(street).split())


def _unit(text: str | None) -> str | None:
    words = [w for w in fold(text).split() if w not in _UNIT_WORDS]
    return "".join(words) or None


def door_of(line1: str | None, unit: str | None = None, zip5: str | None = None) -> Door | None:
    """The door of a residence line (and a separate unit, ZIP); None without a street."""
    parts = split_street_address(line1)
    if parts.street_name is None:
        return None
    number = fold(parts.house_number_raw).replace(" ", "") or None
    zip_clean = (zip5 or "").strip()[:5] or None
    unit_id = _unit(unit) or _unit(parts.unit)
    return Door(number, _street_words(parts.street_name), unit_id, zip_clean)


def _core(street: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in street if w not in _SUFFIXES_AND_DIRECTIONS)


def same_door(a: Door | None, b: Door | None) -> bool:
    """True when two doors are the same (see the module docstring)."""
    if a is None or b is None or a.number is None or a.number != b.number:
        return False
    if a.zip5 and b.zip5 and a.zip5 != b.zip5:
        return False
    if a.street != b.street and (not _core(a.street) or _core(a.street) != _core(b.street)):
        return False
    return a.unit is None or b.unit is None or a.unit == b.unit
