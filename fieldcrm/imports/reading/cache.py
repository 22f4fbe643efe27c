"""The normalised chunks a check leaves beside the upload, so that the import started after
it reads them instead of reading and normalising the whole file a second time.

They live in a ``.normalised`` folder next to the stored file (deleted with it by the
retention sweep). Each chunk is an Arrow IPC file of its frame and one of its phones
(zstd-compressed: ~6 MB per 50,000 NC rows, written in ~50 ms), its line numbers as a .npy
file, and an entry in ``manifest.json`` with its rejects and warnings. The manifest is
written last, atomically, and names what the chunks were made from: the file's size and
modification time, how it was read (the detection), the chunk size, the day (dates after
today are refused) and the reading code itself. A run whose key differs in anything reads
the file instead.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from fieldcrm import programtime
from fieldcrm.imports.reading import core
from fieldcrm.imports.reading.streaming import carried_for
from fieldcrm.lib import uploads

DIRNAME = ".normalised"
MANIFEST = "manifest.json"
_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def folder_for(stored_path: str | Path) -> Path:
    """Where the normalised chunks of a stored upload are kept."""
    return Path(stored_path).parent / DIRNAME


def cache_key(stored_path: str | Path, detection: core.Detection, chunk_rows: int) -> dict:
    """What the normalised chunks depend on (see the module docstring)."""
    return {
        "file": uploads.file_stamp(stored_path),
        "detection": json.loads(json.dumps(dataclasses.asdict(detection), default=str)),
        "chunk_rows": chunk_rows,
        "day": programtime.today_anywhere().isoformat(),  # the future-date checks' today
        "code": _code_digest(),
    }


_CODE_DIGEST: list[str] = []


def _code_digest() -> str:
    """A digest of the modules that normalise rows: a new version reads the file again."""
    if not _CODE_DIGEST:
        from fieldcrm.contacts import record
        from fieldcrm.imports import changes, generic_layout, layouts, state_layouts
        from fieldcrm.imports.reading import (
            columns,
            lines,
            normalising,
            sniffing,
            streaming,
            tables,
        )
        from fieldcrm.lib import addresses, csvsafe, names, phones

        digest = hashlib.blake2b(digest_size=8)
        modules = (
            record, changes, layouts, generic_layout, state_layouts, columns, normalising,
            lines, sniffing, streaming, tables, addresses, csvsafe, names, phones,
        )  # fmt: skip
        for module in modules:
            digest.update(Path(module.__file__ or "").read_bytes())
        _CODE_DIGEST.append(digest.hexdigest())
    return _CODE_DIGEST[0]


class Writer:
    """Writes a check's chunks as they are read; ``finish`` makes them usable."""

    def __init__(self, folder: Path, key: dict) -> None:
        self.folder = folder
        self.key = key
        self.entries: list[dict[str, Any]] = []
        discard(folder)
        folder.mkdir(parents=True)

    def add(self, chunk: core.Chunk) -> None:
        """Write one chunk (read in full: rows passed on unparsed are the run's own)."""
        if len(chunk.skipped_lines):
            raise ValueError("a kept chunk must hold every row it read")
        name = f"{len(self.entries):06d}"
        _write_table(self.folder / f"{name}.frame.arrow", chunk.frame)
        _write_table(self.folder / f"{name}.phones.arrow", chunk.phones)
        np.save(self.folder / f"{name}.lines.npy", np.asarray(chunk.numbers, dtype=np.int64))
        self.entries.append(
            {
                "name": name,
                "start_row": chunk.start_row,
                "rows_read": chunk.rows_read,
                "member": chunk.member,
                "warnings": dict(chunk.warnings),
                "rejects": [dataclasses.astuple(r) for r in chunk.rejects],
            }
        )

    def finish(self) -> None:
        """Write the manifest (atomically): from now on a run may read these chunks."""
        temporary = self.folder / f"{MANIFEST}.part"
        temporary.write_text(json.dumps({"key": self.key, "chunks": self.entries}))
        os.replace(temporary, self.folder / MANIFEST)


def discard(folder: Path) -> None:
    """Delete a folder of normalised chunks (nothing when there is none)."""
    if folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)


def read(
    folder: Path, key: dict, detection: core.Detection, *, start_row: int = 0
) -> Iterator[core.Chunk] | None:
    """The chunks from ``start_row`` on (a chunk boundary), or None when there are none for
    this key (absent, unfinished, or made from another file, reading or day)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("key") != key:
        return None
    entries = [e for e in manifest["chunks"] if e["start_row"] + e["rows_read"] > start_row]
    if entries and entries[0]["start_row"] != start_row:
        return None  # not a chunk boundary of these chunks
    return _chunks(folder, entries, carried_for(detection))


def _chunks(folder: Path, entries: list[dict], carried: Any) -> Iterator[core.Chunk]:
    for entry in entries:
        name = entry["name"]
        yield core.Chunk(
            start_row=entry["start_row"],
            frame=_frame(_read_table(folder / f"{name}.frame.arrow")),
            phones=_phones(_read_table(folder / f"{name}.phones.arrow")),
            rejects=[core.RowError(*r) for r in entry["rejects"]],
            warnings=collections.Counter(entry["warnings"]),
            rows_read=entry["rows_read"],
            numbers=np.load(folder / f"{name}.lines.npy"),
            carried=carried,
            member=entry["member"],
        )


def _frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas(types_mapper=core.pandas_type, split_blocks=True)
    frame["line"] = frame["line"].astype("int64")
    return frame


def _phones(table: pa.Table) -> pd.DataFrame:
    phones = table.to_pandas()
    # as normalising builds it: voter ids are objects, None when missing
    voter_ids = phones["voter_id"].astype(object)
    phones["voter_id"] = voter_ids.where(voter_ids.notna(), None)
    return phones


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with (
        pa.OSFile(str(path), "wb") as sink,
        pa.ipc.new_file(sink, table.schema, options=_OPTIONS) as out,
    ):
        out.write_table(table)


def _read_table(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()
