"""The known contacts of a run: the source's contacts already in the database, in arrays.

A refresh looks every row of its file up here (voter id -> contact id, stored row hash,
not-in-latest-file flag), so this holds a statewide source (8M voters or more) without a
Python object per voter: voter ids and hashes are Arrow strings, the rest NumPy, loaded in
batches (on PostgreSQL streamed by ``COPY`` and parsed by Arrow).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports.changes import HASH_LENGTH
from fieldcrm.imports.known_rows import KNOWN_QUERY, Batch, sqlite_batches, sqlite_range
from fieldcrm.imports.reading import lines, parallel


def _id_hashes(voter_ids: pd.Series | np.ndarray) -> np.ndarray:
    values = voter_ids.to_numpy(dtype=object) if isinstance(voter_ids, pd.Series) else voter_ids
    return pd.util.hash_array(values, categorize=False)


def _strings(parts: list[pa.Array]) -> pa.Array:
    """One Arrow string array from per-batch ones (64-bit offsets only past 1 GB of text)."""
    if not parts:
        return pa.array([], pa.string())
    big = sum(p.nbytes for p in parts) > 2**30
    return pa.concat_arrays([p.cast(pa.large_string()) if big else p for p in parts])


def _joined(parts: list[Any], join: Callable[[list[Any]], Any]) -> Any:
    """The batches joined; the list emptied (the joined copy is all that is left)."""
    whole = join(parts)
    parts.clear()
    return whole


def _arrays(dtype: Any) -> Callable[[list[np.ndarray]], np.ndarray]:
    """Join NumPy batches (none: an empty array of ``dtype``)."""
    return lambda parts: np.concatenate(parts) if parts else np.empty(0, dtype)


_COLUMNS = {
    "voter_id": pa.string(), "id": pa.int64(), "vf_hash": pa.string(), "flag": pa.bool_(),
    "vf_line_hash": pa.string(),
}  # fmt: skip


#: bytes of ``COPY`` rows parsed by Arrow at a time
_COPY_BLOCK = 8 << 20
_CSV_READ = pa_csv.ReadOptions(column_names=list(_COLUMNS))
_CSV_PARSE = pa_csv.ParseOptions(newlines_in_values=True)
_CSV_CONVERT = pa_csv.ConvertOptions(
    column_types=_COLUMNS,
    true_values=["t"],
    false_values=["f"],
    strings_can_be_null=False,
    quoted_strings_can_be_null=False,
)


def _copy_blocks(copy: Any) -> Iterator[bytearray]:
    """The rows of a ``COPY … TO STDOUT`` in blocks of whole rows. psycopg hands over one
    row per read; gathering them into blocks here takes half the time of offering Arrow a
    file that is read a row at a time (5.0 against 9.5 s for 8.3M contacts)."""
    block = bytearray()
    for row in copy:
        block += row
        if len(block) >= _COPY_BLOCK:
            yield block
            block = bytearray()
    if block:
        yield block


def _batches_pg(connection: Any, source: str) -> Iterator[Batch]:
    """The known contacts streamed as CSV by ``COPY`` and parsed by Arrow a block at a
    time: no Python object per row, and never more than a block in memory at once."""
    query = KNOWN_QUERY.format(mark="%s")
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", (source,)) as copy,
    ):
        for block in _copy_blocks(copy):
            table = pa_csv.read_csv(
                pa.py_buffer(block),
                read_options=_CSV_READ,
                parse_options=_CSV_PARSE,
                convert_options=_CSV_CONVERT,
            )
            del block
            for batch in table.to_batches():
                yield (
                    batch.column(0),
                    batch.column(1).to_numpy(),
                    batch.column(2),
                    batch.column(3).to_numpy(zero_copy_only=False),
                    lines.from_text(batch.column(4)),
                )


#: this process's share of the contacts when reading processes load the rest: they start
#: a little after it does (spawned as the load begins)
_OWN_SHARE = 0.5
#: fewer contacts than this are loaded here alone: a spawned reader is ready about 0.6 s
#: after it starts, by when this process has loaded about 300,000 (measured at 1M with
#: two readers: 1.55-1.6 s against 1.8-1.9 s alone)
SHARE_MIN_CONTACTS = 500_000


def _shared_out(
    connection: Any, source: str, database: str, helpers: parallel.Warm
) -> Iterator[Batch]:
    """The known contacts in batches, by ranges of their ids: the first (_OWN_SHARE of the
    span) read here while each helper reads an equal share of the rest, then theirs in id
    order. Each range is read in its own snapshot; nothing else writes this source's
    contacts meanwhile (one run of a source at a time)."""
    cursor = connection.cursor()
    try:
        # read from the (source, voter id) index alone: 0.09 s at 1M
        known, low, high = cursor.execute(
            "SELECT count(*), min(id), max(id) FROM contacts "
            "WHERE source = ? AND voter_id IS NOT NULL",
            (source,),
        ).fetchone()
    finally:
        cursor.close()
    if known < SHARE_MIN_CONTACTS:
        yield from sqlite_batches(connection, source)
        return
    count = len(helpers.processes)
    own = low + int((high - low) * _OWN_SHARE)
    bounds = [own + (high - own) * k // count for k in range(count)] + [None]
    for k in range(count):
        helpers.call(k, sqlite_range, (database, source, (bounds[k], bounds[k + 1])))
    yield from sqlite_batches(connection, source, (None, own))
    for k in range(count):
        yield from helpers.result(k)


@dataclass
class KnownContacts:
    """The source's existing contacts, loaded once into arrays: position -> voter id, contact
    id, stored row hash ("" when none) and the not-in-latest-file flag.

    No Python object is kept per voter (a statewide file has 8M or more): voter ids and
    hashes are Arrow strings, the rest NumPy. A voter id is found through the sorted 64-bit
    hashes of the known ids and every hit is confirmed against the id itself, so a hash
    collision can never match the wrong person; ids whose hash another known id shares (in
    practice none) are found exactly through a small dict.
    """

    voter_ids: pa.Array
    ids: np.ndarray
    hashes: pa.Array
    flagged: np.ndarray
    seen: np.ndarray  # positions seen in this file
    source: str = ""
    #: voter ids first met in this run (not known), as a sorted array of 64-bit hashes:
    #: 8 bytes an id instead of a Python string. A hash hit is confirmed exactly against the
    #: rows this run already wrote (or, when nothing is written, against `exact_new`).
    seen_new: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    exact_new: set[str] | None = None
    #: a layout's extra matching, run on each chunk before it is planned: it may add
    #: contacts of other sources as known under this file's ids (fieldcrm.imports.vanmatch)
    match_more: Callable[[pd.DataFrame, KnownContacts], None] | None = None
    #: the stored line digests (``reading.lines``) by position, for reading to pass the
    #: lines it holds on unparsed: files in a temporary folder, removed with this object
    line_index: lines.LineIndex | None = None
    #: the lookup: known ids' hashes sorted, the position of each, and the shared-hash ids
    _sorted: np.ndarray = field(init=False, default_factory=lambda: np.empty(0, np.uint64))
    _order: np.ndarray = field(init=False, default_factory=lambda: np.empty(0, np.int64))
    _shared: dict[str, int] = field(init=False, default_factory=dict)
    _shared_hashes: np.ndarray = field(init=False, default_factory=lambda: np.empty(0, np.uint64))

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def load(
        cls, source: str, *, line_index: bool = False, helpers: parallel.Warm | None = None
    ) -> KnownContacts:
        """The source's contacts; with ``line_index``, also the index of their stored line
        digests (``reading.lines``) for a run to pass the lines it holds on unparsed.

        ``helpers``: reading processes started ahead and waiting for their file; on an
        SQLite file each loads a share of the contacts meanwhile (fieldcrm.imports.
        known_rows). Measured at 1M contacts: 1.8 s loaded here alone.
        """
        connection = db.session.connection().connection.driver_connection
        bind = db.session.get_bind()
        if bind.dialect.name != "sqlite":
            read = _batches_pg(connection, source)
        elif helpers is not None and bind.url.database not in (None, "", ":memory:"):
            read = _shared_out(connection, source, os.path.abspath(bind.url.database), helpers)
        else:
            read = sqlite_batches(connection, source)
        voter_ids: list[pa.Array] = []
        hashes: list[pa.Array] = []
        ids: list[np.ndarray] = []
        flags: list[np.ndarray] = []
        id_hashes: list[np.ndarray] = []
        folder = Path(tempfile.mkdtemp(prefix="fieldcrm-lines-")) if line_index else None
        digests = lines.LineIndexWriter(folder) if folder else None
        try:
            for vid, cid, vf_hash, flag, line_hash in read:
                if digests is not None:
                    # a row hash of an older version is compared value by value, then
                    # refreshed
                    current = pc.equal(pc.utf8_length(vf_hash), HASH_LENGTH)
                    digests.add(line_hash, current.to_numpy(zero_copy_only=False))
                voter_ids.append(vid)
                id_hashes.append(_id_hashes(vid.to_numpy(zero_copy_only=False)))
                ids.append(cid)
                hashes.append(vf_hash)
                flags.append(flag)
        except BaseException:
            if digests is not None:
                digests.close()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        # each column joined, then its batches let go at once: all of them kept to the end
        # held every column twice (about 550 MB more at 8.3M contacts)
        count = sum(len(i) for i in ids)
        known = cls(
            hashes=_joined(hashes, _strings),
            voter_ids=_joined(voter_ids, _strings),
            ids=_joined(ids, _arrays(np.int64)),
            flagged=_joined(flags, _arrays(bool)),
            seen=np.zeros(count, dtype=bool),
            source=source,
        )
        known._index(_joined(id_hashes, _arrays(np.uint64)))
        # Arrow's allocator keeps what the batches and their CSV parsing freed (126 of 427 MB
        # at 1M contacts on PostgreSQL) unless told to give it back
        pa.default_memory_pool().release_unused()
        if digests is not None:
            known.line_index = digests.finish()
            weakref.finalize(known, shutil.rmtree, folder, ignore_errors=True)
        return known

    def _index(self, id_hashes: np.ndarray) -> None:
        # not a stable sort (twice as fast): ids sharing a hash are found through `_shared`
        self._order = np.argsort(id_hashes)
        self._sorted = id_hashes[self._order]
        same = np.flatnonzero(self._sorted[1:] == self._sorted[:-1])
        self._shared_hashes = np.unique(self._sorted[same])
        shared_at = np.flatnonzero(np.isin(id_hashes, self._shared_hashes))
        values = self.voter_ids.take(pa.array(shared_at)).to_pylist() if len(shared_at) else []
        self._shared = dict(zip(values, shared_at.tolist(), strict=True))

    def positions(self, voter_ids: pd.Series) -> np.ndarray:
        """Position of each voter id among the known contacts, -1 when new."""
        pos = np.full(len(voter_ids), -1, dtype=np.int64)
        if not len(self) or not len(voter_ids):
            return pos
        values = voter_ids.to_numpy(dtype=object)
        wanted = _id_hashes(values)
        at = np.searchsorted(self._sorted, wanted).clip(max=len(self._sorted) - 1)
        hit = self._sorted[at] == wanted
        pos[hit] = self._order[at[hit]]
        if len(self._shared_hashes):
            shared = hit & np.isin(wanted, self._shared_hashes)
            for i in np.flatnonzero(shared).tolist():
                pos[i] = self._shared.get(values[i], -1)
            hit &= ~shared
        check = np.flatnonzero(hit)
        if len(check):
            same = pc.equal(
                self.voter_ids.take(pa.array(pos[check])),
                pa.array(values[check], self.voter_ids.type, from_pandas=True),
            )
            pos[check[~same.fill_null(False).to_numpy(zero_copy_only=False)]] = -1
        return pos

    def hashes_at(self, pos: np.ndarray) -> np.ndarray:
        """The stored row hashes at these positions, as Python strings."""
        return self.hashes.take(pa.array(pos, pa.int64())).to_numpy(zero_copy_only=False)

    def hash_differs(self, pos: np.ndarray, row_hashes: pd.Series) -> np.ndarray:
        """Whether the stored row hash at each position differs from the file row's."""
        if not len(pos):
            return np.zeros(0, dtype=bool)
        new = pa.array(row_hashes.array, from_pandas=True).cast(self.hashes.type)
        differs = pc.not_equal(self.hashes.take(pa.array(pos, pa.int64())), new)
        return differs.fill_null(True).to_numpy(zero_copy_only=False)

    def add(self, voter_ids: list[str], ids: list[int], hashes: list[str]) -> None:
        """Know more contacts (another source's, matched by a layout) under these voter ids."""
        if not voter_ids:
            return
        start = len(self)
        self.voter_ids = _strings([self.voter_ids, pa.array(voter_ids, pa.string())])
        self.hashes = _strings([self.hashes, pa.array(hashes, pa.string())])
        self.ids = np.concatenate([self.ids, np.array(ids, np.int64)])
        # never un-marked or marked "not in latest file" by this file: that flag is their
        # own source's
        self.flagged = np.concatenate([self.flagged, np.zeros(len(ids), dtype=bool)])
        self.seen = np.concatenate([self.seen, np.zeros(len(ids), dtype=bool)])
        every = np.empty(len(self), dtype=np.uint64)
        every[self._order] = self._sorted
        every[start:] = _id_hashes(np.array(voter_ids, dtype=object))
        self._index(every)

    def mark_seen(self, voter_ids: pd.Series, pos: np.ndarray) -> None:
        self.seen[pos[pos >= 0]] = True
        new_ids = voter_ids[pos < 0]
        if not len(new_ids):
            return
        if self.exact_new is not None:
            self.exact_new.update(new_ids.tolist())
        # merge into the sorted array in linear time (a union re-sorts everything per chunk)
        hashes = np.sort(_id_hashes(new_ids))
        self.seen_new = np.insert(self.seen_new, np.searchsorted(self.seen_new, hashes), hashes)

    def earlier_new(self, voter_ids: pd.Series) -> np.ndarray:
        """Which of these (not previously known) voter ids this run has already met."""
        hits = np.zeros(len(voter_ids), dtype=bool)
        if not len(self.seen_new) or not len(voter_ids):
            return hits
        hashes = _id_hashes(voter_ids)
        at = np.searchsorted(self.seen_new, hashes).clip(max=len(self.seen_new) - 1)
        candidates = np.flatnonzero(self.seen_new[at] == hashes)
        if not len(candidates):
            return hits
        values = voter_ids.iloc[candidates].tolist()
        if self.exact_new is not None:
            confirmed = self.exact_new
        else:
            confirmed = set(
                db.session.scalars(
                    sa.select(Contact.voter_id).where(
                        Contact.source == self.source, Contact.voter_id.in_(values)
                    )
                )
            )
        hits[candidates] = [v in confirmed for v in values]
        return hits
