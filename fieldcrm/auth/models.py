"""Users, their roles, and their region / turf / leader-list assignments."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, UTCDateTime, utcnow
from fieldcrm.extensions import db

if TYPE_CHECKING:
    from fieldcrm.contacts.models import Contact
    from fieldcrm.turf.models import Region, Turf


class Role(enum.StrEnum):
    """The four roles, from widest to narrowest scope."""

    ADMIN = "admin"
    DIRECTOR = "director"
    ORGANIZER = "organizer"
    LEADER = "leader"


ROLE_VALUES = tuple(r.value for r in Role)

user_regions = sa.Table(
    "user_regions",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("region_id", sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)

user_turfs = sa.Table(
    "user_turfs",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("turf_id", sa.ForeignKey("turfs.id", ondelete="CASCADE"), primary_key=True),
)


def new_session_token() -> str:
    """A fresh per-user token; changing it signs the user out everywhere."""
    return secrets.token_urlsafe(24)


class User(TimestampMixin, db.Model):
    """A person who signs in: admin, director, organizer or volunteer leader."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'director', 'organizer', 'leader')", name="role_valid"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    locale: so.Mapped[str] = so.mapped_column(sa.String(10), default="en")
    # Languages this person organizes in (comma-separated codes), to match with contacts.
    languages: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    contact_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL", use_alter=True), index=True
    )
    # Rotated on logout-everywhere, password change, deactivation and scope changes;
    # part of the Flask-Login id, so an old session cookie stops working at once.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=new_session_token)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    password_changed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # Two-factor (TOTP). The last accepted time step blocks replay of a code.
    totp_secret: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    totp_enabled: so.Mapped[bool] = so.mapped_column(default=False)
    totp_last_step: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    recovery_codes: so.Mapped[list | None] = so.mapped_column(sa.JSON)
    # SMS prefill for follow-up text links; None means the program default.
    sms_template: so.Mapped[str | None] = so.mapped_column(sa.String(320))

    regions: so.Mapped[list[Region]] = so.relationship(secondary=user_regions, lazy="selectin")
    turfs: so.Mapped[list[Turf]] = so.relationship(
        secondary=user_turfs, back_populates="users", lazy="selectin"
    )
    contact: so.Mapped[Contact | None] = so.relationship(foreign_keys=[contact_id])

    # Flask-Login protocol ------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    # ---------------------------------------------------------------------------------
    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LeaderAssignment(db.Model):
    """A contact on a volunteer leader's follow-up list, put there by an organizer."""

    __tablename__ = "leader_assignments"
    __table_args__ = (sa.UniqueConstraint("leader_id", "contact_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    leader_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    assigned_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    leader: so.Mapped[User] = so.relationship(foreign_keys=[leader_id])
    contact: so.Mapped[Contact] = so.relationship()
