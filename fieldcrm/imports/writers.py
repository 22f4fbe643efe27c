"""Database writers for voter-file imports: what every database does, and one subclass each.

A writer writes a planned chunk (ChunkPlan) through the session's own DB-API connection, in
the caller's transaction, and commits nothing. ``writer_for(batch)`` gives the SQLite one
(fieldcrm.imports.writer_sqlite: ``executemany`` with tuples, updates writing only the
columns whose value changed) or the PostgreSQL one (fieldcrm.imports.writer_postgres:
``COPY`` text built column-wise by Arrow, into the tables and into a staging table for
``UPDATE … FROM``). The bulk load's index drop and rebuild live here too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
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
from fieldcrm.imports.changes import Carried
from fieldcrm.imports.models import ImportBatch
from fieldcrm.imports.planning import ChunkPlan
from fieldcrm.lib.search_keys import name_keys_arrays, phone_key_array

# Name search keys, computed here from the frame's names (fieldcrm.lib.search_keys).
SEARCH_COLUMNS = ("search_name", "search_first", "search_surname")
# Contact columns an import writes, in the order used by the fast paths.
CONTENT_COLUMNS: tuple[str, ...] = (
    *VOTERFILE_FIELDS, "latitude", "longitude", "geo_source", *SEARCH_COLUMNS
)  # fmt: skip
# Columns a new contact is written with, in the COPY order.
INSERT_COLUMNS = (
    "id", "source", "voter_id", *CONTENT_COLUMNS, "vf_hash", "vf_line_hash", "first_seen_at",
    "last_seen_at", "last_import_batch_id", "not_in_latest_file", "do_not_contact", "version",
    "created_at", "updated_at",
)  # fmt: skip
#: rows turned into Python values (or COPY text) at a time: a whole chunk would cost
#: hundreds of MB
WRITE_SLICE = 10_000
PHONE_COLUMNS = ["contact_id", "e164", "raw", "kind", "source", "valid", "do_not_call",
                 "created_at", "reversed_digits"]  # fmt: skip
_DATE_COLUMNS = ("birth_date", "registration_date")


def writer_for(batch: ImportBatch) -> Writer:
    """The writer for the session's database."""
    if db.session.get_bind().dialect.name == "postgresql":
        from fieldcrm.imports.writer_postgres import PostgresWriter

        return PostgresWriter(batch)
    from fieldcrm.imports.writer_sqlite import SQLiteWriter

    return SQLiteWriter(batch)


class Writer:
    """Writes a chunk plan through the session's own DB-API connection (same transaction).

    Subclasses say how each database takes rows; this class says what is written.
    """

    #: the driver's parameter marker and SQL literals for booleans
    PARAM = "?"
    TRUE = "1"
    FALSE = "0"

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        connection = db.session.connection()
        self.raw = connection.connection.driver_connection
        self.now = utcnow()

    # --- what each database does its own way -----------------------------------------------

    def prepare(self) -> None:
        """Session settings for a chunk's writes."""

    def timestamp(self, value: datetime) -> Any:
        """A timestamp in the shape the driver stores."""
        return value

    def insert_contacts(self, frame: pd.DataFrame) -> list[int]:
        """Insert new contacts; their ids, in the frame's order."""
        raise NotImplementedError

    def update_slice(self, frame: pd.DataFrame, carried: Carried) -> None:
        """Write the columns the file carries; fill columns only where the file has a
        value."""
        raise NotImplementedError

    def insert_phones(self, columns: list[str], values: list[Any]) -> None:
        """Insert phone rows given column-wise (PHONE_COLUMNS order; lists, the search key
        an Arrow array)."""
        raise NotImplementedError

    def insert_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Insert rows of ``table``."""
        raise NotImplementedError

    # --- what is written -------------------------------------------------------------------

    def write(self, plan: ChunkPlan) -> dict[str, Any]:
        """Write a planned part: its new contacts, updates, re-hashes, un-marks, phones and
        emails. Returns the counts and the ids written (inserted, then updated)."""
        self.prepare()
        if len(plan.inserts) or len(plan.updates) or plan.unmark_ids or plan.rehash:
            # These writes go through the raw driver connection, past the SQLAlchemy hooks
            # that keep report caches honest: bump the data version in this transaction.
            # New people have no turf yet (placing them is a write of its own), so a part
            # that only adds people leaves per-turf reports such as coverage valid.
            datacache.bump(
                db.session.connection(),
                unplaced_only=not (len(plan.updates) or plan.unmark_ids or plan.rehash),
            )
        new_ids = self.insert_contacts(plan.inserts) if len(plan.inserts) else []
        p = self.PARAM
        if plan.rehash:
            self.executemany(
                f"UPDATE contacts SET vf_hash = {p} WHERE id = {p}",
                [(h, i) for i, h in plan.rehash],
            )
        for start in range(0, len(plan.updates), WRITE_SLICE):
            self.update_slice(plan.updates.iloc[start : start + WRITE_SLICE], plan.carried)
        if plan.unmark_ids:
            self.executemany(
                f"UPDATE contacts SET not_in_latest_file = {self.FALSE} WHERE id = {p}",
                [(i,) for i in plan.unmark_ids],
            )
        line_to_id: dict[tuple[str, int], int] = {}
        for frame, ids in ((plan.inserts, new_ids), (plan.updates, None)):
            if not len(frame):
                continue
            ids = ids if ids is not None else frame["contact_id"].tolist()
            keys = zip(pylist(frame["member"]), pylist(frame["line"]), strict=True)
            line_to_id.update(zip(keys, ids, strict=True))
        updated_ids = plan.updates["contact_id"].tolist() if len(plan.updates) else []
        self._replace_children(plan, line_to_id)
        return {
            "inserted": len(plan.inserts),
            "updated": len(plan.updates),
            "ids": [*new_ids, *updated_ids],
        }

    def _replace_children(self, plan: ChunkPlan, line_to_id: dict[tuple[str, int], int]) -> None:
        """Insert the new contacts' phones and emails; on updated ones add what the file
        brings and remove the voter-file ones it no longer lists (as planned)."""
        for table, column in (("contact_phones", "phone_deletes"),
                              ("contact_emails", "email_deletes")):  # fmt: skip
            if len(plan.updates) and column in plan.updates:
                ids = [(i,) for listed in plan.updates[column] for i in listed]
                self.executemany(f"DELETE FROM {table} WHERE id = {self.PARAM}", ids)  # noqa: S608
        phones = plan.phones
        if len(phones):
            keys = zip(pylist(phones["member"]), pylist(phones["line"]), strict=True)
            n = len(phones)
            e164 = pylist(phones["e164"])
            raw = [str(r)[:40] for r in pylist(phones["raw"])]
            self.insert_phones(
                PHONE_COLUMNS,
                [
                    [line_to_id[key] for key in keys],
                    e164,
                    raw,
                    pylist(phones["kind"]),
                    ["voterfile"] * n,
                    [bool(d) for d in pylist(phones["dialable"])],
                    [False] * n,
                    [self.now] * n,
                    # the search key (fieldcrm.lib.search_keys), as an Arrow array
                    phone_key_array(pa.array(e164, pa.string()), pa.array(raw, pa.string())),
                ],
            )
        emails = []
        now = self.timestamp(self.now)
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
            self.insert_rows(
                "contact_emails", ["contact_id", "email", "source", "created_at"], emails
            )

    def mark_missing(self, ids: list[int], flag: bool) -> None:
        """Set (or clear) "not in latest file" on these contacts."""
        if ids:
            datacache.bump(db.session.connection())
        value = self.TRUE if flag else self.FALSE
        self.executemany(
            f"UPDATE contacts SET not_in_latest_file = {value} WHERE id = {self.PARAM}",  # noqa: S608
            [(i,) for i in ids],
        )

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        """Run ``sql`` once per row on the raw connection (nothing for no rows)."""
        if not rows:
            return
        cursor = self.raw.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()


# --- frame columns as contact columns ---------------------------------------------------------


def _has_geo(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose file gives both coordinates (one without the other is written as neither)."""
    return (frame["latitude"].notna() & frame["longitude"].notna()).to_numpy()


def column_arrays(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, pa.Array]:
    """Contact column -> Arrow array of the frame's values for it."""
    has_geo: np.ndarray | None = None
    keys: dict[str, pa.Array] | None = None
    out: dict[str, pa.Array] = {}
    for column in columns:
        if column in SEARCH_COLUMNS:
            if keys is None:  # all keys in one pass over the names
                names = (pa.array(frame[c].array) for c in ("first_name", "last_name"))
                keys = dict(zip(SEARCH_COLUMNS, name_keys_arrays(*names), strict=True))
            out[column] = keys[column]
            continue
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


def contact_values(
    frame: pd.DataFrame,
    dialect: str,
    columns: Iterable[str] = CONTENT_COLUMNS,
    *,
    skip_empty: bool = False,
) -> dict[str, list[Any]]:
    """Column -> python values for these contact columns (None for missing), vectorised.
    With ``skip_empty``, a column missing in every row is left out.

    SQLite gets dates as ISO text (what SQLAlchemy stores there); PostgreSQL date objects.
    """
    out: dict[str, list[Any]] = {}
    for column, arr in column_arrays(frame, columns).items():
        if skip_empty and arr.null_count == len(arr):
            continue
        if column in _DATE_COLUMNS and dialect == "sqlite":
            arr = pc.cast(arr, pa.string())  # ISO "YYYY-MM-DD"; 25 times faster than strftime
        out[column] = arr.to_pylist()
    return out


def pylist(series: pd.Series) -> list[Any]:
    """A column's Python values, None for missing. Arrow-backed columns convert in C (pandas'
    ``tolist`` walks them item by item, seconds per million rows)."""
    values = series.array
    if hasattr(values, "__arrow_array__"):
        return pa.array(values).to_pylist()
    return series.tolist()


# --- the bulk load ----------------------------------------------------------------------------


_BULK_TABLES = (Contact.__table__, ContactPhone.__table__, ContactEmail.__table__)


def secondary_indexes() -> list[sa.Index]:
    """The indexes of the tables a bulk load fills, the contacts' unique (source, voter id)
    included: while the load runs the plan keeps the key unique (the table was empty, one
    batch of a source runs at a time, a file's repeated voter ids are duplicates), and
    building the index at the end checks it."""
    return [ix for table in _BULK_TABLES for ix in sorted(table.indexes, key=lambda i: i.name)]


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        fk
        for table in _BULK_TABLES
        for fk in sorted(table.foreign_key_constraints, key=lambda c: c.name or "")
    ]


def _existing_foreign_keys(connection: sa.Connection) -> set[str]:
    inspector = sa.inspect(connection)
    return {fk["name"] for table in _BULK_TABLES for fk in inspector.get_foreign_keys(table.name)}


def costs_per_row(index: sa.Index, inserted: Collection[str] = INSERT_COLUMNS) -> bool:
    """Whether an insert of the import adds an entry to ``index``: False for an index of
    the rows where a column is filled (declared with ``where_filled``) that the inserts
    leave empty (``inserted``: the columns they may fill; by default any import's; never
    the turf, the owner, the ladder stage). Such an index stays through a bulk load: each
    row costs a test of the column, while dropping it would cost a full scan of the table
    to build it again empty (measured at 1M contacts on SQLite: 0.22-0.28 s each)."""
    filled = index.info.get("filled")
    return filled is None or filled in inserted


def inserted_columns(carried: Carried) -> set[str]:
    """The contact columns an insert of a file carrying ``carried`` may fill."""
    return (set(INSERT_COLUMNS) - set(CONTENT_COLUMNS)) | set(carried.written)


def drop_secondary_indexes(inserted: Collection[str] = INSERT_COLUMNS) -> None:
    """For a bulk first load: drop what costs per row and is cheaper built once at the end.

    The indexes on both databases that an insert filling ``inserted`` adds to
    (costs_per_row). On PostgreSQL also the foreign keys of the loaded tables: each is a
    per-row trigger (measured: ~5 s a million contacts for their four), while adding it
    back afterwards is one validating join. On SQLite a foreign key check is an index probe
    and cannot be dropped without rebuilding the table, so it stays.
    """
    connection = db.session.connection()
    for index in secondary_indexes():
        if costs_per_row(index, inserted):
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
        # PostgreSQL's own default, whatever the server sets: smaller sorts built faster.
        # Measured on 2 cores, all 19 indexes of 1M contacts: 7.2-7.5 s with 64 MB,
        # 8.0-8.6 s with 96 MB-256 MB; one name index of 8.3M rows: 5.5-6.4 s, 7.5-7.7 s
        # with 256 MB, 8.8-9.0 s with 1 GB. 64 MB also means one parallel worker (each
        # takes at least 32 MB), which two cores suit; a server with many more would build
        # faster with a share per worker.
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '64MB'")
    for index in secondary_indexes():
        index.create(bind=connection, checkfirst=True)
    if sqlite:
        connection.exec_driver_sql("PRAGMA threads = 0")
    else:
        existing = _existing_foreign_keys(connection)
        for fk in _foreign_keys():
            if fk.name not in existing:
                connection.execute(sa.schema.AddConstraint(fk))
