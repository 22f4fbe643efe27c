"""The state layouts' data (North Carolina, Florida, Ohio, Iowa) and FieldCRM's own contacts
export: their columns and the names of the fields in them. fieldcrm.imports.layouts puts it
together."""

from __future__ import annotations

NC_FIELDS: dict[str, tuple[str, ...]] = {
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


NC_STATUS = {
    "A": "active",
    "I": "inactive",
    "R": "removed",
    "D": "denied",
    "S": "temporary",
}


FL_COLUMNS: tuple[str, ...] = (
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


FL_FIELDS: dict[str, tuple[str, ...]] = {
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


OH_FIELDS: dict[str, tuple[str, ...]] = {
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
EXPORT_FIELDS: dict[str, tuple[str, ...]] = {
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


IA_REPEATED: dict[str, tuple[str, ...]] = {
    "CITY": ("MAILING_CITY", "CITY_DISTRICT"),
    "STATE": ("MAILING_STATE",),
    "ZIP_CODE": ("MAILING_ZIP_CODE",),
    "ZIP_PLUS": ("MAILING_ZIP_PLUS",),
    **{name: _numbered(name, 5) for name in _IA_HISTORY},
    # named once among the main columns, then once in each of the five primary groups
    "POLITICAL_ORGANIZATION": _numbered("POLITICAL_ORGANIZATION", 6),
}
