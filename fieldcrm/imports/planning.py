"""Planning a chunk: what each normalised row does to the database (no writes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fieldcrm.imports import parsing
from fieldcrm.imports.changes import MAPPED_KEYS, Carried, carried_columns

#: what a plan made without a file's mapping writes: every column, phone and email
EVERYTHING = carried_columns(
    dict.fromkeys([*MAPPED_KEYS, "latitude", "longitude", "email", "phone"]), None
)


@dataclass
class ChunkPlan:
    """What a chunk (or a part of one) does: rows to insert, update, un-mark, its accounting.

    Every row read is in exactly one of inserts, updates, unchanged, rejects, duplicates; the
    line fields let the run cut a plan into parts by row position.
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
