"""Read queries for contacts: scoped search, households, filters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_sqlalchemy.pagination import Pagination

from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.models import Affiliation, Contact, Tag, contact_tags
from fieldcrm.contacts.search import name_order_prefixes, name_prefix_clause, search_clause
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_scope, visible_contacts, walks_past_scope

__all__ = [
    "SORTS",
    "ContactFilters",
    "contacts_list",
    "contacts_page",
    "filter_clauses",
    "household_members",
    "search_clause",  # fieldcrm.contacts.search, where the search box is read
    "tag_names",
]

SORTS = {
    # the folded name key: Álvarez sorts with Alvarez, and its index serves the order
    "name": (Contact.search_name, Contact.id),
    "address": (Contact.res_street_name, Contact.res_house_number, Contact.id),
    "recent": (Contact.last_contacted_at.desc().nulls_last(), Contact.id),
    "support": (Contact.support_level.nulls_last(), Contact.search_name, Contact.id),
}


@dataclass(frozen=True)
class ContactFilters:
    """What the contacts list can be narrowed by (all optional)."""

    q: str = ""
    turf_id: int | None = None
    support_level: int | None = None
    ladder_stage_id: int | None = None
    tag: str | None = None
    organization_id: int | None = None
    language: str | None = None
    not_contacted: bool = False
    sort: str = "name"


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_clauses(filters: ContactFilters) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses on Contact for the list's filters (the export narrows by the same ones)."""
    clauses: list[sa.ColumnElement[bool]] = []
    clause = search_clause(filters.q)
    if clause is not None:
        clauses.append(clause)
    if filters.turf_id:
        clauses.append(Contact.turf_id == filters.turf_id)
    if filters.support_level:
        clauses.append(Contact.support_level == filters.support_level)
    if filters.ladder_stage_id:
        clauses.append(Contact.ladder_stage_id == filters.ladder_stage_id)
    if filters.tag:
        clauses.append(
            Contact.id.in_(
                sa.select(contact_tags.c.contact_id)
                .join(Tag, Tag.id == contact_tags.c.tag_id)
                .where(Tag.name == filters.tag)
            )
        )
    if filters.organization_id:
        clauses.append(
            Contact.id.in_(
                sa.select(Affiliation.contact_id).where(
                    Affiliation.organization_id == filters.organization_id
                )
            )
        )
    if filters.language:
        clauses.append(
            sa.func.lower(Contact.preferred_languages).like(_like(filters.language.lower()))
        )
    if filters.not_contacted:
        clauses.append(Contact.last_contacted_at.is_(None))
    return clauses


SEARCH_COUNT_CAP = 1000  # a search counts its matches up to this many ("more than 1,000")


def _list_loads() -> tuple[Any, ...]:
    """What a row of the list shows besides the contact (built when used: options made at
    import would configure the mappers before every model is defined)."""
    return (
        so.selectinload(Contact.phones),
        so.joinedload(Contact.turf).lazyload("*"),  # its name, not its organizers
        so.joinedload(Contact.ladder_stage),
    )


def contacts_list(actor: User, filters: ContactFilters) -> sa.Select[tuple[Contact]]:
    """Scoped, filtered, sorted SELECT for the contacts list (every match, as the export)."""
    stmt = visible_contacts(actor).options(*_list_loads())
    order = SORTS.get(filters.sort, SORTS["name"])
    if order is SORTS["name"] and search_clause(filters.q) is not None:
        # A search finds its few people through its own indexes, and sorting them is cheap.
        # Ordered by the bare column, planners may instead walk the name index in order
        # (ORDER BY ... LIMIT), reading every row before the first matches.
        order = (Contact.search_name.concat(""), Contact.id)
    return stmt.where(*filter_clauses(filters)).order_by(*order)


def contacts_page(
    actor: User, filters: ContactFilters, per_page: int, max_per_page: int
) -> Pagination:
    """A page of the contacts list (the page number from the request).

    A search by name, in name order, is a ``NameSearchPage``: the people the query names in
    order first, then the others, and a count that stops at SEARCH_COUNT_CAP. Anything else
    is a page of ``contacts_list`` with its exact count.
    """
    prefixes = name_order_prefixes(filters.q) if filters.sort == "name" else []
    if not prefixes:
        return db.paginate(
            contacts_list(actor, filters),
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=False,
        )
    others = filter_clauses(replace(filters, q=""))
    ranges = [name_prefix_clause(p) for p in prefixes]
    # Walking: the bare column, so that the name index serves the range and its order, read
    # only as far as a page or the capped count needs. A small scope is read through its
    # turfs and sorted instead (fieldcrm.scoping.walks_past_scope); a leader's list, a few
    # people, is always read whole.
    walk = actor.role != Role.LEADER and walks_past_scope(actor, SEARCH_COUNT_CAP + 1)
    order = SORTS["name"] if walk else (Contact.search_name.concat(""), Contact.id)
    turfs = "walk" if walk else "list"
    parts = [visible_contacts(actor, turfs).where(r, *others).order_by(*order) for r in ranges]
    # The other matches: probes of the name indexes, or a small scope read through its turfs.
    rest = search_clause(filters.q, excluding=prefixes, on_rows=not walk)
    parts.append(
        visible_contacts(actor, "list" if walk else "in")
        .where(rest, *others)
        .order_by(Contact.search_name.concat(""), Contact.id)
    )
    return NameSearchPage(
        per_page=per_page, max_per_page=max_per_page, error_out=False, parts=parts
    )


class NameSearchPage(Pagination):
    """A page over consecutive parts (SELECTs of contacts, each in its own order).

    ``total`` is exact up to SEARCH_COUNT_CAP; past it ``capped`` is set and ``total`` is
    what the pages so far show. Each part is counted only as far as needed: a page near the
    start of a large first part reads that page and SEARCH_COUNT_CAP + 1 index entries.
    """

    capped = False
    more = False

    def _parts(self) -> list[sa.Select[tuple[Contact]]]:
        return self._query_args["parts"]  # type: ignore[no-any-return]

    @staticmethod
    def _count(stmt: sa.Select[tuple[Contact]], up_to: int) -> int:
        """Rows of ``stmt``, counted up to ``up_to``."""
        limited = stmt.with_only_columns(Contact.id).order_by(None).limit(up_to).subquery()
        return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0

    @staticmethod
    def _read(part: sa.Select[tuple[Contact]], skip: int, rows: int) -> list[Contact]:
        """``rows`` contacts of ``part`` after ``skip``: their ids first, from the part's own
        indexes in its order, then the contacts and what a row shows. (Joined to the turfs
        and stages, a planner that misjudges the range's size may gather all of it to sort.)
        """
        page = part.with_only_columns(Contact.id).offset(skip).limit(rows)
        ids = list(db.session.scalars(page))
        if not ids:
            return []
        found = db.session.scalars(
            sa.select(Contact).where(Contact.id.in_(ids)).options(*_list_loads())
        ).unique()
        by_id = {c.id: c for c in found}
        return [by_id[i] for i in ids if i in by_id]  # (one deleted in between is gone)

    def _query_items(self) -> list[Any]:
        skip, wanted = self._query_offset, self.per_page + 1  # one more: is there a next?
        items: list[Contact] = []
        self.sizes: dict[int, int] = {}  # the exact size of the parts read to their end
        for n, part in enumerate(self._parts()):
            if len(items) >= wanted:
                break
            if skip:  # is the page past this part?
                rows = self._count(part, skip)
                if rows < skip:
                    self.sizes[n] = rows
                    skip -= rows
                    continue
            asked = wanted - len(items)
            read = self._read(part, skip, asked)
            if len(read) < asked:
                self.sizes[n] = skip + len(read)
            items.extend(read)
            skip = 0
        self.more = len(items) > self.per_page
        return items[: self.per_page]

    def _query_count(self) -> int:
        self.count_cap = cap = SEARCH_COUNT_CAP
        counted = 0
        for n, part in enumerate(self._parts()):
            size = self.sizes.get(n)
            counted += self._count(part, cap + 1 - counted) if size is None else size
            if counted > cap:
                self.capped = True
                return self._query_offset + len(self.items) + int(self.more)
        return counted

    @property
    def has_next(self) -> bool:
        return self.more


def household_members(actor: User, contact: Contact) -> list[Contact]:
    """Other people at the same door that the actor may see."""
    if not contact.household_key:
        return []
    stmt = (
        sa.select(Contact)
        .where(
            Contact.household_key == contact.household_key,
            Contact.id != contact.id,
            contact_scope(actor),
        )
        .order_by(Contact.last_name, Contact.first_name)
        .limit(30)
    )
    return list(db.session.scalars(stmt))


def tag_names() -> sa.Select[Any]:
    """All tag names, for filter choices."""
    return sa.select(Tag.name).order_by(Tag.name)
