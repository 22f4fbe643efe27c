"""Database writers for voter-file imports: the fastest safe path per database.

SQLite: DB-API ``executemany`` with tuples on the session's own connection (same
transaction), re-imports writing only the columns whose value changed. PostgreSQL: ``COPY``
text built column-wise by Arrow into the tables, and into a temporary staging table for
``UPDATE … FROM``. Nothing here commits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from fieldcrm import datacache
from fieldcrm.contacts.models import Contact, ContactEmail, ContactPhone
from fieldcrm.contacts.record import VOTERFILE_FIELDS, frame_column
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.imports import parsing
from fieldcrm.imports.changes import (
    MAPPED_KEYS,
    Carried,
    Verdicts,
    carried_columns,
    compare_rows,
    phone_keys,
)
from fieldcrm.imports.models import ImportBatch

# Contact columns an import writes, in the order used by the fast paths.
CONTENT_COLUMNS: tuple[str, ...] = (*VOTERFILE_FIELDS, "latitude", "longitude", "geo_source")
# Columns a new contact is written with, in the COPY order.
_INSERT_COLUMNS = (
    "id", "source", "voter_id", *CONTENT_COLUMNS, "vf_hash", "first_seen_at", "last_seen_at",
    "last_import_batch_id", "not_in_latest_file", "do_not_contact", "version", "created_at",
    "updated_at",
)  # fmt: skip
#: what a plan made without a file's mapping writes: every column, phone and email
EVERYTHING = carried_columns(
    dict.fromkeys([*MAPPED_KEYS, "latitude", "longitude", "email", "phone"]), None
)
SQLITE_CACHE_KB = 64 * 1024
WRITE_SLICE = 10_000


@dataclass
class ChunkPlan:
    """What a chunk (or a part of one) does: rows to insert, update, un-mark, its accounting.

    Every row read is in exactly one of inserts, updates, unchanged, rejects, duplicates; the
    line fields let services cut a plan into parts by row position.
    """

    inserts: pd.DataFrame
    updates: pd.DataFrame  # with contact id in "contact_id"
    unmark_ids: list[int]
    phones: pd.DataFrame
    rejects: list[parsing.RowError]
    duplicates: list[tuple[int, str, str]]  # (line, member, voter id)
    unchanged: int
    warnings: Counter
    rows_read: int
    unchanged_lines: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    unmark_lines: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    #: file position: the first row's index (over all members) and the chunk it belongs to
    start_row: int = 0
    chunk_start_row: int = 0
    ends_chunk: bool = True
    #: what the file carries: the columns an update writes, how phones and emails change
    carried: Carried = field(default_factory=lambda: EVERYTHING)
    #: unchanged rows whose stored hash is of an older version: (contact id, new hash), and
    #: their lines; only the hash is written, so the next re-import needs no comparing
    rehash: list[tuple[int, str]] = field(default_factory=list)
    rehash_lines: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))


_DATE_COLUMNS = ("birth_date", "registration_date")
_TIMESTAMP_TEXT = re.compile(r"[0-9][0-9 :.\-]*")


def _has_geo(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose file gives both coordinates (one without the other is written as neither)."""
    return (frame["latitude"].notna() & frame["longitude"].notna()).to_numpy()


def _column_arrays(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, pa.Array]:
    """Contact column -> Arrow array of the frame's values for it."""
    has_geo: np.ndarray | None = None
    out: dict[str, pa.Array] = {}
    for column in columns:
        if column in ("latitude", "longitude", "geo_source"):
            has_geo = _has_geo(frame) if has_geo is None else has_geo
            if column == "geo_source":
                out[column] = pa.array(np.where(has_geo, "voterfile", None), pa.string())
            else:
                values = frame[column].to_numpy(dtype=np.float64)
                out[column] = pa.array(values, pa.float64(), mask=~has_geo)
            continue
        arr = pa.array(frame[frame_column(column)])
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if column == "display_name":
            arr = pc.fill_null(arr, "")
        out[column] = arr
    return out


def _contact_values(
    frame: pd.DataFrame, dialect: str, columns: Iterable[str] = CONTENT_COLUMNS
) -> dict[str, list[Any]]:
    """Column -> python values for these contact columns (None for missing), vectorised.

    SQLite gets dates as ISO text (what SQLAlchemy stores there); PostgreSQL date objects.
    """
    out: dict[str, list[Any]] = {}
    for column, arr in _column_arrays(frame, columns).items():
        if column in _DATE_COLUMNS and dialect == "sqlite":
            arr = pc.strftime(arr, format="%Y-%m-%d")
        out[column] = arr.to_pylist()
    return out


def _content_arrays(
    frame: pd.DataFrame, columns: Iterable[str] = CONTENT_COLUMNS
) -> list[pa.Array]:
    """The given contact columns as Arrow arrays, in that order (for COPY)."""
    return list(_column_arrays(frame, columns).values())


_COPY_SPECIAL = (b"\\", b"\t", b"\n", b"\r")


def _has_special_bytes(arr: pa.Array) -> bool:
    """Whether a string array may hold a character COPY text must escape (it rarely does).

    A byte search over the array's data buffer (memchr speed); a false positive from bytes
    outside a sliced array only costs the escaping pass.
    """
    data = arr.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return any(special in raw for special in _COPY_SPECIAL)


def _copy_text(arrays: list[pa.Array]) -> pa.Buffer | bytes:
    """Rows in PostgreSQL COPY text format, built column-wise by Arrow (no per-row Python).

    Returns the bytes of all lines, each ending in a newline, as one buffer.
    """
    if not arrays or not len(arrays[0]):
        return b""
    parts = []
    for arr in arrays:
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_floating(arr.type):
            arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            if _has_special_bytes(arr):
                for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"),
                                      ("\r", "\\r")):  # fmt: skip
                    arr = pc.replace_substring(arr, char, escaped)
        else:
            arr = pc.cast(arr, pa.string())
        parts.append(pc.fill_null(arr, "\\N"))
    body = pc.binary_join_element_wise(*parts, "\t")
    # each line ends in a newline: join with an empty last value, "\n" as the separator
    lines = pc.binary_join_element_wise(body, pa.scalar(""), "\n")
    if lines.null_count:
        raise AssertionError("COPY text must have no null lines")
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)
    start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2][start:end]


def _pylist(series: pd.Series) -> list[Any]:
    """A column's Python values, None for missing. Arrow-backed columns convert in C (pandas'
    ``tolist`` walks them item by item, seconds per million rows)."""
    values = series.array
    if hasattr(values, "__arrow_array__"):
        return pa.array(values).to_pylist()
    return series.tolist()


def _constant(value: Any, n: int, type_: pa.DataType | None = None) -> pa.Array:
    return pa.array([value] * n, type_)


class Writer:
    """Writes a chunk plan through the session's own DB-API connection (same transaction)."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        connection = db.session.connection()
        self.dialect = connection.dialect.name
        self.raw = connection.connection.driver_connection
        self.now = utcnow()

    # values in the shape the driver stores (SQLite keeps naive UTC text, dates as ISO)
    def _ts(self, value: datetime) -> Any:
        if self.dialect == "sqlite":
            return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return value

    def write(self, plan: ChunkPlan) -> dict[str, Any]:
        if self.dialect == "sqlite":
            # a bigger page cache for this connection while it bulk-writes (default is 2 MB)
            self.raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
        else:
            # Safe to skip the WAL flush wait: a chunk's rows and the batch checkpoint commit
            # together, so a crash loses both and resume redoes that chunk.
            self.raw.execute("SET LOCAL synchronous_commit = off")
        if len(plan.inserts) or len(plan.updates) or plan.unmark_ids or plan.rehash:
            # These writes go through the raw driver connection, past the SQLAlchemy hooks
            # that keep report caches honest: bump the data version in this transaction.
            # New people have no turf yet (placing them is a write of its own), so a part
            # that only adds people leaves per-turf reports such as coverage valid.
            datacache.bump(
                db.session.connection(),
                unplaced_only=not (len(plan.updates) or plan.unmark_ids or plan.rehash),
            )
        new_ids = self._insert_contacts(plan.inserts)
        if plan.rehash:
            self._executemany(
                f"UPDATE contacts SET vf_hash = {self._param()} WHERE id = {self._param()}",
                [(h, i) for i, h in plan.rehash],
            )
        self._update_contacts(plan.updates, plan.carried)
        if plan.unmark_ids:
            self._executemany(
                f"UPDATE contacts SET not_in_latest_file = {self._false()} "
                f"WHERE id = {self._param()}",
                [(i,) for i in plan.unmark_ids],
            )
        line_to_id: dict[tuple[str, int], int] = {}
        for frame, ids in ((plan.inserts, new_ids), (plan.updates, None)):
            if not len(frame):
                continue
            ids = ids if ids is not None else frame["contact_id"].tolist()
            line_to_id.update(
                zip(
                    zip(_pylist(frame["member"]), _pylist(frame["line"]), strict=True),
                    ids,
                    strict=True,
                )  # fmt: skip
            )
        updated_ids = plan.updates["contact_id"].tolist() if len(plan.updates) else []
        self._replace_children(plan, line_to_id, updated_ids)
        return {
            "inserted": len(plan.inserts),
            "updated": len(plan.updates),
            "ids": [*new_ids, *updated_ids],
        }

    def _param(self) -> str:
        return "?" if self.dialect == "sqlite" else "%s"

    def _false(self) -> str:
        return "0" if self.dialect == "sqlite" else "false"

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def _reserve_ids(self, table: str, count: int) -> list[int]:
        cursor = self.raw.cursor()
        try:
            if self.dialect == "postgresql":
                # the sequence is looked up once: per row it cost ~2.7 s a million
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
                sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (sequence, count)
                )
                return [r[0] for r in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + count))
        finally:
            cursor.close()

    def _insert_contacts(self, frame: pd.DataFrame) -> list[int]:
        if not len(frame):
            return []
        ids = self._reserve_ids("contacts", len(frame))
        # a slice at a time: a whole chunk as Python objects (or COPY text) costs hundreds of MB
        parts = [
            (frame.iloc[start : start + WRITE_SLICE], ids[start : start + WRITE_SLICE])
            for start in range(0, len(frame), WRITE_SLICE)
        ]
        if self.dialect == "postgresql":
            # one COPY per chunk, written slice by slice: the server parses one slice while
            # the next one is built here
            cursor = self.raw.cursor()
            try:
                with cursor.copy(
                    f"COPY contacts ({', '.join(_INSERT_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for part, part_ids in parts:
                        copy.write(memoryview(_copy_text(self._insert_arrays(part, part_ids))))
            finally:
                cursor.close()
            return ids
        for part, part_ids in parts:
            self._insert_slice(part, part_ids)
        return ids

    def _copy(self, table: str, columns: list[str], arrays: list[pa.Array]) -> None:
        cursor = self.raw.cursor()
        try:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(memoryview(_copy_text(arrays)))
        finally:
            cursor.close()

    def _insert_arrays(self, frame: pd.DataFrame, ids: list[int]) -> list[pa.Array]:
        """A slice of new contacts as Arrow arrays in _INSERT_COLUMNS order (for COPY)."""
        n = len(frame)
        now_text = self.now.isoformat()
        return [
            pa.array(ids, pa.int64()),
            _constant(self.batch.source, n),
            pa.array(frame["voter_id"].array),
            *_content_arrays(frame),
            pa.array(frame["row_hash"].array),
            _constant(now_text, n),
            _constant(now_text, n),
            _constant(self.batch.id, n, pa.int64()),
            _constant("f", n),
            _constant("f", n),
            _constant(1, n, pa.int64()),
            _constant(now_text, n),
            _constant(now_text, n),
        ]

    def _insert_slice(self, frame: pd.DataFrame, ids: list[int]) -> None:
        """SQLite: insert a slice of new contacts with executemany."""
        n = len(frame)
        # SQLite binds every parameter of every row (the bulk of an insert's cost), so the
        # values that are the same for the whole run are SQL literals. All are ours: a
        # timestamp of digits and separators and integers; the source label is user text
        # and stays a parameter.
        now = self._ts(self.now)
        if not _TIMESTAMP_TEXT.fullmatch(now):
            raise ValueError(f"unexpected timestamp text {now!r}")
        literals = {
            "first_seen_at": f"'{now}'", "last_seen_at": f"'{now}'",
            "last_import_batch_id": str(int(self.batch.id)), "not_in_latest_file": "0",
            "do_not_contact": "0", "version": "1", "created_at": f"'{now}'",
            "updated_at": f"'{now}'",
        }  # fmt: skip
        if set(literals) | {"id", "source", "voter_id", *CONTENT_COLUMNS, "vf_hash"} != set(
            _INSERT_COLUMNS
        ):
            raise AssertionError("the SQLite insert must name exactly the COPY columns")
        values = _contact_values(frame, self.dialect)
        rows = zip(
            ids,
            [self.batch.source] * n,
            _pylist(frame["voter_id"]),
            *(values[c] for c in CONTENT_COLUMNS),
            _pylist(frame["row_hash"]),
            strict=True,
        )
        bound = ["id", "source", "voter_id", *CONTENT_COLUMNS, "vf_hash"]
        marks = ", ".join(["?"] * len(bound) + list(literals.values()))
        cursor = self.raw.cursor()
        try:
            cursor.executemany(
                f"INSERT INTO contacts ({', '.join([*bound, *literals])}) "  # noqa: S608 - ours
                f"VALUES ({marks})",
                rows,
            )
        finally:
            cursor.close()

    def _copy_or_insert(self, table: str, columns: list[str], rows: Iterable[tuple]) -> None:
        if self.dialect == "postgresql":
            cursor = self.raw.cursor()
            try:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            finally:
                cursor.close()
            return
        marks = ", ".join("?" for _ in columns)
        cursor = self.raw.cursor()
        try:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )
        finally:
            cursor.close()

    def _update_contacts(self, frame: pd.DataFrame, carried: Carried) -> None:
        for start in range(0, len(frame), WRITE_SLICE):
            self._update_slice(frame.iloc[start : start + WRITE_SLICE], carried)

    def _update_slice(self, frame: pd.DataFrame, carried: Carried) -> None:
        """Write the columns the file carries; fill columns only where the file has a value."""
        if not len(frame):
            return
        ids = frame["contact_id"].tolist()
        written = list(carried.written)
        if self.dialect == "postgresql":
            n = len(frame)
            assigned = [*written, "vf_hash", "last_seen_at", "last_import_batch_id", "updated_at"]
            now_text = self.now.isoformat()
            arrays = [
                pa.array(ids, pa.int64()),
                *_content_arrays(frame, written),
                pa.array(frame["row_hash"].array),
                _constant(now_text, n),
                _constant(self.batch.id, n, pa.int64()),
                _constant(now_text, n),
            ]
            self._update_postgres(assigned, arrays, carried)
            return
        values = _contact_values(frame, self.dialect, written)
        content = [values[c] for c in written]
        fill = [c in carried.fill for c in written]
        now = self._ts(self.now)
        hashes = _pylist(frame["row_hash"])
        # SQLite: write only the columns whose value changed, so untouched indexes stay
        # untouched (an UPDATE rewrites every index on a column it names).
        old = self._current_values(ids, written)
        groups: dict[tuple[str, ...], list[tuple]] = {}
        sources = [set(carried.sources(c)) for c in written]
        derived = [c in carried.derived for c in written]
        for i, contact_id in enumerate(ids):
            before = old[contact_id]
            differs = {
                name
                for k, name in enumerate(written)
                if content[k][i] != before[k] and not (fill[k] and content[k][i] is None)
            }
            changed = tuple(
                name
                for k, name in enumerate(written)
                if name in differs and (not derived[k] or sources[k] & differs)
            )
            row = (*(values[name][i] for name in changed), hashes[i], now, self.batch.id, now,
                   contact_id)  # fmt: skip
            groups.setdefault(changed, []).append(row)
        for changed, rows in groups.items():
            sets = "".join(f"{name} = ?, " for name in changed)
            self._executemany(
                f"UPDATE contacts SET {sets}vf_hash = ?, last_seen_at = ?, "  # noqa: S608
                "last_import_batch_id = ?, updated_at = ?, not_in_latest_file = 0, "
                "version = version + 1 WHERE id = ?",
                rows,
            )

    def _current_values(self, ids: list[int], columns: list[str]) -> dict[int, tuple]:
        """Stored values of these contacts' columns, in that order, by id."""
        return stored_values(self.raw, self.dialect, ids, columns)

    def _update_postgres(
        self, assigned: list[str], arrays: list[pa.Array], carried: Carried
    ) -> None:
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
                copy.write(memoryview(_copy_text(arrays)))
            sets = ", ".join(f"{col} = {_assignment(col, carried)}" for col in assigned)
            cursor.execute(
                f"UPDATE contacts AS c SET {sets}, not_in_latest_file = false, "  # noqa: S608
                "version = c.version + 1 FROM import_stage AS s WHERE c.id = s.id"
            )
        finally:
            cursor.close()

    def _replace_children(
        self, plan: ChunkPlan, line_to_id: dict[tuple[str, int], int], updated_ids: list[int]
    ) -> None:
        """Insert the new contacts' phones and emails; on updated ones add what the file
        brings and remove the voter-file ones it no longer lists (as planned)."""
        p = self._param()
        for table, column in (("contact_phones", "phone_deletes"),
                              ("contact_emails", "email_deletes")):  # fmt: skip
            if len(plan.updates) and column in plan.updates:
                ids = [(i,) for listed in plan.updates[column] for i in listed]
                self._executemany(f"DELETE FROM {table} WHERE id = {p}", ids)  # noqa: S608
        now = self._ts(self.now)
        true, false = (True, False) if self.dialect == "postgresql" else (1, 0)
        phones = plan.phones
        if len(phones):
            contact_ids = [
                line_to_id[key]
                for key in zip(_pylist(phones["member"]), _pylist(phones["line"]), strict=True)
            ]
            e164 = _pylist(phones["e164"])
            raw = [str(r)[:40] for r in _pylist(phones["raw"])]
            kinds = _pylist(phones["kind"])
            valid = [bool(d) for d in _pylist(phones["dialable"])]
            columns = ["contact_id", "e164", "raw", "kind", "source", "valid", "do_not_call",
                       "created_at"]  # fmt: skip
            n = len(contact_ids)
            if self.dialect == "postgresql":
                self._copy(
                    "contact_phones",
                    columns,
                    [
                        pa.array(contact_ids, pa.int64()),
                        pa.array(e164, pa.string()),
                        pa.array(raw, pa.string()),
                        pa.array(kinds, pa.string()),
                        _constant("voterfile", n),
                        pa.array(valid, pa.bool_()),
                        _constant(False, n, pa.bool_()),
                        _constant(self.now.isoformat(), n),
                    ],
                )
            else:
                self._copy_or_insert(
                    "contact_phones",
                    columns,
                    zip(
                        contact_ids,
                        e164,
                        raw,
                        kinds,
                        ["voterfile"] * n,
                        [true if v else false for v in valid],
                        [false] * n,
                        [now] * n,
                        strict=True,
                    ),  # fmt: skip
                )
        emails = []
        for frame in (plan.inserts, plan.updates):
            if not len(frame):
                continue
            has = frame["email"].notna().to_numpy().copy()
            if "insert_email" in frame:
                has &= frame["insert_email"].to_numpy(dtype=bool)
            for m, ln, email in zip(
                frame["member"][has], frame["line"][has], frame["email"][has], strict=True
            ):
                emails.append((line_to_id[(m, ln)], email, "voterfile", now))
        if emails:
            self._copy_or_insert(
                "contact_emails", ["contact_id", "email", "source", "created_at"], emails
            )

    def mark_missing(self, ids: list[int], flag: bool) -> None:
        if ids:
            datacache.bump(db.session.connection())
        value = ("true" if flag else "false") if self.dialect == "postgresql" else int(flag)
        p = self._param()
        self._executemany(
            f"UPDATE contacts SET not_in_latest_file = {value} WHERE id = {p}",  # noqa: S608
            [(i,) for i in ids],
        )


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


def stored_values(raw: Any, dialect: str, ids: list[int], columns: list[str]) -> dict[int, tuple]:
    """Stored values of these contacts' columns (in that order) by id, as the driver returns
    them (plain DB-API rows: no ORM objects)."""
    out: dict[int, tuple] = {}
    if not ids:
        return out
    select = f"SELECT id, {', '.join(columns)} FROM contacts"  # noqa: S608 - our columns
    for row in _fetch_by_ids(raw, dialect, select, "id", ids):
        out[row[0]] = row[1:]
    return out


def _fetch_by_ids(raw: Any, dialect: str, select: str, key: str, ids: list[int]) -> list[tuple]:
    rows: list[tuple] = []
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute(f"{select} WHERE {key} = ANY(%s)", (ids,))
            return list(cursor.fetchall())
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            part = ids[start : start + 900]
            cursor.execute(f"{select} WHERE {key} IN ({', '.join('?' for _ in part)})", part)
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    return rows


def stored_children(
    raw: Any, dialect: str, ids: list[int], phones: bool, emails: bool
) -> tuple[list[list[tuple]], list[list[tuple]]]:
    """Phones (id, identity, source, do_not_call) and emails (id, email, source) of these
    contacts, as lists aligned with ``ids`` (empty when not asked for)."""
    at = {contact_id: i for i, contact_id in enumerate(ids)}
    phone_lists: list[list[tuple]] = [[] for _ in ids]
    email_lists: list[list[tuple]] = [[] for _ in ids]
    if phones:
        rows = _fetch_by_ids(
            raw, dialect,
            "SELECT contact_id, id, e164, raw, source, do_not_call FROM contact_phones",
            "contact_id", ids,
        )  # fmt: skip
        for contact_id, pid, e164, raw_text, source, dnc in rows:
            key = e164 if e164 else str(raw_text)[:40]
            phone_lists[at[contact_id]].append((pid, key, source, bool(dnc)))
    if emails:
        rows = _fetch_by_ids(
            raw, dialect, "SELECT contact_id, id, email, source FROM contact_emails",
            "contact_id", ids,
        )  # fmt: skip
        for contact_id, eid, email, source in rows:
            email_lists[at[contact_id]].append((eid, email, source))
    return phone_lists, email_lists


def compare_with_stored(
    frame: pd.DataFrame,
    phones: pd.DataFrame,
    ids: list[int],
    carried: Carried,
    stored_hashes: np.ndarray,
) -> Verdicts:
    """For rows of existing contacts whose hash differs: does a carried, normalised value
    really differ from what is stored, and what do their phones and emails need?

    Rows whose stored hash carries this file's tag are changed without reading their values
    (see fieldcrm.imports.changes).
    """
    tag = carried.tag()
    assumed = np.fromiter((h.startswith(tag) for h in stored_hashes), bool, len(ids))
    connection = db.session.connection()
    dialect = connection.dialect.name
    raw = connection.connection.driver_connection
    columns = [*carried.compared, *carried.fill]
    compared_ids = [i for i, skip in zip(ids, assumed, strict=True) if not skip]
    stored = stored_values(raw, dialect, compared_ids, columns)
    rows = [stored[i] for i in compared_ids]
    stored_columns = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    values = _contact_values(frame[~assumed], dialect, columns)
    stored_phones, stored_emails = stored_children(raw, dialect, ids, carried.phones, carried.email)
    by_line: dict[int, set[str]] = {}
    if carried.phones and len(phones):
        keys = phone_keys(_pylist(phones["e164"]), _pylist(phones["raw"]), phones["dialable"])
        for line, key in zip(_pylist(phones["line"]), keys, strict=True):
            by_line.setdefault(line, set()).add(key)
    empty: set[str] = set()
    return compare_rows(
        carried,
        assumed,
        [values[c] for c in columns],
        stored_columns,
        [by_line.get(line, empty) for line in _pylist(frame["line"])],
        _pylist(frame["email"]) if carried.email else [None] * len(frame),
        stored_phones,
        stored_emails,
    )


_BULK_TABLES = (Contact.__table__, ContactPhone.__table__, ContactEmail.__table__)


def secondary_indexes() -> list[sa.Index]:
    return [
        ix
        for table in _BULK_TABLES
        for ix in sorted(table.indexes, key=lambda i: i.name or "")
        if not ix.unique
    ]


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        fk
        for table in _BULK_TABLES
        for fk in sorted(table.foreign_key_constraints, key=lambda c: c.name or "")
    ]


def _existing_foreign_keys(connection: sa.Connection) -> set[str]:
    inspector = sa.inspect(connection)
    return {fk["name"] for table in _BULK_TABLES for fk in inspector.get_foreign_keys(table.name)}


def drop_secondary_indexes() -> None:
    """For a bulk first load: drop what costs per row and is cheaper built once at the end.

    Secondary indexes on both databases. On PostgreSQL also the foreign keys of the loaded
    tables: each is a per-row trigger (measured: ~5 s a million contacts for their four),
    while adding it back afterwards is one validating join. On SQLite a foreign key check is
    an index probe and cannot be dropped without rebuilding the table, so it stays.
    """
    connection = db.session.connection()
    for index in secondary_indexes():
        index.drop(bind=connection, checkfirst=True)
    if connection.dialect.name == "postgresql":
        existing = _existing_foreign_keys(connection)
        for fk in _foreign_keys():
            if fk.name in existing:
                connection.execute(sa.schema.DropConstraint(fk))


def create_secondary_indexes() -> None:
    """Build whatever drop_secondary_indexes dropped and is missing (safe to call anytime)."""
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Measured on 1M contacts: SQLite's default 2 MB cache with two sorter threads builds
        # the indexes in ~5.7 s; the writers' 64 MB cache took ~8.4 s (one big in-memory
        # sort instead of cache-friendly merged runs).
        connection.exec_driver_sql("PRAGMA cache_size = -2000")
        connection.exec_driver_sql("PRAGMA threads = 2")
    else:
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for index in secondary_indexes():
        index.create(bind=connection, checkfirst=True)
    if sqlite:
        connection.exec_driver_sql("PRAGMA threads = 0")
    else:
        existing = _existing_foreign_keys(connection)
        for fk in _foreign_keys():
            if fk.name not in existing:
                connection.execute(sa.schema.AddConstraint(fk))
