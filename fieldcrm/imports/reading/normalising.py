"""Normalising a parsed chunk: the file's text columns become the voter record's frame
(fieldcrm.contacts.record), a long frame of phones, and the rows rejected with their reason.

Everything is computed column-wise over all rows, then rejected rows are filtered out, so the
cost does not depend on how many rows are rejected. The value rules themselves (dates, ZIP
codes, districts, names) are in ``columns``.
"""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fieldcrm import programtime
from fieldcrm.contacts.record import FRAME_COLUMNS, LENGTHS, PHONE_RAW_LENGTH
from fieldcrm.imports.changes import carried_columns, row_hashes
from fieldcrm.imports.layouts import AREA_CODE_FIELDS, LAYOUTS, PHONE_KINDS, Layout
from fieldcrm.imports.reading import columns as col
from fieldcrm.imports.reading.core import PHONE_COLUMNS, Detection, pandas_type
from fieldcrm.imports.reading.detection import as_list, headerless_names
from fieldcrm.imports.reading.lines import text_array
from fieldcrm.lib.addresses import household_keys, split_street_addresses
from fieldcrm.lib.phones import normalize_phones

_SEX = {"MALE": "M", "FEMALE": "F", "UNKNOWN": "U"}
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PLACEHOLDER_LINES = pa.array(["REMOVED", "CONFIDENTIAL"])
_NO_TRAILING_ZEROS = (r"^([0-9]+)\.0+$", r"\1")  # a spreadsheet's "27302.0"


def source_names(detection: Detection) -> list[str]:
    """The file's column names (a headerless file's as its layout, or col1..colN, names them)."""
    if detection.header is not None:
        return detection.header
    layout = LAYOUTS.get(detection.layout or "", LAYOUTS["generic"])
    return headerless_names(detection.field_count, layout)


class _Source:
    """The parsed columns of one chunk, read as the mapping says (trimmed once each)."""

    def __init__(self, table: pa.Table, detection: Detection, layout: Layout) -> None:
        self.table = table
        self.mapping = detection.mapping
        self.layout = layout
        self.rows = table.num_rows
        self.position: dict[str, int] = {}
        for i, name in enumerate(source_names(detection)):
            self.position.setdefault(name, i)
        self._trimmed: dict[str, pa.Array] = {}

    def trimmed(self, name: str) -> pa.Array:
        """A file column, trimmed (and the formula guard undone where the layout has one)."""
        if name not in self._trimmed:
            column = self.table.column(f"f{self.position[name]}").combine_chunks()
            if self.layout.formula_guard:
                column = col.unneutralise(column)
            self._trimmed[name] = col.trim(column)
        return self._trimmed[name]

    def __call__(self, key: str) -> pa.Array:
        """The mapping key's value: its column, or its columns joined with a space; blank
        cells are null, and so is every row of a key the file does not map."""
        value = self.mapping.get(key)
        if value is None:
            return pa.nulls(self.rows, pa.string())
        arrays = [col.nullify(self.trimmed(name)) for name in as_list(value)]
        return arrays[0] if len(arrays) == 1 else col.join_words(arrays)


def normalise(
    table: pa.Table,
    detection: Detection,
    member: str,
    line_numbers: np.ndarray,
    warnings: collections.Counter,
    line_pairs: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[int, str]]]:
    """Canonical frame, phones frame and (row position, reason) rejects for one parsed table;
    value problems are counted in ``warnings``. ``line_pairs``: the rows' line digests
    (``lines.line_hashes``), kept in the frame's ``line_hash`` for rows whose normalising
    did not depend on the day."""
    layout = LAYOUTS.get(detection.layout or "", LAYOUTS["generic"])
    src = _Source(table, detection, layout)
    today = programtime.today_anywhere()
    date_order = (detection.date_order or layout.eight_digit_dates).lower()
    out: dict[str, Any] = {}
    _names(out, src)
    _birth(out, src, date_order, warnings, today)
    unit_given, parts = _residence(out, src, layout, warnings)
    _mailing(out, src)
    _registration(out, src, layout, date_order, warnings, today)
    _contact_details(out, src, warnings)
    out["household_key"] = pa.array(
        household_keys(
            pd.Series(pd.arrays.ArrowStringArray(out["res_line1"])),
            pd.Series(pd.arrays.ArrowStringArray(unit_given)),
            pd.Series(pd.arrays.ArrowStringArray(out["res_zip5"])),
            parts=parts,
        ).array
    ).cast(pa.string())
    phone_cells = _phone_cells(src, layout)
    reasons = _reasons(out, src, layout, phone_cells)
    rejected = reasons != None  # noqa: E711 - an object array
    keep = pa.array(~rejected)
    out["row_hash"] = pa.nulls(src.rows, pa.string())  # set below, from the normalised values
    out["line"] = pa.array(line_numbers, pa.int64())
    out["line_hash"] = text_array(line_pairs, _timeless(out, src), src.rows)
    out["member"] = pa.array(np.full(src.rows, member, dtype=object), pa.string())
    frame_columns = {}
    for key in FRAME_COLUMNS:
        arr = out[key] if isinstance(out[key], pa.Array) else pa.array(out[key])
        frame_columns[key] = arr.filter(keep) if rejected.any() else arr
    frame = pa.table(frame_columns).to_pandas(types_mapper=pandas_type, split_blocks=True)
    frame["line"] = frame["line"].astype("int64")
    phones = _phones_frame(phone_cells, out["voter_id"], rejected, member, line_numbers)
    hashes = row_hashes(frame, phones, carried_columns(detection.mapping, layout))
    frame["row_hash"] = pd.arrays.ArrowExtensionArray(
        pa.array(hashes, pa.binary(hashes.dtype.itemsize)).cast(pa.string())
    )
    return frame, phones, [(int(i), str(reasons[i])) for i in np.flatnonzero(rejected)]


#: the values read against today's date: a cell that could not be read may be a date after
#: today, which a later day reads
_DATED = ("birth_date", "birth_year", "registration_date")


def _timeless(out: dict[str, Any], src: _Source) -> np.ndarray | None:
    """Rows whose normalising did not depend on the day: no dated cell given and unread."""
    unread = None
    for key in _DATED:
        if key not in src.mapping:
            continue
        lost = pc.and_(pc.is_valid(src(key)), pc.is_null(out[key]))
        unread = lost if unread is None else pc.or_(unread, lost)
    if unread is None:
        return None
    return ~unread.to_numpy(zero_copy_only=False)


def _names(out: dict[str, Any], src: _Source) -> None:
    for key in ("voter_id", "first_name", "middle_name", "last_name", "name_suffix"):
        out[key] = src(key)
    if "full_name" in src.mapping:
        col.fill_from_full_name(out, src("full_name"))
    out["record_source"] = src("record_source")
    out["state_voter_id"] = src("state_voter_id")  # a VAN export's match keys (vanmatch)
    out["voter_file_vanid"] = src("voter_file_vanid")
    out["display_name"] = col.display_name(out["first_name"], out["last_name"], out["name_suffix"])
    sex = col.upper(src("sex"))
    out["sex"] = pc.coalesce(col.map_values(sex, _SEX), sex)
    for key in ("race", "ethnicity", "party"):
        out[key] = col.upper(src(key))


def _birth(
    out: dict[str, Any],
    src: _Source,
    date_order: str,
    warnings: collections.Counter,
    today: dt.date,
) -> None:
    today_days = (today - dt.date(1970, 1, 1)).days
    birth_date, years = col.dates(
        src("birth_date"), date_order, "birth_date", 1900, warnings, today_days
    )
    out["birth_date"] = birth_date
    if "birth_year" in src.mapping:
        column_years = col.year_column(src("birth_year"), warnings, today.year)
        years = np.where(column_years >= 0, column_years, years)
    out["birth_year"] = pa.array(years, pa.int64(), mask=years < 0)


def _residence(
    out: dict[str, Any], src: _Source, layout: Layout, warnings: collections.Counter
) -> tuple[pa.Array, pd.DataFrame]:
    """The residence address; returns the unit column as given and the address line's
    parts (for the household key)."""
    line1 = col.empty_to_null(col.collapse(src("res_line1")))
    placeholder = pc.fill_null(pc.is_in(col.upper(line1), value_set=_PLACEHOLDER_LINES), False)
    if pc.any(placeholder).as_py():
        warnings["placeholder_address"] += pc.sum(placeholder).as_py()
        line1 = pc.if_else(placeholder, col.NULL_STR, line1)
    out["res_line1"] = line1
    parts = split_street_addresses(pd.Series(pd.arrays.ArrowStringArray(line1)))
    unit_given = col.empty_to_null(col.collapse(src("res_unit")))
    out["res_house_number"] = pa.array(parts["house_number"].array)
    out["res_street_name"] = pa.array(parts["street_name"].array).cast(pa.string())
    out["res_unit"] = pc.coalesce(unit_given, pa.array(parts["unit"].array).cast(pa.string()))
    out["res_city"] = src("res_city")
    state = col.upper(src("res_state"))
    if layout.default_state:
        state = pc.fill_null(state, layout.default_state)
    out["res_state"] = state
    zip5, zip4, bad_zip, padded = col.zip_parts(src("res_zip"))
    if bad_zip.any():
        warnings["invalid_res_zip"] += int(bad_zip.sum())
    if padded.any():
        warnings["zip_zero_padded"] += int(padded.sum())
    zip4_column = pc.replace_substring_regex(src("res_zip4"), *_NO_TRAILING_ZEROS)
    zip4_ok = col.digits(zip4_column, 1, 4)
    zip4_column = pc.if_else(pa.array(zip4_ok), pc.utf8_lpad(zip4_column, 4, "0"), col.NULL_STR)
    out["res_zip5"] = zip5
    out["res_zip4"] = pc.coalesce(zip4_column, zip4)
    return unit_given, parts


def _mailing(out: dict[str, Any], src: _Source) -> None:
    out["mail_line1"] = col.empty_to_null(col.collapse(src("mail_line1")))
    out["mail_city"] = src("mail_city")
    out["mail_state"] = col.upper(src("mail_state"))
    mail_raw = src("mail_zip")
    m5, m4, m_bad, _ = col.zip_parts(mail_raw)
    m4_extra = pc.replace_substring_regex(src("mail_zip4"), *_NO_TRAILING_ZEROS)
    m4_ok = pa.array(col.digits(m4_extra, 4, 4))
    m4 = pc.coalesce(m4, pc.if_else(m4_ok, m4_extra, col.NULL_STR))
    us_zip = pc.if_else(pc.is_valid(m4), pc.binary_join_element_wise(m5, m4, "-"), m5)
    out["mail_zip"] = pc.if_else(pa.array(m_bad), mail_raw, us_zip)  # foreign: as given


def _registration(
    out: dict[str, Any],
    src: _Source,
    layout: Layout,
    date_order: str,
    warnings: collections.Counter,
    today: dt.date,
) -> None:
    """Where and how the voter is registered: county, precinct, districts, date, status."""
    out["county"] = col.upper(src("county"))
    precinct = pc.replace_substring_regex(src("precinct_code"), *_NO_TRAILING_ZEROS)
    out["precinct_code"] = col.upper(precinct)
    out["precinct_name"] = src("precinct_name")
    for key in ("cd", "sd", "hd"):
        out[key] = col.district(src(key))
    today_days = (today - dt.date(1970, 1, 1)).days
    out["registration_date"], _ = col.dates(
        src("registration_date"), date_order, "registration_date", 1850, warnings, today_days
    )
    status_raw = src("status")
    status = col.map_values(col.upper(status_raw), dict(layout.status_map))
    unknown = col.np_mask(pc.and_(pc.is_valid(status_raw), pc.is_null(status)))
    if unknown.any():
        warnings["unknown_status"] += int(unknown.sum())
    out["status"] = status
    out["status_raw"] = status_raw


def _contact_details(out: dict[str, Any], src: _Source, warnings: collections.Counter) -> None:
    """Coordinates and email (phones are a frame of their own)."""
    out["latitude"] = col.floats(src("latitude"), 90.0, "latitude", warnings)
    out["longitude"] = col.floats(src("longitude"), 180.0, "longitude", warnings)
    email = pc.utf8_lower(src("email"))
    email_ok = col.matches(email, _EMAIL)
    bad_email = pc.is_valid(email).to_numpy(zero_copy_only=False) & ~email_ok
    if bad_email.any():
        warnings["invalid_email"] += int(bad_email.sum())
    out["email"] = pc.if_else(pa.array(email_ok), email, col.NULL_STR)


def _phone_cells(src: _Source, layout: Layout) -> list[tuple[str, pa.Array]]:
    """(kind, column) per phone the file gives: one per mapped cell (or per value of a cell
    listing several), the area code joined where the layout splits it off."""
    cells: list[tuple[str, pa.Array]] = []
    for key, kind in PHONE_KINDS.items():
        if key not in src.mapping:
            continue
        area_key = next(k for k, v in AREA_CODE_FIELDS.items() if v == key)
        area = src(area_key) if area_key in src.mapping else None
        for name in as_list(src.mapping[key]):
            cell = col.nullify(src.trimmed(name))
            if area is not None:
                needs = col.digits(cell, 7, 7) & col.digits(area, 3, 3)
                joined = pc.binary_join_element_wise(area, cell, " ")
                cell = pc.if_else(pa.array(needs), joined, cell)
            if layout.phone_separator:
                cells += [(kind, c) for c in col.split_cells(cell, layout.phone_separator)]
            else:
                cells.append((kind, cell))
    return cells


def _reasons(
    out: dict[str, Any], src: _Source, layout: Layout, phone_cells: list[tuple[str, pa.Array]]
) -> np.ndarray:
    """The reason each row is rejected (None: kept): public-records exempt, no identity, a
    value longer than its column holds (fieldcrm.contacts.record)."""
    reasons = np.full(src.rows, None, dtype=object)
    masked = np.zeros(src.rows, dtype=bool)
    for key in ("first_name", "last_name"):
        value = src.mapping.get(key)
        if isinstance(value, str):
            masked |= col.np_mask(pc.equal(src.trimmed(value), "*"))
    flag_column = src.mapping.get("exempt_flag")
    if layout.exempt_values and isinstance(flag_column, str):
        flag = col.upper(src.trimmed(flag_column))
        masked |= col.np_mask(pc.is_in(flag, value_set=pa.array(list(layout.exempt_values))))
    reasons[masked] = "public-records exempt row: protected fields are masked"
    no_identity = (
        col.np_mask(pc.is_null(out["voter_id"]))
        & col.np_mask(pc.is_null(out["first_name"]))
        & col.np_mask(pc.is_null(out["last_name"]))
    )
    reasons[no_identity & (reasons == None)] = "no voter id and no name"  # noqa: E711
    checks = [(key, out.get(key), limit) for key, limit in LENGTHS.items()]
    checks += [("phone", cell, PHONE_RAW_LENGTH) for _, cell in phone_cells]
    for key, arr, limit in checks:
        if arr is None or not pa.types.is_string(arr.type) or arr.null_count == len(arr):
            continue
        # characters <= bytes, so a column whose longest value fits in bytes cannot be too long
        if pc.max(pc.binary_length(arr)).as_py() <= limit:
            continue
        long = col.np_mask(pc.greater(pc.utf8_length(arr), limit)) & (reasons == None)  # noqa: E711
        if long.any():
            reasons[long] = f"{key} is longer than {limit} characters"
    return reasons


def _phones_frame(
    phone_cells: list[tuple[str, pa.Array]],
    voter_ids: pa.Array,
    rejected: np.ndarray,
    member: str,
    line_numbers: np.ndarray,
) -> pd.DataFrame:
    """One row per phone of the accepted rows, in line order (PHONE_COLUMNS)."""
    if not phone_cells:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PHONE_COLUMNS}).astype(
            {"line": "int64", "dialable": bool}
        )
    accepted = ~rejected
    values: list[pa.Array] = []
    kinds: list[np.ndarray] = []
    rows_idx: list[np.ndarray] = []
    for kind, cell in phone_cells:
        present = pc.is_valid(cell).to_numpy(zero_copy_only=False) & accepted
        idx = np.flatnonzero(present)
        values.append(cell.take(pa.array(idx)))
        kinds.append(np.full(len(idx), kind, dtype=object))
        rows_idx.append(idx)
    idx = np.concatenate(rows_idx)
    cells = pa.concat_arrays(values)
    order = np.argsort(idx, kind="stable")
    idx = idx[order]
    normalised = normalize_phones(
        pd.Series(pd.arrays.ArrowStringArray(cells.take(pa.array(order))))
    )
    ids = voter_ids.take(pa.array(idx)).to_numpy(zero_copy_only=False)
    return pd.DataFrame(
        {
            "line": line_numbers[idx].astype("int64"),
            "member": np.full(len(idx), member, dtype=object),
            "voter_id": pd.Series(ids, dtype=object).where(pd.notna(ids), None),
            "kind": np.concatenate(kinds)[order],
            "raw": normalised["raw"].to_numpy(dtype=object),
            "e164": normalised["e164"].to_numpy(dtype=object),
            "dialable": normalised["dialable"].to_numpy(dtype=bool),
        }
    )
