"""Settings stored in the database, one row per key, set by admins on the Settings page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import utcnow
from fieldcrm.extensions import db


class AppSetting(db.Model):
    """One setting's value (text); a missing row means "use the server's configuration"."""

    __tablename__ = "app_settings"

    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    value: so.Mapped[str] = so.mapped_column(sa.Text)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    def __repr__(self) -> str:
        return f"<AppSetting {self.key}>"
