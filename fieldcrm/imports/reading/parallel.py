"""Read and normalise a voter file in other processes while the caller writes.

Normalising is column-wise Arrow work, but the caller's writes (sqlite3 binding every value,
COPY text built in Python) hold the GIL much of the time, so a reader on a thread of the
same process mostly waits for them. A spawned process has its own interpreter: on two
cores one reads and normalises while the other writes. When the caller writes little (a
re-import, a check) two reader processes share the chunks (every other one each), so both
cores normalise. The caller normalises the first chunk itself while the readers start
(spawning one costs most of a second). Chunks cross over pickled (a 50,000-row chunk
pickles in ~40 ms); at most QUEUE_CHUNKS wait per reader, so memory stays at a few chunks.
Small files are read in process.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queue_module
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from fieldcrm.imports.reading import streaming
from fieldcrm.imports.reading.core import Chunk, Detection
from fieldcrm.imports.reading.lines import LineSkip

#: files smaller than this (unpacked bytes; ~330,000 NC rows) are read in the calling
#: process: starting a reader costs about a second of CPU, normalising 50,000 rows ~0.3 s
PROCESS_MIN_BYTES = 128 * 1024 * 1024
#: a second reader (for a caller writing little) pays off from about this size
TWO_READERS_MIN_BYTES = 2 * PROCESS_MIN_BYTES
#: chunks a reading process may have ready before the caller takes them
QUEUE_CHUNKS = 2
_POLL_SECONDS = 1.0
# spawn, not fork: the caller may hold database connections and library thread pools,
# which a forked child would inherit in an unusable state
_CONTEXT = multiprocessing.get_context("spawn")


def iter_chunks(
    path: str | Path,
    detection: Detection,
    *,
    chunk_rows: int,
    start_row: int = 0,
    size: int | None = None,
    light_writes: bool = False,
    skip: LineSkip | None = None,
) -> Iterator[Chunk]:
    """``streaming.iter_chunks``, read in other processes when the file has ``size``
    (unpacked bytes; default: its size on disk) of at least PROCESS_MIN_BYTES: one, or, with
    ``light_writes`` (the caller will mostly wait for chunks) on two cores or more and from
    TWO_READERS_MIN_BYTES, two. ``skip`` as for ``streaming.iter_chunks`` (each reading
    process maps its index).

    Raises what the reader raises (``FileRefused``), or RuntimeError when a reading process
    dies without a word.
    """
    if size is None:
        size = Path(path).stat().st_size
    if size < PROCESS_MIN_BYTES:
        yield from streaming.iter_chunks(
            path, detection, chunk_rows=chunk_rows, start_row=start_row, skip=skip
        )
        return
    two = light_writes and size >= TWO_READERS_MIN_BYTES and (os.cpu_count() or 1) >= 2
    readers = 2 if two else 1
    yield from _from_processes(Path(path), detection, chunk_rows, start_row, readers, skip)


def _from_processes(
    path: Path,
    detection: Detection,
    chunk_rows: int,
    start_row: int,
    count: int,
    skip: LineSkip | None,
) -> Iterator[Chunk]:
    queues = [_CONTEXT.Queue(maxsize=QUEUE_CHUNKS) for _ in range(count)]
    readers = [
        _CONTEXT.Process(
            target=_produce,
            args=(str(path), detection, chunk_rows, start_row, k, count, queues[k], skip),
            name=f"fieldcrm-voterfile-reader-{k}",
            daemon=True,
        )
        for k in range(count)
    ]
    for reader in readers:
        reader.start()
    try:
        first = _first_chunk(path, detection, chunk_rows, start_row, skip)
        if first is None:
            return
        yield first
        index = 0
        while True:
            kind, value = _take(queues[index % count], readers[index % count])
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
            index += 1
    finally:
        for reader in readers:
            if reader.is_alive():
                reader.terminate()
            reader.join(timeout=10)
        for chunks in queues:
            chunks.close()
            chunks.cancel_join_thread()


def _first_chunk(
    path: Path, detection: Detection, chunk_rows: int, start_row: int, skip: LineSkip | None
) -> Chunk | None:
    """The first chunk, normalised here while the readers start (they skip it)."""
    batches = streaming.iter_batches(path, detection, chunk_rows, start_row)
    try:
        batch = next(batches, None)
    finally:
        batches.close()
    return None if batch is None else streaming.build_chunk(*batch, skip=skip)


def _take(chunks: Any, reader: BaseProcess) -> tuple[str, Any]:
    while True:
        try:
            return chunks.get(timeout=_POLL_SECONDS)
        except queue_module.Empty:
            if not reader.is_alive():
                raise RuntimeError(
                    f"the voter-file reader stopped (exit code {reader.exitcode})"
                ) from None


def _produce(
    path: str,
    detection: Detection,
    chunk_rows: int,
    start_row: int,
    k: int,
    count: int,
    chunks: Any,
    skip: LineSkip | None = None,
) -> None:
    """A reading process: every ``count``-th chunk after the first, starting with the
    ``k``-th, then ("done", None); or ("error", exception)."""
    try:
        batches = streaming.iter_batches(Path(path), detection, chunk_rows, start_row)
        for i, batch in enumerate(batches):
            if i and (i - 1) % count == k:
                chunks.put(("chunk", streaming.build_chunk(*batch, skip=skip)))
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, which re-raises it
        chunks.put(("error", _sendable(exc)))
        return
    chunks.put(("done", None))


def _sendable(exc: BaseException) -> BaseException:
    """The exception itself when it pickles; else one naming only its type (a message may
    quote values from the file)."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - bytes made on the line above
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"the voter-file reader failed: {type(exc).__name__}")
    return exc
