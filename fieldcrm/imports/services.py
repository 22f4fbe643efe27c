"""Voter-file import services: batches, preview with impact, chunked keyed upsert, accounting.

The reading and normalising is `fieldcrm.imports.parsing`; this module decides what each
normalised row does to the database and records it on the ImportBatch.

Decisions (README "Voter-file imports"):

* **Key.** Contacts are keyed on (source, voter id). A row with no voter id (a hand-made
  spreadsheet keyed by names) gets a stable synthetic id: ``~`` plus a digest of its names,
  birth year and household key, so re-importing the same sheet updates the same people.
* **Change detection.** ``Contact.vf_hash`` stores the row hash of the file row that last
  wrote the contact: a digest of its normalised carried values, tagged with the set of columns
  the file carries (fieldcrm.imports.changes). Equal hash: *unchanged*, not written. A
  different hash with the same tag: *updated*. Any other difference (a file of another shape,
  a hash of an older version) is settled by comparing the carried values, phones and emails
  with what is stored; rows found equal are unchanged (an older-version hash is replaced).
  An update writes only the columns the file carries (fill columns such as coordinates only
  where the file has a value) and syncs phones and emails the file carries; organizer data
  (manual phones, do-not-call flags, support level, ladder stage, notes, tags, owner,
  do-not-contact) is never touched. Inserted and updated contacts get
  ``last_import_batch_id``; unchanged ones are not written, which keeps a re-import of an
  unchanged statewide file cheap.
* **Duplicates.** A voter id repeated inside one file: the first row wins, later ones are
  counted as duplicates and listed (kind "duplicate") with their line numbers.
* **Missing from a full file.** After a full-file batch, contacts of that source whose voter id
  was not in the file are marked ``not_in_latest_file`` (never deleted); contacts seen again
  are un-marked. The ids seen are tracked in memory during the run (rebuilt from the file on
  resume), so no per-row bookkeeping is written for unchanged rows.
* **Accounting.** rows_read = inserted + updated + unchanged + rejected + duplicates, checked
  after every chunk. Rows the database could not hold (a value longer than its column,
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
* **Fast paths** live in fieldcrm.imports.writers (SQLite executemany, PostgreSQL COPY).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from fieldcrm import audit
from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.models import Contact
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.imports import parsing
from fieldcrm.imports.changes import HASH_LENGTH, phone_keys
from fieldcrm.imports.layouts import LAYOUTS, validate_mapping
from fieldcrm.imports.models import ImportBatch, ImportMapping, ImportRowError
from fieldcrm.imports.planning import EVERYTHING, ChunkPlan
from fieldcrm.imports.reading import cache, parallel
from fieldcrm.imports.stored import compare_with_stored
from fieldcrm.imports.writers import (
    create_secondary_indexes,
    drop_secondary_indexes,
    writer_for,
)
from fieldcrm.lib import uploads
from fieldcrm.turf.services import assign_contacts_to_turfs

PREVIEW_ROWS = 20
PROBLEM_LINES_PER_KIND = 20
DEFAULT_CHUNK_ROWS = 50_000
#: SQLite shared with users: written rows per import transaction (see start_run)
DEFAULT_SHARED_WRITE_ROWS = 500
DEFAULT_STALE_SECONDS = 300
IMPORT_ROLES = (Role.ADMIN, Role.DIRECTOR)


class ImportConflict(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """Another batch of the same source is running."""


# --- batches ----------------------------------------------------------------------------------


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


def detect_batch(batch: ImportBatch) -> parsing.Detection | None:
    """(Re)detect the batch's file with its layout/mapping; sets status uploaded or refused.

    A .zip or .gz is first checked against the archive limits (uploads.check_container:
    size, compression ratio, entries, nested archives) before anything parses it.
    """
    unpacked = _check_container(batch)
    if unpacked is None:
        return None
    return _detect(batch, unpacked)


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


def _check_container(batch: ImportBatch) -> int | None:
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


def _detect(batch: ImportBatch, unpacked: int) -> parsing.Detection | None:
    try:
        detection = parsing.detect(batch.stored_path, layout=batch.layout, mapping=batch.mapping)
    except parsing.FileRefused as exc:
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


def _detection_json(detection: parsing.Detection) -> dict:
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


def detected_source(detection: parsing.Detection) -> str | None:
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
    _require_status(batch, ("uploaded", "checked"))
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


def detection_of(batch: ImportBatch) -> parsing.Detection:
    """The Detection stored on the batch. Raises ValidationFailed when the file was refused."""
    if not batch.detection:
        raise ValidationFailed([(None, batch.error_message or "The file was not checked.")])
    # The stored dict also carries run state (chunk_rows, bulk_load): keep Detection's fields.
    known = {f.name for f in dataclasses.fields(parsing.Detection)}
    return parsing.Detection(**{k: v for k, v in batch.detection.items() if k in known})


def apply_mapping(actor: User | None, batch: ImportBatch, mapping: dict) -> ImportBatch:
    """Set a user column mapping on a batch and mark it "checking" for the check job (which
    detects again with it). Raises ValidationFailed. Flushes."""
    if actor is not None:
        require_importer(actor)
    _require_status(batch, ("uploaded", "checked", "refused"))
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
    _require_status(batch, ("uploaded", "checked", "refused", "checking"))
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
    return beat is None or (now or utcnow()) - beat > timedelta(seconds=_stale_seconds())


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
    unpacked = _check_container(batch)
    if unpacked is None:
        batch.preview = {"columns": []}  # not a file to read columns from
        db.session.flush()
        return None
    if _detect(batch, unpacked) is None:
        batch.preview = {"columns": header_columns(batch)}
        db.session.flush()
        return None
    batch.status = "checking"
    batch.rows_total_estimate = _estimate_rows(batch.stored_path, unpacked)
    if progress:
        progress(0)
    return preview_batch(actor, batch, chunk_rows=chunk_rows, progress=progress, keep=True)


def _estimate_rows(path: str, unpacked: int) -> int | None:
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
        return [name for name in header if name != parsing.TRAILING_COLUMN]
    stored = (batch.preview or {}).get("columns")
    if stored:  # a refused file's columns, kept by the check job: no page reads the file
        return list(stored)
    path = batch.stored_path
    try:
        detection = parsing.detect(path, layout="generic")
        if detection.header:
            return detection.header
    except parsing.FileRefused:
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


def _require_status(batch: ImportBatch, allowed: Iterable[str]) -> None:
    if batch.status not in allowed:
        raise ValidationFailed([(None, f"This import is {batch.status}; it cannot do that now.")])


# --- saved mappings ---------------------------------------------------------------------------


def save_mapping(actor: User | None, name: str, mapping: dict) -> ImportMapping:
    """Save (or replace) a column mapping by name. Raises ValidationFailed. Flushes."""
    if actor is not None:
        require_importer(actor)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed([("mapping_name", "Name the mapping (up to 80 characters).")])
    try:
        mapping = validate_mapping(mapping)
    except ValueError as exc:
        raise ValidationFailed([("mapping", str(exc))]) from exc
    saved = db.session.scalar(sa.select(ImportMapping).where(ImportMapping.name == name))
    if saved is None:
        saved = ImportMapping(name=name, mapping=mapping, created_by_id=getattr(actor, "id", None))
        db.session.add(saved)
    else:
        saved.mapping = mapping
    db.session.flush()
    audit.record("import.mapping_saved", actor=actor, entity=saved, name=name)
    return saved


def get_mapping(name: str) -> ImportMapping:
    """A saved mapping by name. Raises NotFound."""
    saved = db.session.scalar(sa.select(ImportMapping).where(ImportMapping.name == name))
    if saved is None:
        raise NotFound("mapping")
    return saved


def list_mappings() -> list[ImportMapping]:
    """Saved mappings by name."""
    return list(db.session.scalars(sa.select(ImportMapping).order_by(ImportMapping.name)))


# --- normalised rows -> contact rows ----------------------------------------------------------


def _synthetic_ids(frame: pd.DataFrame) -> pd.Series:
    parts = ["first_name", "middle_name", "last_name", "name_suffix", "household_key"]
    text = frame[parts[0]].fillna("").str.upper()
    for part in parts[1:]:
        text = text + "|" + frame[part].fillna("").str.upper()
    text = text + "|" + frame["birth_year"].astype("string").fillna("")
    return pd.Series(
        ["~" + hashlib.sha1(t.encode()).hexdigest()[:20] for t in text],  # noqa: S324 - a key
        index=frame.index,
        dtype="string",
    )


def _id_hashes(voter_ids: pd.Series) -> np.ndarray:
    return pd.util.hash_array(voter_ids.to_numpy(dtype=object), categorize=False)


@dataclass
class KnownContacts:
    """The source's existing contacts, loaded once: voter id -> (id, vf_hash, flag)."""

    index: pd.Index
    ids: np.ndarray
    hashes: np.ndarray
    flagged: np.ndarray
    seen: np.ndarray  # rows of `index` seen in this file
    source: str = ""
    #: voter ids first met in this run (not in `index`), as a sorted array of 64-bit hashes:
    #: 8 bytes an id instead of a Python string. A hash hit is confirmed exactly against the
    #: rows this run already wrote (or, when nothing is written, against `exact_new`).
    seen_new: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    exact_new: set[str] | None = None

    @classmethod
    def load(cls, source: str) -> KnownContacts:
        # plain DB-API rows: the ORM result machinery costs seconds per million rows
        cursor = db.session.connection().connection.driver_connection.cursor()
        mark = "?" if db.session.get_bind().dialect.name == "sqlite" else "%s"
        try:
            cursor.execute(
                "SELECT voter_id, id, vf_hash, not_in_latest_file FROM contacts "  # noqa: S608
                f"WHERE source = {mark} AND voter_id IS NOT NULL",
                (source,),
            )
            rows = cursor.fetchall()
        finally:
            cursor.close()
        columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
        return cls(
            # an object-dtype index keeps its hash table between lookups (arrow strings do not)
            index=pd.Index(np.array(columns[0], dtype=object), dtype=object),
            ids=np.array(columns[1], dtype=np.int64),
            hashes=np.array([h or "" for h in columns[2]], dtype=object),
            flagged=np.array(columns[3], dtype=bool),
            seen=np.zeros(len(rows), dtype=bool),
            source=source,
        )

    def positions(self, voter_ids: pd.Series) -> np.ndarray:
        """Index of each voter id in the known contacts, -1 when new."""
        if not len(self.index):
            return np.full(len(voter_ids), -1, dtype=np.int64)
        return self.index.get_indexer(voter_ids.to_numpy(dtype=object))

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


def plan_chunk(chunk: parsing.Chunk, known: KnownContacts) -> ChunkPlan:
    """Classify a chunk's rows against the known contacts; updates `known.seen`."""
    frame = chunk.frame
    rejects = list(chunk.rejects)
    warnings = Counter(chunk.warnings)
    if len(frame) and frame["record_source"].notna().any():
        # FieldCRM's own export lists each contact's source: a contact of another source
        # (or one entered by hand) must not become a contact of this one
        other = frame["record_source"].notna() & (frame["record_source"] != known.source)
        other = other.to_numpy(dtype=bool)
        if other.any():
            for line, member, source in zip(
                frame["line"][other], frame["member"][other], frame["record_source"][other],
                strict=True,
            ):  # fmt: skip
                reason = (
                    f"exported from source {source!r}, not {known.source!r}: "
                    "import it under its own source"
                )
                rejects.append(parsing.RowError(int(line), str(member), reason, ""))
            frame = frame[~other]
    if len(frame):
        missing_id = frame["voter_id"].isna()
        if missing_id.any():
            frame = frame.copy()
            frame.loc[missing_id, "voter_id"] = _synthetic_ids(frame[missing_id])
            warnings["synthetic_voter_id"] += int(missing_id.sum())
    voter_ids = frame["voter_id"]
    in_chunk_dup = voter_ids.duplicated(keep="first").to_numpy()
    pos = known.positions(voter_ids)
    existing = pos >= 0
    earlier = np.zeros(len(frame), dtype=bool)
    earlier[existing] = known.seen[pos[existing]]
    if (~existing).any():
        earlier[~existing] = known.earlier_new(voter_ids[~existing])
    dup = in_chunk_dup | earlier
    duplicates = [
        (int(line), str(member), str(vid))
        for line, member, vid in zip(
            frame["line"][dup], frame["member"][dup], voter_ids[dup], strict=True
        )
    ]
    keep = ~dup
    known.mark_seen(voter_ids[keep], pos[keep])
    new_mask = keep & ~existing
    old_mask = keep & existing
    old_pos = pos[old_mask]
    changed_sub = known.hashes[old_pos] != frame["row_hash"].to_numpy(dtype=object)[old_mask]
    changed_mask = old_mask.copy()
    changed_mask[old_mask] = changed_sub
    unchanged_mask = old_mask.copy()
    unchanged_mask[old_mask] = ~changed_sub
    # A different hash from a file of another shape (or an older version) is not yet a
    # change: those rows' carried values are compared with what is stored.
    carried = chunk.carried or EVERYTHING
    candidates = np.flatnonzero(changed_mask)
    updates = frame.iloc[candidates].copy()
    updates["contact_id"] = known.ids[pos[candidates]]
    phones = chunk.phones
    rehash: list[tuple[int, str]] = []
    rehash_lines = np.empty(0, np.int64)
    if len(candidates):
        cand_lines = set(updates["line"].tolist())
        cand_phones = phones[phones["line"].isin(cand_lines)] if len(phones) else phones
        verdicts = compare_with_stored(
            updates,
            cand_phones,
            updates["contact_id"].tolist(),
            carried,
            known.hashes[pos[candidates]],
        )
        really = verdicts.changed
        # unchanged, but the stored hash is of an older version: store this file's hash
        legacy = ~really & np.array(
            [len(h) != HASH_LENGTH for h in known.hashes[pos[candidates]]], dtype=bool
        )
        if legacy.any():
            rehash = list(
                zip(
                    updates["contact_id"][legacy].tolist(),
                    updates["row_hash"][legacy].tolist(),
                    strict=True,
                )
            )
            rehash_lines = updates["line"].to_numpy(dtype=np.int64)[legacy]
        changed_mask[candidates[~really]] = False
        unchanged_mask[candidates[~really]] = True
        updates["phone_deletes"] = verdicts.phone_deletes
        updates["email_deletes"] = verdicts.email_deletes
        updates["insert_email"] = verdicts.insert_email
        new_by_line = {
            line: new
            for line, new, keep in zip(
                updates["line"].tolist(), verdicts.new_phones, really, strict=True
            )
            if keep
        }
        updates = updates[really]
        if len(phones):
            phones = _phones_to_write(phones, cand_lines, new_by_line)
    unmark_sel = known.flagged[pos[unchanged_mask]]
    unmark_ids = known.ids[pos[unchanged_mask]][unmark_sel].tolist()
    unchanged_lines = frame["line"].to_numpy(dtype=np.int64)[unchanged_mask]
    written_lines = set(frame["line"][new_mask | changed_mask].tolist())
    if len(phones):
        phones = phones[phones["line"].isin(written_lines)]
    if duplicates:
        warnings["duplicate_voter_id"] += len(duplicates)
    return ChunkPlan(
        inserts=frame[new_mask],
        updates=updates,
        unmark_ids=unmark_ids,
        phones=phones,
        rejects=sorted(rejects, key=lambda r: (r.member, r.line)),
        duplicates=duplicates,
        unchanged=int(unchanged_mask.sum()),
        warnings=warnings,
        rows_read=chunk.rows_read,
        unchanged_lines=unchanged_lines,
        unmark_lines=unchanged_lines[unmark_sel],
        start_row=chunk.start_row,
        chunk_start_row=chunk.start_row,
        carried=carried,
        rehash=rehash,
        rehash_lines=rehash_lines,
    )


def _phones_to_write(
    phones: pd.DataFrame, candidate_lines: set[int], new_by_line: dict[int, set[str]]
) -> pd.DataFrame:
    """A chunk's phones minus, for existing contacts, every phone they already have (one
    row per new phone identity; contacts left unchanged get none)."""
    keys = phone_keys(phones["e164"].tolist(), phones["raw"].tolist(), phones["dialable"])
    keep = np.zeros(len(phones), dtype=bool)
    taken: set[tuple[int, str]] = set()
    for i, (line, key) in enumerate(zip(phones["line"].tolist(), keys, strict=True)):
        if line not in candidate_lines:
            keep[i] = True
        elif key in new_by_line.get(line, ()) and (line, key) not in taken:
            keep[i] = True
            taken.add((line, key))
    return phones[keep]


def split_plan(
    plan: ChunkPlan, numbers: np.ndarray, *, skip_rows: int = 0, max_writes: int | None = None
) -> list[ChunkPlan]:
    """Cut a chunk's plan into parts by row position, each writing at most ``max_writes``
    rows (inserts plus updates); rows before position ``skip_rows`` are left out.

    ``numbers`` is the chunk's line number per row (Chunk.numbers). The chunk's warnings go
    with its first row's part, so a part list that skips rows carries none (they were
    counted when that first part was committed).
    """
    if not skip_rows and max_writes is None:
        return [plan]
    total = len(numbers)

    def where(lines: Any) -> np.ndarray:
        return np.searchsorted(numbers, np.asarray(lines, dtype=np.int64))

    ins, upd = where(plan.inserts["line"]), where(plan.updates["line"])
    written = np.sort(np.concatenate([ins, upd]))
    written = written[written >= skip_rows]
    cuts = [skip_rows]
    if max_writes:
        cuts += [int(c) for c in written[max_writes::max_writes] if c > skip_rows]
    cuts.append(total)
    phone_at = where(plan.phones["line"]) if len(plan.phones) else np.empty(0, np.int64)
    reject_at = where([r.line for r in plan.rejects])
    dup_at = where([d[0] for d in plan.duplicates])
    unchanged_at, unmark_at = where(plan.unchanged_lines), where(plan.unmark_lines)
    rehash_at = where(plan.rehash_lines)
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b <= a:
            continue
        unchanged = (unchanged_at >= a) & (unchanged_at < b)
        unmark = (unmark_at >= a) & (unmark_at < b)
        parts.append(
            ChunkPlan(
                inserts=plan.inserts[(ins >= a) & (ins < b)],
                updates=plan.updates[(upd >= a) & (upd < b)],
                unmark_ids=[i for i, keep in zip(plan.unmark_ids, unmark, strict=True) if keep],
                phones=plan.phones[(phone_at >= a) & (phone_at < b)],
                rejects=[r for r, at in zip(plan.rejects, reject_at, strict=True) if a <= at < b],
                duplicates=[
                    d for d, at in zip(plan.duplicates, dup_at, strict=True) if a <= at < b
                ],
                unchanged=int(unchanged.sum()),
                warnings=plan.warnings if a == 0 else Counter(),
                rows_read=b - a,
                unchanged_lines=plan.unchanged_lines[unchanged],
                unmark_lines=plan.unmark_lines[unmark],
                start_row=plan.chunk_start_row + a,
                chunk_start_row=plan.chunk_start_row,
                ends_chunk=b == total,
                carried=plan.carried,
                rehash=[r for r, at in zip(plan.rehash, rehash_at, strict=True) if a <= at < b],
                rehash_lines=plan.rehash_lines[(rehash_at >= a) & (rehash_at < b)],
            )
        )
    return parts


# --- database writers -------------------------------------------------------------------------


# --- running a batch --------------------------------------------------------------------------


@dataclass
class ImportRun:
    """The state of one run of a batch (fresh or resumed)."""

    batch: ImportBatch
    detection: parsing.Detection
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
    _require_status(batch, ("uploaded", "checked", "queued", "running", "interrupted"))
    other = db.session.scalar(
        sa.select(ImportBatch.id).where(
            ImportBatch.source == batch.source,
            ImportBatch.id != batch.id,
            ImportBatch.status == "running",
            ImportBatch.heartbeat_at > utcnow() - timedelta(seconds=_stale_seconds()),
        )
    )
    if other:
        raise ImportConflict(f"import {other} of source {batch.source} is running")
    _require_same_file(batch)
    detection = detection_of(batch)
    known = KnownContacts.load(batch.source)
    # a resumed run must cut chunks where the first run did
    chunk_rows = int((batch.detection or {}).get("chunk_rows") or chunk_rows)
    batch.detection = {**(batch.detection or {}), "chunk_rows": chunk_rows}
    if not batch.rows_done and db.session.scalar(sa.select(Contact.id).limit(1)) is None:
        # A first load into an empty table: build the secondary indexes once at the end
        # (finish_run) instead of maintaining them row by row; several times faster.
        drop_secondary_indexes()
        batch.detection = {**batch.detection, "bulk_load": True}
    # SQLite has one writer at a time: an import into a database people are working in
    # commits small transactions and leaves the lock free between them (README "Imports
    # while people work"). A bulk first load has nobody's work to wait on it.
    shared = db.session.get_bind().dialect.name == "sqlite" and not batch.detection.get("bulk_load")
    others = _other_sources(batch.source) if confirm is not None else []
    if batch.rows_total_estimate is None and batch.detection.get("unpacked_bytes"):
        batch.rows_total_estimate = _estimate_rows(batch.stored_path, _unpacked(batch))
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
        raise parsing.FileRefused(
            f"{batch.original_filename} changed after it was checked: upload it again"
        )


def _unpacked(batch: ImportBatch) -> int | None:
    """The stored file's unpacked size in bytes, as its check measured it."""
    return (batch.detection or {}).get("unpacked_bytes")


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


def iter_run_chunks(run: ImportRun) -> Iterator[parsing.Chunk]:
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
        plan_chunk(chunk, run.known)
        run.filled.update(parsing.filled_counts(chunk))


def _run_source(run: ImportRun) -> Iterator[parsing.Chunk]:
    """The file's chunks: the normalised ones its check kept when they are of this very
    file, read and cut this way today; else the file, read in a second process when large."""
    path = run.batch.stored_path
    try:
        key = cache.cache_key(path, run.detection, run.chunk_rows)
    except OSError:
        key = None
    kept = cache.read(cache.folder_for(path), key, run.detection) if key else None
    if kept is not None:
        return kept
    return parallel.iter_chunks(
        path, run.detection, chunk_rows=run.chunk_rows, size=_unpacked(run.batch)
    )


def plan_parts(run: ImportRun, chunk: parsing.Chunk) -> list[ChunkPlan]:
    """Plan a chunk (no database writes) and cut it into the parts still to commit.

    Raises NotConfirmed when the chunk would add voter ids other sources hold and
    ``run.confirm`` says no.
    """
    plan = plan_chunk(chunk, run.known)
    run.filled.update(parsing.filled_counts(chunk))
    if run.confirm is not None:
        counts = _other_source_counts(run.other_sources, plan, chunk)
        if counts:
            where = f"line {chunk.numbers[0]}" if len(chunk.numbers) else "the end"
            if len(run.detection.members) > 1:
                where += f" of {chunk.frame['member'].iloc[0] if len(chunk.frame) else ''}"
            if not run.confirm(dict(counts.most_common()), where):
                raise NotConfirmed(chunk.start_row)
            run.confirm = None  # answered: the rest of the file goes in as asked
    skip = max(run.batch.rows_done - chunk.start_row, 0)
    max_writes = run.pacer.max_writes() if run.pacer is not None else None
    return split_plan(plan, chunk.numbers, skip_rows=skip, max_writes=max_writes)


def apply_part(run: ImportRun, plan: ChunkPlan) -> ChunkPlan:
    """Write one planned part and move the batch's counters and checkpoint (one transaction).

    Raises AssertionError if the accounting identity would break. Does not commit.
    """
    batch = run.batch
    batch.heartbeat_at = utcnow()
    counts = writer_for(batch).write(plan)
    if run.pacer is not None and counts["ids"]:
        # shared SQLite: place this part's people now, not in one long transaction at the end
        assign_contacts_to_turfs(sa.select(Contact.id).where(Contact.id.in_(counts["ids"])))
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
    if run.pacer is None:  # a paced run placed each part's people as it wrote them
        assign_contacts_to_turfs(
            sa.select(Contact.id).where(Contact.last_import_batch_id == batch.id)
        )
    if run.detection.members:
        # the run counted what the check would have: say which fields came out blank
        warnings = parsing.mapping_warnings(run.detection, run.filled)
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


def _stale_seconds() -> int:
    from flask import current_app

    return int(current_app.config.get("IMPORT_STALE_SECONDS", DEFAULT_STALE_SECONDS))


def effective_status(batch: ImportBatch, now: datetime | None = None) -> str:
    """The status to show: a running batch whose heartbeat went stale is "interrupted"."""
    if batch.status == "running":
        now = now or utcnow()
        beat = batch.heartbeat_at or batch.started_at
        if beat is None or now - beat > timedelta(seconds=_stale_seconds()):
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
    _require_status(batch, ("uploaded", "checked", "interrupted"))
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


# --- preview ----------------------------------------------------------------------------------


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
    detection: parsing.Detection,
    chunk_rows: int,
    progress: Callable[[int], None] | None,
    kept: cache.Writer | None,
) -> dict:
    known = KnownContacts.load(batch.source)
    known.exact_new = set()  # a preview writes nothing, so duplicates are confirmed in memory
    others = _other_sources(batch.source)
    other_counts: Counter[str] = Counter()
    impact = Counter()
    problems: dict[str, dict[str, Any]] = {}
    first_rows: list[dict] = []
    first_phones: dict[tuple[str, int], list[str]] = {}
    filled: Counter = Counter()
    for chunk in parallel.iter_chunks(
        batch.stored_path, detection, chunk_rows=chunk_rows, size=_unpacked(batch)
    ):
        if kept is not None:
            kept.add(chunk)
        filled.update(parsing.filled_counts(chunk))
        if len(first_rows) < PREVIEW_ROWS:
            head = chunk.frame.head(PREVIEW_ROWS - len(first_rows))
            for phone in chunk.phones.head(200).itertuples():
                text = phone.e164 if isinstance(phone.e164, str) else f"{phone.raw} (not dialable)"
                first_phones.setdefault((phone.member, phone.line), []).append(text)
            for record in head.to_dict("records"):
                row = {k: _jsonable(record[k]) for k in PREVIEW_FIELDS if k in record}
                row["phones"] = ", ".join(first_phones.get((record["member"], record["line"]), []))
                first_rows.append(row)
        plan = plan_chunk(chunk, known)
        other_counts.update(_other_source_counts(others, plan, chunk))
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
        "mapping_warnings": parsing.mapping_warnings(detection, filled),
        "rows": first_rows,
        "problems": problems,
        "impact": dict(impact),
        "source": batch.source,
        # voter ids this file would add that other sources already hold, by source
        "other_sources": dict(other_counts.most_common()),
    }
    batch.preview = json.loads(json.dumps(result, default=_jsonable))
    batch.rows_total_estimate = impact["rows"]
    batch.status = "checked"
    db.session.flush()
    return result


def delimiter_name(delimiter: str) -> str:
    """A delimiter as people name it ("tab", "comma", ...)."""
    return {"\t": "tab", ",": "comma", "|": "pipe", ";": "semicolon"}.get(delimiter, delimiter)


def _other_sources(source: str) -> list[str]:
    """The sources other than ``source`` holding contacts with voter ids."""
    return list(
        db.session.scalars(
            sa.select(Contact.source)
            .where(Contact.source != source, Contact.voter_id.is_not(None))
            .distinct()
        )
    )


def _other_source_counts(others: list[str], plan: ChunkPlan, chunk: parsing.Chunk) -> Counter[str]:
    """How many voter ids a planned chunk would add that each other source already holds:
    only ids the file itself gives (not the keys made up for rows without one; a "~" key
    in the file is FieldCRM's own, from its contacts export)."""
    if not others or not len(plan.inserts):
        return Counter()
    new_ids = plan.inserts["voter_id"]
    return _count_under_sources(others, new_ids[new_ids.isin(chunk.frame["voter_id"].dropna())])


def _count_under_sources(sources: list[str], voter_ids: pd.Series) -> Counter[str]:
    """How many of these voter ids each source already holds."""
    ids = voter_ids.dropna().unique().tolist()
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        for source in sources:
            found = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Contact)
                .where(Contact.source == source, Contact.voter_id.in_(part))
            )
            if found:
                counts[source] += int(found)
    return counts


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


# --- reading results --------------------------------------------------------------------------


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


def upload_dir_for(config_value: str | None) -> Path:
    """UPLOAD_DIR as a path (created when missing)."""
    path = Path(config_value or os.path.join("instance", "uploads"))
    path.mkdir(parents=True, exist_ok=True)
    return path
