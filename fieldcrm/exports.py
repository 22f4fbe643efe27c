"""Exports shared by every feature: role limits, audit, and the streamed CSV response.

Policy (README "Exports"): every field quoted; cells a spreadsheet would run as a formula
are neutralised (fieldcrm.lib.csvsafe); E.164 phones are written as digits without the
leading "+"; responses are attachments with `Cache-Control: no-store`; each export writes
an audit row (who, what, which filter, how many rows); the number of rows is capped per
role (EXPORT_LIMITS), and an export over the cap is refused, never silently cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, current_app

from fieldcrm import audit
from fieldcrm.errors import PermissionDenied
from fieldcrm.lib.csvsafe import iter_csv

DEFAULT_EXPORT_LIMITS = {"admin": None, "director": 250_000, "organizer": 25_000, "leader": 0}


def export_limit(actor: Any) -> int | None:
    """Most rows `actor` may export at once (None = no limit, 0 = no exports)."""
    limits = {**DEFAULT_EXPORT_LIMITS, **current_app.config.get("EXPORT_LIMITS", {})}
    return limits.get(getattr(actor, "role", None), 0)


def check_export(actor: Any, row_count: int, what: str) -> None:
    """Raise PermissionDenied when `row_count` rows of `what` exceed the actor's limit."""
    limit = export_limit(actor)
    if limit is not None and row_count > limit:
        audit.record("export.refused", actor=actor, what=what, rows=row_count, limit=limit)
        raise PermissionDenied(
            f"Exports of {what} are limited to {limit} rows for your role; narrow the filter."
        )


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Any],
    *,
    phone_columns: Sequence[str] = (),
) -> Response:
    """A streamed, spreadsheet-safe CSV download (the caller has checked and audited)."""
    safe_name = "".join(c for c in filename if c.isalnum() or c in "-_.") or "export.csv"
    response = Response(
        iter_csv(header, rows, phone_columns=phone_columns),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
    return response


def record_export(actor: Any, what: str, rows: int, **filters: Any) -> None:
    """Audit an export: who, what, which filter, how many rows."""
    audit.record(
        "export." + what,
        actor=actor,
        rows=rows,
        **{f"filter_{k}": v for k, v in filters.items() if v not in (None, "")},
    )
