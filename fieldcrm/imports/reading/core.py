"""What reading a voter file produces: its Detection, its Chunks, the rows it rejects.

Frame types (for the database layer): text columns are ``pd.ArrowDtype(pa.string())`` with
``pd.NA`` for missing values; ``birth_date`` / ``registration_date`` are ``ArrowDtype(date32)``
(elements are ``datetime.date``); ``birth_year`` and ``res_house_number`` are ``Int64``;
``latitude`` / ``longitude`` are float64 (NaN when missing); ``line`` is int64. The columns
are the voter record's (fieldcrm.contacts.record). The phones frame uses plain object
columns (``None`` when missing) and a bool ``dialable``.
"""

from __future__ import annotations

import collections
import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from fieldcrm.imports.changes import Carried

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
    """What ``detect`` learned about a file; pass it back to ``iter_chunks``."""

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
    #: the member the chunk was read from (a chunk never spans two)
    member: str = ""
    #: rows not parsed: their raw line is the one the known contact at ``skipped_pos``
    #: (``KnownContacts`` position) was last written from (``reading.lines``), by line
    skipped_lines: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, np.int64))
    skipped_pos: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, np.int64))


def pandas_type(arrow_type: pa.DataType) -> Any:
    """The pandas dtype a normalised frame gives an Arrow column (None: the default)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.ArrowDtype(arrow_type)  # zero-copy; StringDtype would cast to large_string
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_date32(arrow_type):
        return pd.ArrowDtype(pa.date32())
    return None
