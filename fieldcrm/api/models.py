"""Personal API tokens (stored hashed) and the idempotency keys of API writes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import utcnow
from fieldcrm.extensions import db

if TYPE_CHECKING:
    from fieldcrm.auth.models import User


class ApiToken(db.Model):
    """A personal token: it acts as its user, with the user's role and scope.

    Only the SHA-256 of the token is stored (see fieldcrm.api.tokens for why a fast hash is
    right here); `prefix` is its first characters, so people can tell their tokens apart.
    """

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # None: made by an operator on the command line.
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: so.Mapped[datetime | None]
    last_used_at: so.Mapped[datetime | None]
    revoked_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])

    def status(self, now: datetime) -> str:
        """active, revoked or expired (the user's own state is checked apart)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… user={self.user_id}>"


class ApiIdempotencyKey(db.Model):
    """An `Idempotency-Key` a user sent with an API write, and the record it created.

    A retried request with the same key and the same body answers with that record instead
    of writing another; the same key with a different body is refused.
    """

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: so.Mapped[str] = so.mapped_column(sa.String(255))
    operation: so.Mapped[str] = so.mapped_column(sa.String(60))
    request_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    resource_id: so.Mapped[int | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
