"""Webhook endpoints (where and what) and deliveries (one event to one endpoint)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, UTCDateTime, utcnow
from fieldcrm.extensions import db

#: Delivery states: waiting for its first try, being sent, sent (2xx), waiting for a
#: retry, given up (after the last retry, or the endpoint was switched off).
DELIVERY_STATUSES = ("pending", "sending", "delivered", "retrying", "failed")


class WebhookEndpoint(TimestampMixin, db.Model):
    """A URL an admin registered, the secret deliveries are signed with, and its events."""

    __tablename__ = "webhook_endpoints"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    # Kept as entered: signing needs the secret itself (as with GitHub's and Stripe's).
    secret: so.Mapped[str] = so.mapped_column(sa.String(200))
    events: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    description: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The outcome of the latest try: an HTTP status ("200", "500") or what went wrong
    # ("timeout", "connection refused"…).
    last_status: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    last_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url!r}>"


class WebhookDelivery(db.Model):
    """One event for one endpoint: the exact body that is signed and sent, and its fate."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # the sweeper: deliveries due now
        sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    endpoint_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event: so.Mapped[str] = so.mapped_column(sa.String(40))
    # The same for every endpoint the event went to (receivers de-duplicate on it).
    event_id: so.Mapped[str] = so.mapped_column(sa.String(36))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="pending")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    claimed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_status_code: so.Mapped[int | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    delivered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    endpoint: so.Mapped[WebhookEndpoint] = so.relationship()

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event} {self.status}>"
