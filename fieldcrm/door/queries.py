"""What door work reads: the packets an actor may open, their progress, a walk list's doors
and people in walk order with each person's latest result, a door's address, the people on
file who may be someone met at a door. Read-only; scoped to the actor like every page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.auth.models import Role, User
from fieldcrm.contacts.matching import Match, PersonProbe, find_matches
from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.conversations.models import Conversation
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.errors import NotFound
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_scope, turf_ids_subquery, visible_conversations


def visible_packets(actor: User | None) -> sa.Select[tuple[WalkPacket]]:
    """SELECT packets the actor may open: admins all; directors and organizers those of
    their turfs (and any assigned to them); leaders those assigned to them."""
    if actor is None or not actor.active:
        return sa.select(WalkPacket).where(sa.false())
    if actor.role == Role.ADMIN:
        return sa.select(WalkPacket)
    if actor.role == Role.LEADER:
        return sa.select(WalkPacket).where(WalkPacket.assigned_user_id == actor.id)
    return sa.select(WalkPacket).where(
        sa.or_(
            WalkPacket.turf_id.in_(turf_ids_subquery(actor)),
            WalkPacket.assigned_user_id == actor.id,
        )
    )


def get_packet(actor: User | None, packet_id: int) -> WalkPacket:
    """The packet if the actor may open it. Raises NotFound otherwise."""
    packet = db.session.scalar(visible_packets(actor).where(WalkPacket.id == packet_id))
    if packet is None:
        raise NotFound("packet")
    return packet


def packet_progress(packet_ids: Iterable[int]) -> dict[int, int]:
    """Doors attempted per packet id.

    A door counts as attempted when any resident (a contact of the packet's turf with the
    door's household key) has a conversation (any attempt) logged with that packet, or
    logged at or after the packet's creation.
    """
    ids = list(packet_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(PacketDoor.packet_id, sa.func.count(sa.distinct(PacketDoor.id)))
        .join(WalkPacket, WalkPacket.id == PacketDoor.packet_id)
        .join(
            Contact,
            sa.and_(
                Contact.household_key == PacketDoor.household_key,
                Contact.turf_id == WalkPacket.turf_id,
            ),
        )
        .join(Conversation, Conversation.contact_id == Contact.id)
        .where(
            PacketDoor.packet_id.in_(ids),
            sa.or_(
                Conversation.packet_id == WalkPacket.id,
                Conversation.occurred_at >= WalkPacket.created_at,
            ),
        )
        .group_by(PacketDoor.packet_id)
    ).all()
    done = dict.fromkeys(ids, 0)
    done.update((row[0], row[1]) for row in rows)
    return done


@dataclass
class PacketStop:
    """One door of a packet, with its residents in the actor's scope and whether it was
    attempted for this packet."""

    door: PacketDoor
    people: list[Contact]
    attempted: bool


def packet_stops(actor: User, packet: WalkPacket) -> list[PacketStop]:
    """The packet's doors in walk order with their residents (scoped to the actor).

    Three queries: doors, residents with phones, attempted households.
    """
    doors = list(
        db.session.scalars(
            sa.select(PacketDoor)
            .where(PacketDoor.packet_id == packet.id)
            .order_by(PacketDoor.position)
        )
    )
    residents = db.session.scalars(
        sa.select(Contact)
        .join(
            PacketDoor,
            sa.and_(
                PacketDoor.household_key == Contact.household_key,
                PacketDoor.packet_id == packet.id,
            ),
        )
        .where(Contact.turf_id == packet.turf_id, contact_scope(actor))
        .options(so.selectinload(Contact.phones))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    ).all()
    by_key: dict[str, list[Contact]] = {}
    for contact in residents:
        by_key.setdefault(contact.household_key or "", []).append(contact)
    attempted = set(
        db.session.scalars(
            sa.select(Contact.household_key)
            .distinct()
            .join(Conversation, Conversation.contact_id == Contact.id)
            .join(
                PacketDoor,
                sa.and_(
                    PacketDoor.household_key == Contact.household_key,
                    PacketDoor.packet_id == packet.id,
                ),
            )
            .where(
                Contact.turf_id == packet.turf_id,
                sa.or_(
                    Conversation.packet_id == packet.id,
                    Conversation.occurred_at >= packet.created_at,
                ),
            )
        )
    )
    # Doors cut from contacts without a household key are keyed "contact:<id>".
    loose = [int(d.household_key[8:]) for d in doors if d.household_key.startswith("contact:")]
    if loose:
        for contact in db.session.scalars(
            sa.select(Contact)
            .where(Contact.id.in_(loose), Contact.turf_id == packet.turf_id, contact_scope(actor))
            .options(so.selectinload(Contact.phones))
        ):
            by_key[f"contact:{contact.id}"] = [contact]
    return [
        PacketStop(
            door=d, people=by_key.get(d.household_key, []), attempted=d.household_key in attempted
        )
        for d in doors
    ]


def phone_bank(actor: User, packet: WalkPacket) -> list[tuple[Contact, ContactPhone]]:
    """People of the packet (scoped) with a dialable phone, in walk order."""
    return [
        (person, person.best_phone)
        for stop in packet_stops(actor, packet)
        for person in stop.people
        if person.best_phone is not None and not person.do_not_contact
    ]


@dataclass(frozen=True)
class LatestResult:
    """A person's most recent attempt: "talked" or the failed attempt's result code."""

    result: str
    at: datetime
    channel: str


def latest_results(actor: User, contact_ids: Iterable[int]) -> dict[int, LatestResult]:
    """{contact id: latest attempt or conversation by anyone}, for the contacts the actor
    may see. One query (ranked by time per contact, on ix_conversations_contact_when)."""
    ids = sorted(set(contact_ids))
    if not ids:
        return {}
    rank = (
        sa.func.row_number()
        .over(
            partition_by=Conversation.contact_id,
            order_by=(Conversation.occurred_at.desc(), Conversation.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        visible_conversations(actor)
        .with_only_columns(
            Conversation.contact_id,
            Conversation.result_code,
            Conversation.is_conversation,
            Conversation.occurred_at,
            Conversation.channel,
            rank,
        )
        .where(Conversation.contact_id.in_(ids))
        .subquery()
    )
    rows = db.session.execute(sa.select(ranked).where(ranked.c.rank == 1))
    return {
        r.contact_id: LatestResult(
            "talked" if r.is_conversation else (r.result_code or "talked"),
            r.occurred_at,
            r.channel,
        )
        for r in rows
    }


def packet_door(packet: WalkPacket, household_key: str | None) -> PacketDoor | None:
    """The packet's door with that household key, if it has one."""
    if not household_key:
        return None
    return db.session.scalar(
        sa.select(PacketDoor).where(
            PacketDoor.packet_id == packet.id, PacketDoor.household_key == household_key
        )
    )


@dataclass(frozen=True)
class DoorAddress:
    """Where a door is, as a person added there gets it."""

    line1: str | None
    city: str | None
    state: str | None
    zip5: str | None


def door_address(packet: WalkPacket, door: PacketDoor) -> DoorAddress:
    """The door's address: that of a resident on file (the packet's turf), else the house
    number and street the door was cut with."""
    neighbour = db.session.scalar(
        sa.select(Contact)
        .where(Contact.household_key == door.household_key, Contact.turf_id == packet.turf_id)
        .order_by(Contact.id)
        .limit(1)
    )
    if neighbour is not None:
        return DoorAddress(
            neighbour.res_line1, neighbour.res_city, neighbour.res_state, neighbour.res_zip5
        )
    line1 = " ".join(str(p) for p in (door.house_number, door.street_name) if p) or None
    return DoorAddress(line1, None, None, None)


def people_on_file_at_door(
    actor: User,
    packet: WalkPacket,
    door: PacketDoor,
    first_name: str | None,
    last_name: str | None,
    unit: str | None = None,
) -> list[Match]:
    """The people on file the actor may be offered as someone met at this door (named
    `first_name last_name`): contacts.matching.find_matches at the door's address, so the
    same door and name come first and a volunteer leader is offered only that door."""
    address = door_address(packet, door)
    probe = PersonProbe(
        first_name=first_name,
        last_name=last_name,
        res_line1=address.line1,
        res_unit=unit,
        res_city=address.city,
        res_zip5=address.zip5,
    )
    return find_matches(actor, probe)
