"""What the device sent: one row per queued item stored, keyed by the client's id."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import utcnow
from fieldcrm.extensions import db


class SyncedItem(db.Model):
    """A queued item from a device that the server stored, exactly once.

    `client_id` is the id the device gave the item when it was queued (a UUID); together
    with the author it is unique, so a retried or concurrently repeated send finds this row
    and answers "already stored" with the same record instead of writing it again. The row
    is written first in the item's transaction: a concurrent duplicate waits on the unique
    index and then fails, before doing any work. Refused items leave no row (the person may
    retry them later).
    """

    __tablename__ = "synced_items"
    __table_args__ = (sa.UniqueConstraint("user_id", "client_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    client_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))
    # When the person did it on the device (UTC), and when the server stored it.
    queued_at: so.Mapped[datetime | None]
    stored_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    record_type: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    record_id: so.Mapped[int | None]
    # What the answer tells the device (ids created, notes such as a kept newer value).
    result: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
