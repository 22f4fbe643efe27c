"""Folding names and addresses for matching a typed person against people on file."""

from __future__ import annotations

import pytest

from fieldcrm.lib.matching import (
    door_of,
    first_names_match,
    fold,
    last_names_match,
    name_variants,
    same_door,
    similar_names,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Álvarez", "ALVAREZ"),
        ("Nuñez", "nunez"),
        ("José", "JOSE"),
        ("Łukasz", "LUKASZ"),
        ("Strauß", "STRAUSS"),
        ("  Mary-Jo  ", "mary jo"),
    ],
)
def test_fold__case_and_accents(a, b):
    assert fold(a) == fold(b)


def test_fold__none_and_blank():
    assert fold(None) == ""
    assert fold("   ") == ""


def test_name_variants__cover_stored_spellings():
    variants = name_variants("Álvarez")
    assert {"Álvarez", "ÁLVAREZ", "ALVAREZ", "Alvarez", "alvarez"} <= set(variants)
    assert name_variants("  ") == []


@pytest.mark.parametrize(
    ("typed", "on_file", "same"),
    [
        ("Álvarez", "ALVAREZ", True),
        ("De la Cruz", "DELACRUZ", True),
        ("O'Neil", "ONEIL", True),
        ("Álvarez", "ALVAREZ GARCIA", True),
        ("Alvarez", "ALVARADO", False),
        ("", "SMITH", False),
    ],
)
def test_last_names_match(typed, on_file, same):
    assert last_names_match(typed, on_file) is same


@pytest.mark.parametrize(
    ("typed", "on_file", "same"),
    [
        ("Rosa", "ROSA MARIA", True),
        ("R", "ROSA", True),
        ("Rob", "ROBERT", True),
        ("Ro", "ROBERT", False),
        ("Rosa", "ROSALIND", True),
        ("Maria", "ROSA", False),
        ("Rosa", None, False),
    ],
)
def test_first_names_match(typed, on_file, same):
    assert first_names_match(typed, on_file) is same


def test_similar_names__a_typo_not_another_name():
    assert similar_names("Alvares", "ALVAREZ")
    assert not similar_names("Bell", "BROOKS")


@pytest.mark.parametrize(
    ("typed", "on_file"),
    [
        (("12 Oak Street Apt 4", None, "27215"), ("12 OAK ST APT 4", None, "27215")),
        (("12 oak st #4", None, "27215"), ("12 OAK ST", "APT 4", "27215")),
        (("12 Oak St., Apartment 4", None, None), ("12  OAK ST  #4", None, "27215")),
        (("12 Oak St", None, "27215"), ("12 OAK ST APT 4", None, "27215")),  # unit unknown
        (("12 North Main Street", None, None), ("12 N MAIN ST", None, "27215")),
        (("12 Main", None, None), ("12 N MAIN ST", None, "27215")),
        (("12 Ñandú Avenue", None, None), ("12 NANDU AVE", None, None)),
    ],
)
def test_same_door__abbreviations_units_and_accents(typed, on_file):
    assert same_door(door_of(*typed), door_of(*on_file))


@pytest.mark.parametrize(
    ("typed", "on_file"),
    [
        (("12 Oak St Apt 4", None, "27215"), ("12 OAK ST APT 5", None, "27215")),
        (("14 Oak St", None, "27215"), ("12 OAK ST", None, "27215")),
        (("12 Oak St", None, "27215"), ("12 OAK ST", None, "27217")),
        (("12 Oak St", None, "27215"), ("12 ELM ST", None, "27215")),
        (("Oak St", None, "27215"), ("OAK ST", None, "27215")),  # no house number: no door
        ((None, None, "27215"), ("12 OAK ST", None, "27215")),
    ],
)
def test_same_door__different_doors(typed, on_file):
    assert not same_door(door_of(*typed), door_of(*on_file))
