"""Import jobs: check an upload, and run a batch chunk by chunk, committing each chunk with
its progress. Neither runs inside a web request (fieldcrm.jobs.enqueue)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from flask import current_app

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.imports import reading, retention, services
from fieldcrm.imports.models import ImportBatch
from fieldcrm.imports.votehistory import HistoryImport
from fieldcrm.lib import wal_checkpoints
from fieldcrm.logging_setup import error_summary

#: Called after each committed transaction (tests use it to simulate a kill between them).
ChunkHook = Callable[[ImportBatch], None]
#: Asked before a chunk adds voter ids other sources hold: (counts by source, "line 50001").
Confirm = Callable[[dict[str, int], str], bool]


def run_import(batch_id: int) -> None:
    """Job entry point (inline or on an RQ worker): run or resume a batch to the end."""
    import_batch(batch_id)


def import_batch(
    batch_id: int,
    *,
    on_chunk: ChunkHook | None = None,
    chunk_rows: int | None = None,
    confirm: Confirm | None = None,
) -> ImportBatch | None:
    """Run (or resume) a batch to its end (run_batch), calling ``on_chunk`` after each
    commit; an error in ``on_chunk`` stops the run as an error inside it would.

    Returns the batch, or None when it is gone.
    """
    steps = run_batch(batch_id, chunk_rows=chunk_rows, confirm=confirm)
    for batch in steps:
        if on_chunk is None:
            continue
        try:
            on_chunk(batch)
        except BaseException as exc:
            steps.throw(exc)  # the run records where it stopped, then re-raises
            raise
    return db.session.get(ImportBatch, batch_id)


def run_batch(
    batch_id: int, *, chunk_rows: int | None = None, confirm: Confirm | None = None
) -> Iterator[ImportBatch]:
    """Run (or resume) a batch, yielding it after each committed transaction: a chunk or a
    part of one (see services.start_run), then its vote-history members' chunks
    (votehistory), then the finish step. The command line's progress bar and the web's
    progress page both follow these commits.

    The file is read once, in a second process when it is large, or not at all when the
    check kept its normalised chunks (services.iter_run_chunks). ``confirm``: see
    services.start_run. A refused file marks the batch failed; NotConfirmed and any other
    error roll back the current chunk and leave the batch interrupted (resumable), then
    re-raise. A process killed mid-chunk leaves it "running" with a stale heartbeat, which
    shows as interrupted.
    """
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status == "completed":
        return
    config = current_app.config
    size = chunk_rows or int(config.get("IMPORT_CHUNK_ROWS", services.DEFAULT_CHUNK_ROWS))
    shared_rows = int(config.get("IMPORT_SHARED_WRITE_ROWS", services.DEFAULT_SHARED_WRITE_ROWS))
    # on SQLite, the log of each committed part is copied into the database by a thread of
    # its own while the next part is planned and written (fieldcrm.lib.wal_checkpoints)
    with wal_checkpoints.background(db.engine):
        yield from _run_batch(batch, batch_id, size, shared_rows, confirm)


def _run_batch(
    batch: ImportBatch,
    batch_id: int,
    size: int,
    shared_rows: int,
    confirm: Confirm | None,
) -> Iterator[ImportBatch]:
    try:
        run = services.start_run(
            batch, chunk_rows=size, shared_write_rows=shared_rows, confirm=confirm
        )
        db.session.commit()
        for chunk in services.iter_run_chunks(run):
            for part in services.plan_parts(run, chunk):
                started = time.monotonic()
                services.apply_part(run, part)
                db.session.commit()
                yield batch
                if run.pacer is not None:
                    time.sleep(run.pacer.pause_after(time.monotonic() - started))
        history = HistoryImport(run)
        for part in history.parts():
            started = time.monotonic()
            history.apply(part)
            db.session.commit()
            yield batch
            if run.pacer is not None:
                time.sleep(run.pacer.pause_after(time.monotonic() - started))
        services.finish_run(run)
        db.session.commit()
    except reading.FileRefused as exc:
        db.session.rollback()
        services.fail_run(batch_id, exc.reason, resumable=False)
        db.session.commit()
    except services.ImportConflict as exc:
        db.session.rollback()
        services.fail_run(batch_id, str(exc), resumable=True)
        db.session.commit()
    except services.NotConfirmed as exc:
        db.session.rollback()
        services.fail_run(
            batch_id,
            f"Stopped after {exc.start_row} rows: the next ones hold voter ids of another "
            "source, and importing them under this one was not confirmed.",
            resumable=True,
        )
        db.session.commit()
        raise
    except BaseException as exc:
        db.session.rollback()
        # The page names the error's type only: its message may quote values from the file
        # or the database (the scrubbed traceback is in the log, see fieldcrm.logging_setup).
        services.fail_run(batch_id, f"stopped: {error_summary(exc)}", resumable=True)
        db.session.commit()
        raise


def run_check(batch_id: int) -> None:
    """Job entry point (inline or on an RQ worker): check an uploaded batch."""
    check_upload(batch_id)


def check_upload(batch_id: int, *, chunk_rows: int | None = None) -> ImportBatch | None:
    """Check a "checking" batch (services.check_batch), leaving it checked or refused.

    Commits the detection, then the rows checked after each chunk (the page shows them):
    the job never keeps a write transaction open while it reads the file, so on SQLite
    others' saves never wait for a check. Returns the batch (None when it is gone; as it is
    when it is not "checking", e.g. a second run of the same job). An unexpected error
    marks the batch refused with the reason (it may be checked again) and re-raises.
    """
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status != "checking":
        return batch
    size = chunk_rows or int(
        current_app.config.get("IMPORT_CHUNK_ROWS", services.DEFAULT_CHUNK_ROWS)
    )

    def progress(rows: int) -> None:
        batch.preview = {"progress": {"rows": rows}}
        batch.heartbeat_at = utcnow()
        db.session.commit()

    try:
        services.check_batch(None, batch, chunk_rows=size, progress=progress)
        db.session.commit()
        if batch.status == "refused":  # kept only as long as the retention policy says
            retention.purge_configured(current_app.config)
            db.session.commit()
    except BaseException as exc:
        db.session.rollback()
        failed = db.session.get(ImportBatch, batch_id)
        if failed is not None:
            failed.status = "refused"
            failed.preview = {"columns": []}
            failed.error_message = f"The check stopped: {error_summary(exc)}"[:2000]
            db.session.commit()
        raise
    return batch


def enqueue_check(batch_id: int) -> str | None:
    """Check the batch in the background (see fieldcrm.jobs.enqueue); the RQ job id."""
    from fieldcrm.jobs import enqueue

    return enqueue(run_check, batch_id)


def enqueue_import(batch_id: int) -> str | None:
    """Run the batch in the background (inline without REDIS_URL); returns the RQ job id."""
    from fieldcrm.jobs import enqueue

    return enqueue(run_import, batch_id)
