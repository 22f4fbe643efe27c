"""Lines a refresh need not read again: the raw line each contact was last written from.

A weekly refresh of a statewide file finds almost every row unchanged, yet reading decided
that only after parsing and normalising every row (most of an import's CPU). Each contact
written by an import also stores ``vf_line_hash``: a 128-bit digest of the raw line it was
written from (its line ending left off), keyed by everything that decides how a line is
normalised: the source, the file's layout, mapping, header, encoding, delimiter and
quoting, the versions of the row hash and of this digest, and phonenumbers' release
(``line_keys``). A line of a later file with the same key and the same digest is the very
line that contact was written from, so it normalises to the stored row hash: the row is
unchanged, and reading passes it on as such (``Chunk.skipped_lines``,
``Chunk.skipped_pos``) without parsing it.

* Only a key built from the same detection and source can match, so a file of another
  shape, another mapping or another source is read in full as before.
* A row whose normalising depended on the day is stored without a digest: a date cell that
  could not be read may be a date "after today" that a later day would accept.
* 128 bits (two keyed SipHash-2-4 digests): a line is taken for another only on a collision
  of both, about one in 10^38 per pair of lines.
* Digests are written with the rows an import writes (inserts and updates), never for a
  row found unchanged: a contact last written before this existed, or under another key
  (a new phonenumbers release, a file of another shape), is read in full until it changes.
  Writing the digest of every such row once would bring the skip back at once, but also
  rewrite every row of a file whose lines change each week without changing a value (a
  column of the extract's date); that trade is left for later.
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from fieldcrm.contacts.record import LINE_HASH_LENGTH  # 32 hex digits: two 64-bit digests
from fieldcrm.imports.changes import HASH_VERSION
from fieldcrm.imports.reading.core import Detection

#: bump when what decides a line's normalising changes in a way the keys do not name
LINE_VERSION = "1"
_ZERO = "0" * LINE_HASH_LENGTH
_ENDINGS = b"\r\n"
#: detection fields that do not decide how a line is normalised: which zip members hold voters
#: and which hold vote history
_NOT_READING = ("members", "history")


def line_keys(detection: Detection, source: str) -> tuple[str, str]:
    """The two SipHash keys (16 characters each) for lines of this file under this source."""
    # every field of the detection but the names of the file's members (a field added
    # later is in by default)
    read_as = {k: v for k, v in dataclasses.asdict(detection).items() if k not in _NOT_READING}
    # phonenumbers' metadata changes with its releases (a number valid in one may not be in
    # the last): a line it read is read again under the next
    versions = [LINE_VERSION, HASH_VERSION, phonenumbers.__version__]
    shape = {"source": source, "versions": versions, "read_as": read_as}
    text = json.dumps(shape, sort_keys=True, default=str)
    text = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return text[:16], text[16:]


def line_hashes(lines: list[bytes], keys: tuple[str, str]) -> np.ndarray:
    """The digests of raw lines (line endings left off), as an (n, 2) array of uint64."""
    values = np.array([line.rstrip(_ENDINGS) for line in lines], dtype=object)
    out = np.empty((len(lines), 2), dtype=np.uint64)
    if len(lines):
        out[:, 0] = pd.util.hash_array(values, categorize=False, hash_key=keys[0])
        out[:, 1] = pd.util.hash_array(values, categorize=False, hash_key=keys[1])
    return out


def from_text(texts: pa.Array | Sequence[str | None]) -> np.ndarray:
    """Stored texts back to an (n, 2) uint64 array; a missing or malformed one is (0, 0).
    Decoded from the Arrow buffer at once: no Python object per text."""
    arr = texts if isinstance(texts, pa.Array) else pa.array(texts, pa.string())
    if not len(arr):
        return np.empty((0, 2), dtype=np.uint64)
    whole = pc.fill_null(pc.equal(pc.binary_length(arr), LINE_HASH_LENGTH), False)
    fixed = pc.if_else(whole, arr, pa.scalar(_ZERO, arr.type))
    # every text is now 32 bytes: the data buffer holds them end to end
    width = 8 if pa.types.is_large_string(fixed.type) else 4
    offsets = np.frombuffer(fixed.buffers()[1], f"<i{width}")
    start, end = offsets[fixed.offset], offsets[fixed.offset + len(fixed)]
    try:
        raw = binascii.unhexlify(memoryview(fixed.buffers()[2])[start:end])
    except binascii.Error:  # not hex (written by hand?): each on its own
        raw = bytes.fromhex("".join(t if _is_hex(t) else _ZERO for t in fixed.to_pylist()))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 2)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


@dataclasses.dataclass
class LineIndex:
    """Stored line digests, sorted by their first half, with the known-contact position of
    each (``KnownContacts`` positions): three files in ``folder`` (``LineIndexWriter``),
    mapped, so that every reading process shares one copy and nothing is pickled."""

    folder: Path
    first: np.ndarray
    second: np.ndarray
    positions: np.ndarray

    @classmethod
    def open(cls, folder: str | Path) -> LineIndex:
        folder = Path(folder)
        arrays = [_mapped(folder / name, np.uint64) for name in ("first", "second")]
        return cls(folder, *arrays, _mapped(folder / "positions", np.int64))

    def __len__(self) -> int:
        return len(self.first)

    def find(self, pairs: np.ndarray) -> np.ndarray:
        """The position of the contact each digest was stored for, or -1."""
        found = np.full(len(pairs), -1, dtype=np.int64)
        if not len(self.first) or not len(pairs):
            return found
        # looked up in sorted order: NumPy's binary search starts from the previous key's
        # place, so each search stays within pages the last one read (4x faster at 8M)
        order = np.argsort(pairs[:, 0])
        first, second = pairs[order, 0], pairs[order, 1]
        at = np.searchsorted(self.first, first)
        found_sorted = np.full(len(pairs), -1, dtype=np.int64)
        # equal first halves sit side by side: try each run (in practice of length one)
        while True:
            inside = at < len(self.first)
            hit = np.zeros(len(pairs), dtype=bool)
            hit[inside] = self.first[at[inside]] == first[inside]
            if not hit.any():
                break
            match = hit & (found_sorted < 0)
            match[hit] &= self.second[at[hit]] == second[hit]
            found_sorted[match] = self.positions[at[match]]
            at = np.where(hit & (found_sorted < 0), at + 1, len(self.first))
        found[order] = found_sorted
        return found


def _mapped(path: Path, dtype: Any) -> np.ndarray:
    if not path.stat().st_size:
        return np.empty(0, dtype)  # mmap refuses an empty file
    return np.memmap(path, dtype=dtype, mode="r")


class LineIndexWriter:
    """Builds a ``LineIndex`` in ``folder`` from digests given in position order, in bounded
    memory: they go to disk as they come, and the sort holds one array of positions (8
    bytes a contact; 66 MB for a statewide source) beside the files it reads."""

    SLICE = 1 << 20

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._raw = [(folder / "raw_first").open("wb"), (folder / "raw_second").open("wb")]

    def add(self, pairs: np.ndarray, usable: np.ndarray | None = None) -> None:
        """The next positions' digests ((0, 0): none); ``usable`` false leaves one out."""
        if usable is not None and not usable.all():
            pairs = pairs.copy()
            pairs[~usable] = 0
        for k, out in enumerate(self._raw):
            out.write(np.ascontiguousarray(pairs[:, k]).tobytes())

    def close(self) -> None:
        """Close the files being written (``finish`` does; a failed load calls it)."""
        for out in self._raw:
            out.close()

    def finish(self) -> LineIndex:
        self.close()
        first = _mapped(self.folder / "raw_first", np.uint64)
        second = _mapped(self.folder / "raw_second", np.uint64)
        order = np.argsort(first)
        with (
            (self.folder / "first").open("wb") as out_first,
            (self.folder / "second").open("wb") as out_second,
            (self.folder / "positions").open("wb") as out_positions,
        ):
            for at in range(0, len(order), self.SLICE):
                taken = order[at : at + self.SLICE]
                a, b = first[taken], second[taken]
                stored = (a != 0) | (b != 0)
                out_first.write(a[stored].tobytes())
                out_second.write(b[stored].tobytes())
                out_positions.write(taken[stored].astype(np.int64).tobytes())
        del first, second, order
        for name in ("raw_first", "raw_second"):
            (self.folder / name).unlink()
        return LineIndex.open(self.folder)


@dataclasses.dataclass
class LineSkip:
    """What reading needs to digest lines and pass on those already stored: the keys, and
    the folder of the index (``LineIndex``; none: every line is read)."""

    keys: tuple[str, str]
    folder: str | None = None
    _opened: LineIndex | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False
    )

    def lookup(self) -> LineIndex | None:
        if self.folder is not None and self._opened is None:
            self._opened = LineIndex.open(self.folder)
        return self._opened

    def __getstate__(self) -> dict[str, Any]:
        # a reading process maps the index itself
        return {"keys": self.keys, "folder": self.folder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.keys, self.folder, self._opened = state["keys"], state["folder"], None


def text_array(pairs: np.ndarray | None, keep: np.ndarray | None, rows: int) -> pa.Array:
    """The ``line_hash`` column of a normalised frame: the stored text, null where ``keep`` is
    false (a row whose normalising depended on the day) or when lines were not digested."""
    if pairs is None:
        return pa.nulls(rows, pa.string())
    n = len(pairs)
    data = pairs.astype(">u8").tobytes().hex().encode("ascii")
    offsets = np.arange(0, LINE_HASH_LENGTH * (n + 1), LINE_HASH_LENGTH, dtype=np.int32)
    texts = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    if keep is None or keep.all():
        return texts
    return pc.if_else(pa.array(keep), texts, pa.scalar(None, pa.string()))
