"""The report cache: reused while nothing changes, recomputed after any tracked write."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm import datacache
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db


def _counting():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def test_cached__reused_until_a_write(world):
    calls, compute = _counting()
    assert datacache.cached("t", 1, compute) == 1
    assert datacache.cached("t", 1, compute) == 1
    assert datacache.cached("t", 2, compute) == 2  # another key
    world.east_1.support_level = 2
    db.session.commit()
    assert datacache.cached("t", 1, compute) == 3


def test_cached__bulk_update_and_core_insert_count(world):
    calls, compute = _counting()
    datacache.cached("t", 1, compute)
    db.session.execute(sa.update(Contact).values(do_not_contact=False))
    db.session.commit()
    datacache.cached("t", 1, compute)
    db.session.execute(sa.text("UPDATE turfs SET name = name"))  # plain SQL counts too
    db.session.commit()
    datacache.cached("t", 1, compute)
    assert len(calls) == 3


def test_cached__rolled_back_write_keeps_the_cache(world):
    calls, compute = _counting()
    datacache.cached("t", 1, compute)
    version = datacache.data_version()
    world.east_1.support_level = 5
    db.session.flush()
    db.session.rollback()
    assert datacache.data_version() == version
    datacache.cached("t", 1, compute)
    assert len(calls) == 1


def test_cached__untracked_tables_do_not_invalidate(world):
    from fieldcrm.audit import record

    calls, compute = _counting()
    datacache.cached("t", 1, compute)
    record("test.event")
    db.session.commit()
    datacache.cached("t", 1, compute)
    assert len(calls) == 1


def test_cached__database_without_the_table_is_never_cached(world):
    db.session.execute(sa.text("DROP TABLE data_versions"))
    db.session.commit()
    datacache.clear()
    calls, compute = _counting()
    world.east_1.support_level = 3
    db.session.commit()  # a tracked write still works
    datacache.cached("t", 1, compute)
    datacache.cached("t", 1, compute)
    assert len(calls) == 2
    datacache.DataVersion.__table__.create(db.session.connection())
    db.session.commit()
    datacache.clear()


def test_cached__a_write_that_changed_no_row_keeps_the_cache(world):
    calls, compute = _counting()
    datacache.cached("t", 1, compute)
    db.session.execute(sa.update(Contact).where(Contact.id == -1).values(do_not_contact=True))
    db.session.execute(sa.text("DELETE FROM turfs WHERE id = -1"))
    db.session.commit()
    datacache.cached("t", 1, compute)
    assert len(calls) == 1
    db.session.execute(sa.update(Contact).values(do_not_contact=False))  # matches rows
    db.session.commit()
    datacache.cached("t", 1, compute)
    assert len(calls) == 2


def test_cached__unplaced_contacts_only_recompute_reports_that_read_them(world):
    per_turf, _ = _counting()
    everything, _ = _counting()

    def both():
        datacache.cached("per-turf", 1, lambda: per_turf.append(1), reads_unplaced=False)
        datacache.cached("everything", 1, lambda: everything.append(1))

    both()
    datacache.bump(db.session.connection(), unplaced_only=True)
    db.session.commit()
    both()
    assert (len(per_turf), len(everything)) == (1, 2)
    datacache.bump(db.session.connection())
    db.session.commit()
    both()
    assert (len(per_turf), len(everything)) == (2, 3)


def test_cached__writes_to_people_and_to_structure_bump_their_own_counters(world):
    people = datacache.data_version()
    structure = db.session.scalar(sa.select(datacache.structure_version()))
    world.east_1.support_level = 3
    db.session.commit()
    assert datacache.data_version() == people + 1
    assert db.session.scalar(sa.select(datacache.structure_version())) == structure
    # one transaction writing both kinds bumps both
    world.east_1.support_level = 4
    world.east.name = "East side"
    db.session.commit()
    assert datacache.data_version() == people + 3
    assert db.session.scalar(sa.select(datacache.structure_version())) == structure + 1
