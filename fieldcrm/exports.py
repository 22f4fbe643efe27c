"""Exports shared by every feature: the CSV policy, role limits, re-authentication, audit.

Policy (README "Exports"):

* **Format.** Plain UTF-8 without a byte order mark, fields quoted only where needed, so
  Parsons, petl, pandas and Python's csv read every column by its plain name; the same file
  with a byte order mark is offered beside it "for Excel" (Excel guesses the ANSI code page
  without one). Cells a spreadsheet would run as a formula are neutralised and E.164 phones
  are written as digits without the leading "+" (fieldcrm.lib.csvsafe), in both variants.
* **Responses** are attachments with `Cache-Control: no-store`.
* **Limits.** The number of rows is capped per role (EXPORT_LIMITS); an export over the cap is
  refused, never silently cut. Export requests are rate-limited per user (EXPORT_RATE_LIMIT,
  shared by every export). An export of more than EXPORT_REAUTH_ROWS rows needs the password
  (or a two-step code) again when the last one was given more than EXPORT_REAUTH_MINUTES ago.
* **Audit.** Each export writes an audit row (who, what, which filter, how many rows); when a
  user's exports in the last EXPORT_ALERT_HOURS pass EXPORT_ALERT_COUNT exports or
  EXPORT_ALERT_ROWS rows, an `export.unusual` row flags it for admins.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app

from fieldcrm import audit
from fieldcrm.database import utcnow
from fieldcrm.errors import DomainError, PermissionDenied
from fieldcrm.extensions import db
from fieldcrm.lib.csvsafe import iter_csv

DEFAULT_EXPORT_LIMITS = {"admin": None, "director": 250_000, "organizer": 25_000, "leader": 0}
# Audit actions that are not an export served (they start with "export." too).
NOT_SERVED = ("export.refused", "export.unusual", "export.reauth_required")


class ReauthRequired(DomainError):
    """A large export needs the password (or a two-step code) again before it is served."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        super().__init__(f"confirm your password to export {rows} rows")


class ExportRefused(PermissionDenied):
    """An export over the actor's role limit (403). The web's 403 handler rolls the request
    back, so it audits `export.refused` from `audit_details` itself."""

    def __init__(self, message: str, **details: Any) -> None:
        self.audit_details = details
        super().__init__(message)


def export_limit(actor: Any) -> int | None:
    """Most rows `actor` may export at once (None = no limit, 0 = no exports)."""
    limits = {**DEFAULT_EXPORT_LIMITS, **current_app.config.get("EXPORT_LIMITS", {})}
    return limits.get(getattr(actor, "role", None), 0)


def needs_reauth(row_count: int, authenticated_at: float | None, now: float | None = None) -> bool:
    """True when `row_count` rows need a fresh password and it was given too long ago.

    `authenticated_at` is the epoch time of the last password (or code) check in this session;
    None means there is no interactive session (the CLI), which never asks.
    """
    if authenticated_at is None:
        return False
    cfg = current_app.config
    if row_count <= cfg["EXPORT_REAUTH_ROWS"]:
        return False
    now = time.time() if now is None else now
    return now - authenticated_at > cfg["EXPORT_REAUTH_MINUTES"] * 60


def check_export(
    actor: Any, row_count: int, what: str, *, authenticated_at: float | None = None
) -> None:
    """Refuse an export of `row_count` rows of `what` before anything is written.

    Raises ExportRefused (a PermissionDenied) over the actor's role limit (audited as
    `export.refused`) and
    ReauthRequired when the export is large and the sign-in is older than allowed (see
    needs_reauth; audited as `export.reauth_required`).
    """
    limit = export_limit(actor)
    if limit is not None and (row_count > limit or limit == 0):
        audit.record("export.refused", actor=actor, what=what, rows=row_count, limit=limit)
        raise ExportRefused(
            f"Exports of {what} are limited to {limit} rows for your role; narrow the filter.",
            what=what,
            rows=row_count,
            limit=limit,
        )
    if needs_reauth(row_count, authenticated_at):
        audit.record("export.reauth_required", actor=actor, what=what, rows=row_count)
        raise ReauthRequired(row_count)


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Any],
    *,
    phone_columns: Sequence[str] = (),
    excel: bool = False,
) -> Response:
    """A streamed, spreadsheet-safe CSV download (the caller has checked and audited).

    `excel=True` is the "for Excel" variant: the same CSV after a UTF-8 byte order mark, named
    `<name>-excel.csv`.
    """
    safe_name = "".join(c for c in filename if c.isalnum() or c in "-_.") or "export.csv"
    if excel:
        stem, dot, ext = safe_name.rpartition(".")
        safe_name = f"{stem}-excel.{ext}" if dot else f"{safe_name}-excel"
    return Response(
        iter_csv(header, rows, phone_columns=phone_columns, excel=excel),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def record_export(actor: Any, what: str, rows: int, **filters: Any) -> None:
    """Audit an export: who, what, which filter, how many rows; flag unusual volume.

    Adds the `export.<what>` row and, when this export takes the actor's recent exports over
    EXPORT_ALERT_COUNT exports or EXPORT_ALERT_ROWS rows within EXPORT_ALERT_HOURS, an
    `export.unusual` row (once per crossing). The caller commits.
    """
    audit.record(
        "export." + what,
        actor=actor,
        rows=rows,
        **{f"filter_{k}": v for k, v in filters.items() if v not in (None, "")},
    )
    if actor is not None:
        _flag_unusual_volume(actor, what, rows)


def _flag_unusual_volume(actor: Any, what: str, rows: int) -> None:
    cfg = current_app.config
    since = utcnow() - timedelta(hours=cfg["EXPORT_ALERT_HOURS"])
    db.session.flush()
    details = db.session.scalars(
        sa.select(audit.AuditEvent.details).where(
            audit.AuditEvent.actor_id == actor.id,
            audit.AuditEvent.action.startswith("export.", autoescape=True),
            audit.AuditEvent.action.not_in(NOT_SERVED),
            audit.AuditEvent.at >= since,
        )
    ).all()
    count = len(details)
    total = sum(int((d or {}).get("rows") or 0) for d in details)
    max_count, max_rows = cfg["EXPORT_ALERT_COUNT"], cfg["EXPORT_ALERT_ROWS"]
    crossed_count = count - 1 < max_count <= count
    crossed_rows = total - rows < max_rows <= total
    if crossed_count or crossed_rows:
        audit.record(
            "export.unusual",
            actor=actor,
            what=what,
            exports=count,
            rows=total,
            hours=cfg["EXPORT_ALERT_HOURS"],
            reason="count" if crossed_count else "rows",
        )
