"""Honest column mapping: state layouts read through the generic aliases, warnings for expected
fields that are unmapped or mostly blank, partial saved mappings, date order and full names."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from fieldcrm.imports import reading
from fieldcrm.imports.layouts import MAPPING_KEYS, validate_mapping
from fieldcrm.imports.reading import FileRefused, detect, iter_chunks


def _write(path: Path, delimiter: str, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([row.get(name, "") for name in header] for row in rows)
    return path


def _frame(path: Path, **kwargs: object) -> tuple[pd.DataFrame, list, collections.Counter]:
    detection = detect(path, **kwargs)  # type: ignore[arg-type]
    chunks = list(iter_chunks(path, detection))
    warnings: collections.Counter = collections.Counter()
    for chunk in chunks:
        warnings.update(chunk.warnings)
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    return frame, [r for c in chunks for r in c.rejects], warnings


def _warnings(path: Path, **kwargs: object) -> list[dict]:
    detection = detect(path, **kwargs)  # type: ignore[arg-type]
    filled: collections.Counter = collections.Counter()
    for chunk in iter_chunks(path, detection):
        filled.update(reading.filled_counts(chunk))
    return reading.mapping_warnings(detection, filled)


# Real headers (LAYOUTS.md: reggie's column lists) with one made-up voter each.
CO_HEADER = [
    "VOTER_ID",
    "COUNTY_CODE",
    "COUNTY",
    "LAST_NAME",
    "FIRST_NAME",
    "MIDDLE_NAME",
    "NAME_SUFFIX",
    "VOTER_NAME",
    "STATUS_CODE",
    "PRECINCT_NAME",
    "ADDRESS_LIBRARY_ID",
    "HOUSE_NUM",
    "HOUSE_SUFFIX",
    "PRE_DIR",
    "STREET_NAME",
    "STREET_TYPE",
    "POST_DIR",
    "UNIT_TYPE",
    "UNIT_NUM",
    "ADDRESS_NON_STD",
    "RESIDENTIAL_ADDRESS",
    "RESIDENTIAL_CITY",
    "RESIDENTIAL_STATE",
    "RESIDENTIAL_ZIP_CODE",
    "RESIDENTIAL_ZIP_PLUS",
    "EFFECTIVE_DATE",
    "REGISTRATION_DATE",
    "STATUS",
    "STATUS_REASON",
    "BIRTH_YEAR",
    "GENDER",
    "PRECINCT",
    "SPLIT",
    "VOTER_STATUS_ID",
    "PARTY",
    "PARTY_AFFILIATION_DATE",
    "PHONE_NUM",
    "MAILING_ADDRESS_1",
    "MAILING_ADDRESS_2",
    "MAILING_ADDRESS_3",
    "MAILING_CITY",
    "MAILING_STATE",
    "MAILING_ZIP_CODE",
    "MAILING_ZIP_PLUS",
    "MAILING_COUNTRY",
    "SPL_ID",
    "PERMANENT_MAIL_IN_VOTER",
    "CONGRESSIONAL",
    "STATE_SENATE",
    "STATE_HOUSE",
    "ID_REQUIRED",
]
WA_HEADER = [
    "StateVoterID",
    "FName",
    "MName",
    "LName",
    "NameSuffix",
    "Birthyear",
    "Gender",
    "RegStNum",
    "RegStFrac",
    "RegStName",
    "RegStType",
    "RegUnitType",
    "RegStPreDirection",
    "RegStPostDirection",
    "RegStUnitNum",
    "RegCity",
    "RegState",
    "RegZipCode",
    "CountyCode",
    "PrecinctCode",
    "PrecinctPart",
    "LegislativeDistrict",
    "CongressionalDistrict",
    "Mail1",
    "Mail2",
    "Mail3",
    "MailCity",
    "MailZip",
    "MailState",
    "MailCountry",
    "Registrationdate",
    "LastVoted",
    "StatusCode",
]
MI_HEADER = [
    "VOTER_IDENTIFICATION_NUMBER",
    "LAST_NAME",
    "FIRST_NAME",
    "MIDDLE_NAME",
    "NAME_SUFFIX",
    "YEAR_OF_BIRTH",
    "GENDER",
    "REGISTRATION_DATE",
    "STREET_NUMBER_PREFIX",
    "STREET_NUMBER",
    "STREET_NUMBER_SUFFIX",
    "DIRECTION_PREFIX",
    "STREET_NAME",
    "STREET_TYPE",
    "DIRECTION_SUFFIX",
    "EXTENSION",
    "CITY",
    "STATE",
    "ZIP_CODE",
    "MAILING_ADDRESS_LINE_ONE",
    "MAILING_ADDRESS_LINE_TWO",
    "MAILING_ADDRESS_LINE_THREE",
    "MAILING_ADDRESS_LINE_FOUR",
    "MAILING_ADDRESS_LINE_FIVE",
    "COUNTY_CODE",
    "COUNTY_NAME",
    "JURISDICTION_CODE",
    "JURISDICTION_NAME",
    "PRECINCT",
    "WARD",
    "SCHOOL_DISTRICT_CODE",
    "STATE_HOUSE_DISTRICT_CODE",
    "STATE_SENATE_DISTRICT_CODE",
    "US_CONGRESS_DISTRICT_CODE",
    "VOTER_STATUS_TYPE_CODE",
]
WV_HEADER = [
    "ID_VOTER",
    "County_Name",
    "FIRST NAME",
    "Mid",
    "LAST NAME",
    "Suffix",
    "DATE OF BIRTH",
    "SEX",
    "HOUSE NO",
    "STREET",
    "STREET2",
    "UNIT",
    "CITY",
    "STATE",
    "ZIP",
    "REGISTRATION DATE",
    "PartyAffiliation",
    "Status",
    "Congressional District",
    "Senatorial District",
    "Delegate District",
    "Magisterial District",
    "Precinct_Number",
    "POLL_NAME",
]

GA_HEADER = [
    "County",
    "Voter Registration Number",
    "Status",
    "Status Reason",
    "Last Name",
    "First Name",
    "Middle Name",
    "Suffix",
    "Birth Year",
    "Registration Date",
    "Race",
    "Gender",
    "Residence Street Number",
    "Residence Street Name",
    "Residence Apt Unit Number",
    "Residence City",
    "Residence Zipcode",
    "Mailing Street Number",
    "Mailing Street Name",
    "Mailing Apt Unit Number",
    "Mailing City",
    "Mailing State",
    "Mailing Zipcode",
    "Mailing Country",
    "County Precinct",
    "Municipal Precinct",
    "Congressional District",
    "State Senate District",
    "State House District",
    "Judicial District",
    "County Commission District",
    "County School Board District",
    "Municipality",
    "Last Vote Date",
    "Last Party Voted",
    "Voter Created Date",
    "Last Modified Date",
    "Date of Last Contact",
    "Combo Number",
]

STATE_FILES = {
    "georgia": (
        ",",
        GA_HEADER,
        {
            "County": "FULTON",
            "Voter Registration Number": "08123456",
            "Status": "ACTIVE",
            "Last Name": "JOHNSON",
            "First Name": "KEISHA",
            "Birth Year": "1985",
            "Registration Date": "2003-09-30",
            "Residence Street Number": "55",
            "Residence Street Name": "TRINITY AVE SW",
            "Residence Apt Unit Number": "12",
            "Residence City": "ATLANTA",
            "Residence Zipcode": "30303",
            "County Precinct": "SS01",
            "Congressional District": "5",
        },
        ("08123456", "KEISHA", "JOHNSON", "55 TRINITY AVE SW", "ATLANTA", "30303"),
    ),
    "colorado": (
        ",",
        CO_HEADER,
        {
            "VOTER_ID": "600123456",
            "COUNTY": "DENVER",
            "LAST_NAME": "GARCIA",
            "FIRST_NAME": "ANA",
            "VOTER_NAME": "GARCIA, ANA",
            "HOUSE_NUM": "1437",
            "STREET_NAME": "BANNOCK",
            "STREET_TYPE": "ST",
            "RESIDENTIAL_ADDRESS": "1437 BANNOCK ST",
            "RESIDENTIAL_CITY": "DENVER",
            "RESIDENTIAL_STATE": "CO",
            "RESIDENTIAL_ZIP_CODE": "80202",
            "RESIDENTIAL_ZIP_PLUS": "1234",
            "REGISTRATION_DATE": "03/02/2010",
            "STATUS": "Active",
            "PARTY": "UAF",
            "PHONE_NUM": "3035550101",
            "MAILING_ADDRESS_1": "PO BOX 12",
            "MAILING_CITY": "DENVER",
            "MAILING_ZIP_CODE": "80201",
            "CONGRESSIONAL": "Congressional 1",
            "STATE_SENATE": "State Senate 31",
            "STATE_HOUSE": "State House 6",
        },
        ("600123456", "ANA", "GARCIA", "1437 BANNOCK ST", "DENVER", "80202"),
    ),
    "washington": (
        "|",
        WA_HEADER,
        {
            "StateVoterID": "WA000123456",
            "FName": "JANE",
            "MName": "Q",
            "LName": "DOE",
            "Birthyear": "1980",
            "RegStNum": "123",
            "RegStPreDirection": "N",
            "RegStName": "MAIN",
            "RegStType": "ST",
            "RegUnitType": "APT",
            "RegStUnitNum": "4",
            "RegCity": "OLYMPIA",
            "RegState": "WA",
            "RegZipCode": "98501",
            "CountyCode": "TH",
            "LegislativeDistrict": "22",
            "CongressionalDistrict": "10",
            "Mail1": "PO BOX 9",
            "MailCity": "OLYMPIA",
            "MailZip": "98507",
            "MailState": "WA",
            "Registrationdate": "01/15/2004",
            "StatusCode": "A",
        },
        ("WA000123456", "JANE", "DOE", "123 N MAIN ST", "OLYMPIA", "98501"),
    ),
    "michigan": (
        ",",
        MI_HEADER,
        {
            "VOTER_IDENTIFICATION_NUMBER": "1234567890123",
            "LAST_NAME": "NOWAK",
            "FIRST_NAME": "PIOTR",
            "YEAR_OF_BIRTH": "1975",
            "REGISTRATION_DATE": "2004-01-15",
            "STREET_NUMBER": "2200",
            "DIRECTION_PREFIX": "W",
            "STREET_NAME": "GRAND RIVER",
            "STREET_TYPE": "AVE",
            "EXTENSION": "APT 3",
            "CITY": "LANSING",
            "STATE": "MI",
            "ZIP_CODE": "48906",
            "COUNTY_NAME": "INGHAM",
            "STATE_HOUSE_DISTRICT_CODE": "68",
            "STATE_SENATE_DISTRICT_CODE": "21",
            "US_CONGRESS_DISTRICT_CODE": "7",
            "VOTER_STATUS_TYPE_CODE": "A",
        },
        ("1234567890123", "PIOTR", "NOWAK", "2200 W GRAND RIVER AVE", "LANSING", "48906"),
    ),
    "west_virginia": (
        "|",
        WV_HEADER,
        {
            "ID_VOTER": "1000123",
            "County_Name": "KANAWHA",
            "FIRST NAME": "MARY",
            "Mid": "LOU",
            "LAST NAME": "HATFIELD",
            "DATE OF BIRTH": "1/1/1952 0:00:00",
            "SEX": "F",
            "HOUSE NO": "17",
            "STREET": "QUARRIER ST",
            "CITY": "CHARLESTON",
            "STATE": "WV",
            "ZIP": "25301",
            "REGISTRATION DATE": "10/4/1970 0:00:00",
            "PartyAffiliation": "Republican      ",
            "Status": "Active",
            "Congressional District": "1",
            "Senatorial District": "17",
            "Delegate District": "35",
            "Precinct_Number": "101",
        },
        ("1000123", "MARY", "HATFIELD", "17 QUARRIER ST", "CHARLESTON", "25301"),
    ),
}


@pytest.mark.parametrize("state", sorted(STATE_FILES))
def test_generic_aliases__state_layouts_map_names_street_city_zip(
    tmp_path: Path, state: str
) -> None:
    delimiter, header, row, expected = STATE_FILES[state]
    path = _write(tmp_path / f"{state}.txt", delimiter, header, [row])
    frame, rejects, _ = _frame(path)
    assert rejects == []
    got = frame.loc[0, ["voter_id", "first_name", "last_name", "res_line1", "res_city", "res_zip5"]]
    assert tuple(got) == expected
    assert _warnings(path) == []


def test_generic_aliases__state_details(tmp_path: Path) -> None:
    co = _frame(_write(tmp_path / "co.csv", ",", CO_HEADER, [STATE_FILES["colorado"][2]]))[0]
    assert co.loc[0, ["res_zip4", "cd", "sd", "hd", "status"]].tolist() == [
        "1234",
        "1",
        "31",
        "6",
        "active",
    ]
    wa = _frame(_write(tmp_path / "wa.txt", "|", WA_HEADER, [STATE_FILES["washington"][2]]))[0]
    assert wa.loc[0, ["res_unit", "county", "sd", "hd", "mail_line1", "mail_zip"]].tolist() == [
        "4",
        "TH",
        "22",
        "22",
        "PO BOX 9",
        "98507",
    ]
    wv = _frame(_write(tmp_path / "wv.txt", "|", WV_HEADER, [STATE_FILES["west_virginia"][2]]))[0]
    assert wv.loc[0, ["middle_name", "party", "hd", "sd", "precinct_code"]].tolist() == [
        "LOU",
        "REPUBLICAN",
        "35",
        "17",
        "101",
    ]
    assert wv.loc[0, "birth_date"] == dt.date(1952, 1, 1)


# --- warnings about the mapping -----------------------------------------------------------------


def test_mapping_warnings__unmapped_expected_fields_are_named(tmp_path: Path) -> None:
    # address columns under names no alias knows (e.g. a state without a layout)
    path = tmp_path / "odd.csv"
    path.write_text(
        "Voter ID,First Name,Last Name,Residence Line,Town,Postcode\n1,A,B,1 Main,X,1\n"
    )
    found = {(w["field"], w["problem"]) for w in _warnings(path)}
    assert found == {("res_line1", "unmapped"), ("res_city", "unmapped"), ("res_zip", "unmapped")}


def test_mapping_warnings__mostly_blank_field_is_warned_with_counts(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    rows = ["1,A,B,1 Main St,Mebane,", "2,C,D,2 Main St,Mebane,", "3,E,F,3 Main St,Mebane,27302"]
    path.write_text("Voter ID,First Name,Last Name,Address,City,Zip\n" + "\n".join(rows) + "\n")
    assert _warnings(path) == [
        {"field": "res_zip", "problem": "blank", "column": "Zip", "blank": 2, "rows": 3}
    ]
    text = reading.describe_mapping_warning(_warnings(path)[0])
    assert text == "res_zip (from Zip) is blank in 2 of 3 rows"


def test_mapping_warnings__full_name_counts_as_names(tmp_path: Path) -> None:
    path = tmp_path / "full.csv"
    path.write_text('Full Name,Address,City,Zip\n"Lee, Ann",1 Main St,Mebane,27302\n')
    assert _warnings(path) == []


# --- partial user mappings ----------------------------------------------------------------------


SHEET = (
    "State Code Number,First Name,Last Name,Address,City,Zip\nK-1,Ann,Lee,1 Main St,Mebane,27302\n"
)


def test_detect__partial_mapping_overrides_only_the_fields_it_names(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text(SHEET)
    detection = detect(path, mapping={"voter_id": "State Code Number"})
    assert detection.layout == "generic"
    assert detection.mapping["voter_id"] == "State Code Number"
    assert detection.mapping["first_name"] == "First Name"
    frame = _frame(path, mapping={"voter_id": "State Code Number"})[0]
    assert frame.loc[0, ["voter_id", "first_name", "last_name", "res_city"]].tolist() == [
        "K-1",
        "Ann",
        "Lee",
        "Mebane",
    ]


def test_detect__null_in_a_mapping_removes_a_detected_field(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text(SHEET)
    detection = detect(path, mapping={"voter_id": "State Code Number", "res_city": None})
    assert "res_city" not in detection.mapping
    assert {w["field"] for w in _warnings(path, mapping={"res_city": None})} >= {"res_city"}


# --- date order -----------------------------------------------------------------------------


def test_date_order__mmddyyyy_dates_need_mdy(tmp_path: Path) -> None:
    row = dict(STATE_FILES["michigan"][2], REGISTRATION_DATE="01152004")
    path = _write(
        tmp_path / "mi.csv", ",", MI_HEADER, [row, dict(row, REGISTRATION_DATE="12312010")]
    )
    frame, _, warnings = _frame(path)
    assert frame["registration_date"].isna().all()
    assert warnings["invalid_registration_date"] == 2
    assert _warnings(path) == [
        {
            "field": "registration_date",
            "problem": "dates",
            "column": "REGISTRATION_DATE",
            "invalid": 2,
            "rows": 2,
        }
    ]
    frame, _, warnings = _frame(path, mapping={"date_order": "MDY"})
    assert _warnings(path, mapping={"date_order": "MDY"}) == []
    assert frame["registration_date"].tolist() == [dt.date(2004, 1, 15), dt.date(2010, 12, 31)]
    assert warnings["invalid_registration_date"] == 0
    assert detect(path, mapping={"date_order": "mdy"}).date_order == "MDY"


def test_date_order__dmy_reads_day_first(tmp_path: Path) -> None:
    path = tmp_path / "uk.csv"
    path.write_text("Voter ID,First Name,Last Name,DOB\n1,A,B,31/01/1980\n2,C,D,02011990\n")
    frame = _frame(path, mapping={"date_order": "DMY"})[0]
    assert frame["birth_date"].tolist() == [dt.date(1980, 1, 31), dt.date(1990, 1, 2)]
    assert _frame(path)[0]["birth_date"].isna().all()  # month 31 / 1990-20-11 are no dates


def test_date_order__only_known_orders(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="date_order must be one of MDY, DMY, YMD"):
        validate_mapping({"date_order": "MYD"})
    path = tmp_path / "sheet.csv"
    path.write_text(SHEET)
    with pytest.raises(FileRefused, match="date_order"):
        detect(path, mapping={"date_order": 1})


def test_validate_mapping__unknown_field_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown field 'shoe_size'") as info:
        validate_mapping({"shoe_size": "Size"})
    message = str(info.value)
    for key in ("voter_id", "full_name", "res_zip", "cell_phone", "date_order"):
        assert key in message
    assert message.endswith(", ".join(MAPPING_KEYS))


# --- full names -----------------------------------------------------------------------------


def test_full_name__split_when_the_file_gives_no_names(tmp_path: Path) -> None:
    path = tmp_path / "derived.csv"
    path.write_text(
        "Full Name,Address,City,Zip\n"
        '"SMITH, JOHN A JR",1 Main St,Mebane,27302\n'
        "Maria de la Cruz,2 Elm St,Mebane,27302\n"
        "Maria de la Cruz,3 Oak St,Mebane,27302\n"
        ",4 Ash St,Mebane,27302\n"
    )
    detection = detect(path)
    assert detection.mapping["full_name"] == "Full Name"
    frame, rejects, _ = _frame(path)
    parts = frame[["first_name", "middle_name", "last_name", "name_suffix", "display_name"]]
    assert parts.astype(object).where(parts.notna(), None).values.tolist() == [
        ["JOHN", "A", "SMITH", "JR", "John Smith Jr"],
        ["Maria", None, "de la Cruz", None, "Maria de la Cruz"],
        ["Maria", None, "de la Cruz", None, "Maria de la Cruz"],
    ]
    assert [(r.line, r.reason) for r in rejects] == [(5, "no voter id and no name")]


def test_full_name__mapped_name_columns_win(tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    path.write_text(
        "Voter ID,First Name,Last Name,Full Name\n1,Ann,Lee,Lee Ann\n2,,Day,Bo Day Sr\n"
    )
    frame = _frame(path)[0]
    assert frame["first_name"].tolist() == ["Ann", "Bo"]
    assert frame["last_name"].tolist() == ["Lee", "Day"]
    assert frame["name_suffix"].isna().tolist() == [True, False]


def test_readme__lists_every_valid_field_name() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[
        readme.index("Valid field names") : readme.index("and the option `date_order`")
    ]
    listed = re.findall(r"`([a-z0-9_]+)`", section)
    assert [*listed, "date_order"] == list(MAPPING_KEYS)


def test_generic_aliases__a_made_up_sheet_repeating_iowa_names_is_refused(tmp_path: Path) -> None:
    # Iowa's names, but not Iowa's layout (no MIDDLE_NAME, NAME_SUFFIX after the names): the
    # repeats are not the documented ones, so which CITY is which is unknown
    header = "REGN_NUM,FIRST_NAME,LAST_NAME,HOUSE_NUM,STREET_NAME,CITY,STATE,ZIP_CODE,"
    header += "MAILING_ADDRESS,CITY,STATE,ZIP_CODE"
    path = tmp_path / "ia.csv"
    path.write_text(header + "\n1,A,B,1,MAIN ST,AMES,IA,50010,PO BOX 1,AMES,IA,50010\n")
    with pytest.raises(FileRefused, match='"CITY" \\(column 6\\) and "CITY" \\(column 10\\)'):
        detect(path)


# Iowa's statewide list as the Secretary of State writes it (the shared voter-file notes;
# column order as in Voteshield/reggie's iowa.yaml): CITY three times, STATE, ZIP_CODE and
# ZIP_PLUS twice, POLITICAL_ORGANIZATION six times, and five groups of history columns.
IA_MAIN = [
    "REGN_NUM",
    "FIRST_NAME",
    "MIDDLE_NAME",
    "LAST_NAME",
    "NAME_SUFFIX",
    "EFF_REGN_DATE",
    "LAST_UPDATED_DATE",
    "OLD_ID",
    "PHONENO",
    "HOUSE_NUM",
    "HOUSE_SUFFIX",
    "PRE_DIR",
    "STREET_NAME",
    "STREET_TYPE",
    "POST_DIR",
    "UNIT_TYPE",
    "UNIT_NUM",
    "ADDRESS_NON_STD",
    "CITY",
    "STATE",
    "ZIP_CODE",
    "ZIP_PLUS",
    "MAILING_ADDRESS",
    "CITY",
    "STATE",
    "ZIP_CODE",
    "ZIP_PLUS",
    "VOTERSTATUS",
    "PARTY",
    "POLITICAL_ORGANIZATION",
    "GENDER",
    "BIRTHDATE",
    "COUNTY",
    "FEDERAL",
    "CONGRESSIONAL",
    "STATEWIDE",
    "STATE_SENATE",
    "STATE_HOUSE",
    "JUDICIAL",
    "PRECINCT",
    "COUNTY_SUPERVISOR",
    "COUNTYWIDE",
    "TOWNSHIP",
    "CITY_COUNCIL_WARD",
    "CITY",
    "COMMUNITY_COLLEGE_DIRECTOR",
    "COMMUNITY_COLLEGE",
    "SCHOOL_DIRECTOR",
    "SCHOOL",
    "SANITARY",
    "AGRICULTURAL_EXTENSION",
    "SOIL_AND_WATER",
    "WATER",
    "FIRE",
    "LAND",
    "LAKE",
    "LOSST_CONTIGUOUS_CITIES",
    "RECREATIONAL",
    "RURAL_IMPROVEMENT_ZONE",
    "SEWER",
    "LIGHT",
    "MISCELLANEOUS",
]
IA_HISTORY = [
    *["GENERAL_ELECTION_DATE", "GENERAL_VOTERVOTEMETHOD"] * 5,
    *[
        "PRIMARY_ELECTION_DATE",
        "PRIMARY_VOTERVOTEMETHOD",
        "POLITICAL_PARTY",
        "POLITICAL_ORGANIZATION",
    ]
    * 5,
    *[
        f"{kind}_{part}"
        for kind in ("SCHOOL", "CITY", "SPECIAL", "CITY/SCHOOL")
        for _ in range(5)
        for part in ("ELECTION_DATE", "VOTERVOTEMETHOD")
    ],
]


def _ia_row(n: int, mailing_city: str) -> list[str]:
    values = dict.fromkeys(range(len(IA_MAIN) + len(IA_HISTORY)), "")
    main = {
        "REGN_NUM": f"{n}",
        "FIRST_NAME": "ANN",
        "LAST_NAME": f"LEE{n}",
        "EFF_REGN_DATE": "03/15/2012",
        "HOUSE_NUM": "12",
        "STREET_NAME": "OAK",
        "STREET_TYPE": "ST",
        "VOTERSTATUS": "Active",
        "PARTY": "DEM",
        "BIRTHDATE": "07/04/1980",
        "COUNTY": "Story",
        "PRECINCT": "AM1",
    }
    for i, name in enumerate(IA_MAIN):
        values[i] = main.get(name, "")
    # residence, mailing and the city-district column, by position
    city = [i for i, name in enumerate(IA_MAIN) if name == "CITY"]
    state = [i for i, name in enumerate(IA_MAIN) if name == "STATE"]
    zips = [i for i, name in enumerate(IA_MAIN) if name == "ZIP_CODE"]
    values[city[0]], values[state[0]], values[zips[0]] = "AMES", "IA", "50010"
    values[city[1]], values[state[1]], values[zips[1]] = mailing_city, "MN", "55401"
    values[city[2]] = "AMES CITY DISTRICT"
    values[IA_MAIN.index("MAILING_ADDRESS")] = "PO BOX 9"
    values[len(IA_MAIN)] = "11/08/2022"
    return list(values.values())


def test_iowa_statewide__real_header_imports_reading_repeats_by_position(tmp_path: Path) -> None:
    path = tmp_path / "IA_Part1.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(IA_MAIN + IA_HISTORY)
        writer.writerow(_ia_row(1, "MINNEAPOLIS"))
        writer.writerow(_ia_row(2, "ST PAUL"))
    detection = detect(path)
    assert detection.layout == "ia_statewide"
    assert detection.state == "IA"
    assert detection.mapping["res_city"] == "CITY"
    assert detection.mapping["mail_city"] == "MAILING_CITY"
    frame, rejects, _warnings = _frame(path)
    assert rejects == []
    assert frame["voter_id"].tolist() == ["1", "2"]
    assert frame["res_city"].tolist() == ["AMES", "AMES"]
    assert frame["res_zip5"].tolist() == ["50010", "50010"]
    assert frame["mail_city"].tolist() == ["MINNEAPOLIS", "ST PAUL"]
    assert frame["mail_state"].tolist() == ["MN", "MN"]
    assert frame["mail_zip"].tolist() == ["55401", "55401"]
    assert frame["mail_line1"].tolist() == ["PO BOX 9", "PO BOX 9"]
    assert frame["registration_date"].tolist() == [dt.date(2012, 3, 15)] * 2
    assert frame["status"].tolist() == ["active", "active"]
    assert frame["res_line1"].tolist() == ["12 OAK ST", "12 OAK ST"]


def test_iowa_statewide__a_mapping_names_the_mailing_columns(tmp_path: Path) -> None:
    path = tmp_path / "IA_Part1.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(IA_MAIN + IA_HISTORY)
        writer.writerow(_ia_row(1, "MINNEAPOLIS"))
    # the mailing city as the residence city (a campaign mailing to where voters get mail)
    frame, _rejects, _warnings = _frame(path, mapping={"res_city": "MAILING_CITY"})
    assert frame["res_city"].tolist() == ["MINNEAPOLIS"]
    assert frame["mail_city"].tolist() == ["MINNEAPOLIS"]


def test_iowa_statewide__a_later_part_repeating_the_header_skips_it(tmp_path: Path) -> None:
    path = tmp_path / "IA.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part, n in (("Part1", 1), ("Part2", 2)):
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(IA_MAIN + IA_HISTORY)
            writer.writerow(_ia_row(n, "AMES"))
            archive.writestr(f"IA_{part}.csv", text.getvalue())
    frame, rejects, _warnings = _frame(path)
    assert rejects == []
    assert frame["voter_id"].tolist() == ["1", "2"]


def test_iowa_statewide__a_repeat_the_layout_does_not_document_is_refused(
    tmp_path: Path,
) -> None:
    header = [*IA_MAIN, "FIRST_NAME", *IA_HISTORY]
    path = tmp_path / "IA_Part1.csv"
    row = _ia_row(1, "AMES")
    path.write_text(",".join(header) + "\n" + ",".join([*row[:62], "X", *row[62:]]) + "\n")
    with pytest.raises(FileRefused, match="more than once") as info:
        detect(path)
    assert '"FIRST_NAME" (column 2) and "FIRST_NAME" (column 63)' in info.value.reason
    assert "CITY" not in info.value.reason
