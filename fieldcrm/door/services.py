"""Door services: cutting a turf into walk packets, assigning and deleting packets.

The walk order and the cut itself are pure (fieldcrm.door.cutting); who may open a packet
and what its walk list shows are read in fieldcrm.door.queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit
from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.models import Contact
from fieldcrm.door.cutting import Door, cut_packets
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_scope, turf_ids_subquery
from fieldcrm.turf.models import Turf
from fieldcrm.turf.services import DEFAULT_STALE_DAYS, UNIVERSES, universe_clause
from fieldcrm.votes.queries import VoteFilter


def ensure_can_cut(actor: User | None, turf: Turf) -> None:
    """Admins, the turf's region directors and its organizers may cut and assign packets.

    Raises NotFound (turf out of scope) or PermissionDenied (leaders).
    """
    if actor is None or not actor.active:
        raise NotFound("turf")
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.LEADER:
        raise PermissionDenied("packets")
    visible = db.session.scalar(
        sa.select(Turf.id).where(Turf.id == turf.id, Turf.id.in_(turf_ids_subquery(actor)))
    )
    if visible is None:
        raise NotFound("turf")


def _house_number_raw(contact_row: sa.Row) -> str:
    if contact_row.res_house_number is not None:
        return str(contact_row.res_house_number)
    line = (contact_row.res_line1 or "").strip()
    return line.split(" ", 1)[0] if line else ""


def turf_doors(
    actor: User,
    turf: Turf,
    universe: str,
    now: datetime,
    days: int,
    votes: VoteFilter | None = None,
) -> list[Door]:
    """The doors (households) of the actor-visible people in the turf's universe."""
    rows = db.session.execute(
        sa.select(
            Contact.id,
            Contact.household_key,
            Contact.res_street_name,
            Contact.res_house_number,
            Contact.res_line1,
            Contact.res_unit,
            Contact.latitude,
            Contact.longitude,
            Contact.precinct_code,
        ).where(
            Contact.turf_id == turf.id,
            contact_scope(actor),
            universe_clause(universe, now, days, votes),
        )
    ).all()
    by_key: dict[str, dict] = {}
    for r in rows:
        key = r.household_key or f"contact:{r.id}"
        door = by_key.get(key)
        if door is None:
            by_key[key] = {
                "key": key,
                "street_name": r.res_street_name or (r.res_line1 or ""),
                "house_number": r.res_house_number,
                "house_number_raw": _house_number_raw(r),
                "unit": r.res_unit or "",
                "lat": r.latitude,
                "lon": r.longitude,
                "people": 1,
                "precinct": r.precinct_code,
            }
        else:
            door["people"] += 1
    return [Door(**d) for d in by_key.values()]


@dataclass(frozen=True)
class CutInput:
    """What to cut: a universe, a packet size, walk (door) or phone, and a name prefix."""

    universe: str = "all"
    target_size: int = 50
    mode: str = "door"
    stale_days: int = DEFAULT_STALE_DAYS
    name_prefix: str | None = None
    assigned_user_id: int | None = None
    #: narrows the universe by vote history (fieldcrm.votes.queries)
    votes: VoteFilter | None = None


def cut_turf(actor: User, turf: Turf, data: CutInput, now: datetime) -> list[WalkPacket]:
    """Cut the turf's universe into walk packets of about `target_size` doors.

    Doors are households (Contact.household_key); whole streets stay together, walked up
    the odd side and back down the even side, packets geographically compact when coordinates
    exist (fieldcrm.door.cutting.cut_packets). Packets are named "<prefix> NN", numbered
    after the turf's existing packets. Raises NotFound/PermissionDenied (see ensure_can_cut)
    and ValidationFailed (bad size, mode or universe, or no doors). Flushes; audits.
    """
    ensure_can_cut(actor, turf)
    if not 5 <= data.target_size <= 500:
        raise ValidationFailed([("target_size", _("Packets hold 5 to 500 doors."))])
    if data.mode not in ("door", "phone"):
        raise ValidationFailed([("mode", _("Walk or phone."))])
    if data.universe not in UNIVERSES:
        raise ValidationFailed([("universe", _("Unknown universe."))])
    assignee = _check_assignee(actor, turf, data.assigned_user_id)
    doors = turf_doors(actor, turf, data.universe, now, data.stale_days, data.votes)
    if not doors:
        raise ValidationFailed([(None, _("Nobody in this turf matches that universe."))])
    cuts = cut_packets(doors, target_size=data.target_size)
    existing = db.session.scalar(
        sa.select(sa.func.count(WalkPacket.id)).where(WalkPacket.turf_id == turf.id)
    )
    prefix = (data.name_prefix or "").strip()[:100] or turf.name
    universe = {"name": data.universe, "stale_days": data.stale_days}
    if data.votes is not None and data.votes.kind:
        universe["votes"] = data.votes.describe()
    packets = [
        WalkPacket(
            turf_id=turf.id,
            name=f"{prefix} {existing + i + 1:02d}",
            mode=data.mode,
            universe=universe,
            assigned_user_id=assignee.id if assignee else None,
            created_by_id=actor.id,
            door_count=len(chunk),
        )
        for i, chunk in enumerate(cuts)
    ]
    db.session.add_all(packets)
    db.session.flush()
    rows = [
        {
            "packet_id": packet.id,
            "household_key": door.key,
            "position": position,
            "street_name": door.street_name[:200] or None,
            "house_number": door.house_number,
        }
        for packet, chunk in zip(packets, cuts, strict=True)
        for position, door in enumerate(chunk, start=1)
    ]
    db.session.execute(sa.insert(PacketDoor), rows)
    audit.record(
        "turf.cut",
        actor=actor,
        entity=turf,
        packets=len(packets),
        doors=len(rows),
        universe=data.universe,
    )
    return packets


def _check_assignee(actor: User, turf: Turf, user_id: int | None) -> User | None:
    if not user_id:
        return None
    user = db.session.get(User, user_id)
    ok = (
        user is not None
        and user.active
        and user.role in (Role.ORGANIZER, Role.LEADER)
        and any(t.id == turf.id for t in user.turfs)
    )
    if not ok:
        raise ValidationFailed(
            [("assigned_user_id", _("Pick an organizer or leader of this turf."))]
        )
    return user


def assign_packet(actor: User, packet: WalkPacket, user_id: int | None) -> None:
    """Assign a packet to an organizer or leader of its turf (None = unassigned).

    Raises NotFound/PermissionDenied (see ensure_can_cut), ValidationFailed. Flushes; audits.
    """
    ensure_can_cut(actor, packet.turf)
    assignee = _check_assignee(actor, packet.turf, user_id)
    packet.assigned_user_id = assignee.id if assignee else None
    db.session.flush()
    audit.record("packet.assign", actor=actor, entity=packet, user_id=packet.assigned_user_id)


def delete_packet(actor: User, packet: WalkPacket) -> None:
    """Delete a packet (its doors go with it; logged conversations keep their history).

    Raises NotFound/PermissionDenied (see ensure_can_cut). Flushes; audits.
    """
    ensure_can_cut(actor, packet.turf)
    audit.record("packet.delete", actor=actor, entity=packet, name=packet.name)
    db.session.delete(packet)
    db.session.flush()
