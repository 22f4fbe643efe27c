"""Matching a person typed by hand to the people on file (contacts.matching), scoped."""

from __future__ import annotations

import pytest

from fieldcrm.contacts.matching import PersonProbe, find_matches


@pytest.fixture
def rosa(world, make_contact):
    """Rosa Álvarez, in the voter file at 12 OAK ST APT 4 (East), not on Lena's list."""
    return make_contact(
        world.east,
        source="nc",
        first_name="ROSA",
        middle_name="MARIA",
        last_name="ÁLVAREZ",
        res_line1="12 OAK ST APT 4",
        res_house_number=12,
        res_street_name="OAK ST",
        res_unit="APT 4",
        res_zip5="27215",
        precinct_code="E1",
    )


def probe(first="Rosa", last="Alvarez", line1="12 Oak Street #4", zip5="27215", city=None):
    return PersonProbe(first, last, res_line1=line1, res_zip5=zip5, res_city=city)


def _ids(matches):
    return [m.contact.id for m in matches]


def test_find__case_accents_and_abbreviations_at_the_door(world, rosa):
    [match] = find_matches(world.organizer_ana, probe())
    assert match.contact.id == rosa.id
    assert (match.same_door, match.same_name) == (True, True)


@pytest.mark.parametrize(
    "typed",
    [
        probe(first="rosa", last="ÁLVAREZ", line1="12 OAK ST APT 4"),
        probe(line1="12 Oak St., Apartment 4"),
        probe(line1="12 Oak St"),  # unit not typed
        probe(last="Alvares"),  # a typo, at the same door
        probe(first="R"),
        probe(line1="12 Oak Street #4", zip5=None, city="Burlington"),
    ],
)
def test_find__fuzzy_variants(world, rosa, typed):
    assert _ids(find_matches(world.organizer_ana, typed)) == [rosa.id]


def test_find__another_unit_or_door_is_not_her_door(world, rosa):
    [elsewhere] = find_matches(world.organizer_ana, probe(line1="12 Oak St Apt 5"))
    assert elsewhere.contact.id == rosa.id
    assert elsewhere.same_door is False  # same name, offered after people at the door
    assert find_matches(world.organizer_ana, probe(last="Alvares", line1="14 Oak St")) == []


def test_find__door_matches_rank_first(world, rosa, make_contact):
    other = make_contact(world.east, first_name="ROSA", last_name="ALVAREZ", res_line1="99 ELM ST")
    assert _ids(find_matches(world.organizer_ana, probe())) == [rosa.id, other.id]


def test_find__only_people_the_actor_may_see(world, rosa):
    assert find_matches(world.organizer_omar, probe()) == []  # West organizer
    assert _ids(find_matches(world.director_dana, probe())) == [rosa.id]
    assert find_matches(world.organizer_tri, probe()) == []  # another region


def test_find__leader_sees_people_of_her_turf_only_at_the_typed_door(world, rosa, make_contact):
    """A leader is offered a person in her turf who is not on her list yet, but only for
    the door she typed: never a name search over the turf."""
    [match] = find_matches(world.leader_lena, probe())
    assert match.contact.id == rosa.id
    assert find_matches(world.leader_lena, probe(line1="40 Pine St")) == []
    assert find_matches(world.leader_lena, probe(line1=None, zip5=None)) == []
    west = make_contact(
        world.west,
        first_name="ROSA",
        last_name="ALVAREZ",
        res_line1="7 ELM ST",
        res_house_number=7,
    )
    assert find_matches(world.leader_lena, probe(line1="7 Elm St")) == []
    assert _ids(find_matches(world.organizer_omar, probe(line1="7 Elm St"))) == [west.id]


def test_find__no_name_no_matches_and_first_name_only_needs_the_door(world, rosa):
    assert find_matches(world.organizer_ana, probe(first="", last="")) == []
    assert _ids(find_matches(world.organizer_ana, probe(last=""))) == [rosa.id]
    assert find_matches(world.organizer_ana, probe(last="", line1="14 Oak St")) == []


def test_find__reads_two_indexed_queries(world, rosa, count_queries):
    find_matches(world.organizer_ana, probe())  # loads the signed-in user once
    with count_queries() as n:
        find_matches(world.organizer_ana, probe())
    assert n() <= 2
