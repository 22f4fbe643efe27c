"""Tests for fieldcrm.imports.layouts: header matching, recognition and mapping JSON."""

from __future__ import annotations

import pytest

from fieldcrm.imports.layouts import (
    LAYOUTS,
    NC_CURRENT_COLUMNS,
    looks_like_fl_row,
    normalize_header,
    recognise_header,
    resolve_mapping,
    validate_mapping,
)

# The first 36 columns of the current layout: enough to recognise it.
NC_CURRENT = list(NC_CURRENT_COLUMNS[:36])
NC_2018 = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "absent_ind",
    "name_prefx_cd",
    "last_name",
    "first_name",
    "midl_name",
    "name_sufx_cd",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "full_phone_number",
    "birth_age",
    "birth_place",
    "registr_dt",
    "Confidential_ind",
    "birth_year",
    "ncid",
    "vtd_abbrv",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Pref Phone ", "prefphone"),
        ("Voter File VANID", "voterfilevanid"),
        ("vb.tsmart_first_name", "vbtsmartfirstname"),
        ("\ufeffSOS_VOTERID", "sosvoterid"),
        ("Zip-Code", "zipcode"),
    ],
)
def test_normalize_header__ignores_case_space_underscore_dot(raw: str, expected: str) -> None:
    assert normalize_header(raw) == expected


def test_recognise_header__nc_current() -> None:
    layout = recognise_header(NC_CURRENT)
    assert layout is not None
    assert layout.name == "nc_current"


def test_recognise_header__nc_2018_names_map_by_header_not_position() -> None:
    layout = recognise_header(NC_2018)
    assert layout is not None
    assert layout.name == "nc_pre2022"
    mapping = resolve_mapping(layout, NC_2018)
    assert mapping["middle_name"] == "midl_name"
    assert mapping["name_suffix"] == "name_sufx_cd"
    assert mapping["voter_id"] == "ncid"


def test_recognise_header__ohio_with_history_columns() -> None:
    header = [
        "SOS_VOTERID",
        "LAST_NAME",
        "FIRST_NAME",
        "RESIDENTIAL_ADDRESS1",
        "GENERAL-11/08/2016",
    ]
    layout = recognise_header(header)
    assert layout is not None
    assert layout.name == "oh_swvf"
    assert "GENERAL-11/08/2016" not in resolve_mapping(layout, header).values()


@pytest.mark.parametrize(
    ("header", "voter_id"),
    [
        (["Voter File VANID", "FirstName", "LastName"], "Voter File VANID"),
        (["VANID", "First Name", "Last Name"], "VANID"),
        (["Van ID", "First Name"], "Van ID"),
        (["StateFileID", "FirstName"], "StateFileID"),
        (["LALVOTERID", "Voters_FirstName", "Voters_LastName"], "LALVOTERID"),
        (["vb.voterbase_id", "vb.tsmart_first_name"], "vb.voterbase_id"),
    ],
)
def test_resolve_mapping__generic_vendor_ids(header: list[str], voter_id: str) -> None:
    layout = recognise_header(header)
    assert layout is not None
    assert layout.name == "generic"
    assert resolve_mapping(layout, header)["voter_id"] == voter_id


def test_resolve_mapping__generic_phones_keep_every_column_and_odd_spacing() -> None:
    header = ["VANID", "Cell Phone", "Home Phone", "Preferred Phone", "Pref Phone ", "Phone"]
    mapping = resolve_mapping(LAYOUTS["generic"], header)
    assert mapping["cell_phone"] == "Cell Phone"
    assert mapping["home_phone"] == "Home Phone"
    assert mapping["phone"] == ["Preferred Phone", "Pref Phone ", "Phone"]


def test_resolve_mapping__names_only_is_identity() -> None:
    layout = recognise_header(["First Name", "Last Name", "Zip5"])
    assert layout is not None
    assert layout.name == "generic"


def test_recognise_header__no_identity_is_none() -> None:
    assert recognise_header(["color", "size", "City"]) is None


def test_looks_like_fl_row__shape() -> None:
    row = ["LAF", "100000001", "SMITH"] + [""] * 18 + ["04/27/1978", "10/01/1996"] + [""] * 15
    assert looks_like_fl_row(row)
    assert not looks_like_fl_row(row[:30])
    assert not looks_like_fl_row(["LAFF", *row[1:]])


@pytest.mark.parametrize(
    "bad",
    [{"voter_idd": "x"}, {"voter_id": ""}, {"voter_id": 3}, {"phone": []}, [1, 2]],
)
def test_validate_mapping__rejects_bad_shapes(bad: object) -> None:
    with pytest.raises(ValueError):
        validate_mapping(bad)


def test_validate_mapping__returns_copy() -> None:
    source = {"voter_id": "ID"}
    clean = validate_mapping(source)
    assert clean == source
    assert clean is not source
