"""The contacts search box: what a typed query means, as one WHERE clause an index can serve.

A query is read as people type it:

* **A phone number** in any common shape (``(336) 555-0101``, ``336.555.0101``,
  ``+1 336 555 0101``, ``3365550101``, or just its ending, ``555-0101`` or ``0101``) matches
  a contact with a phone ending in those digits (``contact_phones.reversed_digits``; a
  dialable number is compared without its country code).
* **Name words**, folded for case and accents (``Álvarez``, ``alvarez``, ``ALVAREZ`` are one
  word): every word must start a word of the person's name, and at least one must start the
  last name, the first name or the last word of a compound last name
  (``contacts.search_name`` / ``search_first`` / ``search_surname``, prefix ranges on their
  indexes). ``jose alv``, ``Álvarez José`` and ``nunez`` all find José Álvarez-Núñez.
* A word with a digit may also be a **voter id** (as typed or upper-cased); five digits may
  be a **ZIP code**. A word of letters and digits (``BN00012345``) is a voter id or a name
  word.
* **An address**: a house number followed by street words (``12 oak``, ``12 Oak St``)
  matches an address line starting with that number and having those words. This is the one
  shape that is not a pure index lookup: it reads the address lines of the actor's scope.

Searching never runs a function over every row: names and phones are matched through keys
stored when they were written (fieldcrm.lib.search_keys).

**Order.** The list shows first the people a name query names in order, last name first or
first name first (``name_order_prefixes``: for "Mary Smith", the people whose name key
starts "mary smith" or "smith mary", as Smith, Mary Ann), then the other matches, by name
(fieldcrm.contacts.queries.contacts_page). Those first people are ranges of the name index
in name order, so a page of a common name ("Mary Smith" among millions) never gathers every
match before showing the first ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import permutations

import phonenumbers
import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.lib.phones import parse_phone
from fieldcrm.lib.search_keys import fold, prefix_upper

MAX_WORDS = 6
MAX_ORDERED_WORDS = 3  # up to this many words, every order of them is an ordered match
MIN_PHONE_DIGITS = 4
_PHONE_SHAPE = re.compile(r"^[0-9+().\-/ ]+$")
_HOUSE_NUMBER = re.compile(r"^([0-9]{1,6})[A-Za-z]?$")
_NON_DIGITS = re.compile(r"[^0-9]")


@dataclass(frozen=True)
class ParsedQuery:
    """What a query asks for; see the module docstring."""

    words: tuple[str, ...] = ()  # folded name words
    numbers: tuple[str, ...] = ()  # tokens of digits (and phone punctuation), as typed
    voter_ids: tuple[str, ...] = ()  # tokens of letters and digits: a name word or a voter id
    phone: str | None = None  # the whole query is a phone number: its key prefix
    house_number: str | None = None  # the query starts with a house number ...
    street_words: tuple[str, ...] = ()  # ... followed by these street words (upper case)


def phone_prefix(text: str) -> str | None:
    """The ``reversed_digits`` prefix of the phones that end like ``text`` (None: too short).

    A dialable number counts without its country code, so ``+1 336 555 0101`` and
    ``(336) 555-0101`` look for the same ten digits.
    """
    digits = _NON_DIGITS.sub("", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    parsed = parse_phone(text)
    if parsed.dialable and parsed.e164:
        digits = phonenumbers.national_significant_number(phonenumbers.parse(parsed.e164))
    return digits[::-1]


def parse_query(q: str | None) -> ParsedQuery:
    """Read a search box query (at most MAX_WORDS words are used)."""
    text = " ".join((q or "").split())[:200]
    if not text:
        return ParsedQuery()
    if " " in text and _PHONE_SHAPE.match(text) and phone_prefix(text):
        return ParsedQuery(phone=phone_prefix(text))  # "(336) 555-0101", "+1 336 555 0101"
    tokens = text.split(" ")[:MAX_WORDS]
    words: list[str] = []
    numbers: list[str] = []
    voter_ids: list[str] = []
    for token in tokens:
        if not any(c.isdigit() for c in token):
            words.extend(fold(token).split())
        elif _PHONE_SHAPE.match(token):
            numbers.append(token)
        else:  # "BN00012345", or a name with digits as test and bench data have
            voter_ids.append(token)
            words.extend(fold(token).split())
    house = _HOUSE_NUMBER.match(tokens[0])
    street = tuple(w.upper() for t in tokens[1:] for w in fold(t).split())
    return ParsedQuery(
        words=tuple(dict.fromkeys(words))[:MAX_WORDS],
        numbers=tuple(numbers),
        voter_ids=tuple(voter_ids),
        house_number=tokens[0].upper() if house and street else None,
        street_words=street if house else (),
    )


def _starts(column: sa.ColumnElement[str], prefix: str) -> sa.ColumnElement[bool]:
    """``column`` starts with ``prefix``: an index range on both databases."""
    return sa.and_(column >= prefix, column < prefix_upper(prefix))


def _has_word(column: sa.ColumnElement[str], word: str) -> sa.ColumnElement[bool]:
    """A word of ``column`` (words separated by one space) starts with ``word``."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return (sa.literal(" ") + column).like(f"% {escaped}%", escape="\\")


def _with_phone_ending(prefix: str) -> sa.Select[tuple[int]]:
    return sa.select(ContactPhone.contact_id).where(_starts(ContactPhone.reversed_digits, prefix))


def _number_clause(token: str) -> sa.ColumnElement[bool]:
    """Contacts with this voter id, ZIP code or phone ending: one ``id IN (... UNION ...)``
    of index lookups (an OR of them would not be one index scan on PostgreSQL)."""
    other = so.aliased(Contact)  # not correlated with the outer query's contacts
    found = [_voter_ids(other, (token,))]
    digits = _NON_DIGITS.sub("", token)
    if len(digits) == 5 and token == digits:
        found.append(sa.select(other.id).where(other.res_zip5 == digits))
    if _PHONE_SHAPE.match(token):
        prefix = phone_prefix(token)
        if prefix:
            found.append(_with_phone_ending(prefix))
    return Contact.id.in_(sa.union_all(*found) if len(found) > 1 else found[0])


def _typed(tokens: tuple[str, ...]) -> list[str]:
    """The voter ids a token may be: as typed or upper-cased."""
    return sorted({v for t in tokens for v in (t, t.upper())})


def _voter_ids(other: type[Contact], tokens: tuple[str, ...]) -> sa.Select[tuple[int]]:
    return sa.select(other.id).where(other.voter_id.in_(_typed(tokens)))


def _name_clause(
    words: tuple[str, ...],
    voter_ids: tuple[str, ...],
    excluding: tuple[str, ...] = (),
    on_rows: bool = False,
) -> sa.ColumnElement[bool]:
    """Every word starts a word of the name; one of them starts the last name, the first name
    or the last word of the last name (and the name key starts with none of ``excluding``).

    The probes are an ``id IN (... UNION ALL ...)`` of index ranges, so the index drives the
    query on both databases even without planner statistics (SQLite has none unless someone
    ran ANALYZE, and would otherwise read the actor's whole scope by turf). Each probe tests
    the other words on the name key its index holds (fieldcrm.contacts.models), so a common
    word's probe ("mary") reads the rows of the people who match, not of every Mary.

    ``on_rows``: the same test written on each row, for a query that reads a small scope
    through its turfs instead (fieldcrm.scoping.walks_past_scope): its cost is the scope's
    size, where a probe's is its word's, and a common first name can be a tenth of a state.
    """
    # Probe with the words of two letters or more (one letter ranges over too much).
    probes = [w for w in words if len(w) > 1] or list(words)
    if on_rows:  # `|| ''`: kept off the name indexes, which a planner would OR together
        name, first, surname = (
            c.concat("")
            for c in (Contact.search_name, Contact.search_first, Contact.search_surname)
        )
        tests = [_has_word(name, w) for w in words] if len(words) > 1 else []
        tests += [sa.not_(_starts(name, prefix)) for prefix in excluding]
        leads = [_starts(column, w) for w in probes for column in (name, first, surname)]
        if voter_ids:
            leads.append(Contact.voter_id.in_(_typed(voter_ids)))
        return sa.and_(sa.or_(*leads), *tests)
    other = so.aliased(Contact)  # not correlated with the outer query's contacts
    # a lone word is a prefix of the last or first name, hence of a name word
    tests = [_has_word(other.search_name, w) for w in words] if len(words) > 1 else []
    tests += [sa.not_(_starts(other.search_name, prefix)) for prefix in excluding]
    found = [
        sa.select(other.id).where(_starts(column, w), *tests)
        for w in probes
        for column in (other.search_name, other.search_first, other.search_surname)
    ]
    if voter_ids:  # a word with digits may be a voter id instead
        found.append(_voter_ids(other, voter_ids).where(*tests))
    return Contact.id.in_(sa.union_all(*found))


def name_order_prefixes(q: str | None) -> list[str]:
    """For a query of name words only, the ``search_name`` prefixes of the people it names in
    order, last name first: ``["mary smith", "smith mary"]`` for "Mary Smith" (Smith, Mary
    is the second). Sorted, and none is a prefix of another, so the ranges they start follow
    one another in name order. Empty when the query has anything but name words of two
    letters or more (each range is then also a match of ``search_clause``: its first word
    starts the last name and every word starts a word of the name).
    """
    parsed = parse_query(q)
    words = parsed.words
    if not words or parsed.numbers or parsed.voter_ids or any(len(w) < 2 for w in words):
        return []
    orders = permutations(words) if len(words) <= MAX_ORDERED_WORDS else [words]
    return sorted({" ".join(order) for order in orders})


def name_prefix_clause(prefix: str) -> sa.ColumnElement[bool]:
    """``search_name`` starts with ``prefix``: one range of the name index, in name order."""
    return _starts(Contact.search_name, prefix)


def search_clause(
    q: str | None, excluding: list[str] | None = None, on_rows: bool = False
) -> sa.ColumnElement[bool] | None:
    """A WHERE clause on Contact for a search box query, or None for an empty query.

    ``excluding``: name-key prefixes (``name_order_prefixes``) whose people are left out,
    tested inside the search indexes. ``on_rows``: names tested on each row of a scope read
    through its turfs (see ``_name_clause``).
    """
    parsed = parse_query(q)
    if parsed.phone is not None:
        return Contact.id.in_(_with_phone_ending(parsed.phone))
    if not parsed.words and not parsed.numbers:
        return None
    clauses = [_number_clause(token) for token in parsed.numbers]
    if parsed.words:
        name = _name_clause(parsed.words, parsed.voter_ids, tuple(excluding or ()), on_rows)
        clauses.insert(0, name)
    clause = sa.and_(*clauses)
    if parsed.house_number is not None:
        line = sa.func.upper(Contact.res_line1)
        at_address = sa.and_(
            line.like(f"{parsed.house_number} %"),
            *(_has_word(line, w) for w in parsed.street_words),
        )
        clause = sa.or_(clause, at_address)
    return clause
