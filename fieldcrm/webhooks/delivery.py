"""Sending webhook deliveries: one try per job, retries with backoff, a sweeper.

`deliver(delivery_id)` is the background job. It claims the delivery (a guarded UPDATE, so
a retry timer and the sweeper never send it twice at once), commits the claim, POSTs the
stored body with its signature, and records the outcome on the delivery and on its
endpoint (`last_status`). A 2xx answer delivers it. Anything else (another status, a
timeout, a refused connection, a redirect, which is never followed) schedules the next try
after WEBHOOK_RETRY_DELAYS[attempts - 1] seconds through `jobs.enqueue_in`; after the last
delay the delivery is marked failed. `deliver_due()` sends every delivery whose time has
come (after a restart lost a timer thread, or when Redis was down); `fieldcrm webhooks
deliver-due` runs it (cron it every few minutes without Redis).

Nothing of an endpoint's answer is kept but its status code: a URL pointed at an internal
service cannot be used to read it.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.lib import webhook_signature as sig
from fieldcrm.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS = (30, 120, 600, 3600, 21600)
USER_AGENT = "FieldCRM-Webhooks/1"
#: A delivery left "sending" this long after its claim (its worker died) is tried again.
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    """What one try came to: an HTTP status, or an error in a few words."""

    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def label(self) -> str:
        return str(self.status_code) if self.status_code is not None else (self.error or "")


def retry_delays() -> tuple[int, ...]:
    """Seconds before each retry (WEBHOOK_RETRY_DELAYS: a list or "30,120,600")."""
    value = current_app.config.get("WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    return tuple(max(int(float(v)), 0) for v in value)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: it is recorded (3xx) and retried."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201, PLR0913
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, headers: dict[str, str], body: bytes, timeout: float) -> Outcome:
    """POST a signed body; never raises for anything the endpoint or network does."""
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked when registered
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            sig.TIMESTAMP_HEADER: str(timestamp),
            sig.SIGNATURE_HEADER: sig.sign(secret, timestamp, body),
            **headers,
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(1024)
            return Outcome(response.status, None)
    except urllib.error.HTTPError as exc:
        exc.close()
        return Outcome(exc.code, None)
    except TimeoutError:
        return Outcome(None, "timeout")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return Outcome(None, "timeout")
        if isinstance(reason, ConnectionRefusedError):
            return Outcome(None, "connection refused")
        return Outcome(None, type(reason).__name__ if not isinstance(reason, str) else "error")
    except (OSError, ValueError) as exc:  # reset connections, malformed answers
        return Outcome(None, type(exc).__name__)


def _claim(delivery_id: int, now: datetime, *, force: bool = False) -> bool:
    """Mark the delivery "sending" if it is due (or `force`); True when this job got it."""
    table = WebhookDelivery.__table__
    due = sa.or_(
        sa.and_(
            table.c.status.in_(("pending", "retrying")),
            sa.or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
        ),
        sa.and_(table.c.status == "sending", table.c.claimed_at < now - STALE_CLAIM),
    )
    if force:
        due = table.c.status.in_(("pending", "retrying", "failed"))
    claimed = db.session.execute(
        sa.update(table)
        .where(table.c.id == delivery_id, due)
        .values(status="sending", claimed_at=now)
    )
    db.session.commit()
    return claimed.rowcount == 1


def deliver(delivery_id: int, force: bool = False) -> str:
    """Try one delivery now (the background job); returns its status afterwards.

    `force` also retries a failed delivery at once ("Send again"). Commits.
    """
    now = utcnow()
    if not _claim(delivery_id, now, force=force):
        return "skipped"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # pragma: no cover - deleted with its endpoint meanwhile
        return "skipped"
    endpoint = delivery.endpoint
    if not endpoint.active:
        delivery.status, delivery.last_error = "failed", "endpoint switched off"
        db.session.commit()
        return delivery.status
    url, secret, body = endpoint.url, endpoint.secret, delivery.body.encode("utf-8")
    headers = {sig.EVENT_HEADER: delivery.event, sig.DELIVERY_HEADER: delivery.event_id}
    # no transaction is held while waiting for the endpoint
    db.session.commit()
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 5))
    outcome = post(url, secret, headers, body, timeout)
    delay = record_outcome(delivery_id, outcome)
    db.session.commit()
    status = db.session.get(WebhookDelivery, delivery_id).status
    if delay is not None:
        from fieldcrm import jobs

        try:
            jobs.enqueue_in(delay, deliver, delivery_id)
        except Exception:  # noqa: BLE001 - Redis down: the sweeper picks it up when due
            log.exception("could not schedule the retry of webhook delivery %s", delivery_id)
    return status


def record_outcome(delivery_id: int, outcome: Outcome) -> int | None:
    """Store a try's outcome; returns the seconds until the next try, None when done.

    Does not commit.
    """
    delivery = db.session.get(WebhookDelivery, delivery_id)
    now = utcnow()
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_error = (outcome.error or None) and outcome.error[:200]
    delivery.claimed_at = None
    endpoint = delivery.endpoint
    endpoint.last_status = outcome.label[:60]
    endpoint.last_attempt_at = now
    delays = retry_delays()
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        return None
    if delivery.attempts > len(delays):
        delivery.status, delivery.next_attempt_at = "failed", None
        return None
    delay = delays[delivery.attempts - 1]
    delivery.status = "retrying"
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    return delay


def due_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose (next) try is due, oldest first, and stale claims."""
    now = now or utcnow()
    table = WebhookDelivery.__table__
    return list(
        db.session.scalars(
            sa.select(table.c.id)
            .join(WebhookEndpoint.__table__, WebhookEndpoint.id == table.c.endpoint_id)
            .where(
                sa.or_(
                    sa.and_(
                        table.c.status.in_(("pending", "retrying")),
                        table.c.next_attempt_at <= now,
                    ),
                    sa.and_(table.c.status == "sending", table.c.claimed_at < now - STALE_CLAIM),
                )
            )
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(limit)
        )
    )


def deliver_due() -> dict[str, int]:
    """Try every delivery that is due now, one after the other; counts by outcome."""
    counts: dict[str, int] = {}
    ids = due_ids()
    db.session.commit()
    for delivery_id in ids:
        status = deliver(delivery_id)
        counts[status] = counts.get(status, 0) + 1
    return counts
