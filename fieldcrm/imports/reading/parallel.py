"""Read and normalise a voter file in other processes while the caller writes.

Normalising is column-wise Arrow work, but the caller's writes (sqlite3 binding every value,
COPY text built in Python) hold the GIL much of the time, so a reader on a thread of the
same process mostly waits for them. A spawned process has its own interpreter: on two
cores one reads and normalises while the other writes. When the caller writes little (a
re-import, a check) two reader processes share the chunks (every other one each), so both
cores normalise. The caller normalises the first chunk itself while the readers start
(spawning one costs most of a second), unless the readers were started ahead (``warm``)
and are ready: a caller with other work first (loading the known contacts) starts them
before it, and they read every chunk. At most QUEUE_CHUNKS wait per reader, so memory stays
at a few chunks. Small files are read in process.

A chunk crosses over as a small pickle through the queue and its column buffers (all but
about 1% of its ~20 MB) through a file in the readers' private folder, which
the caller maps and removes: through the queue's pipe the caller spent ~2 s of CPU a
million rows copying them in 64 KB reads (``_packed``).
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import pickle
import queue as queue_module
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
#: a reader started ahead exits when no job comes within this (its caller died or moved on)
_WARM_WAIT_SECONDS = 600.0
# spawn, not fork: the caller may hold database connections and library thread pools,
# which a forked child would inherit in an unusable state
_CONTEXT = multiprocessing.get_context("spawn")
#: where each buffer of a packed chunk starts in its file (Arrow's own alignment)
_ALIGN = 64


def iter_chunks(
    path: str | Path,
    detection: Detection,
    *,
    chunk_rows: int,
    start_row: int = 0,
    size: int | None = None,
    light_writes: bool = False,
    skip: LineSkip | None = None,
    warm: Warm | None = None,
) -> Iterator[Chunk]:
    """``streaming.iter_chunks``, read in other processes when the file has ``size``
    (unpacked bytes; default: its size on disk) of at least PROCESS_MIN_BYTES: one, or, with
    ``light_writes`` (the caller will mostly wait for chunks) on two cores or more and from
    TWO_READERS_MIN_BYTES, two. ``skip`` as for ``streaming.iter_chunks`` (each reading
    process maps its index). ``warm``: the processes ``warm()`` started ahead for this read,
    used when they are the ones it needs (else stopped, and others started), stopped when
    it ends.

    Raises what the reader raises (``FileRefused``), or RuntimeError when a reading process
    dies without a word.
    """
    if size is None:
        size = Path(path).stat().st_size
    count = reader_count(size, light_writes=light_writes)
    if not count:
        if warm is not None:
            warm.close()
        yield from streaming.iter_chunks(
            path, detection, chunk_rows=chunk_rows, start_row=start_row, skip=skip
        )
        return
    if warm is None or len(warm.processes) != count:
        if warm is not None:
            warm.close()
        warm = Warm(count)
    yield from _from_processes(Path(path), detection, chunk_rows, start_row, warm, skip)


def reader_count(size: int, *, light_writes: bool) -> int:
    """The reading processes for a file of ``size`` unpacked bytes (0: read in process)."""
    if size < PROCESS_MIN_BYTES:
        return 0
    two = light_writes and size >= TWO_READERS_MIN_BYTES and (os.cpu_count() or 1) >= 2
    return 2 if two else 1


def warm(size: int, *, light_writes: bool) -> Warm | None:
    """The reading processes ``iter_chunks`` will want for this file, started now, for a
    caller with other work to do first (None: the file is read in process)."""
    count = reader_count(size, light_writes=light_writes)
    return Warm(count) if count else None


class Warm:
    """Reading processes started ahead of their job: each imports what reading needs, says
    it is ready, then waits for its part of a file (``_serve``). Stopped when the caller
    is done with them (``close``), or when this object is collected."""

    def __init__(self, count: int) -> None:
        # the chunks' buffers on their way (voters' data: private to this user, removed
        # when the read ends)
        self.folder = tempfile.mkdtemp(prefix="fieldcrm-read-")
        self.jobs = [_CONTEXT.Queue(maxsize=1) for _ in range(count)]
        self.chunks = [_CONTEXT.Queue(maxsize=QUEUE_CHUNKS) for _ in range(count)]
        self.processes = [
            _CONTEXT.Process(
                target=_serve,
                args=(self.jobs[k], self.chunks[k], self.folder),
                name=f"fieldcrm-voterfile-reader-{k}",
                daemon=True,
            )
            for k in range(count)
        ]
        for process in self.processes:
            process.start()
        self._ready = [False] * count
        self._stop = weakref.finalize(
            self, _stop_all, self.processes, [*self.jobs, *self.chunks], self.folder
        )

    def ready(self) -> bool:
        """Whether every process has started (looks without waiting)."""
        for k, chunks in enumerate(self.chunks):
            if not self._ready[k]:
                try:
                    chunks.get_nowait()  # the first message is always ("ready", None)
                except queue_module.Empty:
                    continue
                self._ready[k] = True
        return all(self._ready)

    def take(self, k: int) -> tuple[str, Any]:
        """The next message of process ``k`` after its "ready"."""
        while not self._ready[k]:
            kind, _ = _take(self.chunks[k], self.processes[k])
            self._ready[k] = kind == "ready"
        return _take(self.chunks[k], self.processes[k])

    def call(self, k: int, function: Callable[..., Any], args: tuple) -> None:
        """Have process ``k`` run ``function(*args)`` (importable by name, its arguments and
        result picklable) while it waits for its file; ``result(k)`` takes what it gave."""
        self.jobs[k].put(("call", function, args))

    def result(self, k: int) -> Any:
        """What process ``k``'s last ``call`` returned; raises what it raised."""
        kind, value = self.take(k)
        if kind == "error":
            raise value
        if kind != "result":
            raise RuntimeError(f"the voter-file reader answered {kind!r} to a call")
        return _unpacked(value)

    def close(self) -> None:
        self._stop()


def _stop_all(processes: list[BaseProcess], queues: list[Any], folder: str) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
        process.join(timeout=10)
    for q in queues:
        q.close()
        q.cancel_join_thread()
    shutil.rmtree(folder, ignore_errors=True)


def _serve(jobs: Any, chunks: Any, folder: str) -> None:
    """A reading process started ahead: ready, then calls (``Warm.call``) while they come,
    then one job (``_produce``'s arguments after the queue), or None to stop."""
    chunks.put(("ready", None))
    parent = os.getppid()
    while True:
        try:
            job = jobs.get(timeout=_WARM_WAIT_SECONDS)
        except queue_module.Empty:
            return
        if job is None:
            return
        if job[0] != "call":
            _produce(*job, chunks, folder)
            return
        _, function, args = job
        try:
            message = ("result", _packed(function(*args), folder))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which re-raises it
            message = ("error", _sendable(exc))
        _hand_over(chunks, message, parent, folder)


def _from_processes(
    path: Path,
    detection: Detection,
    chunk_rows: int,
    start_row: int,
    readers: Warm,
    skip: LineSkip | None,
) -> Iterator[Chunk]:
    count = len(readers.processes)
    # readers not ready yet: this process normalises the first chunk while they start
    first_here = not readers.ready()
    for k, jobs in enumerate(readers.jobs):
        jobs.put((str(path), detection, chunk_rows, start_row, k, count, int(first_here), skip))
    try:
        if first_here:
            first = _first_chunk(path, detection, chunk_rows, start_row, skip)
            if first is None:
                return
            yield first
        index = 0
        while True:
            kind, value = readers.take(index % count)
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield _unpacked(value)
            index += 1
    finally:
        readers.close()


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
    after: int,
    skip: LineSkip | None,
    chunks: Any,
    folder: str,
) -> None:
    """A reading process: every ``count``-th chunk after the first ``after`` (which the
    caller reads), starting with the ``k``-th, then ("done", None); or ("error", exception)."""
    parent = os.getppid()
    try:
        batches = streaming.iter_batches(Path(path), detection, chunk_rows, start_row)
        for i, batch in enumerate(batches):
            if i >= after and (i - after) % count == k:
                chunk = streaming.build_chunk(*batch, skip=skip)
                _hand_over(chunks, ("chunk", _packed(chunk, folder)), parent, folder)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, which re-raises it
        _hand_over(chunks, ("error", _sendable(exc)), parent, folder)
        return
    _hand_over(chunks, ("done", None), parent, folder)


def _hand_over(chunks: Any, message: tuple[str, Any], parent: int, folder: str) -> None:
    """Put a chunk on the queue, waiting while the caller has enough. A caller that died
    (killed: it could not stop its readers) never takes it: then the folder of chunks on
    their way is removed and the reader exits, leaving neither voters' data nor a process
    behind."""
    while True:
        try:
            chunks.put(message, timeout=_POLL_SECONDS)
            return
        except queue_module.Full:
            if os.getppid() != parent:
                shutil.rmtree(folder, ignore_errors=True)
                raise SystemExit(1) from None


@dataclass
class Packed:
    """A chunk on its way: its pickle without the buffers, and where each buffer is in
    the file at ``path`` (start, length)."""

    pickled: bytes
    path: str
    spans: list[tuple[int, int]]


def _packed(chunk: Any, folder: str) -> Packed:
    """Pickle ``chunk`` (or a call's result) with its buffers out of band (protocol 5), the
    buffers written to a new file in ``folder``, each at a multiple of _ALIGN."""
    buffers: list[pickle.PickleBuffer] = []
    pickled = pickle.dumps(chunk, protocol=5, buffer_callback=buffers.append)
    spans: list[tuple[int, int]] = []
    fd, path = tempfile.mkstemp(dir=folder, suffix=".chunk")
    with os.fdopen(fd, "wb") as out:
        at = 0
        for buffer in buffers:
            view = buffer.raw()
            start = -(-at // _ALIGN) * _ALIGN
            if start > at:
                out.write(bytes(start - at))
            out.write(view)
            spans.append((start, view.nbytes))
            at = start + view.nbytes
    return Packed(pickled, path, spans)


def _unpacked(packed: Packed) -> Any:
    """The chunk, its buffers mapped from its file (copy on write: the caller may change
    them), the file removed."""
    try:
        with open(packed.path, "rb") as source:
            size = os.fstat(source.fileno()).st_size
            mapped = mmap.mmap(source.fileno(), size, access=mmap.ACCESS_COPY) if size else b""
    finally:
        os.unlink(packed.path)
    view = memoryview(mapped)
    buffers = [view[start : start + length] for start, length in packed.spans]
    return pickle.loads(packed.pickled, buffers=buffers)  # noqa: S301 - our reader's


def _sendable(exc: BaseException) -> BaseException:
    """The exception itself when it pickles; else one naming only its type (a message may
    quote values from the file)."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - bytes made on the line above
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"the voter-file reader failed: {type(exc).__name__}")
    return exc
