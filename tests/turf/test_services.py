"""Turf services: definitions, overlaps, reassignment, universes, radius, goals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.turf import services

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-79.5, 36.0], [-79.4, 36.0], [-79.4, 36.1], [-79.5, 36.1], [-79.5, 36.0]]],
}
OTHER_SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-79.45, 36.05], [-79.3, 36.05], [-79.3, 36.2], [-79.45, 36.2], [-79.45, 36.05]]
    ],
}


def test_update_turf__bumps_version_only_when_definition_changes(world):
    turf = world.east
    assert services.update_turf(world.admin_dev, turf, "East renamed", ["E1"]) is False
    assert turf.definition_version == 1
    assert turf.name == "East renamed"
    assert services.update_turf(world.admin_dev, turf, "East renamed", ["E1", "e2"]) is True
    assert turf.definition_version == 2
    assert turf.precinct_codes == ["E1", "E2"]


@pytest.mark.parametrize(
    ("name", "precincts", "field"),
    [("", ["E1"], "name"), ("West", ["E1"], "name"), ("East", [], None)],
)
def test_update_turf__rejects_bad_input(world, name, precincts, field):
    with pytest.raises(ValidationFailed) as err:
        services.update_turf(world.admin_dev, world.east, name, precincts)
    assert err.value.errors[0][0] == field


def test_ensure_can_manage_region__director_only_in_own_region(world):
    services.ensure_can_manage_region(world.director_dana, world.piedmont)
    services.ensure_can_manage_region(world.admin_dev, world.triangle)
    with pytest.raises(PermissionDenied):
        services.ensure_can_manage_region(world.director_dana, world.triangle)
    with pytest.raises(PermissionDenied):
        services.ensure_can_manage_region(world.organizer_ana, world.piedmont)


def test_turf_overlaps__precincts_zips_and_areas(world, make_turf):
    make_turf("Zips", world.triangle, precinct_codes=["Z9"], zip_codes=["27215"])
    area = make_turf("Area", world.triangle, precinct_codes=["A9"])
    area.geojson = SQUARE
    db.session.commit()
    found = services.turf_overlaps(["e1", "Q1"], ["27215"], OTHER_SQUARE)
    assert ("East", "precincts E1") in found
    assert ("Zips", "ZIP codes 27215") in found
    assert ("Area", "drawn area") in found
    assert services.turf_overlaps(["E1"], [], None, exclude_turf_id=world.east.id) == []


def test_assign_contacts_to_turfs__precinct_then_area_then_zip(world, make_turf, make_contact):
    zips = make_turf("Zip turf", world.triangle, precinct_codes=["Z1"], zip_codes=["27302"])
    area = make_turf("Area turf", world.triangle, precinct_codes=["A1"])
    area.geojson = SQUARE
    db.session.commit()
    in_area_with_zip = make_contact(None, res_zip5="27302", latitude=36.05, longitude=-79.45)
    zip_only = make_contact(None, res_zip5="27302", latitude=35.0, longitude=-78.0)
    precinct_wins = make_contact(
        None, precinct_code="E1", res_zip5="27302", latitude=36.05, longitude=-79.45
    )
    no_point = make_contact(None, res_zip5="27302")
    changed = services.assign_contacts_to_turfs()
    db.session.expire_all()
    assert db.session.get(Contact, in_area_with_zip.id).turf_id == area.id
    assert db.session.get(Contact, zip_only.id).turf_id == zips.id
    assert db.session.get(Contact, precinct_wins.id).turf_id == world.east.id
    assert db.session.get(Contact, no_point.id).turf_id == zips.id
    assert changed >= 4
    assert services.assign_contacts_to_turfs() == 0  # stable: nothing moves twice


def test_assign_contacts_to_turfs__no_turfs_nothing_to_move(db, make_contact, count_queries):
    people = [make_contact(None, precinct_code="E1", res_zip5="27302") for _ in range(3)]
    db.session.commit()
    batch = sa.select(Contact.id).where(Contact.id.in_([p.id for p in people]))
    with count_queries() as statements:
        assert services.assign_contacts_to_turfs(batch) == 0
        assert services.assign_contacts_to_turfs() == 0
    # the turfs, then one probe of the turf index each: no count, no rollup shares, no UPDATE
    assert statements() == 4


def test_assign_contacts_to_turfs__turfs_naming_no_one_still_clear_a_stale_turf(
    db, make_turf, make_contact
):
    turf = make_turf("Emptied")
    stays = make_contact(turf, precinct_code=turf.precinct_codes[0])
    turf.precinct_codes = []  # its definition emptied: no code names anyone now
    db.session.commit()
    batch = sa.select(Contact.id).where(Contact.id == stays.id)
    assert services.assign_contacts_to_turfs(batch) == 1
    db.session.expire_all()
    assert db.session.get(Contact, stays.id).turf_id is None


def test_set_turf_people__assigns_and_rotates_sessions(world):
    before = world.organizer_omar.session_token
    services.set_turf_people(
        world.admin_dev, world.east, [world.organizer_ana.id, world.organizer_omar.id]
    )
    db.session.commit()
    assert {u.id for u in world.east.users} == {world.organizer_ana.id, world.organizer_omar.id}
    assert world.organizer_omar.session_token != before
    with pytest.raises(ValidationFailed):
        services.set_turf_people(world.admin_dev, world.east, [world.director_dana.id])


@pytest.mark.parametrize(
    ("universe", "expected"),
    [("all", 4), ("not_reached", 2), ("persuadable", 2), ("unidentified", 2), ("stale", 3)],
)
def test_universe_clause__filters(world, make_contact, universe, expected):
    now = utcnow()
    make_contact(world.durham, support_level=2, last_contacted_at=now)
    make_contact(world.durham, support_level=3)
    make_contact(world.durham, last_contacted_at=now - timedelta(days=40))
    make_contact(world.durham, do_not_contact=True)
    # plus world.durham_1: no support level, never reached
    count = db.session.scalar(
        sa.select(sa.func.count(Contact.id)).where(
            Contact.turf_id == world.durham.id, services.universe_clause(universe, now)
        )
    )
    assert count == expected


def test_universe_clause__unknown_name():
    with pytest.raises(ValidationFailed):
        services.universe_clause("everyone-ish", utcnow())


def test_set_weekly_goal__director_sets_for_own_organizers(world):
    goal = services.set_weekly_goal(
        world.director_dana, world.organizer_ana, services.GoalInput(attempts=100)
    )
    monday = date(2026, 11, 23)
    week = services.set_weekly_goal(
        world.director_dana,
        world.organizer_ana,
        services.GoalInput(attempts=50, week_start=monday),
    )
    db.session.commit()
    assert services.goal_for(world.organizer_ana.id, monday).id == week.id
    assert services.goal_for(world.organizer_ana.id, monday + timedelta(days=7)).id == goal.id
    with pytest.raises(NotFound):
        services.set_weekly_goal(world.director_dana, world.organizer_tri, services.GoalInput())
    with pytest.raises(ValidationFailed):
        services.set_weekly_goal(
            world.admin_dev,
            world.organizer_ana,
            services.GoalInput(week_start=monday + timedelta(1)),
        )


def test_set_turf_people__director_only_picks_people_of_own_region(world):
    with pytest.raises(ValidationFailed):
        services.set_turf_people(world.director_dana, world.east, [world.organizer_tri.id])
    services.set_turf_people(world.director_dana, world.east, [world.organizer_omar.id])
    assert [u.name for u in world.east.users] == ["Omar"]
