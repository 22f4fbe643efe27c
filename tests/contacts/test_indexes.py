"""The contacts' indexes of columns an import leaves empty hold only the filled rows, and
still serve every lookup by value (a value implies the column is filled)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import FILLED_ONLY_INDEXES, Contact
from fieldcrm.contacts.search import name_order_prefixes, search_clause
from fieldcrm.extensions import db
from tests.fixtures.plans import index_definitions, query_plan


@pytest.mark.usefixtures("db")
def test_indexes__empty_columns_are_indexed_only_where_filled():
    stored = index_definitions()
    for name, columns in FILLED_ONLY_INDEXES.items():
        assert "WHERE" in stored[name], stored[name]
        assert f"{columns[0]} IS NOT NULL" in stored[name], stored[name]
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
