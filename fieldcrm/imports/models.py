"""Import batches, their per-row errors, and saved column mappings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, UTCDateTime, utcnow
from fieldcrm.extensions import db

BATCH_STATUSES = (
    "uploaded", "checking", "checked", "queued", "running", "interrupted", "completed", "failed",
    "refused",
)  # fmt: skip


class ImportBatch(TimestampMixin, db.Model):
    """One voter-file import: where it stands, and its exact accounting.

    rows_read = inserted + updated + unchanged + rejected + duplicates, always.
    `rows_done` is the resume checkpoint: rows fully committed so far.
    """

    __tablename__ = "import_batches"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(50))
    original_filename: so.Mapped[str] = so.mapped_column(sa.String(255))
    stored_path: so.Mapped[str] = so.mapped_column(sa.String(500))
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="uploaded", index=True)
    layout: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    mapping: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    detection: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    encoding: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    full_file: so.Mapped[bool] = so.mapped_column(default=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    heartbeat_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    rows_total_estimate: so.Mapped[int | None]
    rows_done: so.Mapped[int] = so.mapped_column(default=0)
    rows_read: so.Mapped[int] = so.mapped_column(default=0)
    inserted: so.Mapped[int] = so.mapped_column(default=0)
    updated: so.Mapped[int] = so.mapped_column(default=0)
    unchanged: so.Mapped[int] = so.mapped_column(default=0)
    rejected: so.Mapped[int] = so.mapped_column(default=0)
    duplicates: so.Mapped[int] = so.mapped_column(default=0)
    marked_missing: so.Mapped[int] = so.mapped_column(default=0)
    warnings: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    preview: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    error_message: so.Mapped[str | None] = so.mapped_column(sa.Text)


class ImportRowError(db.Model):
    """A row an import could not take (or took with a warning): line, reason, raw text."""

    __tablename__ = "import_row_errors"
    __table_args__ = (sa.Index("ix_import_row_errors_batch_line", "batch_id", "member", "line"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    batch_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("import_batches.id", ondelete="CASCADE")
    )
    member: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    line: so.Mapped[int]
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="rejected")  # | duplicate
    reason: so.Mapped[str] = so.mapped_column(sa.String(500))
    raw: so.Mapped[str | None] = so.mapped_column(sa.Text)


class ImportMapping(db.Model):
    """A saved column mapping (canonical field -> source column), reusable by name."""

    __tablename__ = "import_mappings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    mapping: so.Mapped[dict] = so.mapped_column(sa.JSON)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
