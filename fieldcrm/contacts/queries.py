"""Read queries for contacts: scoped search, households, filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Affiliation, Contact, Tag, contact_tags
from fieldcrm.contacts.search import search_clause
from fieldcrm.scoping import contact_scope, visible_contacts

__all__ = [
    "SORTS",
    "ContactFilters",
    "contacts_list",
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


def contacts_list(actor: User, filters: ContactFilters) -> sa.Select[tuple[Contact]]:
    """Scoped, filtered, sorted SELECT for the contacts list."""
    stmt = visible_contacts(actor).options(
        so.selectinload(Contact.phones),
        so.joinedload(Contact.turf),
        so.joinedload(Contact.ladder_stage),
    )
    order = SORTS.get(filters.sort, SORTS["name"])
    if order is SORTS["name"] and search_clause(filters.q) is not None:
        # A search finds its few people through its own indexes, and sorting them is cheap.
        # Ordered by the bare column, planners may instead walk the name index in order
        # (ORDER BY ... LIMIT), reading every row before the first matches.
        order = (Contact.search_name.concat(""), Contact.id)
    return stmt.where(*filter_clauses(filters)).order_by(*order)


def household_members(actor: User, contact: Contact) -> list[Contact]:
    """Other people at the same door that the actor may see."""
    if not contact.household_key:
        return []
    from fieldcrm.extensions import db

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
