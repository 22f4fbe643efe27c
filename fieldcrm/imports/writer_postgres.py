"""The PostgreSQL writer: ``COPY`` text built column-wise by Arrow (no per-row Python).

New contacts and phones are copied into their tables; updated contacts are copied into a
temporary staging table and written with one ``UPDATE … FROM``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fieldcrm.imports.changes import Carried
from fieldcrm.imports.writers import (
    CONTENT_COLUMNS,
    INSERT_COLUMNS,
    WRITE_SLICE,
    Writer,
    column_arrays,
)
from fieldcrm.lib.arrowtext import bytes_present

#: What COPY text gives a timestamp written "now": PostgreSQL reads ``now`` as the start of
#: the transaction, which is when a part is written. Parsing a full timestamp costs the
#: server about 0.7 s a million values (measured: a million rows of four timestamps, 3.0-3.3
#: s as ISO text, 1.05-1.16 s as ``now``, 0.26-0.45 s as NULL), and a new contact has four.
NOW = "now"


class PostgresWriter(Writer):
    """Writes a chunk plan into PostgreSQL."""

    PARAM = "%s"
    TRUE = "true"
    FALSE = "false"

    def prepare(self) -> None:
        # Safe to skip the WAL flush wait: a chunk's rows and the batch checkpoint commit
        # together, so a crash loses both and resume redoes that chunk.
        self.raw.execute("SET LOCAL synchronous_commit = off")

    def insert_contacts(self, frame: pd.DataFrame) -> list[int]:
        cursor = self.raw.cursor()
        try:
            # the sequence is looked up once: per row it cost ~2.7 s a million
            cursor.execute("SELECT pg_get_serial_sequence('contacts', 'id')")
            sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                (sequence, len(frame)),
            )
            ids = [r[0] for r in cursor.fetchall()]
            # one COPY per part, written slice by slice: the server parses one slice while
            # the next one is built here
            with cursor.copy(f"COPY contacts ({', '.join(INSERT_COLUMNS)}) FROM STDIN") as copy:
                for at in range(0, len(frame), WRITE_SLICE):
                    arrays = self._insert_arrays(
                        frame.iloc[at : at + WRITE_SLICE], ids[at : at + WRITE_SLICE]
                    )
                    copy.write(memoryview(copy_text(arrays)))
        finally:
            cursor.close()
        return ids

    def _insert_arrays(self, frame: pd.DataFrame, ids: list[int]) -> list[pa.Array | str]:
        """A slice of new contacts as Arrow arrays (or one text for all) in INSERT_COLUMNS
        order."""
        return [
            pa.array(ids, pa.int64()),
            self.batch.source,
            pa.array(frame["voter_id"].array),
            *column_arrays(frame, CONTENT_COLUMNS).values(),
            pa.array(frame["row_hash"].array),
            pa.array(frame["line_hash"].array),
            NOW,
            NOW,
            str(self.batch.id),
            "f",
            "f",
            "1",
            NOW,
            NOW,
        ]

    def update_slice(self, frame: pd.DataFrame, carried: Carried) -> None:
        written = list(carried.written)
        assigned = [
            *written, "vf_hash", "vf_line_hash", "last_seen_at", "last_import_batch_id",
            "updated_at",
        ]  # fmt: skip
        arrays = [
            pa.array(frame["contact_id"].tolist(), pa.int64()),
            *column_arrays(frame, written).values(),
            pa.array(frame["row_hash"].array),
            pa.array(frame["line_hash"].array),
            NOW,
            str(self.batch.id),
            NOW,
        ]
        cursor = self.raw.cursor()
        try:
            # one batch writes one set of columns; a table left by an earlier batch in the
            # same transaction may have had another
            cursor.execute("DROP TABLE IF EXISTS import_stage")
            cursor.execute(
                "CREATE TEMP TABLE import_stage ON COMMIT DROP AS "
                f"SELECT id, {', '.join(assigned)} FROM contacts WITH NO DATA"  # noqa: S608
            )
            with cursor.copy(f"COPY import_stage (id, {', '.join(assigned)}) FROM STDIN") as copy:
                copy.write(memoryview(copy_text(arrays)))
            sets = ", ".join(f"{col} = {_assignment(col, carried)}" for col in assigned)
            cursor.execute(
                f"UPDATE contacts AS c SET {sets}, not_in_latest_file = false, "  # noqa: S608
                "version = c.version + 1 FROM import_stage AS s WHERE c.id = s.id"
            )
        finally:
            cursor.close()

    def insert_phones(self, columns: list[str], values: list[Any]) -> None:
        contact_ids, e164, raw, kinds, sources, valid, dnc, _created, keys = values
        self._copy(
            "contact_phones",
            columns,
            [
                pa.array(contact_ids, pa.int64()),
                pa.array(e164, pa.string()),
                pa.array(raw, pa.string()),
                pa.array(kinds, pa.string()),
                pa.array(sources, pa.string()),
                pa.array(valid, pa.bool_()),
                pa.array(dnc, pa.bool_()),
                NOW,  # every phone of a part is created now
                keys,
            ],
        )

    def insert_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        cursor = self.raw.cursor()
        try:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()

    def _copy(self, table: str, columns: list[str], arrays: list[pa.Array | str]) -> None:
        cursor = self.raw.cursor()
        try:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(memoryview(copy_text(arrays)))
        finally:
            cursor.close()


def _assignment(column: str, carried: Carried) -> str:
    """The SQL value an UPDATE … FROM import_stage AS s gives contacts AS c's column."""
    if column in carried.fill:
        return f"COALESCE(s.{column}, c.{column})"
    if column in carried.derived:
        sources = carried.sources(column)
        if not sources:
            return f"c.{column}"
        moved = " OR ".join(f"s.{c} IS DISTINCT FROM c.{c}" for c in sources)
        return f"CASE WHEN {moved} THEN s.{column} ELSE c.{column} END"
    return f"s.{column}"


_COPY_SPECIAL = (b"\\", b"\t", b"\n", b"\r")
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def has_special_bytes(arr: pa.Array) -> bool:
    """Whether a string array may hold a character COPY text must escape (it rarely does);
    a false positive only costs the escaping pass."""
    return bool(bytes_present(arr, _COPY_SPECIAL))


def copy_text(arrays: list[pa.Array | str]) -> pa.Buffer | bytes:
    """Rows in PostgreSQL COPY text format, built column-wise by Arrow (no per-row Python).

    A ``str`` is one column's text in every row (a constant is one value for Arrow to
    repeat, not an array: building those cost ~0.6 s a million contacts). The first column
    must be an array. Returns the bytes of all lines, each ending in a newline, as one
    buffer.
    """
    if not arrays or not len(arrays[0]):
        return b""
    parts: list[pa.Array | pa.Scalar] = []
    texts: list[str] = []  # consecutive constant columns, joined into one value
    for arr in arrays:
        if isinstance(arr, str):
            for char, escaped in _COPY_ESCAPES:
                arr = arr.replace(char, escaped)
            texts.append(arr)
            continue
        if texts:
            parts.append(pa.scalar("\t".join(texts), pa.string()))
            texts = []
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_floating(arr.type):
            arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            if has_special_bytes(arr):
                for char, escaped in _COPY_ESCAPES:
                    arr = pc.replace_substring(arr, char, escaped)
        else:
            arr = pc.cast(arr, pa.string())
        parts.append(pc.fill_null(arr, "\\N"))
    if texts:
        parts.append(pa.scalar("\t".join(texts), pa.string()))
    body = pc.binary_join_element_wise(*parts, "\t")
    # each line ends in a newline: join with an empty last value, "\n" as the separator
    lines = pc.binary_join_element_wise(body, pa.scalar(""), "\n")
    if lines.null_count:
        raise AssertionError("COPY text must have no null lines")
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)
    start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2][start:end]
