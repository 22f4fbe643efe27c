"""The rows of a source's known contacts, read from SQLite in batches of arrays.

Kept apart from fieldcrm.imports.known (which needs the app's models) so that a reading
process can load a range of them too: on SQLite most of the load is the sqlite3 module
making a Python object of every value, which holds the GIL in one process, so the reading
processes a refresh starts load shares of the contacts while they wait for their file
(KnownContacts.load).
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from fieldcrm.imports.reading import lines

KNOWN_QUERY = (
    "SELECT voter_id, id, coalesce(vf_hash, '') AS vf_hash, not_in_latest_file, "
    "coalesce(vf_line_hash, '') AS vf_line_hash FROM contacts "
    "WHERE source = {mark} AND voter_id IS NOT NULL"
)
#: rows fetched per round trip while loading the known contacts
LOAD_BATCH = 100_000
#: the batches' types: voter id, contact id, row hash ("" when none), not-in-latest-file,
#: line digests (``reading.lines``; (0, 0) when none)
Batch = tuple[pa.Array, np.ndarray, pa.Array, np.ndarray, np.ndarray]
#: a range of contact ids: low < id <= high, None for no bound
Range = tuple[int | None, int | None]


def sqlite_batches(connection: Any, source: str, ids: Range = (None, None)) -> Iterator[Batch]:
    """The known contacts in batches of plain DB-API rows (the ORM result machinery costs
    seconds per million rows); only those in the range ``ids``. The row tuples hold no
    cycles, so the cycle collector is kept off while they are made: it walked them over and
    over (1.4 of 3.3 s at 1M)."""
    query, params = KNOWN_QUERY.format(mark="?"), [source]
    if ids[0] is not None:
        query += " AND id > ?"
        params.append(ids[0])
    if ids[1] is not None:
        query += " AND id <= ?"
        params.append(ids[1])
    cursor = connection.cursor()
    collecting = gc.isenabled()
    try:
        cursor.execute(query, params)
        gc.disable()
        while rows := cursor.fetchmany(LOAD_BATCH):
            vid, cid, vf_hash, flag, line_hash = zip(*rows, strict=True)
            yield (
                pa.array(vid, pa.string()),
                np.array(cid, dtype=np.int64),
                pa.array(vf_hash, pa.string()),
                np.array(flag, dtype=bool),
                lines.from_text(line_hash),
            )
    finally:
        if collecting:
            gc.enable()
        cursor.close()


def sqlite_range(database: str, source: str, ids: Range) -> list[Batch]:
    """The known contacts in the range ``ids``, read on a connection of its own (for a
    reading process: see fieldcrm.imports.reading.parallel.Warm.call)."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        return list(sqlite_batches(connection, source, ids))
    finally:
        connection.close()
