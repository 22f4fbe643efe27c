"""What an import shows: the check of an upload (its preview and impact), the progress of a
run, and the rows it rejected."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.imports import planning, reading, vanmatch
from fieldcrm.imports.batches import (
    check_container,
    check_stalled,
    detect_stored,
    detection_of,
    effective_status,
    estimate_rows,
    header_columns,
    require_importer,
    unpacked_bytes,
)
from fieldcrm.imports.known import KnownContacts
from fieldcrm.imports.models import ImportBatch, ImportRowError
from fieldcrm.imports.reading import cache, parallel
from fieldcrm.imports.run import DEFAULT_CHUNK_ROWS

PREVIEW_ROWS = 20
PROBLEM_LINES_PER_KIND = 20


def check_batch(
    actor: User | None,
    batch: ImportBatch,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> dict | None:
    """The check an upload gets before it can start: archive limits, layout detection, then
    the preview over the whole file (preview_batch).

    A refused file leaves the batch "refused" with the reason, and the header's columns in
    ``batch.preview["columns"]`` for the mapping form; returns None. Otherwise the batch is
    "checked" and the preview is returned. ``progress(rows)`` is called with 0 once the file
    is detected and after each chunk, and nothing is flushed before then: a caller that
    commits there holds no write transaction while the file is read. Flushes at the end.
    """
    if actor is not None:
        require_importer(actor)
    unpacked = check_container(batch)
    if unpacked is None:
        batch.preview = {"columns": []}  # not a file to read columns from
        db.session.flush()
        return None
    if detect_stored(batch, unpacked) is None:
        batch.preview = {"columns": header_columns(batch)}
        db.session.flush()
        return None
    batch.status = "checking"
    batch.rows_total_estimate = estimate_rows(batch.stored_path, unpacked)
    if progress:
        progress(0)
    return preview_batch(actor, batch, chunk_rows=chunk_rows, progress=progress, keep=True)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return None if value != value else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return str(value)


def preview_batch(
    actor: User | None,
    batch: ImportBatch,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
    keep: bool = False,
) -> dict:
    """Check a batch without writing contacts: layout, encoding, mapping, first rows,
    problems by kind (with line numbers) and the impact on the whole file.

    Stores the result on batch.preview and sets status "checked". With ``keep`` the
    normalised chunks are kept beside the upload (reading.cache), so the import started
    after this check does not read and normalise the file again. Raises ValidationFailed
    for a refused file. Flushes.
    """
    if actor is not None:
        require_importer(actor)
    detection = detection_of(batch)
    kept = None
    if keep:
        kept = cache.Writer(
            cache.folder_for(batch.stored_path),
            cache.cache_key(batch.stored_path, detection, chunk_rows),
        )
    try:
        result = _preview(batch, detection, chunk_rows, progress, kept)
    except BaseException:
        if kept is not None:
            cache.discard(kept.folder)
        raise
    if kept is not None:
        kept.finish()
    return result


def _preview(
    batch: ImportBatch,
    detection: reading.Detection,
    chunk_rows: int,
    progress: Callable[[int], None] | None,
    kept: cache.Writer | None,
) -> dict:
    # the readers start while the known contacts load (as run.start_run does)
    readers = parallel.warm(unpacked_bytes(batch), light_writes=True)
    known = KnownContacts.load(batch.source)
    known.exact_new = set()  # a preview writes nothing, so duplicates are confirmed in memory
    van = vanmatch.attach(known, detection.layout, write=False)
    others = planning.other_sources(batch.source)
    other_counts: Counter[str] = Counter()
    impact = Counter()
    problems: dict[str, dict[str, Any]] = {}
    first_rows: list[dict] = []
    first_phones: dict[tuple[str, int], list[str]] = {}
    filled: Counter = Counter()
    for chunk in parallel.iter_chunks(
        batch.stored_path,
        detection,
        chunk_rows=chunk_rows,
        size=unpacked_bytes(batch),
        light_writes=True,  # a check writes nothing
        warm=readers,
        # every row read in full (the preview shows them), its line digested for the run
        skip=reading.LineSkip(reading.line_keys(detection, batch.source)),
    ):
        if kept is not None:
            kept.add(chunk)
        filled.update(reading.filled_counts(chunk))
        if len(first_rows) < PREVIEW_ROWS:
            head = chunk.frame.head(PREVIEW_ROWS - len(first_rows))
            for phone in chunk.phones.head(200).itertuples():
                text = phone.e164 if isinstance(phone.e164, str) else f"{phone.raw} (not dialable)"
                first_phones.setdefault((phone.member, phone.line), []).append(text)
            for record in head.to_dict("records"):
                row = {k: _jsonable(record[k]) for k in PREVIEW_FIELDS if k in record}
                row["phones"] = ", ".join(first_phones.get((record["member"], record["line"]), []))
                first_rows.append(row)
        plan = planning.plan_chunk(chunk, known)
        other_counts.update(planning.other_source_counts(others, plan, chunk))
        impact["rows"] += plan.rows_read
        impact["insert"] += len(plan.inserts)
        impact["update"] += len(plan.updates)
        impact["unchanged"] += plan.unchanged
        impact["reject"] += len(plan.rejects)
        impact["duplicate"] += len(plan.duplicates)
        for error in plan.rejects:
            _problem(problems, error.reason, error.line, error.member)
        for line, member, _vid in plan.duplicates:
            _problem(problems, "duplicate voter id (first row wins)", line, member)
        for kind, count in plan.warnings.items():
            entry = problems.setdefault(
                "warning: " + kind, {"count": 0, "lines": [], "warning": True}
            )
            entry["count"] += count
        if progress:
            progress(impact["rows"])
    if batch.full_file:
        impact["mark_missing"] = int((~known.seen & ~known.flagged).sum())
    result = {
        "layout": detection.layout,
        "encoding": detection.encoding,
        "delimiter": delimiter_name(detection.delimiter),
        "has_header": detection.has_header,
        "members": detection.members,
        "history": [{"member": h["member"], "layout": h["layout"]} for h in detection.history],
        "mapping": detection.mapping,
        "date_order": detection.date_order,
        "mapping_warnings": reading.mapping_warnings(detection, filled),
        "rows": first_rows,
        "problems": problems,
        "impact": dict(impact),
        "source": batch.source,
        # voter ids this file would add that other sources already hold, by source
        "other_sources": dict(other_counts.most_common()),
        # a VAN export: its people matched to contacts of other sources
        "van_matches": van.summary() if van is not None else None,
    }
    batch.preview = json.loads(json.dumps(result, default=_jsonable))
    batch.rows_total_estimate = impact["rows"]
    batch.status = "checked"
    db.session.flush()
    return result


def delimiter_name(delimiter: str) -> str:
    """A delimiter as people name it ("tab", "comma", ...)."""
    return {"\t": "tab", ",": "comma", "|": "pipe", ";": "semicolon"}.get(delimiter, delimiter)


PREVIEW_FIELDS = (
    "line", "voter_id", "display_name", "first_name", "middle_name", "last_name", "name_suffix",
    "birth_year", "birth_date", "sex", "party", "res_line1", "res_city", "res_state",
    "res_zip5", "res_zip4", "county", "precinct_code", "precinct_name", "registration_date",
    "status", "email", "household_key",
)  # fmt: skip


def _problem(problems: dict, reason: str, line: int, member: str) -> None:
    # field-count reasons carry the count found; group them under one kind
    key = "wrong number of fields" if reason.startswith("wrong number of fields") else reason
    entry = problems.setdefault(key, {"count": 0, "lines": [], "warning": False})
    entry["count"] += 1
    if len(entry["lines"]) < PROBLEM_LINES_PER_KIND:
        entry["lines"].append(f"{member}:{line}" if member else str(line))


def row_errors(batch: ImportBatch) -> sa.Select[tuple[ImportRowError]]:
    """SELECT the batch's row errors in file order."""
    return (
        sa.select(ImportRowError)
        .where(ImportRowError.batch_id == batch.id)
        .order_by(ImportRowError.member, ImportRowError.line, ImportRowError.id)
    )


ROW_ERROR_COLUMNS = ("file", "line", "kind", "reason", "raw")


def row_error_count(batch: ImportBatch) -> int:
    """How many rows the batch's rejected-rows download holds (see ``row_error_rows``)."""
    stmt = sa.select(sa.func.count()).where(ImportRowError.batch_id == batch.id)
    return db.session.scalar(stmt) or 0


def row_error_rows(batch: ImportBatch) -> Iterator[tuple]:
    """The batch's row errors as CSV rows (file, line, kind, reason, raw), streamed."""
    stmt = sa.select(
        ImportRowError.member,
        ImportRowError.line,
        ImportRowError.kind,
        ImportRowError.reason,
        ImportRowError.raw,
    ).where(ImportRowError.batch_id == batch.id)
    stmt = stmt.order_by(ImportRowError.member, ImportRowError.line, ImportRowError.id)
    for row in db.session.execute(stmt.execution_options(yield_per=5000)):
        yield tuple(row)


def progress_of(batch: ImportBatch, now: datetime | None = None) -> dict:
    """Progress for the live page: rows done, rate, ETA and the counts.

    While a file is being checked, rows_done counts the rows checked so far and rows_total
    is the estimate from the file's size (the percent stays below 100 until it is done).
    """
    now = now or utcnow()
    status = effective_status(batch, now)
    if status == "checking":
        return _check_progress(batch, now)
    elapsed = ((batch.finished_at or now) - batch.started_at).total_seconds() if (
        batch.started_at
    ) else 0.0  # fmt: skip
    rate = batch.rows_read / elapsed if elapsed > 0 and batch.rows_read else 0.0
    total = batch.rows_total_estimate
    eta = None
    if status == "running" and rate and total and total > batch.rows_done:
        eta = int((total - batch.rows_done) / rate)
    return {
        "id": batch.id,
        "status": status,
        "rows_done": batch.rows_done,
        "rows_total": total,
        "percent": min(100, int(100 * batch.rows_done / total)) if total else None,
        "rate": int(rate),
        "eta_seconds": eta,
        "counts": {
            "read": batch.rows_read,
            "inserted": batch.inserted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
            "rejected": batch.rejected,
            "duplicates": batch.duplicates,
            "marked_missing": batch.marked_missing,
        },
        "warnings": batch.warnings or {},
        "error": batch.error_message,
        "finished": status in ("completed", "failed", "refused"),
    }


def _check_progress(batch: ImportBatch, now: datetime) -> dict:
    checked = int(((batch.preview or {}).get("progress") or {}).get("rows", 0))
    total = batch.rows_total_estimate
    return {
        "id": batch.id,
        "status": "checking",
        "rows_done": checked,
        "rows_total": total,
        "percent": min(99, int(100 * checked / total)) if total else None,
        "rate": 0,
        "eta_seconds": None,
        "counts": {},
        "warnings": {},
        "error": None,
        "stalled": check_stalled(batch, now),
        "finished": False,
    }
