"""The SQLite writer: DB-API ``executemany`` with tuples on the session's own connection.

SQLite binds every parameter of every row, which is most of an insert's cost: values the
same for the whole run are SQL literals, NULLs are cheap, and an update writes only the
columns whose value changed (an UPDATE rewrites every index on a column it names).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from fieldcrm.contacts.models import Contact
from fieldcrm.imports.changes import Carried, changed_columns
from fieldcrm.imports.stored import stored_values
from fieldcrm.imports.writers import (
    CONTENT_COLUMNS,
    INSERT_COLUMNS,
    WRITE_SLICE,
    Writer,
    contact_values,
    pylist,
)

#: a bigger page cache for the importing connection while it writes (the default is 2 MB)
SQLITE_CACHE_KB = 64 * 1024
_TIMESTAMP_TEXT = re.compile(r"[0-9][0-9 :.\-]*")


def indexed_columns() -> frozenset[str]:
    """The contact columns some index of the contacts names, as a key or as the condition
    of a partial index: an UPDATE that names one rewrites that index's entry. Read when
    asked: features declare indexes on the contacts next to their own code
    (fieldcrm.dashboards.indexes)."""
    names: set[str] = set()
    for index in Contact.__table__.indexes:
        names.update(column.name for column in index.columns)
        if index.info.get("filled"):
            names.add(index.info["filled"])
    return frozenset(names)


def tracked_columns(carried: Carried) -> frozenset[str]:
    """The written columns an update reads back and compares before naming them: those an
    index names, and those a derived column comes from. Any other column the file carries
    is named with the file's value whether or not it changed: measured, naming 20 more
    columns of 50,000 rows in an UPDATE cost 0.02 s, reading their stored values back 0.1
    s; naming an indexed one whose value did not change, five times the UPDATE's cost."""
    sources = {source for name in carried.derived for source in carried.sources(name)}
    indexed = indexed_columns()
    return frozenset(c for c in carried.written if c in indexed or c in sources)


class SQLiteWriter(Writer):
    """Writes a chunk plan into SQLite."""

    def prepare(self) -> None:
        self.raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")

    def timestamp(self, value: datetime) -> Any:
        # SQLite keeps naive UTC text (as SQLAlchemy stores it)
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def insert_contacts(self, frame: pd.DataFrame) -> list[int]:
        cursor = self.raw.cursor()
        try:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM contacts")
            start = cursor.fetchone()[0] + 1
        finally:
            cursor.close()
        ids = list(range(start, start + len(frame)))
        for at in range(0, len(frame), WRITE_SLICE):
            self._insert_slice(frame.iloc[at : at + WRITE_SLICE], ids[at : at + WRITE_SLICE])
        return ids

    def _insert_slice(self, frame: pd.DataFrame, ids: list[int]) -> None:
        n = len(frame)
        # The values the same for the whole run are SQL literals. All are ours: a timestamp
        # of digits and separators, and integers; the source label is user text and stays a
        # parameter.
        now = self.timestamp(self.now)
        if not _TIMESTAMP_TEXT.fullmatch(now):
            raise ValueError(f"unexpected timestamp text {now!r}")
        literals = {
            "first_seen_at": f"'{now}'", "last_seen_at": f"'{now}'",
            "last_import_batch_id": str(int(self.batch.id)), "not_in_latest_file": "0",
            "do_not_contact": "0", "version": "1", "created_at": f"'{now}'",
            "updated_at": f"'{now}'",
        }  # fmt: skip
        # A column no row of the slice has a value for is a NULL literal: binding a
        # parameter costs about as much for a NULL as for a value (measured: 18 NULL
        # parameters a row made an insert of 36 values twice as slow), and a file leaves
        # whole columns empty (North Carolina's: suffixes, birth dates, ZIP+4, coordinates).
        values = contact_values(frame, "sqlite", skip_empty=True)
        content = [c for c in CONTENT_COLUMNS if c in values]
        literals |= {c: "NULL" for c in CONTENT_COLUMNS if c not in values}
        bound = ["id", "source", "voter_id", *content, "vf_hash", "vf_line_hash"]
        if set(literals) | set(bound) != set(INSERT_COLUMNS):
            raise AssertionError("the SQLite insert must name exactly the COPY columns")
        rows = zip(
            ids,
            [self.batch.source] * n,
            pylist(frame["voter_id"]),
            *(values[c] for c in content),
            pylist(frame["row_hash"]),
            pylist(frame["line_hash"]),
            strict=True,
        )
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

    def update_slice(self, frame: pd.DataFrame, carried: Carried) -> None:
        ids = frame["contact_id"].tolist()
        if not ids:
            return
        written = list(carried.written)
        values = contact_values(frame, "sqlite", written)
        tracked = tracked_columns(carried)
        old = stored_values(self.raw, "sqlite", ids, [c for c in written if c in tracked])
        changed = changed_columns(carried, values, [old[i] for i in ids], tracked)
        # rows grouped by the columns they change: one UPDATE statement a group
        patterns, group_of = np.unique(np.packbits(changed, axis=0).T, axis=0, return_inverse=True)
        group_of = group_of.reshape(-1)
        now = self.timestamp(self.now)
        hashes = pylist(frame["row_hash"])
        digests = pylist(frame["line_hash"])
        for group in range(len(patterns)):
            rows = np.flatnonzero(group_of == group)
            names = [name for k, name in enumerate(written) if changed[k, rows[0]]]
            columns = [[values[name][i] for i in rows] for name in names]
            n = len(rows)
            self.executemany(
                "UPDATE contacts SET "  # noqa: S608 - our column names
                + "".join(f"{name} = ?, " for name in names)
                + "vf_hash = ?, vf_line_hash = ?, last_seen_at = ?, last_import_batch_id = ?, "
                "updated_at = ?, not_in_latest_file = 0, version = version + 1 WHERE id = ?",
                list(
                    zip(
                        *columns, [hashes[i] for i in rows], [digests[i] for i in rows],
                        [now] * n, [self.batch.id] * n, [now] * n, [ids[i] for i in rows],
                        strict=True,
                    )
                ),
            )  # fmt: skip

    def insert_phones(self, columns: list[str], values: list[Any]) -> None:
        contact_ids, e164, raw, kinds, sources, valid, dnc, _created, keys = values
        now = self.timestamp(self.now)  # every phone of a part is created now
        rows = zip(
            contact_ids, e164, raw, kinds, sources,
            [int(v) for v in valid], [int(v) for v in dnc], [now] * len(contact_ids),
            keys.to_pylist(),
            strict=True,
        )  # fmt: skip
        self.insert_rows("contact_phones", columns, list(rows))

    def insert_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
