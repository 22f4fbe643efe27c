"""Parsing a chunk's records into Arrow string columns (pyarrow's CSV reader, with a slow
line-by-line path for what it cannot take), counting the fields of every record."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from fieldcrm.imports.reading.core import Detection
from fieldcrm.imports.reading.sniffing import decode_line, split_fields


class InvalidUtf8Error(Exception):
    """A chunk of a UTF-8 file holds bytes that are not UTF-8."""


class _FallbackNeededError(Exception):
    """The fast reader disagreed with the line count; read this chunk line by line instead."""


def to_utf8(lines: list[bytes], encoding: str) -> tuple[bytes, int]:
    """The chunk as one UTF-8 buffer ending in a newline, and how many lines needed cp1252."""
    if lines[-1][-1:] != b"\n":
        lines[-1] = lines[-1] + b"\n"
    buf = b"".join(lines)
    if encoding.startswith("utf-8"):
        return buf, 0  # validated by the CSV reader; see parse_table
    return buf.decode(encoding, errors="fieldcrm_latin1").encode("utf-8"), 0


def repair_utf8(lines: list[bytes], encoding: str) -> tuple[bytes, int]:
    """Re-encode a UTF-8 chunk line by line, decoding invalid lines as cp1252."""
    fixed: list[bytes] = []
    fallbacks = 0
    for raw in lines:
        text, fell_back = decode_line(raw, encoding)
        fallbacks += fell_back
        fixed.append(text.encode("utf-8"))
    return b"".join(fixed), fallbacks


def parse_table(
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
            raise InvalidUtf8Error from exc
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
        raise InvalidUtf8Error from exc
    if records is not None:
        # some records span lines (quoted line breaks): split the records, not the buffer
        texts = [decode_line(raw, detection.encoding)[0] for raw in records]
    else:
        texts = text.split("\n")[:line_count]
    columns: list[list[str]] = [[] for _ in range(n)]
    bad: dict[int, int] = {}
    for i, text in enumerate(texts):
        fields = split_fields(text, detection.delimiter, detection.quoting)
        if len(fields) != n:
            bad[i] = len(fields)
            continue
        for col, value in zip(columns, fields, strict=True):
            col.append(value)
    table = pa.table({f"f{i}": pa.array(columns[i], pa.string()) for i in needed})
    return table, bad
