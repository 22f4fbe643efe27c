"""Built-in voter-file layouts and column mappings, as plain data (no pandas).

A *layout* says how to recognise a file and where each canonical field comes from. A *mapping*
(``dict`` canonical field -> source column name, or a list of names) is the resolved form used by
the reader; users can save their own mappings as JSON and pass them instead of a layout.

Mapping values:

* phone kinds (``cell_phone``, ``home_phone``, ``daytime_phone``, ``phone``): a list means several
  phone columns of that kind, each giving its own phone row;
* ``<kind>_area_code``: a column whose 3-digit value is put in front of 7-digit numbers of that
  kind (Florida delivers the daytime phone as area code + number);
* every other field: a list means "join the non-blank values with one space" (NC mailing lines,
  a street address delivered in parts);
* ``full_name``: one column holding the whole name, split into first/middle/last/suffix where
  those are not mapped or blank (``fieldcrm.lib.names``);
* ``null`` (``None``): "this file has no such column", so detection does not fill it in;
* the option ``date_order`` (``"MDY"``, ``"DMY"`` or ``"YMD"``, not a column): how to read
  8-digit dates and the day/month order of ``a/b/yyyy`` dates.

A user mapping applied to a file whose layout is recognised overrides the detected mapping only
for the fields it names.

Header names are compared after ``normalize_header`` (case, spaces, underscores, dots and hyphens
ignored), never by position when the file has a header.
"""

from __future__ import annotations

import collections
import json
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field

__all__ = [
    "CANONICAL_FIELDS",
    "LAYOUTS",
    "PHONE_KINDS",
    "Layout",
    "Mapping",
    "EXPECTED_FIELDS",
    "MAPPING_KEYS",
    "MAPPING_OPTIONS",
    "has_names",
    "mapping_from_json",
    "mapping_to_json",
    "merge_mapping",
    "split_options",
    "normalize_header",
    "recognise_header",
    "resolve_mapping",
    "validate_mapping",
]

Mapping = dict[str, str | list[str]]

#: Phone mapping keys and the ``kind`` written in the phones frame.
PHONE_KINDS: dict[str, str] = {
    "cell_phone": "cell",
    "home_phone": "home",
    "daytime_phone": "daytime",
    "phone": "phone",
}
AREA_CODE_FIELDS: dict[str, str] = {f"{key}_area_code": key for key in PHONE_KINDS}

#: Canonical fields a mapping may name (besides phone kinds and their area codes).
CANONICAL_FIELDS: tuple[str, ...] = (
    "voter_id",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "full_name",
    "birth_date",
    "birth_year",
    "sex",
    "race",
    "ethnicity",
    "party",
    "res_line1",
    "res_unit",
    "res_city",
    "res_state",
    "res_zip",
    "res_zip4",
    "mail_line1",
    "mail_city",
    "mail_state",
    "mail_zip",
    "mail_zip4",
    "county",
    "precinct_code",
    "precinct_name",
    "cd",
    "sd",
    "hd",
    "registration_date",
    "status",
    "latitude",
    "longitude",
    "email",
    "exempt_flag",
    "record_source",
)
#: Mapping keys that are options, not columns, and the values each accepts.
MAPPING_OPTIONS: dict[str, tuple[str, ...]] = {"date_order": ("MDY", "DMY", "YMD")}
#: Every key a mapping may hold, in the order the docs list them.
MAPPING_KEYS: tuple[str, ...] = (
    *CANONICAL_FIELDS,
    *PHONE_KINDS,
    *AREA_CODE_FIELDS,
    *MAPPING_OPTIONS,
)
_ALL_KEYS = frozenset(MAPPING_KEYS)
#: Fields every voter file is expected to give; the check warns when one is unmapped or blank
#: in most rows (``res_zip`` is checked as the normalised ``res_zip5``).
EXPECTED_FIELDS: tuple[str, ...] = ("first_name", "last_name", "res_line1", "res_city", "res_zip")

_HEADER_JUNK = re.compile(r"[\s_\-.]+")


def normalize_header(name: str) -> str:
    """Header name for comparison: lower case without BOM, spaces, ``_``, ``-`` or ``.``."""
    return _HEADER_JUNK.sub("", name.replace("\ufeff", "").strip().lower())


STATUS_CANONICAL = ("active", "inactive", "removed", "denied", "preregistered", "temporary")

_GENERIC_STATUS: dict[str, str] = {
    "A": "active",
    "ACT": "active",
    "ACTIVE": "active",
    "REGISTERED": "active",
    "I": "inactive",
    "INA": "inactive",
    "INACTIVE": "inactive",
    "CONFIRMATION": "inactive",
    "SUSPENSE": "inactive",
    "R": "removed",
    "REMOVED": "removed",
    "C": "removed",
    "CANCELLED": "removed",
    "CANCELED": "removed",
    "PURGED": "removed",
    "D": "denied",
    "DENIED": "denied",
    "P": "preregistered",
    "PRE": "preregistered",
    "PREREG": "preregistered",
    "PREREGISTERED": "preregistered",
    "TEMPORARY": "temporary",
}


@dataclass(frozen=True)
class Layout:
    """How to recognise one kind of voter file and where its canonical fields come from."""

    name: str
    description: str
    state: str | None
    has_header: bool
    #: canonical key -> candidate source names; the first present wins (phones: all present)
    fields: MappingABC[str, tuple[str, ...]]
    #: normalised header names that must all be present (headered layouts)
    required: tuple[str, ...] = ()
    #: column names in order (headerless layouts)
    columns: tuple[str, ...] = ()
    delimiter: str | None = None
    quoting: str | None = None
    #: how to read 8-digit dates: "ymd" (YYYYMMDD) or "mdy" (MMDDYYYY)
    eight_digit_dates: str = "ymd"
    status_map: MappingABC[str, str] = field(default_factory=lambda: dict(_GENERIC_STATUS))
    #: state assumed when the residence state is blank (FL leaves it blank)
    default_state: str | None = None
    #: values of ``exempt_flag`` that mark a public-records-exempt (masked) row
    exempt_values: tuple[str, ...] = ()
    #: canonical keys whose candidate names are all joined (mail lines), not alternatives
    joined: tuple[str, ...] = ()
    #: canonical key -> alternatives (required names, names joined in order) used when no
    #: single candidate of ``fields`` is present: a street address delivered in parts
    composite: MappingABC[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = field(
        default_factory=dict
    )
    #: normalised names the header must start with, in this order (instead of ``required``)
    leading: tuple[str, ...] = ()
    #: cells were written by FieldCRM's spreadsheet-safe CSV: undo its formula guard
    formula_guard: bool = False
    #: a phone cell may list several phones separated by this text
    phone_separator: str | None = None
    #: phones and emails are only added to a contact, never removed
    additive_children: bool = False
    #: names the layout's documented header repeats, read by position: normalised name ->
    #: the names its 2nd, 3rd, ... occurrences are read as (see ``distinct_header``)
    repeated: MappingABC[str, tuple[str, ...]] = field(default_factory=dict)


_NC_FIELDS: dict[str, tuple[str, ...]] = {
    "voter_id": ("ncid",),
    "first_name": ("first_name",),
    "middle_name": ("middle_name", "midl_name"),
    "last_name": ("last_name",),
    "name_suffix": ("name_suffix_lbl", "name_sufx_cd"),
    "birth_year": ("birth_year",),
    "sex": ("gender_code",),
    "race": ("race_code",),
    "ethnicity": ("ethnic_code",),
    "party": ("party_cd",),
    "res_line1": ("res_street_address",),
    "res_city": ("res_city_desc",),
    "res_state": ("state_cd",),
    "res_zip": ("zip_code",),
    "mail_line1": ("mail_addr1", "mail_addr2", "mail_addr3", "mail_addr4"),
    "mail_city": ("mail_city",),
    "mail_state": ("mail_state",),
    "mail_zip": ("mail_zipcode",),
    "county": ("county_desc",),
    "precinct_code": ("precinct_abbrv",),
    "precinct_name": ("precinct_desc",),
    "cd": ("cong_dist_abbrv",),
    "sd": ("nc_senate_abbrv",),
    "hd": ("nc_house_abbrv",),
    "registration_date": ("registr_dt",),
    "status": ("status_cd",),
    "phone": ("full_phone_number",),
}

_NC_STATUS = {
    "A": "active",
    "I": "inactive",
    "R": "removed",
    "D": "denied",
    "S": "temporary",
}

_FL_COLUMNS: tuple[str, ...] = (
    "county_code",
    "voter_id",
    "name_last",
    "name_suffix",
    "name_first",
    "name_middle",
    "public_records_exemption",
    "residence_address_line_1",
    "residence_address_line_2",
    "residence_city",
    "residence_state",
    "residence_zipcode",
    "mailing_address_line_1",
    "mailing_address_line_2",
    "mailing_address_line_3",
    "mailing_city",
    "mailing_state",
    "mailing_zipcode",
    "mailing_country",
    "gender",
    "race",
    "birth_date",
    "registration_date",
    "party_affiliation",
    "precinct",
    "precinct_group",
    "precinct_split",
    "precinct_suffix",
    "voter_status",
    "congressional_district",
    "house_district",
    "senate_district",
    "county_commission_district",
    "school_board_district",
    "daytime_area_code",
    "daytime_phone_number",
    "daytime_phone_extension",
    "email_address",
)

_FL_FIELDS: dict[str, tuple[str, ...]] = {
    "voter_id": ("voter_id",),
    "first_name": ("name_first",),
    "middle_name": ("name_middle",),
    "last_name": ("name_last",),
    "name_suffix": ("name_suffix",),
    "exempt_flag": ("public_records_exemption",),
    "res_line1": ("residence_address_line_1",),
    "res_unit": ("residence_address_line_2",),
    "res_city": ("residence_city",),
    "res_state": ("residence_state",),
    "res_zip": ("residence_zipcode",),
    "mail_line1": ("mailing_address_line_1", "mailing_address_line_2", "mailing_address_line_3"),
    "mail_city": ("mailing_city",),
    "mail_state": ("mailing_state",),
    "mail_zip": ("mailing_zipcode",),
    "sex": ("gender",),
    "race": ("race",),
    "birth_date": ("birth_date",),
    "registration_date": ("registration_date",),
    "party": ("party_affiliation",),
    "precinct_code": ("precinct",),
    "status": ("voter_status",),
    "cd": ("congressional_district",),
    "hd": ("house_district",),
    "sd": ("senate_district",),
    "county": ("county_code",),
    "daytime_phone": ("daytime_phone_number",),
    "daytime_phone_area_code": ("daytime_area_code",),
    "email": ("email_address",),
}

_OH_FIELDS: dict[str, tuple[str, ...]] = {
    "voter_id": ("SOS_VOTERID",),
    "first_name": ("FIRST_NAME",),
    "middle_name": ("MIDDLE_NAME",),
    "last_name": ("LAST_NAME",),
    "name_suffix": ("SUFFIX",),
    "birth_date": ("DATE_OF_BIRTH",),
    "registration_date": ("REGISTRATION_DATE",),
    "status": ("VOTER_STATUS",),
    "party": ("PARTY_AFFILIATION",),
    "res_line1": ("RESIDENTIAL_ADDRESS1",),
    "res_unit": ("RESIDENTIAL_SECONDARY_ADDR",),
    "res_city": ("RESIDENTIAL_CITY",),
    "res_state": ("RESIDENTIAL_STATE",),
    "res_zip": ("RESIDENTIAL_ZIP",),
    "res_zip4": ("RESIDENTIAL_ZIP_PLUS4",),
    "mail_line1": ("MAILING_ADDRESS1", "MAILING_SECONDARY_ADDRESS"),
    "mail_city": ("MAILING_CITY",),
    "mail_state": ("MAILING_STATE",),
    "mail_zip": ("MAILING_ZIP",),
    "mail_zip4": ("MAILING_ZIP_PLUS4",),
    "county": ("COUNTY_NUMBER",),
    "precinct_code": ("PRECINCT_CODE",),
    "precinct_name": ("PRECINCT_NAME",),
    "cd": ("CONGRESSIONAL_DISTRICT",),
    "sd": ("STATE_SENATE_DISTRICT",),
    "hd": ("STATE_REPRESENTATIVE_DISTRICT",),
}

# Vendor exports (VAN, L2, TargetSmart), hand-made sheets, and the state files whose headers
# are known but that have no layout of their own (CO, WA, MI, WV, GA; Iowa's names too, read
# through the ``ia_statewide`` layout, which names its repeated headers): their names are
# aliases here, so those files map their names, street, city and ZIP.
_GENERIC_FIELDS: dict[str, tuple[str, ...]] = {
    "voter_id": (
        "Voter File VANID",
        "VANID",
        "Van ID",
        "StateFileID",
        "LALVOTERID",
        "vb.voterbase_id",
        "Voters_StateVoterID",
        "vb.voterid",
        "Voter ID",
        "State Voter ID",
        "StateVoterID",
        "Voter Registration Number",
        "SOS_VOTERID",
        "ncid",
        "SBOEID",
        "VUID",
        "REGN_NUM",
        "VOTER_IDENTIFICATION_NUMBER",
        "ID_VOTER",
    ),
    "first_name": ("First Name", "FirstName", "Voters_FirstName", "vb.tsmart_first_name", "FName"),
    "middle_name": (
        "Middle Name",
        "MiddleName",
        "Voters_MiddleName",
        "vb.tsmart_middle_name",
        "MName",
        "Mid",
    ),
    "last_name": ("Last Name", "LastName", "Voters_LastName", "vb.tsmart_last_name", "LName"),
    "name_suffix": ("Suffix", "Name Suffix", "Voters_NameSuffix", "vb.tsmart_name_suffix"),
    # not a bare "Name": too many files that are not voter files have one
    "full_name": ("Full Name", "Voter Name"),
    "birth_date": (
        "DOB",
        "Date of Birth",
        "Birth Date",
        "Voters_BirthDate",
        "vb.voterbase_dob",
    ),
    "birth_year": ("Birth Year", "Year of Birth", "YOB"),
    "sex": ("Sex", "Gender", "Voters_Gender", "vb.voterbase_gender"),
    "race": ("Race", "EthnicGroups_EthnicGroup1Desc", "vb.voterbase_race"),
    "ethnicity": ("Ethnicity",),
    "party": ("Party", "Parties_Description", "vb.vf_party", "Party Affiliation"),
    "res_line1": (
        "Address",
        "vAddress",
        "Residence_Addresses_AddressLine",
        "vb.tsmart_full_address",
        "Street Address",
        "Address Line 1",
        "Address1",
        "Residential Address",
    ),
    "res_unit": (
        "Address Line 2",
        "Address2",
        "Residence_Addresses_ExtraAddressLine",
        "Apt",
        "Unit",
        "UNIT_NUM",
        "RegStUnitNum",
        "RegUnitNum",
        "EXTENSION",
        "Residence Apt Unit Number",
    ),
    "res_city": (
        "City",
        "vCity",
        "Residence_Addresses_City",
        "vb.tsmart_city",
        "RESIDENTIAL_CITY",
        "RegCity",
        "Residence City",
    ),
    "res_state": (
        "State",
        "vState",
        "Residence_Addresses_State",
        "vb.tsmart_state",
        "RESIDENTIAL_STATE",
        "RegState",
    ),
    "res_zip": (
        "Zip5",
        "Zip Code",
        "Zip",
        "vZip5",
        "Residence_Addresses_Zip",
        "vb.tsmart_zip",
        "Postal Code",
        "RESIDENTIAL_ZIP_CODE",
        "RESIDENTIAL_ZIP",
        "RegZipCode",
        "Residence Zipcode",
    ),
    "res_zip4": (
        "Zip4",
        "vZip4",
        "Residence_Addresses_ZipPlus4",
        "vb.tsmart_zip4",
        "RESIDENTIAL_ZIP_PLUS",
        "RESIDENTIAL_ZIP_PLUS4",
        "ZIP_PLUS",
    ),
    "mail_line1": (
        "mAddress",
        "Mailing Address",
        "Mailing_Addresses_AddressLine",
        "MAILING_ADDRESS_1",
        "MAILING_ADDRESS_2",
        "MAILING_ADDRESS_3",
        "Mail1",
        "Mail2",
        "Mail3",
        "Mail4",
        "MAILING_ADDRESS_LINE_ONE",
        "MAILING_ADDRESS_LINE_TWO",
        "MAILING_ADDRESS_LINE_THREE",
        "MAILING_ADDRESS_LINE_FOUR",
        "MAILING_ADDRESS_LINE_FIVE",
    ),
    "mail_city": ("mCity", "Mailing City", "Mailing_Addresses_City", "MailCity"),
    "mail_state": ("mState", "Mailing State", "Mailing_Addresses_State", "MailState"),
    "mail_zip": (
        "mZip5",
        "Mailing Zip",
        "Mailing_Addresses_Zip",
        "MAILING_ZIP_CODE",
        "Mailing Zipcode",
        "MailZip",
    ),
    "mail_zip4": ("mZip4", "Mailing_Addresses_ZipPlus4", "MAILING_ZIP_PLUS"),
    "county": ("CountyName", "County Name", "County", "CountyCode"),
    "precinct_code": (
        "Precinct",
        "Precinct Code",
        "PrecinctCode",
        "Precinct_Number",
        "County Precinct",
    ),
    "precinct_name": ("PrecinctName", "Precinct Name"),
    "cd": (
        "CD",
        "Congressional District",
        "US_Congressional_District",
        "CONGRESSIONAL",
        "US_CONGRESS_DISTRICT_CODE",
    ),
    "sd": (
        "SD",
        "State Senate District",
        "State_Senate_District",
        "STATE_SENATE",
        "STATE_SENATE_DISTRICT_CODE",
        "Senatorial District",
        "LegislativeDistrict",  # WA: one legislative district elects both chambers
    ),
    "hd": (
        "HD",
        "State House District",
        "State_House_District",
        "STATE_HOUSE",
        "STATE_HOUSE_DISTRICT_CODE",
        "Delegate District",
        "LegislativeDistrict",
    ),
    "registration_date": (
        "DateReg",
        "Registration Date",
        "vb.vf_registration_date",
        "EFF_REGN_DATE",
    ),
    "status": (
        "Status",
        "Voter Status",
        "vb.voterbase_registration_status",
        "StatusCode",
        "VOTER_STATUS_TYPE_CODE",
    ),
    "latitude": ("Latitude", "Lat", "Residence_Addresses_Latitude"),
    "longitude": ("Longitude", "Lon", "Lng", "Residence_Addresses_Longitude"),
    "email": ("Email", "PreferredEmail", "Preferred Email", "Email Address"),
    "cell_phone": (
        "Cell Phone",
        "Mobile Phone",
        "VoterTelephones_CellPhoneFormatted",
        "cell.tsmart_wireless_phone",
    ),
    "home_phone": ("Home Phone", "Landline", "VoterTelephones_LandlineFormatted"),
    "phone": (
        "Preferred Phone",
        "Pref Phone",
        "Phone",
        "Phone Number",
        "vb.voterbase_phone",
        "PHONE_NUM",
        "PHONENO",
    ),
}

#: Street addresses delivered in parts (house number, directions, name, type), joined in order.
_GENERIC_COMPOSITE: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "res_line1": (
        (  # Washington VRDB
            ("RegStNum", "RegStName"),
            (
                "RegStNum",
                "RegStFrac",
                "RegStPreDirection",
                "RegStName",
                "RegStType",
                "RegStPostDirection",
            ),
        ),
        (  # Michigan QVF
            ("STREET_NUMBER", "STREET_NAME"),
            (
                "STREET_NUMBER_PREFIX",
                "STREET_NUMBER",
                "STREET_NUMBER_SUFFIX",
                "DIRECTION_PREFIX",
                "STREET_NAME",
                "STREET_TYPE",
                "DIRECTION_SUFFIX",
            ),
        ),
        (  # Colorado and Iowa parts
            ("HOUSE_NUM", "STREET_NAME"),
            ("HOUSE_NUM", "HOUSE_SUFFIX", "PRE_DIR", "STREET_NAME", "STREET_TYPE", "POST_DIR"),
        ),
        (  # West Virginia
            ("HOUSE NO", "STREET"),
            ("HOUSE NO", "STREET", "STREET2"),
        ),
        (  # Georgia
            ("Residence Street Number", "Residence Street Name"),
            ("Residence Street Number", "Residence Street Name"),
        ),
        (  # L2 parts
            ("Residence_Addresses_HouseNumber", "Residence_Addresses_StreetName"),
            (
                "Residence_Addresses_HouseNumber",
                "Residence_Addresses_PrefixDirection",
                "Residence_Addresses_StreetName",
                "Residence_Addresses_Designator",
                "Residence_Addresses_SuffixDirection",
            ),
        ),
    ),
}

#: The NC current layout's 67 columns in file order (NCSBE layout_ncvoter.txt, 02/2022).
#: Import matches by header name; this order is for writing NC-layout files (demo, bench).
NC_CURRENT_COLUMNS: tuple[str, ...] = (
    "county_id",
    "county_desc",
    "voter_reg_num",
    "ncid",
    "last_name",
    "first_name",
    "middle_name",
    "name_suffix_lbl",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "mail_addr1",
    "mail_addr2",
    "mail_addr3",
    "mail_addr4",
    "mail_city",
    "mail_state",
    "mail_zipcode",
    "full_phone_number",
    "confidential_ind",
    "registr_dt",
    "race_code",
    "ethnic_code",
    "party_cd",
    "gender_code",
    "birth_year",
    "age_at_year_end",
    "birth_state",
    "drivers_lic",
    "precinct_abbrv",
    "precinct_desc",
    "municipality_abbrv",
    "municipality_desc",
    "ward_abbrv",
    "ward_desc",
    "cong_dist_abbrv",
    "super_court_abbrv",
    "judic_dist_abbrv",
    "nc_senate_abbrv",
    "nc_house_abbrv",
    "county_commiss_abbrv",
    "county_commiss_desc",
    "township_abbrv",
    "township_desc",
    "school_dist_abbrv",
    "school_dist_desc",
    "fire_dist_abbrv",
    "fire_dist_desc",
    "water_dist_abbrv",
    "water_dist_desc",
    "sewer_dist_abbrv",
    "sewer_dist_desc",
    "sanit_dist_abbrv",
    "sanit_dist_desc",
    "rescue_dist_abbrv",
    "rescue_dist_desc",
    "munic_dist_abbrv",
    "munic_dist_desc",
    "dist_1_abbrv",
    "dist_1_desc",
    "vtd_abbrv",
    "vtd_desc",
)

#: FieldCRM's own contacts export (fieldcrm.contacts.export): its default columns, then the
#: "full" set's. Columns that are FieldCRM's own state (contact_id, turf, support_level,
#: not_in_latest_file) and ``phone`` (one of ``phones``) are not imported.
_EXPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "record_source": ("source",),
    "voter_id": ("voter_id",),
    "first_name": ("first_name",),
    "middle_name": ("middle_name",),
    "last_name": ("last_name",),
    "name_suffix": ("suffix",),
    "birth_year": ("birth_year",),
    "party": ("party",),
    "res_line1": ("address",),
    "res_unit": ("unit",),
    "res_city": ("city",),
    "res_state": ("state",),
    "res_zip": ("zip5",),
    "res_zip4": ("zip4",),
    "county": ("county",),
    "precinct_code": ("precinct_code",),
    "precinct_name": ("precinct_name",),
    "phone": ("phones",),
    "email": ("email",),
    "birth_date": ("birth_date",),
    "sex": ("sex",),
    "race": ("race",),
    "ethnicity": ("ethnicity",),
    "registration_date": ("registration_date",),
    "status": ("status",),
    "cd": ("cd",),
    "sd": ("sd",),
    "hd": ("hd",),
    "mail_line1": ("mail_address",),
    "mail_city": ("mail_city",),
    "mail_state": ("mail_state",),
    "mail_zip": ("mail_zip",),
}


def _numbered(name: str, count: int) -> tuple[str, ...]:
    return tuple(f"{name}_{n}" for n in range(2, count + 1))


# Iowa's statewide list (Secretary of State; columns as in Voteshield/reggie's iowa.yaml):
# the residence CITY, STATE, ZIP_CODE, ZIP_PLUS come first, then MAILING_ADDRESS and the
# mailing CITY, STATE, ZIP_CODE, ZIP_PLUS under the same names; a third CITY is the city
# district; the vote history comes as five groups of GENERAL_ / PRIMARY_ (with
# POLITICAL_PARTY and POLITICAL_ORGANIZATION) / SCHOOL_ / CITY_ / SPECIAL_ / CITY/SCHOOL_
# columns, each group repeating the same names.
_IA_HISTORY = tuple(
    f"{kind}_{part}"
    for kind in ("GENERAL", "PRIMARY", "SCHOOL", "CITY", "SPECIAL", "CITY/SCHOOL")
    for part in ("ELECTION_DATE", "VOTERVOTEMETHOD")
) + ("POLITICAL_PARTY",)
_IA_REPEATED: dict[str, tuple[str, ...]] = {
    "CITY": ("MAILING_CITY", "CITY_DISTRICT"),
    "STATE": ("MAILING_STATE",),
    "ZIP_CODE": ("MAILING_ZIP_CODE",),
    "ZIP_PLUS": ("MAILING_ZIP_PLUS",),
    **{name: _numbered(name, 5) for name in _IA_HISTORY},
    # named once among the main columns, then once in each of the five primary groups
    "POLITICAL_ORGANIZATION": _numbered("POLITICAL_ORGANIZATION", 6),
}


LAYOUTS: dict[str, Layout] = {
    "fieldcrm_export": Layout(
        name="fieldcrm_export",
        description="FieldCRM contacts export (contact_id, source, voter_id, ...)",
        state=None,
        has_header=True,
        fields=_EXPORT_FIELDS,
        leading=("contactid", "source", "voterid"),
        delimiter=",",
        quoting="csv",
        status_map={s.upper(): s for s in STATUS_CANONICAL},
        formula_guard=True,
        phone_separator="; ",
        additive_children=True,
    ),
    "nc_current": Layout(
        name="nc_current",
        description="North Carolina NCSBE ncvoter, 67 columns (from 02/2022)",
        state="NC",
        has_header=True,
        fields=_NC_FIELDS,
        required=("ncid", "countyid", "resstreetaddress", "ageatyearend"),
        delimiter="\t",
        status_map=_NC_STATUS,
        joined=("mail_line1",),
    ),
    "nc_pre2022": Layout(
        name="nc_pre2022",
        description="North Carolina NCSBE ncvoter, 71 columns (until 02/2022, incl. 2018 names)",
        state="NC",
        has_header=True,
        fields=_NC_FIELDS,
        required=("ncid", "countyid", "resstreetaddress", "birthage"),
        delimiter="\t",
        status_map=_NC_STATUS,
        joined=("mail_line1",),
    ),
    "fl_extract": Layout(
        name="fl_extract",
        description="Florida Voter Extract Disk, 38 tab-separated columns, no header",
        state="FL",
        has_header=False,
        fields=_FL_FIELDS,
        columns=_FL_COLUMNS,
        delimiter="\t",
        quoting="none",
        status_map={"ACT": "active", "INA": "inactive", "PRE": "preregistered"},
        joined=("mail_line1",),
        default_state="FL",
        exempt_values=("Y",),
    ),
    "oh_swvf": Layout(
        name="oh_swvf",
        description="Ohio Secretary of State statewide voter file (history columns ignored)",
        state="OH",
        has_header=True,
        fields=_OH_FIELDS,
        required=("sosvoterid", "residentialaddress1"),
        delimiter=",",
        status_map={"ACTIVE": "active", "CONFIRMATION": "inactive"},
        joined=("mail_line1",),
    ),
    "ia_statewide": Layout(
        name="ia_statewide",
        description="Iowa statewide voter list (REGN_NUM; repeated CITY/STATE/ZIP_CODE read "
        "by position: the second ones are the mailing address)",
        state="IA",
        has_header=True,
        fields=_GENERIC_FIELDS,
        leading=("regnnum", "firstname", "middlename", "lastname", "namesuffix"),
        delimiter=",",
        joined=("mail_line1",),
        composite=_GENERIC_COMPOSITE,
        repeated=_IA_REPEATED,
    ),
    "generic": Layout(
        name="generic",
        description="Any headered file whose columns match common vendor names (VAN, L2, ...)",
        state=None,
        has_header=True,
        fields=_GENERIC_FIELDS,
        joined=("mail_line1",),
        composite=_GENERIC_COMPOSITE,
    ),
}


def distinct_header(layout: Layout | None, header: list[str]) -> list[str]:
    """``header`` with the later occurrences of the names ``layout.repeated`` lists renamed,
    in order (a name repeated more often than documented keeps its spelling, so the file is
    refused as naming one column twice)."""
    if layout is None or not layout.repeated:
        return list(header)
    rules = {normalize_header(k): v for k, v in layout.repeated.items()}
    seen: collections.Counter[str] = collections.Counter()
    out: list[str] = []
    for name in header:
        key = normalize_header(name)
        later = rules.get(key, ())
        n = seen[key]
        seen[key] += 1
        out.append(later[n - 1] if 0 < n <= len(later) else name)
    return out


def file_header(layout: Layout | None, names: list[str]) -> list[str]:
    """The header as the file spells it, from ``distinct_header``'s names (its inverse)."""
    if layout is None or not layout.repeated:
        return list(names)
    spelled = {
        normalize_header(new): original
        for original, renamed in layout.repeated.items()
        for new in renamed
    }
    return [spelled.get(normalize_header(name), name) for name in names]


def _first_index(header: list[str]) -> dict[str, str]:
    """Normalised name -> original spelling, first occurrence wins (IA repeats CITY)."""
    index: dict[str, str] = {}
    for name in header:
        index.setdefault(normalize_header(name), name)
    return index


def resolve_mapping(layout: Layout, header: list[str] | None) -> Mapping:
    """Mapping of canonical key -> source column(s) present in ``header``, per ``layout``."""
    names = list(layout.columns) if header is None else header
    index = _first_index(names)
    mapping: Mapping = {}
    for key, candidates in layout.fields.items():
        found = [index[n] for n in map(normalize_header, candidates) if n in index]
        found = list(dict.fromkeys(found))
        if not found:
            continue
        if key in PHONE_KINDS or key in layout.joined:
            mapping[key] = found if len(found) > 1 else found[0]
        else:
            mapping[key] = found[0]
    for key, groups in layout.composite.items():
        if key in mapping:
            continue
        for required, parts in groups:
            if all(normalize_header(n) in index for n in required):
                mapping[key] = [index[n] for n in map(normalize_header, parts) if n in index]
                break
    return mapping


def has_names(mapping: MappingABC[str, object]) -> bool:
    """True when a mapping gives names: first and last name columns, or a full-name column."""
    present = {key for key, value in mapping.items() if value is not None}
    return {"first_name", "last_name"} <= present or "full_name" in present


def has_identity(mapping: MappingABC[str, object]) -> bool:
    """True when a mapping can identify a voter: a voter id, or names (see ``has_names``)."""
    return mapping.get("voter_id") is not None or has_names(mapping)


def recognise_header(header: list[str]) -> Layout | None:
    """The built-in layout whose required headers are all present, else ``None``.

    Specific layouts are tried first; ``generic`` matches any header from which a voter id or a
    first and last name can be mapped.
    """
    present = {normalize_header(h) for h in header}
    for layout in LAYOUTS.values():
        if not layout.has_header or layout.name == "generic":
            continue
        if layout.leading:
            first = [normalize_header(h) for h in header[: len(layout.leading)]]
            if first == list(layout.leading):
                return layout
            continue
        if all(req in present for req in layout.required):
            return layout
    generic = LAYOUTS["generic"]
    if has_identity(resolve_mapping(generic, header)):
        return generic
    return None


_FL_COUNTY = re.compile(r"^[A-Z]{3}$")
_FL_VOTER_ID = re.compile(r"^[0-9]{1,10}$")
_FL_DATE = re.compile(r"^(?:[0-9]{2}/[0-9]{2}/[0-9]{4}|\*|)$")


def looks_like_fl_row(fields: list[str]) -> bool:
    """True when a headerless row has Florida's 38-column extract shape."""
    if len(fields) != len(_FL_COLUMNS):
        return False
    return (
        bool(_FL_COUNTY.match(fields[0].strip()))
        and bool(_FL_VOTER_ID.match(fields[1].strip()))
        and bool(_FL_DATE.match(fields[21].strip()))
        and bool(_FL_DATE.match(fields[22].strip()))
    )


def validate_mapping(mapping: object) -> Mapping:
    """Check a user mapping's shape and keys; returns a clean copy (option values upper-cased).

    Raises ``ValueError`` naming the first problem: an unknown field (the message lists the
    valid ones), an empty or non-string source, an option value that is not one of its choices.
    """
    if not isinstance(mapping, MappingABC):
        raise ValueError("a mapping must be an object of canonical field -> column name")
    clean: Mapping = {}
    for key, value in mapping.items():
        if key not in _ALL_KEYS:
            raise ValueError(
                f"unknown field {key!r} in mapping; valid fields: {', '.join(MAPPING_KEYS)}"
            )
        if key in MAPPING_OPTIONS:
            choices = MAPPING_OPTIONS[key]
            if not isinstance(value, str) or value.strip().upper() not in choices:
                raise ValueError(f"{key} must be one of {', '.join(choices)}, not {value!r}")
            clean[key] = value.strip().upper()
        elif value is None:
            clean[key] = None  # type: ignore[assignment]  # "not in this file"
        elif isinstance(value, str):
            if not value.strip():
                raise ValueError(f"field {key!r} maps to an empty column name")
            clean[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            clean[key] = list(value)
        else:
            raise ValueError(f"field {key!r} must map to a column name or a list of names")
    return clean


def split_options(mapping: MappingABC[str, object]) -> tuple[Mapping, dict[str, str]]:
    """A validated user mapping as (fields -> columns, options such as ``date_order``)."""
    columns: Mapping = {}
    options: dict[str, str] = {}
    for key, value in mapping.items():
        if key in MAPPING_OPTIONS:
            options[key] = str(value)
        else:
            columns[key] = value  # type: ignore[assignment]
    return columns, options


def merge_mapping(detected: MappingABC[str, object], user: MappingABC[str, object]) -> Mapping:
    """The detected mapping with the user's fields laid over it: a field the user names takes
    the user's column(s), ``None`` removes it, and every other detected field stays."""
    merged: Mapping = {k: v for k, v in detected.items() if v is not None}  # type: ignore[misc]
    for key, value in user.items():
        if key in MAPPING_OPTIONS:
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value  # type: ignore[assignment]
    return merged


def mapping_to_json(mapping: Mapping) -> str:
    """Serialise a mapping (validated first; raises ``ValueError`` like ``validate_mapping``)."""
    return json.dumps(validate_mapping(mapping), sort_keys=True, ensure_ascii=False)


def mapping_from_json(text: str) -> Mapping:
    """Load a mapping saved by ``mapping_to_json``; raises ``ValueError`` on bad JSON or shape."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"mapping is not valid JSON: {exc.msg}") from exc
    return validate_mapping(data)
