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
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field

from fieldcrm.imports.generic_layout import (
    GENERIC_COMPOSITE,
    GENERIC_FIELDS,
    GENERIC_STATUS,
    VAN_FIELDS,
)
from fieldcrm.imports.state_layouts import (
    EXPORT_FIELDS,
    FL_COLUMNS,
    FL_FIELDS,
    IA_REPEATED,
    NC_CURRENT_COLUMNS,
    NC_FIELDS,
    NC_STATUS,
    OH_FIELDS,
)

__all__ = [
    "NC_CURRENT_COLUMNS",
    "CANONICAL_FIELDS",
    "LAYOUTS",
    "PHONE_KINDS",
    "Layout",
    "Mapping",
    "EXPECTED_FIELDS",
    "MAPPING_KEYS",
    "MAPPING_OPTIONS",
    "has_names",
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
    "state_voter_id",
    "voter_file_vanid",
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
    status_map: MappingABC[str, str] = field(default_factory=lambda: dict(GENERIC_STATUS))
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


LAYOUTS: dict[str, Layout] = {
    "fieldcrm_export": Layout(
        name="fieldcrm_export",
        description="FieldCRM contacts export (contact_id, source, voter_id, ...)",
        state=None,
        has_header=True,
        fields=EXPORT_FIELDS,
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
        fields=NC_FIELDS,
        required=("ncid", "countyid", "resstreetaddress", "ageatyearend"),
        delimiter="\t",
        status_map=NC_STATUS,
        joined=("mail_line1",),
    ),
    "nc_pre2022": Layout(
        name="nc_pre2022",
        description="North Carolina NCSBE ncvoter, 71 columns (until 02/2022, incl. 2018 names)",
        state="NC",
        has_header=True,
        fields=NC_FIELDS,
        required=("ncid", "countyid", "resstreetaddress", "birthage"),
        delimiter="\t",
        status_map=NC_STATUS,
        joined=("mail_line1",),
    ),
    "fl_extract": Layout(
        name="fl_extract",
        description="Florida Voter Extract Disk, 38 tab-separated columns, no header",
        state="FL",
        has_header=False,
        fields=FL_FIELDS,
        columns=FL_COLUMNS,
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
        fields=OH_FIELDS,
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
        fields=GENERIC_FIELDS,
        leading=("regnnum", "firstname", "middlename", "lastname", "namesuffix"),
        delimiter=",",
        joined=("mail_line1",),
        composite=GENERIC_COMPOSITE,
        repeated=IA_REPEATED,
    ),
    "van_export": Layout(
        name="van_export",
        description="NGP VAN MyCampaign / VoteBuilder export (VANID and Voter File VANID)",
        state=None,
        has_header=True,
        fields=VAN_FIELDS,
        required=("vanid", "voterfilevanid"),
        joined=("mail_line1",),
        composite=GENERIC_COMPOSITE,
        # its people are often contacts of the state file too: add phones, never remove
        additive_children=True,
    ),
    "generic": Layout(
        name="generic",
        description="Any headered file whose columns match common vendor names (VAN, L2, ...)",
        state=None,
        has_header=True,
        fields=GENERIC_FIELDS,
        joined=("mail_line1",),
        composite=GENERIC_COMPOSITE,
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
    if len(fields) != len(FL_COLUMNS):
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
