"""How long uploaded voter files stay on disk (README "Uploads: what is kept, and for how long").

A voter file is personal data: it is kept only while an import may still need it.

* refused uploads: REFUSED_UPLOAD_KEEP_HOURS after the refusal (default 24, so a column
  mapping can still be picked that day; 0 deletes them at the next sweep);
* finished imports (completed or failed) and uploads never started (uploaded, checking,
  checked):
  UPLOAD_KEEP_DAYS after they finished or were last touched (default 7);
* queued, running and interrupted imports keep their file: they can still be resumed;
* a folder in UPLOAD_DIR that no import refers to (an upload whose form was refused after
  the file was stored, a retried request): ORPHAN_GRACE after it was written.

`purge_uploads` is the one place this policy lives. The upload page runs it after each
upload, and `fieldcrm imports purge-uploads` runs it from cron or a systemd timer.
A batch whose file is deleted before it was imported becomes "refused" with a message
saying so; finished batches keep their status and counts.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.imports.models import ImportBatch

FINISHED = ("completed", "failed")
# "checking": a file waiting for (or stuck in) its check job, where that job exists
NOT_STARTED = ("uploaded", "checking", "checked")
ORPHAN_GRACE = timedelta(hours=1)


@dataclass
class Purged:
    """What one sweep deleted."""

    batches: int = 0
    orphans: int = 0
    bytes: int = 0


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def remove_stored(path: Path, upload_dir: Path) -> int:
    """Delete a stored upload (its own folder when it has one, with the normalised chunks
    its check kept there); returns the bytes freed."""
    path = path.resolve()
    target = path.parent if path.parent.parent == upload_dir else path
    if not target.exists() or upload_dir not in target.parents:
        return 0
    freed = _size(target)
    if target.is_dir():
        shutil.rmtree(target, ignore_errors=True)
    else:
        target.unlink(missing_ok=True)
    return freed


def purge_uploads(
    upload_dir: str | Path,
    *,
    keep_days: float,
    refused_keep_hours: float,
    now: datetime | None = None,
) -> Purged:
    """Delete the stored uploads the retention policy no longer keeps (see module docstring).

    Flushes the batches it marks; the caller commits.
    """
    upload_dir = Path(upload_dir).resolve()
    now = now or utcnow()
    done = Purged()
    if not upload_dir.is_dir():
        return done
    keep = timedelta(days=keep_days)
    refused_cutoff = now - timedelta(hours=refused_keep_hours)
    referenced: set[Path] = set()
    batches = db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id))
    for batch in batches:
        path = Path(batch.stored_path).resolve()
        referenced.add(path.parent if path.parent.parent == upload_dir else path)
        if upload_dir not in path.parents or not path.exists():
            continue
        touched = batch.finished_at or batch.updated_at or batch.created_at
        if batch.status == "refused":
            expired = touched <= refused_cutoff
        elif batch.status in FINISHED or batch.status in NOT_STARTED:
            expired = touched <= now - keep
        else:  # queued, running, interrupted: may still be resumed
            expired = False
        if not expired:
            continue
        done.bytes += remove_stored(path, upload_dir)
        done.batches += 1
        if batch.status == "refused":
            batch.error_message = (
                f"{batch.error_message or 'The file was refused.'} "
                "The file has since been deleted: upload a corrected file."
            )
        elif batch.status in NOT_STARTED:
            batch.status = "refused"
            batch.error_message = (
                f"The uploaded file was deleted on {now:%Y-%m-%d}, unused for "
                f"{_age(now - touched)}. Upload it again to import it."
            )
    orphan_cutoff = (now - ORPHAN_GRACE).timestamp()
    for entry in upload_dir.iterdir():
        if entry.resolve() in referenced or entry.stat().st_mtime > orphan_cutoff:
            continue
        done.bytes += _size(entry)
        done.orphans += 1
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    db.session.flush()
    return done


def _age(delta: timedelta) -> str:
    if delta >= timedelta(days=2):
        return f"{delta.days} days"
    return f"{int(delta.total_seconds() // 3600)} hours"


def purge_configured(config: dict, now: datetime | None = None) -> Purged:
    """`purge_uploads` with the app's settings (UPLOAD_DIR, UPLOAD_KEEP_DAYS,
    REFUSED_UPLOAD_KEEP_HOURS)."""
    return purge_uploads(
        config["UPLOAD_DIR"],
        keep_days=float(config["UPLOAD_KEEP_DAYS"]),
        refused_keep_hours=float(config["REFUSED_UPLOAD_KEEP_HOURS"]),
        now=now,
    )
