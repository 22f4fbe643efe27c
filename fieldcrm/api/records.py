"""The API's read models: scoped records as JSON-ready dicts, a page at a time.

Every query here goes through the same scoping functions as the pages
(fieldcrm.scoping, fieldcrm.turf.services.visible_packets), and contacts' personal fields
through fieldcrm.contacts.visibility, so a token sees what its user sees on the pages.
Lists are keyset pages in id order (fieldcrm.api.paging); each list reads a fixed number of
queries whatever its length (no query per record). Dates and times are ISO 8601 strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm import programtime
from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.export import (
    STORED_COLUMNS,
    best_phone,
    columns_for,
    emails_by_contact,
    phone_values,
    phones_by_contact,
)
from fieldcrm.contacts.models import Contact, Tag, contact_tags
from fieldcrm.conversations.models import Conversation
from fieldcrm.database import UTCDateTime
from fieldcrm.door import queries as door_queries
from fieldcrm.door.models import WalkPacket
from fieldcrm.errors import NotFound
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove, LadderStage
from fieldcrm.scoping import contact_id_order, contact_scope, visible_turfs
from fieldcrm.turf.models import Region, Turf


def iso(value: Any) -> Any:
    """Dates and times as ISO 8601 text (times in UTC); anything else as it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _one(records: list[dict], kind: str) -> dict:
    if not records:
        raise NotFound(kind)
    return records[0]


# -- contacts ------------------------------------------------------------------------------

# Columns the API adds to the export's: what organizers own and the bookkeeping a sync needs.
# Private notes stay in FieldCRM, as in the exports (README "API").
_CONTACT_EXTRA = {
    "turf_id": Contact.turf_id,
    "ladder_stage_id": Contact.ladder_stage_id,
    "ladder_stage": LadderStage.name,
    "preferred_languages": Contact.preferred_languages,
    "do_not_contact": Contact.do_not_contact,
    "last_attempt_at": Contact.last_attempt_at,
    "last_contacted_at": Contact.last_contacted_at,
    "created_at": Contact.created_at,
    "updated_at": Contact.updated_at,
    "version": Contact.version,
}


def contacts(
    actor: User, where: Sequence[sa.ColumnElement[bool]], after: int, limit: int
) -> list[dict]:
    """Up to `limit` contacts the actor may see, by id after `after`, matching `where`.

    The contacts export's full column set (less the columns the actor's role may not see),
    plus _CONTACT_EXTRA and tags. Four queries: contacts, phones, emails, tags.
    """
    columns = columns_for(actor, "full")
    stored = [c for c in columns if c in STORED_COLUMNS and c != "contact_id"]
    names = [*stored, *_CONTACT_EXTRA]
    selected = [
        Contact.id,
        Turf.name,
        *(STORED_COLUMNS[c] for c in stored),
        *_CONTACT_EXTRA.values(),
    ]
    rows = db.session.execute(
        sa.select(*selected)
        .outerjoin(Turf, Turf.id == Contact.turf_id)
        .outerjoin(LadderStage, LadderStage.id == Contact.ladder_stage_id)
        .where(contact_scope(actor), *where, Contact.id > after)
        .order_by(contact_id_order(actor, limit))
        .limit(limit)
    ).all()
    ids = [row[0] for row in rows]
    if not ids:
        return []
    phones, emails, tags = phones_by_contact(ids), emails_by_contact(ids), _tags(ids)
    # (name, row position or None for a derived column, is a date or time), in output order
    position = {name: i + 2 for i, name in enumerate(names)}
    dated = {
        name
        for name, column in zip(names, selected[2:], strict=True)
        if isinstance(column.type, sa.Date | sa.DateTime | UTCDateTime)
    }
    plan = [
        (name, position.get(name), name in dated)
        for name in (*(c for c in columns if c != "contact_id"), *_CONTACT_EXTRA)
    ]
    records = []
    for row in rows:
        own = phones.get(row[0], [])
        derived = {
            "phone": best_phone(own),
            "phones": phone_values(own),
            "email": emails.get(row[0]),
            "turf": row[1],
        }
        record: dict[str, Any] = {"id": row[0], "contact_id": row[0]}
        for name, at, is_date in plan:
            if at is None:
                record[name] = derived[name]
            else:
                value = row[at]
                record[name] = iso(value) if is_date and value is not None else value
        record["tags"] = tags.get(row[0], [])
        records.append(record)
    return records


def _tags(ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    for contact_id, name in db.session.execute(
        sa.select(contact_tags.c.contact_id, Tag.name)
        .join(Tag, Tag.id == contact_tags.c.tag_id)
        .where(contact_tags.c.contact_id.in_(ids))
        .order_by(Tag.name)
    ):
        tags.setdefault(contact_id, []).append(name)
    return tags


def contact(actor: User, contact_id: int) -> dict:
    """One contact as the list shows it. Raises NotFound outside the actor's scope."""
    return _one(contacts(actor, [Contact.id == contact_id], 0, 1), "contact")


def _page(
    query: sa.Select[Any],
    columns: dict[str, sa.ColumnElement[Any]],
    key: sa.ColumnElement[int],
    after: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` rows of `query` (its joins and conditions) with `key` after `after`, in
    `key` order, each a dict of `columns` by name, dates and times as ISO text. One query."""
    rows = db.session.execute(
        query.with_only_columns(*columns.values()).where(key > after).order_by(key).limit(limit)
    ).all()
    return [dict(zip(columns, map(iso, row), strict=True)) for row in rows]


def _voter(record: Any) -> dict[str, sa.ColumnElement[Any]]:
    """The columns every record about a person starts with: its id, the contact's ids."""
    return {
        "id": record.id,
        "contact_id": record.contact_id,
        "voter_id": Contact.voter_id,
        "source": Contact.source,
    }


# -- conversations -------------------------------------------------------------------------


def conversations(
    actor: User, where: Sequence[sa.ColumnElement[bool]], after: int, limit: int
) -> list[dict]:
    """Up to `limit` conversations on contacts the actor may see, by id. One query.

    The conversations export's columns (README "Exports"), plus the packet, the canvasser's
    id and timestamps. Like the export, no story, agitation or notes: they stay in FieldCRM.
    """
    c = Conversation
    query = (
        sa.select(c.id)
        .join(Contact, Contact.id == c.contact_id)
        .outerjoin(Turf, Turf.id == Contact.turf_id)
        .outerjoin(User, User.id == c.user_id)
        .where(contact_scope(actor), *where)
    )
    columns = {
        **_voter(c),
        "conversation_id": c.id,
        "date": c.occurred_at,  # the day in program time, below
        "occurred_at": c.occurred_at,
        "channel": c.channel,
        "result_code": c.result_code,
        "is_conversation": c.is_conversation,
        "support_level": c.support_level,
        "issues": c.issues,
        "issues_text": c.issues_text,
        "ask_kind": c.ask_kind,
        "ask_text": c.ask_text,
        "response": c.response,
        "follow_up_date": c.follow_up_date,
        "packet_id": c.packet_id,
        "turf": Turf.name,
        "user_id": c.user_id,
        "canvasser_email": User.email,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
    records = _page(query, columns, c.id, after, limit)
    for record in records:
        occurred = datetime.fromisoformat(record["date"])
        record["date"] = programtime.local_date(occurred).isoformat()
        record["issues"] = list(record["issues"] or [])
    return records


def conversation(actor: User, conversation_id: int) -> dict:
    """One conversation. Raises NotFound outside the actor's scope."""
    return _one(conversations(actor, [Conversation.id == conversation_id], 0, 1), "conversation")


# -- commitments ---------------------------------------------------------------------------


def commitments(
    actor: User, where: Sequence[sa.ColumnElement[bool]], after: int, limit: int
) -> list[dict]:
    """Up to `limit` commitments on contacts the actor may see, by id. One query.

    The commitments export's columns (README "Exports") plus the owner's id.
    """
    m = Commitment
    query = (
        sa.select(m.id)
        .join(Contact, Contact.id == m.contact_id)
        .outerjoin(User, User.id == m.owner_id)
        .where(contact_scope(actor), *where)
    )
    columns = {
        **_voter(m),
        "commitment_id": m.id,
        "conversation_id": m.conversation_id,
        "commitment_kind": m.kind,
        "description": m.description,
        "commitment_status": m.status,
        "due_date": m.due_date,
        "created_at": m.created_at,
        "status_changed_at": m.status_changed_at,
        "owner_id": m.owner_id,
        "owner_email": User.email,
        "updated_at": m.updated_at,
    }
    return _page(query, columns, m.id, after, limit)


def commitment(actor: User, commitment_id: int) -> dict:
    """One commitment. Raises NotFound outside the actor's scope."""
    return _one(commitments(actor, [Commitment.id == commitment_id], 0, 1), "commitment")


# -- ladder moves --------------------------------------------------------------------------


def ladder_moves(
    actor: User, where: Sequence[sa.ColumnElement[bool]], after: int, limit: int
) -> list[dict]:
    """Up to `limit` ladder moves of contacts the actor may see, by id. One query."""
    from_stage, to_stage = so.aliased(LadderStage), so.aliased(LadderStage)
    m = LadderMove
    query = (
        sa.select(m.id)
        .join(Contact, Contact.id == m.contact_id)
        .outerjoin(from_stage, from_stage.id == m.from_stage_id)
        .outerjoin(to_stage, to_stage.id == m.to_stage_id)
        .outerjoin(User, User.id == m.by_user_id)
        .where(contact_scope(actor), *where)
    )
    columns = {
        **_voter(m),
        "from_stage_id": m.from_stage_id,
        "from_stage": from_stage.name,
        "to_stage_id": m.to_stage_id,
        "to_stage": to_stage.name,
        "moved_at": m.moved_at,
        "by_user_id": m.by_user_id,
        "by_email": User.email,
        "reason": m.reason,
    }
    return _page(query, columns, m.id, after, limit)


def ladder_move(actor: User, move_id: int) -> dict:
    """One ladder move. Raises NotFound outside the actor's scope."""
    return _one(ladder_moves(actor, [LadderMove.id == move_id], 0, 1), "ladder move")


# -- turfs and packets ---------------------------------------------------------------------


def turfs(actor: User, where: Sequence[sa.ColumnElement[bool]], after: int, limit: int) -> list:
    """Up to `limit` turfs the actor works in, by id. One query."""
    query = visible_turfs(actor).join(Region, Region.id == Turf.region_id).where(*where)
    columns = {
        "id": Turf.id,
        "name": Turf.name,
        "region_id": Turf.region_id,
        "region": Region.name,
        "precinct_codes": Turf.precinct_codes,
        "zip_codes": Turf.zip_codes,
        "definition_version": Turf.definition_version,
        "updated_at": Turf.updated_at,
    }
    return _page(query, columns, Turf.id, after, limit)


def turf(actor: User, turf_id: int) -> dict:
    """One turf. Raises NotFound when the actor does not work in it."""
    return _one(turfs(actor, [Turf.id == turf_id], 0, 1), "turf")


def packets(actor: User, where: Sequence[sa.ColumnElement[bool]], after: int, limit: int) -> list:
    """Up to `limit` walk packets the actor may open, by id. Two queries (packets, progress)."""
    p = WalkPacket
    query = door_queries.visible_packets(actor).join(Turf, Turf.id == p.turf_id).where(*where)
    columns = {
        "id": p.id,
        "name": p.name,
        "turf_id": p.turf_id,
        "turf": Turf.name,
        "mode": p.mode,
        "assigned_user_id": p.assigned_user_id,
        "door_count": p.door_count,
        "created_at": p.created_at,
    }
    records = _page(query, columns, p.id, after, limit)
    progress = door_queries.packet_progress(r["id"] for r in records)
    for record in records:
        record["doors_attempted"] = progress.get(record["id"], 0)
    return records


def packet(actor: User, packet_id: int) -> dict:
    """One packet with its doors in walking order and the residents the actor may see.

    Raises NotFound when the actor may not open it.
    """
    item = _one(packets(actor, [WalkPacket.id == packet_id], 0, 1), "packet")
    row = door_queries.get_packet(actor, packet_id)
    doors = []
    for stop in door_queries.packet_stops(actor, row):
        doors.append(
            {
                "position": stop.door.position,
                "household_key": stop.door.household_key,
                "house_number": stop.door.house_number,
                "street_name": stop.door.street_name,
                "attempted": stop.attempted,
                "people": [
                    {
                        "id": person.id,
                        "display_name": person.display_name,
                        "first_name": person.first_name,
                        "last_name": person.last_name,
                        "unit": person.res_unit,
                        "phone": person.best_phone.e164 if person.best_phone else None,
                        "support_level": person.support_level,
                        "ladder_stage_id": person.ladder_stage_id,
                        "do_not_contact": person.do_not_contact,
                    }
                    for person in stop.people
                ],
            }
        )
    return {**item, "doors": doors}
