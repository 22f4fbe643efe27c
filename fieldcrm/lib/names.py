"""Split a full name ("Last, First Middle Jr" or "First Middle Last Jr") into its parts.

Derived sheets often carry one "Full Name" column. The parsing is nameparser's (a maintained
library with years of real-name cases behind it), not our own rules:

* With a comma, the part before the first comma is the last name: ``"SMITH, JOHN A JR"`` is
  first ``JOHN``, middle ``A``, last ``SMITH``, suffix ``JR``; a suffix before the comma also
  counts (``"Smith Jr., John"``).
* Without a comma the order is first, middle(s), last: ``"John Adam Smith III"``.
* Suffixes are Jr, Sr, II, III, IV and the others nameparser knows (V, Esq, MD, PhD, ...).
* Last-name particles stay with the last name: ``"Maria de la Cruz"``, ``"Ludwig van
  Beethoven"``, ``"VAN DER BERG, PIETER"``.
* A title (Mr, Dr, Sen, ...) is dropped; when it is the only word before the last name it is
  the first name instead (``"Judge Reinhold"`` is a person called Judge). A nickname in quotes
  or parentheses (``MARIE "MARION" SMITH``) is dropped.
* One word is a first name; blank parts are ``None``. Text is kept as written (no re-casing).
"""

from __future__ import annotations

from typing import NamedTuple

from nameparser import HumanName

__all__ = ["NameParts", "split_full_name"]


class NameParts(NamedTuple):
    """The parts of a full name; ``None`` where the name has no such part."""

    first: str | None
    middle: str | None
    last: str | None
    suffix: str | None


def split_full_name(text: str | None) -> NameParts:
    """Split ``text`` into first, middle, last and suffix (see the module docstring)."""
    if text is None or not text.strip():
        return NameParts(None, None, None, None)
    name = HumanName(text)
    first = name.first or (name.title if not name.middle else "")
    return NameParts(
        first or None,
        name.middle or None,
        name.last or None,
        name.suffix or None,
    )
