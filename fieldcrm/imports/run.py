"""Running a batch: start (or resume), the chunks still to do, each part's writes and
accounting, the finish. fieldcrm.imports.jobs drives these and owns the commits.

Decisions (README "Voter-file imports"):

* **Missing from a full file.** After a full-file batch, contacts of that source whose voter id
  was not in the file are marked ``not_in_latest_file`` (never deleted); contacts seen again
  are un-marked. The ids seen are tracked in memory during the run (rebuilt from the file on
  resume), so no per-row bookkeeping is written for unchanged rows.
* **Accounting.** rows_read = inserted + updated + unchanged + rejected + duplicates, checked
  after every part. Rows the database could not hold (a value longer than its column,
  fieldcrm.contacts.record) are rejected by the reader with the reason.
* **Atomic parts.** A chunk is planned whole, then written as one or more parts; each part's
  writes, its row errors and the batch's progress counters and checkpoint (rows_done, the
  chunk's start, heartbeat) go in one transaction, which the caller commits. A run killed
  between commits re-reads the chunk holding the checkpoint, plans it whole again, skips the
  parts already committed and ends exactly as a clean run would. PostgreSQL and a bulk first
  load write a chunk as one part; SQLite shared with users, while others are writing, writes
  parts of at most DEFAULT_SHARED_WRITE_ROWS written rows and pauses after each commit as
  long as the transaction took (LockPacer), so the write lock is free at least half the
  time (README "Imports while people work").
* **Interrupted.** A batch whose status is "running" but whose heartbeat is older than
  IMPORT_STALE_SECONDS (default 300; a chunk takes a few seconds) is shown as interrupted and
  may be resumed. One batch per source runs at a time.
* **Bulk first load.** When the contacts table is empty, the secondary indexes of contacts,
  phones and emails (on PostgreSQL also their foreign keys, each a per-row trigger there)
  are dropped for the load and rebuilt once at the end (and whenever a run stops or
  finishes), which is several times faster than maintaining them row by row. A concurrent
  write that broke a foreign key meanwhile (a turf or user deleted in that very window)
  would make re-adding the key fail and the batch stop unfinished (shown as interrupted);
  that window is a bulk load's, when the contacts table was empty.
* **One pass.** The file is read once: from the normalised chunks its check kept
  (reading.cache) when they are of this very file, else from the file, in a second process
  when it is large (reading.parallel).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.imports import planning, reading, vanmatch
from fieldcrm.imports.batches import (
    detection_of,
    estimate_rows,
    require_status,
    stale_seconds,
    unpacked_bytes,
)
from fieldcrm.imports.known import KnownContacts
from fieldcrm.imports.models import ImportBatch, ImportRowError
from fieldcrm.imports.planning import ChunkPlan
from fieldcrm.imports.reading import cache, parallel
from fieldcrm.imports.writers import (
    create_secondary_indexes,
    drop_secondary_indexes,
    inserted_columns,
    writer_for,
)
from fieldcrm.lib import uploads
from fieldcrm.turf.services import assign_contacts_to_turfs

DEFAULT_CHUNK_ROWS = 50_000


#: SQLite shared with users: written rows per import transaction (see start_run)
DEFAULT_SHARED_WRITE_ROWS = 500


class ImportConflict(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """Another batch of the same source is running."""


@dataclass
class ImportRun:
    """The state of one run of a batch (fresh or resumed)."""

    batch: ImportBatch
    detection: reading.Detection
    known: KnownContacts
    chunk_rows: int
    #: SQLite shared with users: parts and pauses (None: one transaction per chunk)
    pacer: LockPacer | None = None
    #: asked before the first chunk that would add voter ids other sources already hold
    #: (counts by source, where in the file: "line 50001"); None: not asked (the check did)
    confirm: Callable[[dict[str, int], str], bool] | None = None
    #: the sources other than the batch's holding voter ids (only looked up to confirm)
    other_sources: list[str] = field(default_factory=list)
    #: the accepted rows' filled fields over the whole file, for the mapping warnings
    filled: Counter = field(default_factory=Counter)
    #: place everyone the batch wrote at the end of the run (``finish_run``), not each
    #: part's people as it writes them (``_place_part``)
    place_at_end: bool = False
    #: the reading processes, started before the known contacts were loaded
    readers: parallel.Warm | None = None


class NotConfirmed(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """The person running the import declined to add voter ids other sources hold."""

    def __init__(self, start_row: int) -> None:
        super().__init__(f"not confirmed at row {start_row}")
        self.start_row = start_row


def start_run(
    batch: ImportBatch,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    shared_write_rows: int = DEFAULT_SHARED_WRITE_ROWS,
    confirm: Callable[[dict[str, int], str], bool] | None = None,
) -> ImportRun:
    """Mark the batch running and load what the run needs; resumes from rows_done.

    ``confirm`` is asked (see ImportRun.confirm) when the file would add voter ids that
    other sources hold; nothing of that chunk is written before it answers. Raises
    ImportConflict when another batch of the source is running, ValidationFailed when the
    batch is not startable, FileRefused when its file changed since it was checked.
    Flushes (the caller commits before the first chunk).
    """
    require_status(batch, ("uploaded", "checked", "queued", "running", "interrupted"))
    other = db.session.scalar(
        sa.select(ImportBatch.id).where(
            ImportBatch.source == batch.source,
            ImportBatch.id != batch.id,
            ImportBatch.status == "running",
            ImportBatch.heartbeat_at > utcnow() - timedelta(seconds=stale_seconds()),
        )
    )
    if other:
        raise ImportConflict(f"import {other} of source {batch.source} is running")
    _require_same_file(batch)
    detection = detection_of(batch)
    # a resumed run must cut chunks where the first run did
    chunk_rows = int((batch.detection or {}).get("chunk_rows") or chunk_rows)
    batch.detection = {**(batch.detection or {}), "chunk_rows": chunk_rows}
    # the file's readers start while the known contacts load (spawning one takes most of a
    # second; the load, seconds at a million contacts), and on SQLite load shares of them
    # once started (KnownContacts.load); the run writes little when the source has people
    # already (as _run_source decides)
    readers = None
    if _kept_chunks(batch, detection, chunk_rows) is None:
        light = db.session.scalar(
            sa.select(Contact.id)
            .where(Contact.source == batch.source, Contact.voter_id.is_not(None))
            .limit(1)
        )
        readers = parallel.warm(unpacked_bytes(batch), light_writes=light is not None)
    known = KnownContacts.load(batch.source, line_index=True, helpers=readers)
    vanmatch.attach(known, detection.layout, write=True)
    if not batch.rows_done and db.session.scalar(sa.select(Contact.id).limit(1)) is None:
        # A first load into an empty table: build the secondary indexes once at the end
        # (finish_run) instead of maintaining them row by row; several times faster.
        drop_secondary_indexes(inserted_columns(reading.carried_for(detection)))
        batch.detection = {**batch.detection, "bulk_load": True}
    # SQLite has one writer at a time: an import into a database people are working in
    # commits small transactions and leaves the lock free between them (README "Imports
    # while people work"). A bulk first load has nobody's work to wait on it.
    shared = db.session.get_bind().dialect.name == "sqlite" and not batch.detection.get("bulk_load")
    others = planning.other_sources(batch.source) if confirm is not None else []
    if batch.rows_total_estimate is None and batch.detection.get("unpacked_bytes"):
        batch.rows_total_estimate = estimate_rows(batch.stored_path, unpacked_bytes(batch))
    batch.status = "running"
    batch.started_at = batch.started_at or utcnow()
    batch.heartbeat_at = utcnow()
    batch.error_message = None
    db.session.flush()
    return ImportRun(
        batch=batch,
        detection=detection,
        known=known,
        chunk_rows=chunk_rows,
        pacer=LockPacer(shared_write_rows) if shared else None,
        confirm=confirm if others else None,
        other_sources=others,
        # a bulk first load's people are the whole table; a resumed run's first parts may
        # have been written by a release that placed everyone at the end (only paced runs
        # placed their parts' people then)
        place_at_end=bool(batch.detection.get("bulk_load") or (batch.rows_done and not shared)),
        readers=readers,
    )


def _require_same_file(batch: ImportBatch) -> None:
    """Raise FileRefused when the stored file is no longer the one that was checked (a
    file stored as a hard link changes when its original is rewritten in place)."""
    stamp = (batch.detection or {}).get("file")
    try:
        now = uploads.file_stamp(batch.stored_path)
    except OSError:
        return  # reading it says what is wrong
    if stamp and stamp != now:
        raise reading.FileRefused(
            f"{batch.original_filename} changed after it was checked: upload it again"
        )


class LockPacer:
    """How an import into a SQLite database shared with users paces its writes.

    Others count as active while another connection has committed in the last
    ACTIVE_SECONDS (``PRAGMA data_version`` moved; the first look is when the run starts).
    While they are, a chunk is written in parts of ``write_rows`` and after each commit the
    lock is left free as long as the part held it and at least MIN_ACTIVE_PAUSE, so every
    waiting save gets its turn within one gap. In a quiet database a chunk is one part and
    the gap a tenth of the hold: the import runs at full speed, and a save that collides
    waits for one chunk at most, after which the import is paced.
    """

    ACTIVE_SECONDS = 10.0
    QUIET_SHARE = 0.1
    #: SQLite's busy handler sleeps up to 100 ms between tries: a shorter gap can be missed
    #: by every waiting writer, so while others are active the gap is at least this
    MIN_ACTIVE_PAUSE = 0.1
    MAX_PAUSE = 0.25

    def __init__(self, write_rows: int) -> None:
        self.write_rows = write_rows
        self._last: tuple[int, int] | None = None
        self._active_until = 0.0
        self.others_active()

    def others_active(self) -> bool:
        """Whether another connection committed lately (looks now)."""
        raw = db.session.connection().connection.driver_connection
        version = raw.execute("PRAGMA data_version").fetchone()[0]
        seen, now = (id(raw), int(version)), time.monotonic()
        if self._last is not None and seen != self._last:
            self._active_until = now + self.ACTIVE_SECONDS
        self._last = seen
        return now < self._active_until

    def max_writes(self) -> int | None:
        """Written rows per transaction for the next chunk (None: the whole chunk)."""
        return self.write_rows if self.others_active() else None

    def pause_after(self, held: float) -> float:
        """Seconds to sleep after a commit that held the lock for ``held`` seconds."""
        if self.others_active():
            return min(max(held, self.MIN_ACTIVE_PAUSE), self.MAX_PAUSE)
        return min(held * self.QUIET_SHARE, self.MAX_PAUSE)


def _chunk_start(batch: ImportBatch) -> int:
    """Where the chunk holding the checkpoint starts (the checkpoint itself between chunks)."""
    return int((batch.detection or {}).get("chunk_start", batch.rows_done))


def iter_run_chunks(run: ImportRun) -> Iterator[reading.Chunk]:
    """The chunks still to do, from the start of the chunk holding the checkpoint.

    After an interruption the chunks already done are read first and planned only (no
    writes), to mark their voter ids seen, so duplicates and missing contacts come out as
    in an uninterrupted run. A chunk left part-done is planned whole again (its voter ids
    are marked seen in file order then) and the parts already committed are skipped.
    """
    start = _chunk_start(run.batch)
    for chunk in _run_source(run):
        if chunk.start_row >= start:
            yield chunk
            continue
        if chunk.start_row + chunk.rows_read > start:
            # chunks are cut the same way on every run (same chunk_rows), so this is a bug
            raise RuntimeError("the resume checkpoint is not on a chunk boundary")
        planning.plan_chunk(chunk, run.known)
        run.filled.update(reading.filled_counts(chunk))


def _run_source(run: ImportRun) -> Iterator[reading.Chunk]:
    """The file's chunks: the normalised ones its check kept when they are of this very
    file, read and cut this way today; else the file, read in other processes when large."""
    readers, run.readers = run.readers, None
    kept = _kept_chunks(run.batch, run.detection, run.chunk_rows)
    if kept is not None:
        if readers is not None:
            readers.close()
        return kept
    # lines a contact was last written from are passed on unparsed, unless a layout matches
    # more than voter ids (a VAN export's keys: vanmatch reads every row)
    index = run.known.line_index if run.known.match_more is None else None
    return parallel.iter_chunks(
        run.batch.stored_path,
        run.detection,
        chunk_rows=run.chunk_rows,
        size=unpacked_bytes(run.batch),
        # a re-import of a source mostly finds its rows unchanged: little to write
        light_writes=bool(len(run.known)),
        skip=reading.LineSkip(
            reading.line_keys(run.detection, run.batch.source),
            str(index.folder) if index is not None and len(index) else None,
        ),
        warm=readers,
    )


def _kept_chunks(
    batch: ImportBatch, detection: reading.Detection, chunk_rows: int
) -> Iterator[reading.Chunk] | None:
    """The normalised chunks the check kept, when they are of this very file read and cut
    this way today (else None)."""
    try:
        key = cache.cache_key(batch.stored_path, detection, chunk_rows)
    except OSError:
        return None
    return cache.read(cache.folder_for(batch.stored_path), key, detection)


def plan_parts(run: ImportRun, chunk: reading.Chunk) -> list[ChunkPlan]:
    """Plan a chunk (no database writes) and cut it into the parts still to commit.

    Raises NotConfirmed when the chunk would add voter ids other sources hold and
    ``run.confirm`` says no.
    """
    plan = planning.plan_chunk(chunk, run.known)
    run.filled.update(reading.filled_counts(chunk))
    if run.confirm is not None:
        counts = planning.other_source_counts(run.other_sources, plan, chunk)
        if counts:
            where = f"line {chunk.numbers[0]}" if len(chunk.numbers) else "the end"
            if len(run.detection.members) > 1:
                where += f" of {chunk.frame['member'].iloc[0] if len(chunk.frame) else ''}"
            if not run.confirm(dict(counts.most_common()), where):
                raise NotConfirmed(chunk.start_row)
            run.confirm = None  # answered: the rest of the file goes in as asked
    skip = max(run.batch.rows_done - chunk.start_row, 0)
    max_writes = run.pacer.max_writes() if run.pacer is not None else None
    return planning.split_plan(plan, chunk.numbers, skip_rows=skip, max_writes=max_writes)


def apply_part(run: ImportRun, plan: ChunkPlan) -> ChunkPlan:
    """Write one planned part and move the batch's counters and checkpoint (one transaction).

    Raises AssertionError if the accounting identity would break. Does not commit.
    """
    batch = run.batch
    batch.heartbeat_at = utcnow()
    counts = writer_for(batch).write(plan)
    _place_part(run, counts["ids"])
    for error in plan.rejects:
        db.session.add(
            ImportRowError(
                batch_id=batch.id,
                member=error.member[:255],
                line=error.line,
                kind="rejected",
                reason=error.reason[:500],
                raw=error.raw,
            )  # fmt: skip
        )
    for line, member, voter_id in plan.duplicates:
        db.session.add(
            ImportRowError(
                batch_id=batch.id,
                member=member[:255],
                line=line,
                kind="duplicate",
                reason=f"voter id {voter_id} appears earlier in the file; the first row wins",
            )  # fmt: skip
        )
    accounted = (
        counts["inserted"] + counts["updated"] + plan.unchanged + len(plan.rejects)
        + len(plan.duplicates)
    )  # fmt: skip
    if accounted != plan.rows_read:
        raise AssertionError(f"chunk accounting: read {plan.rows_read}, accounted {accounted}")
    batch.rows_read += plan.rows_read
    batch.inserted += counts["inserted"]
    batch.updated += counts["updated"]
    batch.unchanged += plan.unchanged
    batch.rejected += len(plan.rejects)
    batch.duplicates += len(plan.duplicates)
    batch.rows_done = plan.start_row + plan.rows_read
    chunk_start = batch.rows_done if plan.ends_chunk else plan.chunk_start_row
    if (batch.detection or {}).get("chunk_start") != chunk_start:
        batch.detection = {**(batch.detection or {}), "chunk_start": chunk_start}
    if plan.warnings:
        merged = Counter(batch.warnings or {})
        merged.update(plan.warnings)
        batch.warnings = dict(merged)
    batch.heartbeat_at = utcnow()
    db.session.flush()
    return plan


def _place_part(run: ImportRun, ids: list[int]) -> None:
    """Place the people a part wrote on their turfs, by id, in the part's transaction;
    unless the run places everyone at its end (``ImportRun.place_at_end``: a bulk first
    load, in one pass over the table, or a resumed run). Placing a refresh's people at its
    end read every contact of the source several times (no index leads with the batch):
    8 s of a statewide refresh."""
    if ids and not run.place_at_end:
        assign_contacts_to_turfs(sa.select(Contact.id).where(Contact.id.in_(ids)))


def finish_run(run: ImportRun) -> ImportBatch:
    """Rebuild indexes after a bulk first load, mark missing contacts (full files), assign
    turfs, complete the batch. Flushes."""
    batch = run.batch
    # always (checkfirst): also heals indexes left dropped by a bulk load that was killed
    create_secondary_indexes()
    writer = writer_for(batch)
    if batch.full_file:
        known = run.known
        missing = known.ids[~known.seen & ~known.flagged].tolist()
        writer.mark_missing(missing, True)
        batch.marked_missing = len(missing)
    if run.place_at_end:  # else each part placed its people
        assign_contacts_to_turfs(
            sa.select(Contact.id).where(Contact.last_import_batch_id == batch.id)
        )
    if run.detection.members:
        # the run counted what the check would have: say which fields came out blank
        warnings = reading.mapping_warnings(run.detection, run.filled)
        batch.detection = {**(batch.detection or {}), "mapping_warnings": warnings}
    batch.status = "completed"
    batch.finished_at = utcnow()
    batch.heartbeat_at = batch.finished_at
    check_accounting(batch)
    audit.record(
        "import.completed",
        entity=batch,
        rows=batch.rows_read,
        inserted=batch.inserted,
        updated=batch.updated,
        rejected=batch.rejected,
    )
    db.session.flush()
    return batch


def check_accounting(batch: ImportBatch) -> None:
    """Raise AssertionError unless rows_read = inserted+updated+unchanged+rejected+duplicates."""
    total = batch.inserted + batch.updated + batch.unchanged + batch.rejected + batch.duplicates
    if total != batch.rows_read:
        raise AssertionError(f"batch {batch.id}: read {batch.rows_read}, accounted {total}")


def fail_run(batch_id: int, message: str, *, resumable: bool) -> None:
    """After a rolled-back chunk: record why the batch stopped. Flushes."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        return
    batch.status = "interrupted" if resumable else "failed"
    batch.error_message = message[:2000]
    if (batch.detection or {}).get("bulk_load"):
        create_secondary_indexes()  # leave a stopped bulk load with usable indexes
    batch.heartbeat_at = utcnow()
    db.session.flush()
