"""Mapping warnings: the expected fields (names, street, city, ZIP) a file does not map or
leaves blank in most rows, and dates that are not dates in most rows (a wrong date order),
counted over every chunk."""

from __future__ import annotations

import collections

from fieldcrm.imports.layouts import EXPECTED_FIELDS
from fieldcrm.imports.reading.core import Chunk, Detection

#: frame column checked for each expected field
_EXPECTED_COLUMNS = {"res_zip": "res_zip5"}


#: an expected field blank in more than this share of the accepted rows is warned about
BLANK_SHARE = 0.5


_DATE_FIELDS = ("birth_date", "registration_date")


def filled_counts(chunk: Chunk) -> collections.Counter:
    """For ``mapping_warnings`` (add them up over chunks): accepted rows under ``"rows"``, the
    accepted rows with a value for each of ``EXPECTED_FIELDS``, and the dates that could not
    be read (``"invalid_birth_date"``, ``"invalid_registration_date"``)."""
    frame = chunk.frame
    counts: collections.Counter = collections.Counter(rows=len(frame))
    for key in EXPECTED_FIELDS:
        counts[key] = int(frame[_EXPECTED_COLUMNS.get(key, key)].notna().sum())
    for key in _DATE_FIELDS:
        counts[f"invalid_{key}"] = chunk.warnings.get(f"invalid_{key}", 0)
    return counts


def mapping_warnings(detection: Detection, filled: collections.Counter) -> list[dict]:
    """Warnings about the mapping, one per expected field (names, street, city, ZIP) that is
    not mapped at all or comes out blank in most accepted rows (``filled``: ``filled_counts``).

    Each is ``{"field", "problem": "unmapped" | "blank", "column", "blank", "rows"}``:
    ``column`` is the source column(s) read (``None`` when unmapped), ``blank`` how many of
    ``rows`` accepted rows have no value. A mapped date field whose values are not dates in most
    rows (the date order is wrong, e.g. MMDDYYYY read as YYYYMMDD) gives
    ``{"field", "problem": "dates", "column", "invalid", "rows"}``.
    """
    mapping = detection.mapping
    accepted = filled.get("rows", 0)
    out = []
    for key in EXPECTED_FIELDS:
        source = mapping.get(key)
        if source is None and key in ("first_name", "last_name"):
            source = mapping.get("full_name")
        blank = accepted - filled.get(key, 0)
        if source is None:
            problem = "unmapped"
        elif accepted and blank > accepted * BLANK_SHARE:
            problem = "blank"
        else:
            continue
        column = source if source is None or isinstance(source, str) else " + ".join(source)
        out.append(
            {"field": key, "problem": problem, "column": column, "blank": blank, "rows": accepted}
        )
    for key in _DATE_FIELDS:
        invalid = filled.get(f"invalid_{key}", 0)
        source = mapping.get(key)
        if source is not None and accepted and invalid > accepted * BLANK_SHARE:
            column = source if isinstance(source, str) else " + ".join(source)
            out.append(
                {
                    "field": key,
                    "problem": "dates",
                    "column": column,
                    "invalid": invalid,
                    "rows": accepted,
                }
            )
    return out


def describe_mapping_warning(warning: dict) -> str:
    """One English line for a mapping warning (the CLI's wording; the web page translates)."""
    if warning["problem"] == "unmapped":
        return f"{warning['field']} is not mapped: no column of the file feeds it"
    if warning["problem"] == "dates":
        return (
            f"{warning['field']} (from {warning['column']}) is not a date in "
            f"{warning['invalid']} of {warning['rows']} rows: check the date order "
            "(MDY, DMY or YMD)"
        )
    return (
        f"{warning['field']} (from {warning['column']}) is blank in {warning['blank']} of "
        f"{warning['rows']} rows"
    )
