"""API: turfs and walk packets (a packet with its doors in walking order)."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.api import paging, records
from fieldcrm.api.schemas import PacketDetailOut, PacketOut, PacketQuery, TurfOut, TurfQuery
from fieldcrm.api.views import actor, answer, operation, query_args
from fieldcrm.door.models import WalkPacket


@operation(
    "/turfs",
    "GET",
    summary="List turfs",
    tag="turfs",
    description="The turfs you work in (admins: all), by id.",
    query=TurfQuery,
    answer=TurfOut,
    paged=True,
    errors=(422,),
)
def list_turfs():
    args = query_args(TurfQuery)
    after = paging.decode("turfs", args.cursor)
    rows = records.turfs(actor(), [], after, args.limit + 1)
    return answer(paging.page("turfs", rows, args.limit))


@operation(
    "/turfs/<int:turf_id>",
    "GET",
    summary="Get a turf",
    tag="turfs",
    answer=TurfOut,
    errors=(404,),
)
def get_turf(turf_id: int):
    return answer(records.turf(actor(), turf_id))


@operation(
    "/packets",
    "GET",
    summary="List walk packets",
    tag="turfs",
    description="The packets you may open (leaders: those assigned to them), by id, with "
    "how many of their doors were attempted.",
    query=PacketQuery,
    answer=PacketOut,
    paged=True,
    errors=(422,),
)
def list_packets():
    args = query_args(PacketQuery)
    after = paging.decode("packets", args.cursor)
    where: list[sa.ColumnElement[bool]] = []
    if args.turf_id:
        where.append(WalkPacket.turf_id == args.turf_id)
    if args.mine:
        where.append(WalkPacket.assigned_user_id == actor().id)
    rows = records.packets(actor(), where, after, args.limit + 1)
    return answer(paging.page("packets", rows, args.limit))


@operation(
    "/packets/<int:packet_id>",
    "GET",
    summary="Get a walk packet with its doors",
    tag="turfs",
    description="The doors in walking order (odd and even sides in house-number order), "
    "each with the residents you may see and whether it was attempted.",
    answer=PacketDetailOut,
    errors=(404,),
)
def get_packet(packet_id: int):
    return answer(records.packet(actor(), packet_id))
