"""Detecting how to read a file: ``detect`` looks at it once (container, encoding, delimiter,
quoting, header, layout) and returns a ``Detection`` or raises ``FileRefused``.

* **Headers** naming one column twice (as ``normalize_header`` compares them) are refused,
  except the repeats a layout documents (Iowa's second ``CITY`` / ``STATE`` / ``ZIP_CODE`` are
  the mailing address): those are read by position under the names the layout gives them
  (``layouts.distinct_header``; ``Detection.header`` holds those names).
* **Vote history** members (NC ncvhis, FL ``*_H_*``) are set aside in ``Detection.history``
  (fieldcrm.imports.reading.history); an upload of history files only has no ``members``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from fieldcrm.imports.layouts import (
    LAYOUTS,
    Layout,
    distinct_header,
    file_header,
    has_identity,
    looks_like_fl_row,
    merge_mapping,
    normalize_header,
    recognise_header,
    resolve_mapping,
    split_options,
    validate_mapping,
)
from fieldcrm.imports.reading.containers import open_members, read_sample
from fieldcrm.imports.reading.core import Detection, FileRefused
from fieldcrm.imports.reading.sniffing import (
    _SAMPLE_BYTES,
    choose_delimiter,
    choose_quoting,
    detect_encoding,
    refuse_binary,
    sample_lines,
    sample_records,
    split_fields,
)


def headerless_names(count: int, layout: Layout | None) -> list[str]:
    if layout is not None and len(layout.columns) == count:
        return list(layout.columns)
    return [f"col{i + 1}" for i in range(count)]


def detect(path: str | Path, **options: Any) -> Detection:
    """``_detect_file``, with vote-history members (NC ncvhis, FL ``*_H_*``) set aside in
    ``Detection.history`` (an upload of history files only has no ``members``), and a refusal
    about one member of a zip naming that member. Raises ``FileRefused``."""
    try:
        return _detect_file(path, **options)
    except FileRefused as exc:
        named = _naming_member(Path(path), exc)
        if named is exc:
            raise
        raise named from exc


def _voter_and_history_members(
    path: Path,
) -> tuple[list[tuple[str, Callable[[], IO[bytes]]]], list[dict[str, Any]]]:
    from fieldcrm.imports.reading import history  # it reads with this module's helpers

    return history.split_members(open_members(path))


def _naming_member(path: Path, exc: FileRefused) -> FileRefused:
    """The refusal, prefixed with the member it is about when the zip holds several files
    and the reason names none of them (the first voter-file member is the one examined)."""
    if path.suffix.lower() != ".zip":
        return exc
    try:
        voters, history = _voter_and_history_members(path)
    except FileRefused:
        return exc
    if not voters or len(voters) + len(history) < 2:
        return exc
    if any(name in exc.reason for name, _ in voters):
        return exc
    return FileRefused(f"member {voters[0][0]}: {exc.reason}")


def _detect_file(
    path: str | Path,
    *,
    layout: str | None = None,
    mapping: dict[str, str | list[str]] | None = None,
) -> Detection:
    """Work out how to read ``path`` and which columns feed which canonical fields.

    ``layout`` forces a built-in layout by name. ``mapping`` (a user mapping; for a headerless
    file it names columns ``col1``..``colN``) overrides the detected layout's mapping for the
    fields it names (``None``: not in this file) and may set ``date_order``; on a file no layout
    recognises it is the whole mapping. Raises ``FileRefused`` for a missing,
    empty or binary file, an unknown layout, a mapping naming absent columns, a file whose columns
    cannot identify voters, or a ZIP whose members do not share one shape.
    """
    path = Path(path)
    if not path.is_file():
        raise FileRefused(f"{path.name} does not exist or is not a file")
    forced: Layout | None = None
    if layout is not None:
        if layout not in LAYOUTS:
            known = ", ".join(LAYOUTS)
            raise FileRefused(f"unknown layout {layout!r}; known layouts: {known}")
        forced = LAYOUTS[layout]
    user_columns: dict = {}
    options: dict[str, str] = {}
    if mapping is not None:
        try:
            user_columns, options = split_options(validate_mapping(mapping))
        except ValueError as exc:
            raise FileRefused(f"invalid mapping: {exc}") from exc

    members, history = _voter_and_history_members(path)
    if not members:
        from fieldcrm.imports.reading.history import history_only_detection

        return history_only_detection(history)
    first_name, first_open = members[0]
    sample, complete = read_sample(first_open, _SAMPLE_BYTES)
    if not sample.strip():
        raise FileRefused(f"{first_name} is empty")
    refuse_binary(sample, first_name)
    encoding = detect_encoding(sample)
    lines = sample_lines(sample, complete, encoding)
    if not lines:
        raise FileRefused(f"{first_name} is empty")

    delimiter = forced.delimiter if forced and forced.delimiter else None
    delimiter = delimiter or choose_delimiter(lines[0])
    expected = len(forced.columns) if forced is not None and forced.columns else None
    quoting = forced.quoting if forced and forced.quoting else None
    quoting = quoting or choose_quoting(lines, delimiter, expected)
    first_fields = split_fields(lines[0], delimiter, quoting)
    first_norm = {normalize_header(f) for f in first_fields}
    # a mapping may name the columns a layout reads by position (Iowa's MAILING_CITY)
    first_norm |= {
        normalize_header(f)
        for f in distinct_header(forced or recognise_header(first_fields), first_fields)
    }

    chosen: Layout | None = forced
    header: list[str] | None
    if user_columns:
        sources = [
            v for value in user_columns.values() if value is not None for v in as_list(value)
        ]
        if sources:
            headed = all(normalize_header(s) in first_norm for s in sources)
        else:  # the mapping only removes fields: the file's own shape decides
            headed = (chosen is None or chosen.has_header) and _fl_guess(lines, delimiter) is None
        detected: dict = {}
        if headed:
            header = [f.strip() for f in first_fields]
            # the layout still supplies the value rules (status codes, date order, ...) and
            # every field the user mapping does not name
            chosen = chosen or recognise_header(first_fields)
            header = distinct_header(chosen, header)
            if chosen is not None and chosen.has_header:
                detected = resolve_mapping(chosen, header)
        else:
            header = None
            names = headerless_names(len(first_fields), chosen or _fl_guess(lines, delimiter))
            missing = [s for s in sources if s not in names]
            if missing:
                raise FileRefused(
                    "the mapping names columns the file does not have: " + ", ".join(missing)
                )
            if chosen is None and names and names[0] != "col1":
                chosen = LAYOUTS["fl_extract"]
            if chosen is not None and names == list(chosen.columns):
                detected = resolve_mapping(chosen, None)
        resolved = merge_mapping(detected, _match_user_mapping(user_columns, header or names))
    else:
        if chosen is None:
            chosen = recognise_header(first_fields)
            if chosen is None:
                chosen = _fl_guess(lines, delimiter)
        if chosen is None:
            raise FileRefused(
                "no known layout matches this file: the first line has no voter id column "
                "(e.g. ncid, SOS_VOTERID, VANID, Voter ID) and no first and last name columns, "
                "and it is not a Florida 38-column extract. Columns found: "
                + ", ".join(f.strip() for f in first_fields[:20])
                + ". Pass a column mapping to import it."
            )
        if chosen.has_header:
            header = distinct_header(chosen, [f.strip() for f in first_fields])
            missing = [r for r in chosen.required if r not in first_norm]
            if missing:
                raise FileRefused(
                    f"the header lacks columns required by layout {chosen.name}: "
                    + ", ".join(missing)
                )
        else:
            header = None
            if len(first_fields) != len(chosen.columns):
                raise FileRefused(
                    f"layout {chosen.name} has {len(chosen.columns)} columns but the first line "
                    f"has {len(first_fields)}"
                )
        resolved = resolve_mapping(chosen, header)
    if header is not None:
        _refuse_duplicate_headers(header)
    if not has_identity(resolved):
        raise FileRefused(
            "no identity columns: the file needs a voter id column or both first and last "
            "name columns"
        )
    if chosen is not None and chosen.quoting and quoting != chosen.quoting:
        quoting = chosen.quoting
        first_fields = split_fields(lines[0], delimiter, quoting)
    if header is not None and _trailing_delimiter(lines, delimiter, quoting, len(header)):
        # every sampled row ends with one extra, empty field (a trailing delimiter, seen in
        # Colorado exports): give it a name so those rows are not all rejected
        header = [*header, TRAILING_COLUMN]
    field_count = len(header) if header is not None else len(first_fields)
    detection = Detection(
        members=[name for name, _ in members],
        encoding=encoding,
        delimiter=delimiter,
        quoting=quoting,
        has_header=header is not None,
        layout=chosen.name if chosen is not None else None,
        header=header,
        mapping=resolved,
        field_count=field_count,
        state=chosen.state if chosen is not None else None,
        date_order=options.get("date_order"),
    )
    for name, opener in members[1:]:
        _check_member(name, opener, detection)
    detection.history = history
    return detection


TRAILING_COLUMN = "(trailing empty column)"


def _refuse_duplicate_headers(header: list[str]) -> None:
    """Refuse a header naming one column twice (as the importer compares names: case, spaces,
    ``_``, ``-`` and ``.`` ignored); only one of the two could be read, the other would be lost.
    Blank names are not compared (nothing can map to them)."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        key = normalize_header(name)
        if key:
            seen.setdefault(key, []).append(i)
    dupes = [cols for cols in seen.values() if len(cols) > 1]
    if not dupes:
        return
    described = "; ".join(
        " and ".join(f'"{header[i]}" (column {i + 1})' for i in cols) for cols in dupes
    )
    raise FileRefused(
        f"the header names the same column more than once: {described}. Column names are "
        "compared ignoring case, spaces, _, - and .; rename or remove the duplicates and "
        "upload again"
    )


def _trailing_delimiter(lines: list[str], delimiter: str, quoting: str, width: int) -> bool:
    records = sample_records(lines[1:100], delimiter) if quoting == "csv" else lines[1:100]
    rows = [split_fields(record, delimiter, quoting) for record in records]
    return bool(rows) and all(len(r) == width + 1 and not r[-1].strip() for r in rows)


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _fl_guess(lines: list[str], delimiter: str) -> Layout | None:
    if delimiter != "\t":
        return None
    rows = [line.rstrip("\r\n").split("\t") for line in lines[:50]]
    good = sum(looks_like_fl_row(r) for r in rows)
    # a few rows may be broken (they become rejects); most must have the FL shape
    return LAYOUTS["fl_extract"] if rows and good >= max(1, len(rows) * 0.6) else None


def _match_user_mapping(mapping: dict[str, str | list[str]], names: list[str]) -> dict:
    index: dict[str, str] = {}
    for name in names:
        index.setdefault(normalize_header(name), name)
    resolved: dict[str, str | list[str]] = {}
    for key, value in mapping.items():
        if value is None:
            resolved[key] = None  # type: ignore[assignment]  # removes the detected field
            continue
        found = [index[normalize_header(v)] for v in as_list(value)]
        resolved[key] = found[0] if isinstance(value, str) else found
    return resolved


def _check_member(name: str, opener: Callable[[], IO[bytes]], detection: Detection) -> None:
    sample, complete = read_sample(opener, 1 << 16)
    if not sample.strip():
        return  # an empty part adds no rows
    refuse_binary(sample, name)
    lines = sample_lines(sample, complete, detection.encoding)
    if not lines:
        return
    fields = split_fields(lines[0], detection.delimiter, detection.quoting)
    if detection.header is not None and normalised_header(detection) == [
        normalize_header(f) for f in fields
    ]:
        return
    if len(fields) != detection.field_count:
        raise FileRefused(
            f"member {name} does not match the first file: its first line has {len(fields)} "
            f"columns, expected {detection.field_count}"
        )
    if detection.header is not None and recognise_header(fields) is not None:
        raise FileRefused(f"member {name} has a different header from the first file")


def normalised_header(detection: Detection) -> list[str] | None:
    """The header line as the file spells it (normalised), without a synthetic column."""
    if detection.header is None:
        return None
    names = detection.header
    if names and names[-1] == TRAILING_COLUMN:
        names = names[:-1]
    return [normalize_header(h) for h in file_header(LAYOUTS.get(detection.layout or ""), names)]
