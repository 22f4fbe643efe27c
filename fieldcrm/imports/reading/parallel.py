"""Read and normalise a voter file in a second process while the caller writes.

Normalising is column-wise Arrow work, but the caller's writes (sqlite3 binding every value,
COPY text built in Python) hold the GIL much of the time, so a reader on a thread of the
same process mostly waits for them. A spawned process has its own interpreter: on two
cores one reads and normalises while the other writes. Chunks cross over pickled (a
50,000-row chunk pickles in ~40 ms); at most QUEUE_CHUNKS wait in the pipe, so memory
stays at a few chunks. Small files are read in process: spawning costs about a second.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue as queue_module
from collections.abc import Iterator
from pathlib import Path

from fieldcrm.imports.reading import streaming
from fieldcrm.imports.reading.core import Chunk, Detection

#: files smaller than this (unpacked bytes) are read in the calling process
PROCESS_MIN_BYTES = 32 * 1024 * 1024
#: chunks the reading process may have ready before the caller takes them
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
) -> Iterator[Chunk]:
    """``streaming.iter_chunks``, read in a second process when the file has ``size``
    (unpacked bytes; default: its size on disk) of at least PROCESS_MIN_BYTES.

    Raises what the reader raises (``FileRefused``), or RuntimeError when the reading
    process dies without a word.
    """
    if size is None:
        size = Path(path).stat().st_size
    if size < PROCESS_MIN_BYTES:
        yield from streaming.iter_chunks(
            path, detection, chunk_rows=chunk_rows, start_row=start_row
        )
        return
    yield from _from_process(path, detection, chunk_rows, start_row)


def _from_process(
    path: str | Path, detection: Detection, chunk_rows: int, start_row: int
) -> Iterator[Chunk]:
    chunks = _CONTEXT.Queue(maxsize=QUEUE_CHUNKS)
    reader = _CONTEXT.Process(
        target=_produce,
        args=(str(path), detection, chunk_rows, start_row, chunks),
        name="fieldcrm-voterfile-reader",
        daemon=True,
    )
    reader.start()
    try:
        while True:
            try:
                kind, value = chunks.get(timeout=_POLL_SECONDS)
            except queue_module.Empty:
                if not reader.is_alive():
                    raise RuntimeError(
                        f"the voter-file reader stopped (exit code {reader.exitcode})"
                    ) from None
                continue
            if kind == "chunk":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join(timeout=10)
        chunks.close()
        chunks.cancel_join_thread()


def _produce(path: str, detection: Detection, chunk_rows: int, start_row: int, chunks) -> None:
    """The reading process: every chunk, then ("done", None); or ("error", exception)."""
    try:
        for chunk in streaming.iter_chunks(
            path, detection, chunk_rows=chunk_rows, start_row=start_row
        ):
            chunks.put(("chunk", chunk))
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
