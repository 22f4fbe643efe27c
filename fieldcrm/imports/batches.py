"""Import batches: who may import, storing an upload, a batch's lifecycle and its states.

A batch is created for a stored file (uploaded, or named on the command line), detected or
queued for its check, checked, queued, run, and completed, failed or refused; these are
the rules for moving between those states, shared by the web, the command line and jobs.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.auth.models import Role, User
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.imports import reading
from fieldcrm.imports.layouts import LAYOUTS, validate_mapping
from fieldcrm.imports.models import ImportBatch
from fieldcrm.lib import uploads

DEFAULT_STALE_SECONDS = 300
IMPORT_ROLES = (Role.ADMIN, Role.DIRECTOR)


def require_importer(actor: User | None) -> User:
    """Return the actor when they may import (admins and directors). Raises PermissionDenied."""
    if actor is None or not actor.active or actor.role not in IMPORT_ROLES:
        raise PermissionDenied("Only admins and directors import voter files.")
    return actor


def visible_batches(actor: User | None) -> sa.Select[tuple[ImportBatch]]:
    """SELECT the batches the actor may see: admins all, directors the ones they started."""
    require_importer(actor)
    stmt = sa.select(ImportBatch)
    if actor.role != Role.ADMIN:  # type: ignore[union-attr]
        stmt = stmt.where(ImportBatch.created_by_id == actor.id)  # type: ignore[union-attr]
    return stmt.order_by(ImportBatch.id.desc())


def get_batch(actor: User | None, batch_id: int) -> ImportBatch:
    """The batch if the actor may see it. Raises PermissionDenied or NotFound."""
    batch = db.session.scalar(visible_batches(actor).where(ImportBatch.id == batch_id))
    if batch is None:
        raise NotFound("import batch")
    return batch


def store_upload(upload_dir: str | Path, filename: str, stream: Any) -> Path:
    """Store an uploaded stream as UPLOAD_DIR/<uuid>/<safe name>; returns the stored path.

    A large web upload already sits in UPLOAD_DIR as it arrived (uploads.incoming_file):
    it is hard-linked into place, not copied. The client's filename is never used as a
    path: only its safe characters and suffix are kept (the suffix matters: .zip and .gz
    are containers).
    """
    target = _upload_target(upload_dir, filename)
    spooled = uploads.spooled_path(stream, upload_dir)
    if spooled is not None:
        try:
            os.link(spooled, target)
            return target
        except OSError:
            pass
    with target.open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return target


def store_file(upload_dir: str | Path, path: str | Path) -> Path:
    """Store a file named on the command line like an upload, without copying its bytes
    where the file system allows (uploads.place_file: a clone, else a hard link)."""
    target = _upload_target(upload_dir, Path(path).name)
    uploads.place_file(path, target)
    return target


def _upload_target(upload_dir: str | Path, filename: str) -> Path:
    safe = "".join(c for c in Path(filename or "").name if c.isalnum() or c in "-_.")[-120:]
    safe = safe.lstrip(".") or "upload.txt"
    folder = Path(upload_dir) / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=False)
    return folder / safe


def clean_source(source: str | None) -> str:
    """A valid source label. Raises ValidationFailed."""
    source = (source or "").strip()
    if not source:
        raise ValidationFailed([("source", "Name the source (e.g. NC voter file).")])
    if len(source) > 50:
        raise ValidationFailed([("source", "Keep the source name to 50 characters.")])
    if source.lower() == "manual":
        raise ValidationFailed([("source", '"manual" is reserved for contacts entered by hand.')])
    return source


def create_batch(
    actor: User | None,
    stored_path: str | Path,
    original_filename: str,
    source: str | None,
    *,
    full_file: bool = True,
    layout: str | None = None,
    mapping: dict | None = None,
    detect: bool = True,
) -> ImportBatch:
    """Create a batch for a stored file and detect its layout.

    A file that cannot be imported (empty, binary, no layout and no mapping, no identity
    columns) gives a batch with status "refused" and the reason in error_message. With
    ``detect=False`` the file is not read at all: the batch is "checking", for the check job
    (check_batch) to read. ``source`` None (or empty) names the source after the file when
    it is detected (detected_source); until then the batch has no source and cannot start.
    Raises ValidationFailed for a bad source, layout or mapping; PermissionDenied for
    non-importers (actor None means the operator's CLI). Flushes and audits.
    """
    if actor is not None:
        require_importer(actor)
    source = clean_source(source) if (source or "").strip() else ""
    if layout is not None and layout not in LAYOUTS:
        raise ValidationFailed([("layout", f"Unknown layout {layout}.")])
    if mapping is not None:
        try:
            mapping = validate_mapping(mapping)
        except ValueError as exc:
            raise ValidationFailed([("mapping", str(exc))]) from exc
    batch = ImportBatch(
        source=source,
        original_filename=(original_filename or Path(stored_path).name)[:255],
        stored_path=str(stored_path),
        full_file=full_file,
        layout=layout,
        mapping=mapping,
        created_by_id=getattr(actor, "id", None),
        warnings={},
    )
    db.session.add(batch)
    if detect:
        detect_batch(batch)
    else:
        batch.status = "checking"
        batch.heartbeat_at = utcnow()
    db.session.flush()
    audit.record("import.upload", actor=actor, entity=batch, source=source, status=batch.status)
    return batch


def detect_batch(batch: ImportBatch) -> reading.Detection | None:
    """(Re)detect the batch's file with its layout/mapping; sets status uploaded or refused.

    A .zip or .gz is first checked against the archive limits (uploads.check_container:
    size, compression ratio, entries, nested archives) before anything parses it.
    """
    unpacked = check_container(batch)
    if unpacked is None:
        return None
    return detect_stored(batch, unpacked)


def discard_upload(stored_path: str | Path, upload_dir: str | Path) -> None:
    """Delete a stored upload no batch will use (and what was kept beside it)."""
    from fieldcrm.imports import retention

    retention.remove_stored(Path(stored_path), Path(upload_dir).resolve())


def discard_batch(batch: ImportBatch, upload_dir: str | Path) -> None:
    """Delete a batch that wrote nothing (a dry run, a declined import) and its stored
    file. Flushes."""
    db.session.delete(batch)
    db.session.flush()
    discard_upload(batch.stored_path, upload_dir)


def check_container(batch: ImportBatch) -> int | None:
    """The archive checks; the unpacked size, or None with the batch refused."""
    try:
        return uploads.check_container(batch.stored_path)
    except uploads.UploadRejected as exc:
        reason = f"{Path(batch.original_filename).name}: {exc}"
    except OSError as exc:
        reason = f"cannot read the file: {exc}"
    batch.status = "refused"
    batch.error_message = reason
    batch.detection = None
    return None


def detect_stored(batch: ImportBatch, unpacked: int) -> reading.Detection | None:
    try:
        detection = reading.detect(batch.stored_path, layout=batch.layout, mapping=batch.mapping)
    except reading.FileRefused as exc:
        batch.status = "refused"
        batch.error_message = exc.reason
        batch.detection = None
        return None
    batch.detection = {
        **_detection_json(detection),
        "unpacked_bytes": unpacked,
        # the run reads the file it was checked as (a stored file may be a hard link)
        "file": uploads.file_stamp(batch.stored_path),
    }
    if not batch.source:
        batch.source = detected_source(detection) or ""
    batch.encoding = detection.encoding
    batch.layout = detection.layout or batch.layout
    if not detection.members:
        batch.full_file = False  # vote history only: no voter rows, nobody is missing
    batch.status = "uploaded"
    batch.error_message = None
    return detection


def _detection_json(detection: reading.Detection) -> dict:
    return {
        "members": detection.members,
        "history": detection.history,
        "encoding": detection.encoding,
        "delimiter": detection.delimiter,
        "quoting": detection.quoting,
        "has_header": detection.has_header,
        "layout": detection.layout,
        "header": detection.header,
        "mapping": detection.mapping,
        "field_count": detection.field_count,
        "state": detection.state,
        "date_order": detection.date_order,
    }


def detected_source(detection: reading.Detection) -> str | None:
    """The source a recognised file is named after: its layout's state ("nc", "fl", "oh");
    None for generic files (the importer names the source)."""
    return detection.state.lower() if detection.state else None


def existing_sources() -> list[str]:
    """Sources of data already loaded by imports (offered when naming a file's source)."""
    return list(
        db.session.scalars(
            sa.select(ImportBatch.source)
            .where(
                ImportBatch.source != "",
                ImportBatch.status.in_(("queued", "running", "interrupted", "completed")),
            )
            .distinct()
            .order_by(ImportBatch.source)
        )
    )


def set_source(actor: User | None, batch: ImportBatch, source: str) -> ImportBatch:
    """Import a checked batch under ``source`` instead; marks it "checking" again (the impact
    depends on the source). Raises ValidationFailed. Flushes and audits."""
    if actor is not None:
        require_importer(actor)
    require_status(batch, ("uploaded", "checked"))
    batch.source = clean_source(source)
    queue_check(actor, batch)
    audit.record("import.source", actor=actor, entity=batch, source=batch.source)
    return batch


def other_source_message(other_sources: dict[str, int]) -> list[str]:
    """Plain sentences for voter ids of a file already loaded under other sources."""
    return [
        f"{count} of these voter ids already exist under source {source}."
        for source, count in other_sources.items()
    ]


def detection_of(batch: ImportBatch) -> reading.Detection:
    """The Detection stored on the batch. Raises ValidationFailed when the file was refused."""
    if not batch.detection:
        raise ValidationFailed([(None, batch.error_message or "The file was not checked.")])
    # The stored dict also carries run state (chunk_rows, bulk_load): keep Detection's fields.
    known = {f.name for f in dataclasses.fields(reading.Detection)}
    return reading.Detection(**{k: v for k, v in batch.detection.items() if k in known})


def apply_mapping(actor: User | None, batch: ImportBatch, mapping: dict) -> ImportBatch:
    """Set a user column mapping on a batch and mark it "checking" for the check job (which
    detects again with it). Raises ValidationFailed. Flushes."""
    if actor is not None:
        require_importer(actor)
    require_status(batch, ("uploaded", "checked", "refused"))
    try:
        batch.mapping = validate_mapping(mapping)
    except ValueError as exc:
        raise ValidationFailed([("mapping", str(exc))]) from exc
    queue_check(actor, batch)
    return batch


def queue_check(actor: User | None, batch: ImportBatch) -> ImportBatch:
    """Mark a batch "checking" (its file is read by the check job, never by the caller):
    a new mapping, a re-check of a refused file or of a check that stopped. Raises
    ValidationFailed for a batch already started or a check still running. Flushes."""
    if actor is not None:
        require_importer(actor)
    require_status(batch, ("uploaded", "checked", "refused", "checking"))
    if batch.status == "checking" and not check_stalled(batch):
        raise ValidationFailed([(None, "This file is being checked; wait for the result.")])
    batch.status = "checking"
    batch.preview = None
    batch.error_message = None
    batch.heartbeat_at = utcnow()
    db.session.flush()
    return batch


def check_stalled(batch: ImportBatch, now: datetime | None = None) -> bool:
    """True for a check with no progress for IMPORT_STALE_SECONDS (its job stopped, or no
    worker has taken it): it may be started again."""
    if batch.status != "checking":
        return False
    beat = batch.heartbeat_at or batch.created_at
    return beat is None or (now or utcnow()) - beat > timedelta(seconds=stale_seconds())


def estimate_rows(path: str, unpacked: int) -> int | None:
    """Rows in a file of ``unpacked`` bytes, from the line length of its first megabyte."""
    try:
        head = uploads.read_head(path)
    except (uploads.UploadRejected, OSError):
        return None
    lines = head.count(b"\n")
    if not head or not lines:
        return None
    return max(1, round(unpacked * lines / len(head)))


def mapping_in_force(batch: ImportBatch) -> dict:
    """The mapping the batch's file is read with (detected, with the user's fields laid over
    it, and its date order); the user's own mapping when the file was refused."""
    if not batch.detection:
        return dict(batch.mapping or {})
    mapping = dict(batch.detection.get("mapping") or {})
    if batch.detection.get("date_order"):
        mapping["date_order"] = batch.detection["date_order"]
    return mapping


def header_columns(batch: ImportBatch) -> list[str]:
    """The file's column names for the mapping form (header, or col1..colN without one)."""
    header = (batch.detection or {}).get("header")
    if header:  # already read by the check; a synthetic trailing column is no choice
        return [name for name in header if name != reading.TRAILING_COLUMN]
    stored = (batch.preview or {}).get("columns")
    if stored:  # a refused file's columns, kept by the check job: no page reads the file
        return list(stored)
    path = batch.stored_path
    try:
        detection = reading.detect(path, layout="generic")
        if detection.header:
            return detection.header
    except reading.FileRefused:
        pass
    return _raw_header(Path(path))


def _raw_header(path: Path) -> list[str]:
    import csv

    try:
        with path.open("rb") as handle:
            raw = handle.readline(1 << 16)
    except OSError:
        return []
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    if not text or "\x00" in text:
        return []
    delimiter = max(("\t", "|", ",", ";"), key=text.count)
    return [c.strip() for c in next(csv.reader([text], delimiter=delimiter))]


def require_status(batch: ImportBatch, allowed: Iterable[str]) -> None:
    if batch.status not in allowed:
        raise ValidationFailed([(None, f"This import is {batch.status}; it cannot do that now.")])


def unpacked_bytes(batch: ImportBatch) -> int | None:
    """The stored file's unpacked size in bytes, as its check measured it."""
    return (batch.detection or {}).get("unpacked_bytes")


def stale_seconds() -> int:
    from flask import current_app

    return int(current_app.config.get("IMPORT_STALE_SECONDS", DEFAULT_STALE_SECONDS))


def effective_status(batch: ImportBatch, now: datetime | None = None) -> str:
    """The status to show: a running batch whose heartbeat went stale is "interrupted"."""
    if batch.status == "running":
        now = now or utcnow()
        beat = batch.heartbeat_at or batch.started_at
        if beat is None or now - beat > timedelta(seconds=stale_seconds()):
            return "interrupted"
    return batch.status


def can_resume(batch: ImportBatch) -> bool:
    """True for an interrupted batch (or a running one whose worker died)."""
    return effective_status(batch) == "interrupted"


def queue_batch(
    actor: User | None, batch: ImportBatch, *, confirm_other_sources: bool = False
) -> ImportBatch:
    """Mark a checked batch (or an interrupted one) queued to run.

    Starting a batch needs a source, and when its check found voter ids already loaded
    under another source (preview "other_sources"), ``confirm_other_sources``: those
    people would be added again as separate contacts. Raises ValidationFailed. Flushes.
    """
    if actor is not None:
        require_importer(actor)
    if batch.status == "running" and can_resume(batch):
        batch.status = "interrupted"
    require_status(batch, ("uploaded", "checked", "interrupted"))
    if batch.status != "interrupted":
        if not batch.source:
            raise ValidationFailed(
                [("source", "Name the source of this file before starting the import.")]
            )
        others = (batch.preview or {}).get("other_sources") or {}
        if others and not confirm_other_sources:
            raise ValidationFailed(
                [
                    (
                        "confirm_other_sources",
                        " ".join(other_source_message(others))
                        + f" Confirm to import them under source {batch.source} anyway.",
                    )
                ]
            )
    batch.status = "queued"
    batch.heartbeat_at = utcnow()
    audit.record("import.start", actor=actor, entity=batch, rows_done=batch.rows_done)
    db.session.flush()
    return batch


def upload_dir_for(config_value: str | None) -> Path:
    """UPLOAD_DIR as a path (created when missing)."""
    path = Path(config_value or os.path.join("instance", "uploads"))
    path.mkdir(parents=True, exist_ok=True)
    return path
