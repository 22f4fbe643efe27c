"""Read and normalise voter files in streamed chunks (the only imports module that uses pandas).

``detect`` looks at a file once (container, encoding, delimiter, quoting, header, layout) and
either returns a ``Detection`` or raises ``FileRefused``. ``iter_chunks`` then streams the file as
``Chunk`` objects holding a normalised frame, a long phones frame and the rejected rows.

Frame types (for the database layer): text columns are ``pd.ArrowDtype(pa.string())`` with
``pd.NA`` for missing values; ``birth_date`` / ``registration_date`` are ``ArrowDtype(date32)``
(elements are ``datetime.date``); ``birth_year`` and ``res_house_number`` are ``Int64``;
``latitude`` / ``longitude`` are float64 (NaN when missing); ``line`` is int64.
``Chunk.records()`` turns the frame into plain dicts with ``None`` for every missing value.
The phones frame uses plain object columns (``None`` when missing) and a bool ``dialable``.

Decisions worth knowing:

* **Records and line numbers.** A record is one physical line, except that in a CSV-quoted
  file a quoted value may hold line breaks (RFC 4180): that record is read whole and numbered
  by its first physical line, so the lines reported for every row, before and after it, are
  the file's own. A quote left open for ``MAX_RECORD_LINES`` lines is taken as a stray: its
  line is rejected alone and reading goes on with the next line.
* **Headers** naming one column twice (as ``normalize_header`` compares them) are refused,
  except the repeats a layout documents (Iowa's second ``CITY`` / ``STATE`` / ``ZIP_CODE`` are
  the mailing address): those are read by position under the names the layout gives them
  (``layouts.distinct_header``; ``Detection.header`` holds those names).
* **Encoding**: a UTF-8 BOM means UTF-8. Otherwise the first 8 MiB are probed: valid UTF-8 (or
  pure ASCII) means UTF-8, else cp1252 when every byte is defined there, else Latin-1. When a
  UTF-8 file later holds a line that is not UTF-8, that line alone is decoded as cp1252 and counted
  in ``warnings["encoding_fallback_cp1252"]``, so there is no mojibake and no crash. UTF-16 is
  refused with a message (re-save as UTF-8).
* **Containers**: ``.zip`` (one or many members, read in archive order as one stream; directories,
  ``__MACOSX``, dot files and documents such as .pdf/.docx/.xlsx are skipped) and ``.gz``. Each
  member may repeat the header on its first line or carry it only in the first member.
* **Rows**: blank lines are skipped and not counted as rows. ``start_row`` counts data rows
  (accepted and rejected) over all members in order; ``Chunk.start_row + Chunk.rows_read`` is
  where the next chunk starts.
* **Districts** (cd/sd/hd): a number, optionally zero-padded, optionally after a word or with a
  pandas ``.0`` tail (``"064"``, ``"64"``, ``"6.0"``, ``"Congressional 6"``), becomes the bare
  number (``"64"``, ``"6"``); anything else (``"15B"``) is kept upper-cased.
* **Precinct codes** are trimmed (FL pads them: ``"  2"`` -> ``"2"``) and upper-cased, and a
  pandas ``.0`` tail on an all-digit code is removed; leading zeros are kept because codes are text.
* **row_hash** is a digest of the row's normalised values for the columns the file carries,
  phones included, after a tag naming those columns (``fieldcrm.imports.changes.row_hashes``);
  never of the raw line: line endings, quoting and extra unmapped columns do not change it.
"""

from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import datetime as dt
import gzip
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fieldcrm.contacts.record import FRAME_COLUMNS, LENGTHS, PHONE_RAW_LENGTH
from fieldcrm.imports.changes import Carried, carried_columns, row_hashes
from fieldcrm.imports.layouts import (
    AREA_CODE_FIELDS,
    EXPECTED_FIELDS,
    LAYOUTS,
    PHONE_KINDS,
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
from fieldcrm.lib import uploads
from fieldcrm.lib.addresses import collapse_whitespace, household_keys, split_street_addresses
from fieldcrm.lib.csvsafe import unneutralise
from fieldcrm.lib.names import split_full_name
from fieldcrm.lib.phones import normalize_phones

__all__ = [
    "Chunk",
    "Detection",
    "FileRefused",
    "RowError",
    "detect",
    "iter_chunks",
    "preview",
]

_SAMPLE_BYTES = 8 << 20
_SAMPLE_LINES = 500
_DELIMITERS = ("\t", "|", ",", ";")
_SKIPPED_SUFFIXES = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".rtf",
    ".md",
    ".html",
    ".htm",
    ".json",
    ".xml",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
)
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive or Excel workbook; upload it as .zip, or export CSV"),
    (b"\x1f\x8b", "gzip-compressed; name it .gz"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Word file; export it as CSV"),
)

PHONE_COLUMNS: tuple[str, ...] = ("line", "member", "voter_id", "kind", "raw", "e164", "dialable")


class FileRefused(Exception):  # noqa: N818 - public name fixed by the import API
    """The whole file cannot be imported; ``reason`` says what is missing or wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RowError:
    """One rejected row: physical 1-based line in its member (the header is line 1)."""

    line: int
    member: str
    reason: str
    raw: str


@dataclass
class Detection:
    """What ``detect`` learned about a file; pass it back to ``iter_chunks`` / ``preview``."""

    members: list[str]
    encoding: str
    delimiter: str
    quoting: str
    has_header: bool
    layout: str | None
    header: list[str] | None
    mapping: dict[str, str | list[str]]
    field_count: int
    #: vote-history members and how to read them (fieldcrm.imports.votehistory)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: state implied by the layout (``"NC"``, ``"FL"``, ...), ``None`` for generic files
    state: str | None = None
    #: the mapping's ``date_order`` ("MDY", "DMY", "YMD"); ``None``: the layout's rule
    date_order: str | None = None


@dataclass
class Chunk:
    """A slice of the file: normalised rows, their phones, and the rows rejected."""

    start_row: int
    frame: pd.DataFrame
    phones: pd.DataFrame
    rejects: list[RowError]
    warnings: collections.Counter
    rows_read: int
    #: the physical line number of every row read, in order (``rows_read`` of them, one
    #: member, increasing): row ``start_row + i`` of the file is line ``numbers[i]``
    numbers: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, np.int64))
    #: the contact columns, phones and emails this file carries (what an update may write)
    carried: Carried | None = None

    def records(self) -> list[dict[str, Any]]:
        """Frame rows as plain dicts (missing values are ``None``, dates ``datetime.date``)."""
        return _to_records(self.frame)

    def phone_records(self) -> list[dict[str, Any]]:
        """Phone rows as plain dicts (missing values are ``None``)."""
        return _to_records(self.phones)


def _to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.to_pylist()


# --- containers -------------------------------------------------------------------------------


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):  # pragma: no cover - only decoding uses it
        raise err
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("fieldcrm_latin1", _latin1_fallback)


def _is_data_member(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    if name.endswith("/") or name.startswith("__MACOSX/") or not base or base.startswith("."):
        return False
    return not base.lower().endswith(_SKIPPED_SUFFIXES)


def _members(path: Path) -> list[tuple[str, Callable[[], IO[bytes]]]]:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        # Size, entry count, unsafe paths, encryption and zip bombs are checked from the
        # central directory before a byte is extracted.
        try:
            uploads.check_archive(path)
        except uploads.UploadRejected as exc:
            raise FileRefused(f"{path.name}: {exc}") from exc
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise FileRefused(f"{path.name} is not a readable ZIP archive ({exc})") from exc
        with archive:
            names = [i.filename for i in archive.infolist() if _is_data_member(i.filename)]
        if not names:
            raise FileRefused(f"{path.name} holds no data files")

        def opener(name: str) -> Callable[[], IO[bytes]]:
            def open_member() -> IO[bytes]:
                zf = zipfile.ZipFile(path)
                return io.BufferedReader(_ClosingZipMember(zf, zf.open(name)), 1 << 20)

            return open_member

        return [(name, opener(name)) for name in names]
    if suffix == ".gz":
        # Checked whole (size, ratio, nested archives) by uploads.check_gzip before a batch
        # is parsed; every read is held to the same limits (ArchiveTooLarge, an OSError).
        return [(path.name[: -len(".gz")], lambda: uploads.open_gzip(path))]
    return [(path.name, lambda: open(path, "rb", buffering=1 << 20))]  # noqa: SIM115


class _ClosingZipMember(io.RawIOBase):
    """A zip member stream that also closes its archive."""

    def __init__(self, archive: zipfile.ZipFile, member: IO[bytes]) -> None:
        self._archive = archive
        self._member = member

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._member.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        self._archive.close()
        super().close()


def _read_sample(opener: Callable[[], IO[bytes]], limit: int) -> tuple[bytes, bool]:
    """First ``limit`` bytes (cut at a line end) and whether the stream ended within them."""
    try:
        with opener() as stream:
            data = stream.read(limit)
            complete = len(data) < limit
            if not complete:
                data += stream.readline()
                complete = not stream.peek(1) if hasattr(stream, "peek") else False
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise FileRefused(f"cannot read the file: {exc}") from exc
    return data, complete


# --- detection --------------------------------------------------------------------------------


def _refuse_binary(sample: bytes, name: str) -> None:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(f"{name} is UTF-16 text; save it as UTF-8 CSV and upload again")
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            raise FileRefused(f"{name} is {what}, not a text voter file")
    head = sample[:65536]
    if b"\x00" in head:
        raise FileRefused(f"{name} is a binary file (it contains NUL bytes), not a text file")
    controls = sum(head.count(bytes([c])) for c in range(1, 32) if c not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.01:
        raise FileRefused(f"{name} looks binary (control characters), not a text voter file")


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.isascii():
        return "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _decode_line(raw: bytes, encoding: str) -> tuple[str, bool]:
    """Decode one line; the bool says a UTF-8 file needed the cp1252 fallback."""
    if encoding.startswith("utf-8"):
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="fieldcrm_latin1"), True
    return raw.decode(encoding, errors="fieldcrm_latin1"), False


def _split_fields(text: str, delimiter: str, quoting: str) -> list[str]:
    text = text.rstrip("\r\n")
    if quoting == "none":
        return text.split(delimiter)
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=False))
    except (csv.Error, StopIteration):
        return text.split(delimiter)


def _choose_delimiter(first: str) -> str:
    """The candidate delimiter occurring most often in the first line (ties: tab, |, comma, ;)."""
    best, best_count = "", 0
    for delim in _DELIMITERS:
        count = first.count(delim)
        if count > best_count:
            best, best_count = delim, count
    if not best:
        raise FileRefused(
            "no column delimiter found in the first line (expected tab, comma, pipe or ;)"
        )
    return best


def _choose_quoting(lines: list[str], delimiter: str, expected: int | None) -> str:
    """ "csv" when fields open with a double quote and CSV rules give consistent field counts;
    "none" when quotes only appear inside values (FL ``MARIE   "MARION"``)."""
    opens = any(f.startswith('"') for line in lines for f in line.rstrip("\r\n").split(delimiter))
    if not opens:
        return "csv" if delimiter == "," else "none"
    target = expected or len(_split_fields(lines[0], delimiter, "csv"))
    records = _sample_records(lines, delimiter)
    csv_ok = sum(len(_split_fields(x, delimiter, "csv")) == target for x in records)
    # lines joined into a CSV record count for CSV rules (they are read as one record)
    csv_ok += len(lines) - len(records)
    none_ok = sum(len(x.rstrip("\r\n").split(delimiter)) == target for x in lines)
    return "csv" if csv_ok >= none_ok else "none"


def _sample_records(lines: list[str], delimiter: str) -> list[str]:
    """Sample lines joined into CSV records where a quoted value holds line breaks."""
    delim = delimiter.encode("ascii")
    records: list[str] = []
    i = 0
    while i < len(lines):
        end = i + 1
        if lines[i].count('"') % 2 and _ends_in_quotes(lines[i].encode(), delim, False):
            j = i + 1
            while j < len(lines) and j - i < MAX_RECORD_LINES:
                if not _ends_in_quotes(lines[j].encode(), delim, True):
                    end = j + 1
                    break
                j += 1
        records.append("".join(lines[i:end]))
        i = end
    return records


def _sample_lines(sample: bytes, complete: bool, encoding: str) -> list[str]:
    raw_lines = sample.splitlines(keepends=True)
    if not complete and raw_lines and not raw_lines[-1].endswith(b"\n"):
        raw_lines.pop()
    out: list[str] = []
    for raw in raw_lines[: _SAMPLE_LINES * 2]:
        text, _ = _decode_line(raw, encoding)
        if text.strip():
            out.append(text.lstrip("\ufeff"))
        if len(out) >= _SAMPLE_LINES:
            break
    return out


def _headerless_names(count: int, layout: Layout | None) -> list[str]:
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
    from fieldcrm.imports import votehistory  # it reads with this module's helpers

    return votehistory.split_members(_members(path))


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
        from fieldcrm.imports import votehistory

        return votehistory.history_only_detection(history)
    first_name, first_open = members[0]
    sample, complete = _read_sample(first_open, _SAMPLE_BYTES)
    if not sample.strip():
        raise FileRefused(f"{first_name} is empty")
    _refuse_binary(sample, first_name)
    encoding = _detect_encoding(sample)
    lines = _sample_lines(sample, complete, encoding)
    if not lines:
        raise FileRefused(f"{first_name} is empty")

    delimiter = forced.delimiter if forced and forced.delimiter else None
    delimiter = delimiter or _choose_delimiter(lines[0])
    expected = len(forced.columns) if forced is not None and forced.columns else None
    quoting = forced.quoting if forced and forced.quoting else None
    quoting = quoting or _choose_quoting(lines, delimiter, expected)
    first_fields = _split_fields(lines[0], delimiter, quoting)
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
            v for value in user_columns.values() if value is not None for v in _as_list(value)
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
            names = _headerless_names(len(first_fields), chosen or _fl_guess(lines, delimiter))
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
        first_fields = _split_fields(lines[0], delimiter, quoting)
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
    records = _sample_records(lines[1:100], delimiter) if quoting == "csv" else lines[1:100]
    rows = [_split_fields(record, delimiter, quoting) for record in records]
    return bool(rows) and all(len(r) == width + 1 and not r[-1].strip() for r in rows)


def _as_list(value: str | list[str]) -> list[str]:
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
        found = [index[normalize_header(v)] for v in _as_list(value)]
        resolved[key] = found[0] if isinstance(value, str) else found
    return resolved


def _check_member(name: str, opener: Callable[[], IO[bytes]], detection: Detection) -> None:
    sample, complete = _read_sample(opener, 1 << 16)
    if not sample.strip():
        return  # an empty part adds no rows
    _refuse_binary(sample, name)
    lines = _sample_lines(sample, complete, detection.encoding)
    if not lines:
        return
    fields = _split_fields(lines[0], detection.delimiter, detection.quoting)
    if detection.header is not None and _header_norm(detection) == [
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


def _header_norm(detection: Detection) -> list[str] | None:
    """The header line as the file spells it (normalised), without a synthetic column."""
    if detection.header is None:
        return None
    names = detection.header
    if names and names[-1] == TRAILING_COLUMN:
        names = names[:-1]
    return [normalize_header(h) for h in file_header(LAYOUTS.get(detection.layout or ""), names)]


# --- streaming --------------------------------------------------------------------------------


def iter_chunks(
    path: str | Path,
    detection: Detection,
    *,
    chunk_rows: int = 100_000,
    start_row: int = 0,
) -> Iterator[Chunk]:
    """Stream ``path`` as normalised chunks of at most ``chunk_rows`` data rows, in file order.

    Rows before ``start_row`` (counted over all members in order) are skipped without being
    parsed. A chunk never spans two members. Reading happens on the calling thread while up to
    two chunks are normalised on worker threads (pyarrow releases the GIL), so at most three
    chunks are in memory at once. Raises ``FileRefused`` if the file changed shape since
    ``detect`` (e.g. a member disappeared) or cannot be read, and ``ValueError`` for
    ``chunk_rows < 1``.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    batches = _iter_batches(Path(path), detection, chunk_rows, start_row)
    workers = _WORKERS
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voterfile") as pool:
        pending: collections.deque[Future[Chunk]] = collections.deque()
        try:
            for batch in batches:
                pending.append(pool.submit(_build_chunk, *batch))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


#: Chunks normalised concurrently. Measured on 2 cores: two workers were slower than one (the
#: GIL-bound parts contend), so one worker overlaps normalising with reading, nothing more.
_WORKERS = 1


def _iter_batches(
    path: Path, detection: Detection, chunk_rows: int, start_row: int
) -> Iterator[tuple[list[bytes], np.ndarray, str, Detection, int, bool, list[int]]]:
    """Data records per chunk with their first physical line numbers; headers and blanks
    removed. Also whether the chunk holds a record spanning several lines, and the line
    numbers of records whose quoted value is never closed."""
    members = dict(_members(path))
    row_index = 0
    header_norm = _header_norm(detection)
    for member in detection.members:
        if member not in members:
            raise FileRefused(f"member {member} is no longer in {path.name}")
        try:
            stream = members[member]()
        except (OSError, zipfile.BadZipFile) as exc:
            raise FileRefused(f"cannot read {member}: {exc}") from exc
        with stream:
            reader = _RecordReader(stream, detection)
            first = True
            while True:
                try:
                    lines, numbers, multiline, unclosed = reader.read(chunk_rows)
                except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
                    raise FileRefused(f"cannot read {member}: {exc}") from exc
                if not lines:
                    break
                keep = _non_blank(lines)
                if first:
                    first = False
                    if keep is None:
                        keep = list(range(len(lines)))
                    if keep and header_norm is not None:
                        head_text, _ = _decode_line(lines[keep[0]], detection.encoding)
                        fields = _split_fields(
                            head_text.lstrip("\ufeff"), detection.delimiter, detection.quoting
                        )
                        if [normalize_header(f) for f in fields] == header_norm:
                            keep = keep[1:]
                    if keep:
                        lines[keep[0]] = _strip_bom(lines[keep[0]])
                if keep is not None and len(keep) != len(lines):
                    if keep and keep[-1] - keep[0] == len(keep) - 1:  # e.g. only a header
                        lines = lines[keep[0] : keep[-1] + 1]
                        numbers = numbers[keep[0] : keep[-1] + 1]
                    else:
                        lines = [lines[i] for i in keep]
                        numbers = numbers[keep]
                skip = min(max(start_row - row_index, 0), len(lines))
                if skip:
                    lines = lines[skip:]
                    numbers = numbers[skip:]
                    row_index += skip
                if not lines:
                    continue
                yield lines, numbers, member, detection, row_index, multiline, unclosed
                row_index += len(lines)


#: A quoted value may span at most this many physical lines; a quote left open longer than
#: that is taken as a stray quote, and its lines are read (and rejected) one by one.
MAX_RECORD_LINES = 100


class _RecordReader:
    """Records of one member: physical lines, except that a CSV record whose quoted value holds
    line breaks (RFC 4180) is one record, numbered by its first physical line."""

    def __init__(self, stream: IO[bytes], detection: Detection) -> None:
        self._stream = stream
        self._quoted = detection.quoting == "csv"
        self._delimiter = detection.delimiter.encode("ascii")
        self._pushback: list[bytes] = []
        self._lineno = 0  # physical lines handed out so far

    def _physical(self, count: int) -> list[bytes]:
        lines = self._pushback[:count]
        del self._pushback[:count]
        if len(lines) < count:
            lines += _read_lines(self._stream, count - len(lines))
        return lines

    def read(self, count: int) -> tuple[list[bytes], np.ndarray, bool, list[int]]:
        """Up to ``count`` records, their first line numbers, whether any spans lines, and the
        line numbers of records whose quoted value is never closed (to be rejected)."""
        lines = self._physical(count)
        start = self._lineno + 1
        numbers = np.arange(start, start + len(lines), dtype=np.int64)
        self._lineno += len(lines)
        if not self._quoted or not lines:
            return lines, numbers, False, []
        # a record can only continue past a line with an odd number of quotes
        odd = [i for i, raw in enumerate(lines) if raw.count(b'"') & 1]
        if not odd:
            return lines, numbers, False, []
        out: list[bytes] = []
        out_numbers: list[int] = []
        unclosed: list[int] = []
        pos = 0
        for i in odd:
            if i < pos:
                continue  # already part of a joined record
            if not _ends_in_quotes(lines[i], self._delimiter, False):
                continue
            end = self._record_end(lines, i, numbers)
            if end is None:
                unclosed.append(start + i)  # never closed: the line alone, rejected
                continue
            if len(numbers) < len(lines):
                numbers = np.arange(start, start + len(lines), dtype=np.int64)
            out.extend(lines[pos:i])
            out_numbers.extend(numbers[pos:i].tolist())
            out.append(b"".join(lines[i:end]))
            out_numbers.append(int(numbers[i]))
            pos = end
        if not out:
            return lines, numbers, False, unclosed
        out.extend(lines[pos:])
        out_numbers.extend(numbers[pos : len(lines)].tolist())
        return out, np.asarray(out_numbers, dtype=np.int64), True, unclosed

    def _record_end(self, lines: list[bytes], i: int, numbers: np.ndarray) -> int | None:
        """Index after the last line of the record opening at ``lines[i]``, reading further
        lines from the stream when it runs past the chunk; ``None`` when no line within
        MAX_RECORD_LINES closes it (lines read ahead are then given back)."""
        given = len(lines)
        j = i + 1
        while j - i < MAX_RECORD_LINES:
            if j == len(lines):
                more = self._physical(1)
                if not more:
                    break
                lines.append(more[0])
                self._lineno += 1
            if not _ends_in_quotes(lines[j], self._delimiter, True):
                return j + 1
            j += 1
        extra = lines[given:]
        if extra:
            del lines[given:]
            self._pushback[:0] = extra
            self._lineno -= len(extra)
        return None


def _ends_in_quotes(raw: bytes, delimiter: bytes, inside: bool) -> bool:
    """Whether a CSV line ends inside a quoted value, given whether it starts inside one.

    RFC 4180: a quote opens a quoted value only at the start of a field; inside, ``""`` is a
    literal quote and a single ``"`` closes it. Quotes within an unquoted value are literal.
    The delimiter and quote are ASCII, so scanning bytes is exact in every supported encoding.
    """
    i, n = 0, len(raw)
    field_start = not inside
    while i < n:
        if inside:
            j = raw.find(b'"', i)
            if j < 0:
                return True
            if raw[j + 1 : j + 2] == b'"':
                i = j + 2
                continue
            inside = False
            field_start = False
            i = j + 1
        elif field_start and raw[i : i + 1] == b'"':
            inside = True
            i += 1
        else:
            j = raw.find(delimiter, i)
            if j < 0:
                return False
            field_start = True
            i = j + len(delimiter)
    return inside


def _non_blank(lines: list[bytes]) -> list[int] | None:
    """Indexes of the lines that are not blank (empty or whitespace only); ``None`` when all
    lines are non-blank (the common case, checked without a Python-level loop)."""
    if not any(map(bytes.isspace, lines)):
        return None
    return [i for i, raw in enumerate(lines) if raw and not raw.isspace()]


def _read_lines(stream: IO[bytes], count: int) -> list[bytes]:
    return list(itertools.islice(stream, count))


def _strip_bom(raw: bytes) -> bytes:
    return raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw


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


def preview(
    path: str | Path, detection: Detection, n: int = 20
) -> tuple[list[dict[str, Any]], collections.Counter, list[RowError]]:
    """The first ``n`` data rows: accepted ones as plain dicts, their warnings and rejects.

    Reads only as far as needed. Raises ``FileRefused`` like ``iter_chunks``.
    """
    rows: list[dict[str, Any]] = []
    warnings: collections.Counter = collections.Counter()
    rejects: list[RowError] = []
    seen = 0
    while seen < n:
        # each pass asks for exactly the rows still wanted, so no chunk overshoots n
        chunks = iter_chunks(path, detection, chunk_rows=n - seen, start_row=seen)
        try:
            chunk = next(chunks, None)
        finally:
            chunks.close()
        if chunk is None:
            break
        rows.extend(chunk.records())
        rejects.extend(chunk.rejects)
        warnings.update(chunk.warnings)
        seen += chunk.rows_read
    return rows, warnings, rejects


# --- parsing one chunk ------------------------------------------------------------------------


class _InvalidUtf8Error(Exception):
    """A chunk of a UTF-8 file holds bytes that are not UTF-8."""


class _FallbackNeededError(Exception):
    """The fast reader disagreed with the line count; read this chunk line by line instead."""


def _to_utf8(lines: list[bytes], encoding: str) -> tuple[bytes, int]:
    """The chunk as one UTF-8 buffer ending in a newline, and how many lines needed cp1252."""
    if lines[-1][-1:] != b"\n":
        lines[-1] = lines[-1] + b"\n"
    buf = b"".join(lines)
    if encoding.startswith("utf-8"):
        return buf, 0  # validated by the CSV reader; see _parse_table
    return buf.decode(encoding, errors="fieldcrm_latin1").encode("utf-8"), 0


def _repair_utf8(lines: list[bytes], encoding: str) -> tuple[bytes, int]:
    """Re-encode a UTF-8 chunk line by line, decoding invalid lines as cp1252."""
    fixed: list[bytes] = []
    fallbacks = 0
    for raw in lines:
        text, fell_back = _decode_line(raw, encoding)
        fallbacks += fell_back
        fixed.append(text.encode("utf-8"))
    return b"".join(fixed), fallbacks


def _parse_table(
    buf: bytes,
    line_count: int,
    detection: Detection,
    needed: list[int],
    records: list[bytes] | None = None,
) -> tuple[pa.Table, dict[int, int]]:
    """Parse the buffer into string columns ``f<i>`` for the ``needed`` column indexes; returns
    the table and {record index: field count} for the records that had the wrong number of
    fields (they are not in the table; every record's field count is checked, needed or not).
    ``records`` (the raw records) is given when some of them hold line breaks inside quoted
    values."""
    multiline = records is not None
    n = detection.field_count
    names = [f"f{i}" for i in range(n)]
    include = [names[i] for i in needed]

    def attempt(threads: bool) -> tuple[pa.Table, list[tuple[int | None, int]]]:
        invalid: list[tuple[int | None, int]] = []

        def handler(row: Any) -> str:
            invalid.append((row.number, row.actual_columns))
            return "skip"

        table = pacsv.read_csv(
            pa.BufferReader(buf),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=threads),
            parse_options=pacsv.ParseOptions(
                delimiter=detection.delimiter,
                quote_char='"' if detection.quoting == "csv" else False,
                double_quote=True,
                escape_char=False,
                newlines_in_values=multiline,
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(include, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=include,
            ),
        )
        return table, invalid

    try:
        table, invalid = attempt(True)
        if invalid and multiline:
            # the reader numbers rows by physical line; records are numbered line by line below
            raise _FallbackNeededError
        if invalid:
            table, invalid = attempt(False)
        if table.num_rows + len(invalid) != line_count or any(i is None for i, _ in invalid):
            raise _FallbackNeededError
        return table, {int(i) - 1: actual for i, actual in invalid}  # type: ignore[arg-type]
    except (pa.ArrowInvalid, _FallbackNeededError) as exc:
        if isinstance(exc, pa.ArrowInvalid) and "UTF8" in str(exc).upper().replace("-", ""):
            raise _InvalidUtf8Error from exc
        return _parse_table_slowly(buf, line_count, detection, needed, records)


def _parse_table_slowly(
    buf: bytes,
    line_count: int,
    detection: Detection,
    needed: list[int],
    records: list[bytes] | None = None,
) -> tuple[pa.Table, dict[int, int]]:
    n = detection.field_count
    try:
        text = buf.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _InvalidUtf8Error from exc
    if records is not None:
        # some records span lines (quoted line breaks): split the records, not the buffer
        texts = [_decode_line(raw, detection.encoding)[0] for raw in records]
    else:
        texts = text.split("\n")[:line_count]
    columns: list[list[str]] = [[] for _ in range(n)]
    bad: dict[int, int] = {}
    for i, text in enumerate(texts):
        fields = _split_fields(text, detection.delimiter, detection.quoting)
        if len(fields) != n:
            bad[i] = len(fields)
            continue
        for col, value in zip(columns, fields, strict=True):
            col.append(value)
    table = pa.table({f"f{i}": pa.array(columns[i], pa.string()) for i in needed})
    return table, bad


_NULL_STR = pa.scalar(None, pa.string())


def _is_ascii_column(arr: pa.Array) -> bool:
    """All bytes of the column's data buffer are ASCII (a fast numpy scan, no decoding)."""
    data = arr.buffers()[2]
    return data is None or not len(data) or int(np.frombuffer(data, dtype=np.uint8).max()) < 128


def _upper(arr: pa.Array) -> pa.Array:
    # same result as utf8_upper on ASCII text, at a fraction of the cost
    return pc.ascii_upper(arr) if _is_ascii_column(arr) else pc.utf8_upper(arr)


def _trim(arr: pa.Array) -> pa.Array:
    # the ASCII kernel is several times faster; it is only exact when there is no Unicode
    # whitespace to trim, i.e. when the column is pure ASCII
    if _is_ascii_column(arr):
        return pc.ascii_trim_whitespace(arr)
    return pc.utf8_trim_whitespace(arr)


def _nullify(trimmed: pa.Array) -> pa.Array:
    """Blank cells ("" or "*", after trimming) become null."""
    length = pc.binary_length(trimmed)
    blank = pc.or_(pc.equal(length, 0), pc.and_(pc.equal(length, 1), pc.equal(trimmed, "*")))
    return pc.if_else(blank, _NULL_STR, trimmed)


def _collapse(arr: pa.Array) -> pa.Array:
    return collapse_whitespace(arr)


def _join_words(arrays: list[pa.Array]) -> pa.Array:
    """Join the non-null values of each row with one space (whitespace collapsed).

    Built from element-wise joins of non-null pairs rather than
    ``binary_join_element_wise(null_handling="skip")``: some pyarrow versions drop the rows where
    every input is null with "skip", which would misalign the columns.
    """
    present = [a for a in arrays if a.null_count < len(a)]
    if not present:
        return arrays[0]
    result = present[0]
    for extra in present[1:]:
        both = pc.binary_join_element_wise(result, extra, " ")
        result = pc.coalesce(both, result, extra)
    return _empty_to_null(pc.utf8_trim(_collapse(result), " "))


def _empty_to_null(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(pc.fill_null(arr, ""), ""), _NULL_STR, arr)


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(
        zero_copy_only=False
    )


def _np_mask(arr: pa.Array) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def _map_values(arr: pa.Array, table: dict[str, str]) -> pa.Array:
    keys = pa.array(list(table), pa.string())
    values = pa.array(list(table.values()), pa.string())
    return values.take(pc.index_in(arr, value_set=keys))


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_DATE_MDY = r"^(?P<a>[0-9]{1,2})[/-](?P<b>[0-9]{1,2})[/-](?P<y>[0-9]{4})(?:[ T].*)?$"
_DATE_YMD = r"^(?P<y>[0-9]{4})[/-](?P<a>[0-9]{1,2})[/-](?P<b>[0-9]{1,2})(?:[ T].*)?$"
_DATE_8 = r"^(?P<x>[0-9]{8})$"


def _extract(arr: pa.Array, pattern: str, name: str) -> pa.Array:
    """Named group ``name`` of ``pattern``; null where the text is null or does not match
    (a struct field alone would give ``""`` there)."""
    struct = pc.extract_regex(arr, pattern)
    return pc.if_else(pc.is_valid(struct), struct.field(name), _NULL_STR)


def _to_int(arr: pa.Array) -> np.ndarray:
    digits = pc.if_else(pa.array(_matches(arr, r"^[0-9]{1,9}$")), arr, _NULL_STR)
    return pc.fill_null(pc.cast(digits, pa.int64()), -1).to_numpy(zero_copy_only=False)


def _parse_dates(arr: pa.Array, order: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) int arrays; -1 where the text is missing or not a date shape.

    ``order`` ("ymd", "mdy" or "dmy") reads 8-digit dates (YYYYMMDD, MMDDYYYY, DDMMYYYY) and
    the two leading numbers of ``a/b/yyyy`` dates (day first only for "dmy");
    ``yyyy-mm-dd`` is read as such whatever the order.

    Each shape's regex runs only on the rows the previous shapes did not match, so a file with
    one date format pays for one regex.
    """
    n = len(arr)
    y = np.full(n, -1, dtype=np.int64)
    m = np.full(n, -1, dtype=np.int64)
    d = np.full(n, -1, dtype=np.int64)
    todo = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    eight_parts = {
        "mdy": ((4, 8), (0, 2), (2, 4)),
        "dmy": ((4, 8), (2, 4), (0, 2)),
    }.get(order, ((0, 4), (4, 6), (6, 8)))
    for pattern in (_DATE_MDY, _DATE_YMD, _DATE_8):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        sub = arr.take(pa.array(idx)) if len(idx) < n else arr
        struct = pc.extract_regex(sub, pattern)
        hit = pc.is_valid(struct).to_numpy(zero_copy_only=False)
        if not hit.any():
            continue
        if pattern is _DATE_8:
            x = struct.field("x")
            fields = [pc.utf8_slice_codeunits(x, a, b) for a, b in eight_parts]
        elif pattern is _DATE_MDY and order == "dmy":
            fields = [struct.field(g) for g in ("y", "b", "a")]
        else:
            fields = [struct.field(g) for g in ("y", "a", "b")]
        for target, values in zip((y, m, d), fields, strict=True):
            target[idx[hit]] = _to_int(values)[hit]
        todo[idx[hit]] = False
    return y, m, d


_DIM = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _dates(
    arr: pa.Array,
    order: str,
    name: str,
    min_year: int,
    warnings: collections.Counter,
    today_days: int,
) -> tuple[pa.Array, np.ndarray]:
    """Parsed dates as date32 plus the year (or -1); placeholders and invalid dates are null."""
    present = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    y, m, d = _parse_dates(arr, order)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = _DIM[np.clip(m, 0, 12)] + ((m == 2) & leap)
    shaped = (y >= 0) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim)
    days = np.where(shaped, _days_from_civil(y, m, d), 0)
    placeholder = shaped & ((y < min_year) | ((y == 1900) & (m == 1) & (d == 1)))
    future = shaped & (days > today_days)
    invalid = present & (~shaped | future)
    ok = shaped & ~placeholder & ~future
    if placeholder.any():
        warnings[f"placeholder_{name}"] += int(placeholder.sum())
    if invalid.any():
        warnings[f"invalid_{name}"] += int(invalid.sum())
    out = pa.array(days.astype(np.int32), pa.int32(), mask=~ok).cast(pa.date32())
    return out, np.where(ok, y, -1)


def _zip_parts(arr: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """(zip5, zip4, invalid mask, zero-padded mask) from 5/9-digit ZIPs, pandas ``.0`` junk
    and 3-4 digit ZIPs whose leading zeros a spreadsheet dropped (``9312`` -> ``09312``)."""
    n = len(arr)
    none = np.zeros(n, dtype=bool)
    length = pc.binary_length(arr)
    digits = pc.fill_null(pc.and_(pc.ascii_is_decimal(arr), pc.less(length, 10)), False)
    if pc.all(pc.or_(pc.is_null(arr), pc.and_(digits, pc.equal(length, 5)))).as_py():
        return arr, pa.nulls(n, pa.string()), none, none  # the usual case: plain 5-digit ZIPs
    s = pc.replace_substring_regex(arr, r"^([0-9]+)\.0+$", r"\1")
    s = pc.replace_substring_regex(s, r"[ -]", "")
    is5 = _matches(s, r"^[0-9]{5}$")
    is9 = _matches(s, r"^[0-9]{9}$")
    is34 = _matches(s, r"^[0-9]{3,4}$")
    zip5 = pc.if_else(
        pa.array(is5 | is9),
        pc.utf8_slice_codeunits(s, 0, 5),
        pc.if_else(pa.array(is34), pc.utf8_lpad(s, 5, "0"), _NULL_STR),
    )
    zip4 = pc.if_else(pa.array(is9), pc.utf8_slice_codeunits(s, 5, 9), _NULL_STR)
    invalid = pc.is_valid(arr).to_numpy(zero_copy_only=False) & ~(is5 | is9 | is34)
    return zip5, zip4, invalid, is34


_DISTRICT = r"^(?:[A-Za-z .]*[ ])?0*(?P<n>[0-9]+)(?:\.0+)?$"
_ROMAN = pa.array(["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"], pa.string())
_SEX = {"MALE": "M", "FEMALE": "F", "UNKNOWN": "U"}
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"
_MC = re.compile(r"\bMc([a-z])")


def _district(arr: pa.Array) -> pa.Array:
    digits = pc.fill_null(pc.match_substring_regex(arr, r"^[0-9]+$"), True)
    if pc.all(digits).as_py():  # the usual case: plain, maybe zero-padded numbers
        stripped = pc.utf8_ltrim(arr, "0")
        return pc.if_else(pc.equal(stripped, ""), "0", stripped)
    number = _extract(arr, _DISTRICT, "n")
    return pc.coalesce(number, _upper(arr))


_NAME_PARTS = ("first_name", "middle_name", "last_name", "name_suffix")


def _fill_from_full_name(out: dict[str, Any], full: pa.Array) -> None:
    """Fill first/middle/last/suffix from a full-name column in the rows where the file gives
    no first or no last name (mapped name columns win). Each distinct name is split once."""
    need = pc.and_(
        pc.is_valid(full), pc.or_(pc.is_null(out["first_name"]), pc.is_null(out["last_name"]))
    )
    if not pc.any(need).as_py():
        return
    encoded = pc.if_else(need, full, _NULL_STR).dictionary_encode()
    parts = [split_full_name(text) for text in encoded.dictionary.to_pylist()]
    for i, key in enumerate(_NAME_PARTS):
        # in those rows each part the file leaves blank comes from the split
        split = pa.array([p[i] for p in parts], pa.string()).take(encoded.indices)
        out[key] = pc.coalesce(out[key], split)


def _display_name(first: pa.Array, last: pa.Array, suffix: pa.Array) -> pa.Array:
    base = _join_words([first, last])
    if _is_ascii_column(base):
        shout = pc.or_(pc.ascii_is_upper(base), pc.ascii_is_lower(base))
        named = pc.if_else(shout, pc.ascii_title(base), base)
    else:
        shout = pc.or_(pc.utf8_is_upper(base), pc.utf8_is_lower(base))
        named = pc.if_else(shout, pc.utf8_title(base), base)
    # literal prefilter; the word-boundary rule is applied in Python to the few hits
    mc = pc.fill_null(pc.match_substring(named, "Mc"), False)
    if pc.any(mc).as_py():
        fixed = [
            _MC.sub(lambda m: "Mc" + m.group(1).upper(), v) for v in named.filter(mc).to_pylist()
        ]
        named = pc.replace_with_mask(named, mc, pa.array(fixed, named.type))
    suffix_up = _upper(suffix)
    roman = pc.is_in(suffix_up, value_set=_ROMAN)
    suffix_fmt = pc.if_else(roman, suffix_up, pc.if_else(shout, pc.utf8_title(suffix), suffix))
    return _join_words([named, suffix_fmt])


def _floats(arr: pa.Array, limit: float, name: str, warnings: collections.Counter) -> np.ndarray:
    ok = _matches(arr, _NUMBER)
    text = pc.if_else(pa.array(ok), arr, _NULL_STR)
    values = pc.fill_null(pc.cast(text, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    bad = (pc.is_valid(arr).to_numpy(zero_copy_only=False) & ~ok) | (np.abs(values) > limit)
    if bad.any():
        warnings[f"invalid_{name}"] += int(bad.sum())
    return np.where(bad, np.nan, values)


def _year_column(arr: pa.Array, warnings: collections.Counter, this_year: int) -> np.ndarray:
    digits = _extract(arr, r"^(?P<y>[0-9]{4})(?:\.0+)?$", "y")
    years = _to_int(digits)
    present = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    placeholder = (years >= 0) & (years < 1900)
    invalid = present & ((years < 0) | (years > this_year))
    if placeholder.any():
        warnings["placeholder_birth_year"] += int(placeholder.sum())
    if invalid.any():
        warnings["invalid_birth_year"] += int(invalid.sum())
    return np.where(placeholder | invalid, -1, years)


def _source_names(detection: Detection) -> list[str]:
    if detection.header is not None:
        return detection.header
    layout = LAYOUTS.get(detection.layout or "")
    return _headerless_names(detection.field_count, layout)


def _needed_columns(detection: Detection) -> list[int]:
    """Indexes of the columns the mapping reads (first occurrence of each name)."""
    position: dict[str, int] = {}
    for i, name in enumerate(_source_names(detection)):
        position.setdefault(name, i)
    wanted = {position[n] for v in detection.mapping.values() for n in _as_list(v)}
    return sorted(wanted)


_UNCLOSED = -1


def _build_chunk(
    lines: list[bytes],
    numbers: np.ndarray,
    member: str,
    detection: Detection,
    start_row: int,
    multiline: bool = False,
    unclosed_lines: list[int] | None = None,
) -> Chunk:
    warnings: collections.Counter = collections.Counter()
    rejects: list[RowError] = []
    buf, fallbacks = _to_utf8(lines, detection.encoding)  # also ends the last line with \n
    needed = _needed_columns(detection)
    records = lines if multiline else None
    try:
        table, bad = _parse_table(buf, len(lines), detection, needed, records)
    except _InvalidUtf8Error:
        buf, fallbacks = _repair_utf8(lines, detection.encoding)
        table, bad = _parse_table(buf, len(lines), detection, needed, records)
    if fallbacks:
        warnings["encoding_fallback_cp1252"] += fallbacks
    unclosed: set[int] = set()
    if unclosed_lines:
        # a lenient parse may have taken the open quote as text: reject those records
        hit = np.flatnonzero(np.isin(numbers, np.asarray(unclosed_lines, dtype=np.int64)))
        unclosed = {int(i) for i in hit} - set(bad)
    if unclosed:
        parsed = [i for i in range(len(lines)) if i not in bad]
        table = table.filter(pa.array([i not in unclosed for i in parsed]))
        bad.update(dict.fromkeys(unclosed, _UNCLOSED))
    if bad:
        good_idx = np.setdiff1d(np.arange(len(lines)), np.fromiter(bad, dtype=np.int64))
    else:
        good_idx = np.arange(len(lines))
    for i, actual in sorted(bad.items()):
        if actual == _UNCLOSED:
            reason = f"a quoted value is not closed within {MAX_RECORD_LINES} lines"
        else:
            reason = f"wrong number of fields: expected {detection.field_count}, found {actual}"
        rejects.append(
            RowError(
                line=int(numbers[i]),
                member=member,
                reason=reason,
                raw=_decode_line(lines[i], detection.encoding)[0].rstrip("\r\n"),
            )
        )
    frame, phones, reasons = _normalise(table, detection, member, numbers[good_idx], warnings)
    if reasons:
        for pos, reason in reasons:
            i = int(good_idx[pos])
            rejects.append(
                RowError(
                    line=int(numbers[i]),
                    member=member,
                    reason=reason,
                    raw=_decode_line(lines[i], detection.encoding)[0].rstrip("\r\n"),
                )
            )
        rejects.sort(key=lambda r: r.line)
    return Chunk(
        start_row=start_row,
        frame=frame,
        phones=phones,
        rejects=rejects,
        warnings=warnings,
        rows_read=len(lines),
        numbers=np.asarray(numbers, dtype=np.int64),
        carried=carried_for(detection),
    )


def carried_for(detection: Detection) -> Carried:
    """The contact columns, phones and emails a file read this way carries."""
    return carried_columns(
        detection.mapping, LAYOUTS.get(detection.layout or "", LAYOUTS["generic"])
    )


def _normalise(
    table: pa.Table,
    detection: Detection,
    member: str,
    line_numbers: np.ndarray,
    warnings: collections.Counter,
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[int, str]]]:
    """Canonical frame, phones frame and (row position, reason) rejects for one parsed table.

    Everything is computed column-wise over all rows, then rejected rows are filtered out, so
    the cost does not depend on how many rows are rejected.
    """
    layout = LAYOUTS.get(detection.layout or "", LAYOUTS["generic"])
    names = _source_names(detection)
    position: dict[str, int] = {}
    for i, name in enumerate(names):
        position.setdefault(name, i)
    rows = table.num_rows
    today = dt.datetime.now(tz=dt.UTC).date()
    today_days = (today - dt.date(1970, 1, 1)).days
    mapping = detection.mapping

    trimmed_cache: dict[str, pa.Array] = {}

    def trimmed(name: str) -> pa.Array:
        if name not in trimmed_cache:
            column = table.column(f"f{position[name]}").combine_chunks()
            if layout.formula_guard:
                column = _unneutralise(column)
            trimmed_cache[name] = _trim(column)
        return trimmed_cache[name]

    def src(key: str) -> pa.Array:
        value = mapping.get(key)
        if value is None:
            return pa.nulls(rows, pa.string())
        arrays = [_nullify(trimmed(name)) for name in _as_list(value)]
        if len(arrays) == 1:
            return arrays[0]
        return _join_words(arrays)

    out: dict[str, Any] = {}
    for key in ("voter_id", "first_name", "middle_name", "last_name", "name_suffix"):
        out[key] = src(key)
    if "full_name" in mapping:
        _fill_from_full_name(out, src("full_name"))
    date_order = (detection.date_order or layout.eight_digit_dates).lower()
    out["record_source"] = src("record_source")
    out["display_name"] = _display_name(out["first_name"], out["last_name"], out["name_suffix"])

    birth_date, birth_years = _dates(
        src("birth_date"), date_order, "birth_date", 1900, warnings, today_days
    )
    out["birth_date"] = birth_date
    if "birth_year" in mapping:
        column_years = _year_column(src("birth_year"), warnings, today.year)
        birth_years = np.where(column_years >= 0, column_years, birth_years)
    out["birth_year"] = pa.array(birth_years, pa.int64(), mask=birth_years < 0)

    sex = _upper(src("sex"))
    out["sex"] = pc.coalesce(_map_values(sex, _SEX), sex)
    for key in ("race", "ethnicity", "party"):
        out[key] = _upper(src(key))

    line1 = _empty_to_null(_collapse(src("res_line1")))
    placeholder_line = pc.fill_null(
        pc.is_in(_upper(line1), value_set=pa.array(["REMOVED", "CONFIDENTIAL"])), False
    )
    if pc.any(placeholder_line).as_py():
        warnings["placeholder_address"] += pc.sum(placeholder_line).as_py()
        line1 = pc.if_else(placeholder_line, _NULL_STR, line1)
    out["res_line1"] = line1
    line_series = pd.Series(pd.arrays.ArrowStringArray(line1))
    parts = split_street_addresses(line_series)
    unit_given = _empty_to_null(_collapse(src("res_unit")))
    out["res_house_number"] = pa.array(parts["house_number"].array)
    out["res_street_name"] = pa.array(parts["street_name"].array).cast(pa.string())
    out["res_unit"] = pc.coalesce(unit_given, pa.array(parts["unit"].array).cast(pa.string()))
    out["res_city"] = src("res_city")
    state = _upper(src("res_state"))
    if layout.default_state:
        state = pc.fill_null(state, layout.default_state)
    out["res_state"] = state
    zip5, zip4, bad_zip, padded = _zip_parts(src("res_zip"))
    if bad_zip.any():
        warnings["invalid_res_zip"] += int(bad_zip.sum())
    if padded.any():
        warnings["zip_zero_padded"] += int(padded.sum())
    zip4_col = src("res_zip4")
    zip4_col = pc.replace_substring_regex(zip4_col, r"^([0-9]+)\.0+$", r"\1")
    zip4_ok = _matches(zip4_col, r"^[0-9]{1,4}$")
    zip4_col = pc.if_else(pa.array(zip4_ok), pc.utf8_lpad(zip4_col, 4, "0"), _NULL_STR)
    out["res_zip5"] = zip5
    out["res_zip4"] = pc.coalesce(zip4_col, zip4)

    out["mail_line1"] = _empty_to_null(_collapse(src("mail_line1")))
    out["mail_city"] = src("mail_city")
    out["mail_state"] = _upper(src("mail_state"))
    mail_raw = src("mail_zip")
    m5, m4, m_bad, _ = _zip_parts(mail_raw)
    m4_extra = src("mail_zip4")
    m4_extra = pc.replace_substring_regex(m4_extra, r"^([0-9]+)\.0+$", r"\1")
    m4 = pc.coalesce(
        m4, pc.if_else(pa.array(_matches(m4_extra, r"^[0-9]{4}$")), m4_extra, _NULL_STR)
    )
    us_zip = pc.if_else(pc.is_valid(m4), pc.binary_join_element_wise(m5, m4, "-"), m5)
    out["mail_zip"] = pc.if_else(pa.array(m_bad), mail_raw, us_zip)

    out["county"] = _upper(src("county"))
    precinct = pc.replace_substring_regex(src("precinct_code"), r"^([0-9]+)\.0+$", r"\1")
    out["precinct_code"] = _upper(precinct)
    out["precinct_name"] = src("precinct_name")
    for key in ("cd", "sd", "hd"):
        out[key] = _district(src(key))

    out["registration_date"], _ = _dates(
        src("registration_date"),
        date_order,
        "registration_date",
        1850,
        warnings,
        today_days,
    )
    status_raw = src("status")
    status = _map_values(_upper(status_raw), dict(layout.status_map))
    unknown = _np_mask(pc.and_(pc.is_valid(status_raw), pc.is_null(status)))
    if unknown.any():
        warnings["unknown_status"] += int(unknown.sum())
    out["status"] = status
    out["status_raw"] = status_raw
    out["latitude"] = _floats(src("latitude"), 90.0, "latitude", warnings)
    out["longitude"] = _floats(src("longitude"), 180.0, "longitude", warnings)
    email = pc.utf8_lower(src("email"))
    email_ok = _matches(email, _EMAIL)
    bad_email = pc.is_valid(email).to_numpy(zero_copy_only=False) & ~email_ok
    if bad_email.any():
        warnings["invalid_email"] += int(bad_email.sum())
    out["email"] = pc.if_else(pa.array(email_ok), email, _NULL_STR)
    out["household_key"] = pa.array(
        household_keys(
            line_series,
            pd.Series(pd.arrays.ArrowStringArray(unit_given)),
            pd.Series(pd.arrays.ArrowStringArray(zip5)),
            parts=parts,
        ).array
    ).cast(pa.string())

    # phones: one entry per non-blank cell, area code joined where the layout splits it
    phone_cells: list[tuple[str, pa.Array]] = []
    for key, kind in PHONE_KINDS.items():
        if key not in mapping:
            continue
        area_key = next(k for k, v in AREA_CODE_FIELDS.items() if v == key)
        area = src(area_key) if area_key in mapping else None
        for name in _as_list(mapping[key]):
            cell = _nullify(trimmed(name))
            if area is not None:
                needs = pa.array(_matches(cell, r"^[0-9]{7}$") & _matches(area, r"^[0-9]{3}$"))
                joined = pc.binary_join_element_wise(area, cell, " ")
                cell = pc.if_else(needs, joined, cell)
            if layout.phone_separator:
                phone_cells += [(kind, c) for c in _split_cells(cell, layout.phone_separator)]
            else:
                phone_cells.append((kind, cell))

    # --- rejects: exempt, no identity, over-long -------------------------------------------
    reasons = np.full(rows, None, dtype=object)
    masked = np.zeros(rows, dtype=bool)
    for key in ("first_name", "last_name"):
        value = mapping.get(key)
        if isinstance(value, str):
            masked |= _np_mask(pc.equal(trimmed(value), "*"))
    if layout.exempt_values and isinstance(mapping.get("exempt_flag"), str):
        flag = _upper(trimmed(mapping["exempt_flag"]))  # type: ignore[arg-type]
        masked |= _np_mask(pc.is_in(flag, value_set=pa.array(list(layout.exempt_values))))
    reasons[masked] = "public-records exempt row: protected fields are masked"
    no_identity = (
        _np_mask(pc.is_null(out["voter_id"]))
        & _np_mask(pc.is_null(out["first_name"]))
        & _np_mask(pc.is_null(out["last_name"]))
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
        long = _np_mask(pc.greater(pc.utf8_length(arr), limit)) & (reasons == None)  # noqa: E711
        if long.any():
            reasons[long] = f"{key} is longer than {limit} characters"
    rejected = reasons != None  # noqa: E711
    reject_list = [(int(i), str(reasons[i])) for i in np.flatnonzero(rejected)]
    keep = pa.array(~rejected)

    out["row_hash"] = pa.nulls(rows, pa.string())  # set below, from the normalised values
    out["line"] = pa.array(line_numbers, pa.int64())
    out["member"] = pa.array(np.full(rows, member, dtype=object), pa.string())

    columns = {}
    for key in FRAME_COLUMNS:
        arr = out[key]
        if not isinstance(arr, pa.Array):
            arr = pa.array(arr)
        columns[key] = arr.filter(keep) if rejected.any() else arr
    frame = pa.table(columns).to_pandas(types_mapper=pandas_type, split_blocks=True)
    frame["line"] = frame["line"].astype("int64")

    phones = _phones_frame(phone_cells, out, keep, rejected, member, line_numbers)
    hashes = row_hashes(frame, phones, carried_columns(mapping, layout))
    frame["row_hash"] = pd.arrays.ArrowExtensionArray(
        pa.array(hashes, pa.binary(hashes.dtype.itemsize)).cast(pa.string())
    )
    return frame, phones, reject_list


def _unneutralise(column: pa.Array) -> pa.Array:
    """Undo the formula guard of FieldCRM's CSV export (a leading ``'`` it added)."""
    quoted = pc.fill_null(pc.starts_with(column, "'"), False)
    if not pc.any(quoted).as_py():
        return column
    fixed = [unneutralise(v) for v in column.filter(quoted).to_pylist()]
    return pc.replace_with_mask(column, quoted, pa.array(fixed, column.type))


def _split_cells(cell: pa.Array, separator: str) -> list[pa.Array]:
    """A column of cells listing several values as one column per position (null past the
    end of a cell's list), blanks dropped."""
    lists = [
        [p.strip() for p in v.split(separator) if p.strip()] if v is not None else []
        for v in cell.to_pylist()
    ]
    width = max((len(values) for values in lists), default=0)
    return [
        pa.array([values[i] if i < len(values) else None for values in lists], pa.string())
        for i in range(width)
    ]


def pandas_type(arrow_type: pa.DataType) -> Any:
    """The pandas dtype a normalised frame gives an Arrow column (None: the default)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.ArrowDtype(arrow_type)  # zero-copy; StringDtype would cast to large_string
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_date32(arrow_type):
        return pd.ArrowDtype(pa.date32())
    return None


def _phones_frame(
    phone_cells: list[tuple[str, pa.Array]],
    out: dict[str, Any],
    keep: pa.Array,
    rejected: np.ndarray,
    member: str,
    line_numbers: np.ndarray,
) -> pd.DataFrame:
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
    voter_ids = out["voter_id"].take(pa.array(idx)).to_numpy(zero_copy_only=False)
    return pd.DataFrame(
        {
            "line": line_numbers[idx].astype("int64"),
            "member": np.full(len(idx), member, dtype=object),
            "voter_id": pd.Series(voter_ids, dtype=object).where(pd.notna(voter_ids), None),
            "kind": np.concatenate(kinds)[order],
            "raw": normalised["raw"].to_numpy(dtype=object),
            "e164": normalised["e164"].to_numpy(dtype=object),
            "dialable": normalised["dialable"].to_numpy(dtype=bool),
        }
    )
