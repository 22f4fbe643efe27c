"""Emitting webhook events: one call in the service that owns each event.

`emit(event, data)` runs inside the caller's transaction. For every active endpoint that
subscribed to the event it adds a `WebhookDelivery` row holding the exact JSON body that
will be signed and sent, so the delivery commits (or rolls back) with the change it
reports: a rolled-back save sends nothing, a committed one is never lost. The ids of the
new rows wait on the session; after the session commits, a listener hands them to the
background jobs (`fieldcrm.webhooks.delivery.deliver` through `fieldcrm.jobs.enqueue`), so
no request waits for an endpoint. The same services run from pages, commands, the API and
jobs, so each event has exactly one place that emits it:

* ``conversation.logged``: `conversations.services.log_conversation` (an attempt or a
  conversation);
* ``commitment.outcome``: `commitments.services.set_status` (kept, flaked, rescheduled,
  cancelled, reopened);
* ``contact.created``: `contacts.services.create_contact` (by hand or through the API; a
  voter-file import adds people in bulk and emits nothing per row);
* ``ladder.moved``: `ladder.services.move_contact`.

Payloads carry ids, codes and dates, never free text people typed (notes, stories, the
words of an ask) and no phone, address or email: a receiver that needs more reads it
through the API with its own scoped token.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

#: Event name -> what it means (shown where admins pick events).
EVENTS: dict[str, Any] = {
    "conversation.logged": _l("A conversation or a failed attempt is logged"),
    "commitment.outcome": _l("A follow-up gets an outcome (kept, flaked, rescheduled…)"),
    "contact.created": _l("A contact is added by hand or through the API"),
    "ladder.moved": _l("Someone moves up or down the ladder"),
}
#: A delivery sent to one endpoint on demand ("Send a test event"); not subscribable.
PING = "ping"
_PENDING = "fieldcrm_webhook_pending"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def body_for(event: str, event_id: str, data: Mapping[str, Any]) -> str:
    """The JSON text of a delivery (compact, keys sorted; the bytes that are signed)."""
    envelope = {
        "id": event_id,
        "event": event,
        "created_at": utcnow().isoformat(timespec="seconds"),
        "data": dict(data),
    }
    return json.dumps(
        envelope, default=_json_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def emit(event: str, data: Mapping[str, Any] | Callable[[], Mapping[str, Any]]) -> list[int]:
    """Queue `event` for every active endpoint subscribed to it (in this transaction).

    `data` is the payload, or a function building it (called only when someone listens).
    Returns the new delivery ids (none when nobody listens: one small query). Flushes.
    Delivery starts after the caller commits.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = db.session.execute(
        sa.select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.active.is_(True)
        )
    ).all()
    targets = [row.id for row in endpoints if event in (row.events or ())]
    if not targets:
        return []
    return queue_deliveries(targets, event, data() if callable(data) else data)


def queue_deliveries(endpoint_ids: list[int], event: str, data: Mapping[str, Any]) -> list[int]:
    """Add one delivery of `event` per endpoint and hand them to the jobs after commit."""
    event_id = str(uuid.uuid4())
    body = body_for(event, event_id, data)
    now = utcnow()
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint_id,
            event=event,
            event_id=event_id,
            body=body,
            status="pending",
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint_id in endpoint_ids
    ]
    db.session.add_all(rows)
    db.session.flush()
    ids = [row.id for row in rows]
    start_after_commit(ids)
    return ids


def start_after_commit(ids: list[int]) -> None:
    """Have these deliveries (flushed in this transaction) started once it commits."""
    db.session.info.setdefault(_PENDING, []).extend(ids)


def _after_commit(session: so.Session) -> None:
    """Start the deliveries this transaction added (never raises: the commit is done)."""
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    try:
        start_deliveries(ids)
    except Exception:  # noqa: BLE001 - the data is committed; the sweeper retries later
        log.exception("could not start %d webhook deliveries", len(ids))


def _after_transaction_end(session: so.Session, transaction: so.SessionTransaction) -> None:
    """A transaction that ended without committing (rolled back, closed) sends nothing."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def start_deliveries(ids: list[int]) -> None:
    """Hand committed deliveries to the background jobs (RQ, a thread, or inline).

    Runs in an app context of its own, so an inline delivery uses a session of its own
    rather than the one that has just committed.
    """
    from fieldcrm import jobs
    from fieldcrm.webhooks.delivery import deliver

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        for delivery_id in ids:
            jobs.enqueue(deliver, delivery_id, timeout=300)


def init_app(app: Flask) -> None:
    """Listen for commits of the app's sessions (once per process)."""
    for name, listener in (
        ("after_commit", _after_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)
