"""Regions, turfs, weekly goals and the geocode cache (walk packets: fieldcrm.door.models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin, utcnow
from fieldcrm.extensions import db

if TYPE_CHECKING:
    from fieldcrm.auth.models import User


class Region(TimestampMixin, db.Model):
    """A director's area: a set of turfs."""

    __tablename__ = "regions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)

    turfs: so.Mapped[list[Turf]] = so.relationship(
        back_populates="region", order_by="Turf.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Region {self.id} {self.name}>"


class Turf(TimestampMixin, db.Model):
    """A geographic set of doors inside a region, defined by precincts, ZIPs and/or an area.

    Definition precedence when a contact matches several parts: precinct, then area, then ZIP
    (see fieldcrm.turf.services.assign_contacts_to_turfs).
    """

    __tablename__ = "turfs"
    __table_args__ = (sa.UniqueConstraint("region_id", "name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    region_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    precinct_codes: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    zip_codes: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    geojson: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    # Bumped on every definition change; the reassignment job records what it applied.
    definition_version: so.Mapped[int] = so.mapped_column(default=1)

    region: so.Mapped[Region] = so.relationship(back_populates="turfs")
    users: so.Mapped[list[User]] = so.relationship(
        secondary="user_turfs", back_populates="turfs", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<Turf {self.id} {self.name}>"


class WeeklyGoal(TimestampMixin, db.Model):
    """An organizer's weekly targets, set by their director (week_start None = standing goal)."""

    __tablename__ = "weekly_goals"
    __table_args__ = (sa.UniqueConstraint("user_id", "week_start"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    week_start: so.Mapped[date | None]
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    conversations: so.Mapped[int] = so.mapped_column(default=0)
    one_on_ones: so.Mapped[int] = so.mapped_column(default=0)
    commitments: so.Mapped[int] = so.mapped_column(default=0)
    set_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class GeocodeCacheEntry(db.Model):
    """A geocoder answer cached by normalised address, so a service is asked once."""

    __tablename__ = "geocode_cache"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    address_key: so.Mapped[str] = so.mapped_column(sa.String(400), unique=True)
    latitude: so.Mapped[float | None]
    longitude: so.Mapped[float | None]
    source: so.Mapped[str] = so.mapped_column(sa.String(40))
    precision: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Boundary(TimestampMixin, db.Model):
    """The shape of a precinct or a ZIP code, loaded by the program (`fieldcrm turf
    boundaries`), to draw the outline of turfs defined by those codes.

    Shapes only draw maps: who is in a turf is decided by the codes (and drawn areas).
    """

    __tablename__ = "boundaries"
    __table_args__ = (sa.UniqueConstraint("kind", "code"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))  # precinct | zip
    code: so.Mapped[str] = so.mapped_column(sa.String(40))  # as turfs list it (upper case)
    name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    geojson: so.Mapped[dict] = so.mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<Boundary {self.kind} {self.code}>"
