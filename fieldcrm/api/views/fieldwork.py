"""API: conversations, commitments and ladder moves (list, get, create; commitment outcomes)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm.api import paging, records
from fieldcrm.api.errors import InputInvalid
from fieldcrm.api.schemas import (
    CommitmentCreate,
    CommitmentOut,
    CommitmentOutcome,
    CommitmentQuery,
    ConversationCreate,
    ConversationOut,
    ConversationQuery,
    LadderMoveCreate,
    LadderMoveOut,
    LadderMoveQuery,
)
from fieldcrm.api.views import (
    MissingReference,
    actor,
    answer,
    json_body,
    operation,
    query_args,
    renamed,
    write,
)
from fieldcrm.auth.models import Role
from fieldcrm.commitments import services as commitment_services
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations import services as conversation_services
from fieldcrm.conversations.models import Conversation
from fieldcrm.door import queries as door_queries
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.ladder import services as ladder_services
from fieldcrm.ladder.models import LadderMove, LadderStage
from fieldcrm.scoping import get_contact, visible_commitments

# Roles that move people on the ladder (as on the pages).
LADDER_ROLES = (Role.ADMIN, Role.DIRECTOR, Role.ORGANIZER)


def _contact(contact_id: int) -> Contact:
    """The contact a body names, if in scope. Raises MissingReference (404) otherwise."""
    try:
        return get_contact(actor(), contact_id)
    except NotFound:
        raise MissingReference("contact_id") from None


# -- conversations -------------------------------------------------------------------------


@operation(
    "/conversations",
    "GET",
    summary="List conversations",
    tag="conversations",
    description="Attempts and conversations with the contacts you may see, by id. `since` "
    "returns those logged or edited since (for syncing).",
    query=ConversationQuery,
    answer=ConversationOut,
    paged=True,
    errors=(422,),
)
def list_conversations():
    args = query_args(ConversationQuery)
    after = paging.decode("conversations", args.cursor)
    where: list[sa.ColumnElement[bool]] = []
    if args.since:
        where.append(Conversation.updated_at >= args.since)
    if args.contact_id:
        where.append(Conversation.contact_id == args.contact_id)
    rows = records.conversations(actor(), where, after, args.limit + 1)
    return answer(paging.page("conversations", rows, args.limit))


@operation(
    "/conversations/<int:conversation_id>",
    "GET",
    summary="Get a conversation",
    tag="conversations",
    answer=ConversationOut,
    errors=(404,),
)
def get_conversation(conversation_id: int):
    return answer(records.conversation(actor(), conversation_id))


@operation(
    "/conversations",
    "POST",
    summary="Log an attempt or a conversation",
    tag="conversations",
    description='A failed attempt carries a `result_code` (`{"contact_id": 12, "channel": '
    '"door", "result_code": "not_home"}`); without one it is a conversation, which may hold '
    "the one-on-one's parts, a support level and commitments. Send an Idempotency-Key so a "
    "retried request stores one record.",
    body=ConversationCreate,
    answer=ConversationOut,
    status=201,
    headers=("Idempotency-Key",),
    errors=(404, 415, 422),
)
def create_conversation():
    body, raw = json_body(ConversationCreate)

    def save() -> int:
        who = actor()
        contact = _contact(body.contact_id)
        if body.packet_id is not None:
            try:
                door_queries.get_packet(who, body.packet_id)
            except NotFound:
                raise MissingReference("packet_id") from None
        data = conversation_services.ConversationInput(
            channel=body.channel,
            result_code=body.result_code,
            occurred_at=body.occurred_at,
            support_level=body.support_level,
            issues=tuple(body.issues),
            issues_text=body.issues_text,
            story=body.story,
            agitation=body.agitation,
            ask_kind=body.ask_kind,
            ask_text=body.ask_text,
            response=body.response,
            notes=body.notes,
            follow_up_date=body.follow_up_date,
            commitments=tuple(
                commitment_services.CommitmentInput(
                    kind=c.commitment_kind,
                    description=c.description,
                    due_date=c.due_date,
                    owner_id=c.owner_id,
                )
                for c in body.commitments
            ),
            packet_id=body.packet_id,
        )
        try:
            return conversation_services.log_conversation(who, contact, data).id
        except ValidationFailed as exc:
            raise renamed(
                exc, {"kind": "commitments.commitment_kind", "owner_id": "commitments.owner_id"}
            ) from None

    return write(
        "conversations.create",
        raw,
        save,
        lambda conversation_id: records.conversation(actor(), conversation_id),
    )


# -- commitments ---------------------------------------------------------------------------


@operation(
    "/commitments",
    "GET",
    summary="List commitments",
    tag="commitments",
    description="Commitments of the contacts you may see, by id.",
    query=CommitmentQuery,
    answer=CommitmentOut,
    paged=True,
    errors=(422,),
)
def list_commitments():
    args = query_args(CommitmentQuery)
    after = paging.decode("commitments", args.cursor)
    where: list[sa.ColumnElement[bool]] = []
    if args.status:
        where.append(Commitment.status == args.status)
    if args.due_after:
        where.append(Commitment.due_date >= args.due_after)
    if args.due_before:
        where.append(Commitment.due_date <= args.due_before)
    if args.owner_id:
        where.append(Commitment.owner_id == args.owner_id)
    if args.contact_id:
        where.append(Commitment.contact_id == args.contact_id)
    rows = records.commitments(actor(), where, after, args.limit + 1)
    return answer(paging.page("commitments", rows, args.limit))


@operation(
    "/commitments/<int:commitment_id>",
    "GET",
    summary="Get a commitment",
    tag="commitments",
    answer=CommitmentOut,
    errors=(404,),
)
def get_commitment(commitment_id: int):
    return answer(records.commitment(actor(), commitment_id))


@operation(
    "/commitments",
    "POST",
    summary="Record a commitment",
    tag="commitments",
    description="A promise by a contact to do something by a date; you follow it up unless "
    "`owner_id` names someone on your team.",
    body=CommitmentCreate,
    answer=CommitmentOut,
    status=201,
    headers=("Idempotency-Key",),
    errors=(404, 415, 422),
)
def create_commitment():
    body, raw = json_body(CommitmentCreate)

    def save() -> int:
        contact = _contact(body.contact_id)
        data = commitment_services.CommitmentInput(
            kind=body.commitment_kind,
            description=body.description,
            due_date=body.due_date,
            owner_id=body.owner_id,
        )
        try:
            return commitment_services.record_commitment(actor(), contact, data).id
        except ValidationFailed as exc:
            raise renamed(exc, {"kind": "commitment_kind"}) from None

    return write("commitments.create", raw, save, lambda i: records.commitment(actor(), i))


@operation(
    "/commitments/<int:commitment_id>/outcome",
    "POST",
    summary="Set a commitment's outcome",
    tag="commitments",
    description="kept, flaked, rescheduled (with `new_due_date`), cancelled, or open again; "
    "the history keeps every step.",
    body=CommitmentOutcome,
    answer=CommitmentOut,
    headers=("Idempotency-Key",),
    errors=(404, 415, 422),
)
def set_commitment_outcome(commitment_id: int):
    who = actor()
    commitment = db.session.scalar(visible_commitments(who).where(Commitment.id == commitment_id))
    if commitment is None:
        raise NotFound("commitment")
    body, raw = json_body(CommitmentOutcome)

    def save() -> int:
        try:
            commitment_services.set_status(
                who,
                commitment,
                body.commitment_status,
                note=body.note,
                new_due_date=body.new_due_date,
            )
        except ValidationFailed as exc:
            raise renamed(exc, {"status": "commitment_status"}) from None
        return commitment_id

    return write(
        f"commitments.outcome.{commitment_id}",
        raw,
        save,
        lambda i: records.commitment(actor(), i),
        status=200,
    )


# -- ladder moves --------------------------------------------------------------------------


@operation(
    "/ladder-moves",
    "GET",
    summary="List ladder moves",
    tag="ladder",
    description="Moves up and down the leadership ladder of the contacts you may see, by id.",
    query=LadderMoveQuery,
    answer=LadderMoveOut,
    paged=True,
    errors=(422,),
)
def list_ladder_moves():
    args = query_args(LadderMoveQuery)
    after = paging.decode("ladder-moves", args.cursor)
    where: list[sa.ColumnElement[bool]] = []
    if args.since:
        where.append(LadderMove.moved_at >= args.since)
    if args.contact_id:
        where.append(LadderMove.contact_id == args.contact_id)
    rows = records.ladder_moves(actor(), where, after, args.limit + 1)
    return answer(paging.page("ladder-moves", rows, args.limit))


@operation(
    "/ladder-moves/<int:move_id>",
    "GET",
    summary="Get a ladder move",
    tag="ladder",
    answer=LadderMoveOut,
    errors=(404,),
)
def get_ladder_move(move_id: int):
    return answer(records.ladder_move(actor(), move_id))


@operation(
    "/ladder-moves",
    "POST",
    summary="Move a contact on the ladder",
    tag="ladder",
    description="To the stage `to_stage_id` (null takes them off the ladder). Admins, "
    "directors and organizers only, as on the pages.",
    body=LadderMoveCreate,
    answer=LadderMoveOut,
    status=201,
    headers=("Idempotency-Key",),
    errors=(403, 404, 415, 422),
)
def create_ladder_move():
    who = actor()
    if who.role not in LADDER_ROLES:
        raise PermissionDenied("ladder")
    body, raw = json_body(LadderMoveCreate)

    def save() -> int:
        contact = _contact(body.contact_id)
        stage = None
        if body.to_stage_id is not None:
            stage = db.session.get(LadderStage, body.to_stage_id)
            if stage is None:
                raise InputInvalid({"to_stage_id": [_("Unknown stage.")]})
        try:
            return ladder_services.move_contact(who, contact, stage, body.reason).id
        except ValidationFailed as exc:
            raise renamed(exc, {"stage": "to_stage_id"}) from None

    return write("ladder-moves.create", raw, save, lambda i: records.ladder_move(actor(), i))
