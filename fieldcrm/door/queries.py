"""What the walk list reads: each person's latest result, a door's address, the people on
file who may be someone met at a door. Read-only; scoped to the actor like every page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.contacts.matching import Match, PersonProbe, find_matches
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.scoping import visible_conversations
from fieldcrm.turf.models import PacketDoor, WalkPacket


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
