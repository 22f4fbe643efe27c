"""The contacts' indexes of columns an import leaves empty hold only the filled rows, and
still serve every lookup by value (a value implies the column is filled)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import FILLED_ONLY_INDEXES, Contact
from fieldcrm.contacts.search import name_order_prefixes, search_clause
from fieldcrm.extensions import db
from fieldcrm.imports.changes import carried_columns
from fieldcrm.imports.writers import (
    INSERT_COLUMNS,
    costs_per_row,
    inserted_columns,
    secondary_indexes,
)
from fieldcrm.turf.models import Turf
from tests.fixtures.plans import index_definitions, query_plan


@pytest.mark.usefixtures("db")
def test_indexes__empty_columns_are_indexed_only_where_filled():
    stored = index_definitions()
    for name, columns in FILLED_ONLY_INDEXES.items():
        assert "WHERE" in stored[name], stored[name]
        assert f"{columns[0]} IS NOT NULL" in stored[name], stored[name]
    assert "turf_id IS NOT NULL" in stored["ix_contacts_turf_household"]
    # a ZIP code alone is served by the index it leads
    assert "ix_contacts_res_zip5" not in stored
    assert "ix_contacts_zip_house" in stored


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (lambda: Contact.owner_id == 7, "ix_contacts_owner_id"),
        # the ladder board's index (turf, stage), also filled rows only, may serve it too
        (
            lambda: Contact.ladder_stage_id == 3,
            "ix_contacts_ladder_stage_id|ix_contacts_turf_ladder",
        ),
        (lambda: Contact.van_id.in_(["101", "102"]), "ix_contacts_van_id"),
        (
            lambda: sa.and_(
                Contact.latitude.between(35.9, 36.1), Contact.longitude.between(-79.1, -78.9)
            ),
            "ix_contacts_lat_lon",
        ),
        (lambda: Contact.res_zip5 == "27302", "ix_contacts_zip_house"),
        # the turf index holds the people on a turf: a turf, a list, a scope's subquery
        (lambda: Contact.turf_id == 4, "ix_contacts_turf_household"),
        (lambda: Contact.turf_id.in_([4, 5]), "ix_contacts_turf_household"),
        (
            lambda: Contact.turf_id.in_(sa.select(Turf.id).where(Turf.region_id == 2)),
            "ix_contacts_turf_household",
        ),
    ],
)
@pytest.mark.usefixtures("db")
def test_indexes__a_lookup_by_value_reads_the_filled_only_index(where, index):
    plan = query_plan(sa.select(Contact.id).where(where()))
    assert any(name in plan for name in index.split("|")), plan


def test_indexes__removing_an_owner_still_lets_go_of_their_people(
    make_user, make_contact, make_turf
):
    turf = make_turf()
    organizer = make_user(role="organizer", turfs=[turf])
    mine = make_contact(turf, owner_id=organizer.id)
    other = make_contact(turf)
    db.session.delete(organizer)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Contact, mine.id).owner_id is None
    assert db.session.get(Contact, other.id) is not None


@pytest.mark.usefixtures("db")
def test_indexes__a_search_read_through_the_turfs_tests_the_names_on_index_entries():
    stored = index_definitions()["ix_contacts_turf_household"]
    q = "Mary Smith"  # the other matches, as the page reads them in a small scope
    others = search_clause(q, excluding=name_order_prefixes(q), on_rows=True)
    matches = sa.select(Contact.id).where(Contact.turf_id.in_([1, 2]), others)
    # counted as the search page counts a part (NameSearchPage._count): the ids unused
    stmt = sa.select(sa.func.count()).select_from(matches.limit(1001).subquery())
    plan = query_plan(stmt, forbid=("seqscan", "bitmapscan"))
    if db.engine.dialect.name == "postgresql":
        assert "INCLUDE (search_name, search_first, search_surname)" in stored, stored
        assert "Index Only Scan using ix_contacts_turf_household" in plan, plan
    else:  # no included columns: the rows are read, from the same index
        assert "ix_contacts_turf_household" in plan, plan


def test_indexes__a_bulk_load_keeps_only_indexes_its_inserts_add_nothing_to():
    kept = {ix.name: ix for ix in secondary_indexes() if not costs_per_row(ix)}
    assert set(kept) == {
        "ix_contacts_turf_household", "ix_contacts_owner_id", "ix_contacts_ladder_stage_id",
        "ix_contacts_turf_ladder", "ix_contacts_van_id", "ix_contacts_turf_attempts",
    }  # fmt: skip
    for index in kept.values():  # each holds rows where a column no import inserts is filled
        where = str(index.dialect_options["sqlite"]["where"])
        assert where == str(index.dialect_options["postgresql"]["where"])
        assert where.removesuffix(" IS NOT NULL") not in INSERT_COLUMNS
    # the coordinates: inserted when a file gives them (then built at the end), else not
    lat_lon = next(ix for ix in secondary_indexes() if ix.name == "ix_contacts_lat_lon")
    assert costs_per_row(lat_lon)
    names = {"voter_id": "ID", "first_name": "F", "last_name": "L", "res_line1": "A"}
    located = {**names, "latitude": "Y", "longitude": "X"}
    assert costs_per_row(lat_lon, inserted_columns(carried_columns(located, None)))
    assert not costs_per_row(lat_lon, inserted_columns(carried_columns(names, None)))
