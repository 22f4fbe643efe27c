"""Walk packets: the doors cut from a turf for one canvasser (or caller) per shift."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.database import TimestampMixin
from fieldcrm.extensions import db

if TYPE_CHECKING:
    from fieldcrm.auth.models import User
    from fieldcrm.turf.models import Turf


class WalkPacket(TimestampMixin, db.Model):
    """A list of doors cut from a turf for one canvasser (or caller) per shift."""

    __tablename__ = "walk_packets"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    turf_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("turfs.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="door")  # door | phone
    universe: so.Mapped[dict | None] = so.mapped_column(sa.JSON)  # the filter it was cut from
    assigned_user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    door_count: so.Mapped[int] = so.mapped_column(default=0)

    turf: so.Mapped[Turf] = so.relationship()
    assigned_user: so.Mapped[User | None] = so.relationship(foreign_keys=[assigned_user_id])
    doors: so.Mapped[list[PacketDoor]] = so.relationship(
        back_populates="packet", order_by="PacketDoor.position", cascade="all, delete-orphan"
    )


class PacketDoor(db.Model):
    """One door (household) in a walk packet, in walking order."""

    __tablename__ = "packet_doors"
    __table_args__ = (sa.UniqueConstraint("packet_id", "household_key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    packet_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("walk_packets.id", ondelete="CASCADE")
    )
    household_key: so.Mapped[str] = so.mapped_column(sa.String(300), index=True)
    position: so.Mapped[int]
    street_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    house_number: so.Mapped[int | None]

    packet: so.Mapped[WalkPacket] = so.relationship(back_populates="doors")
