"""What a device keeps to work offline: the person's packets and follow-ups.

Read-only. Everything is scoped like the pages (fieldcrm.scoping through the turf and
commitment queries) and shows only the contact fields the person's role may see
(fieldcrm.contacts.visibility): a leader's device never holds voter-file demographics.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy.orm as so

from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.commitments.queries import FollowUpFilters, active_followups, best_phones
from fieldcrm.contacts.models import Contact
from fieldcrm.contacts.visibility import can_see
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.services import choices
from fieldcrm.door.models import WalkPacket
from fieldcrm.door.queries import packet_stops, visible_packets
from fieldcrm.extensions import db
from fieldcrm.scoping import visible_conversations

MAX_PACKETS = 20
MAX_FOLLOW_UPS = 300
RECENT_DAYS = 30
MAX_RECENT = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _person(actor: User, contact: Contact, latest: dict[int, dict]) -> dict[str, Any]:
    person = {
        "id": contact.id,
        "name": contact.display_name,
        "unit": contact.res_unit,
        "support_level": contact.support_level,
        "do_not_contact": contact.do_not_contact,
        "languages": contact.preferred_languages,
        "phones": [p.e164 for p in contact.phones if p.valid and p.e164 and not p.do_not_call],
        "latest": latest.get(contact.id),
    }
    if can_see(actor, "birth_year"):
        person["birth_year"] = contact.birth_year
    return person


def assigned_packets(actor: User) -> list[WalkPacket]:
    """The packets assigned to the actor that the actor may still open, newest first."""
    return list(
        db.session.scalars(
            visible_packets(actor)
            .where(WalkPacket.assigned_user_id == actor.id)
            .options(so.joinedload(WalkPacket.turf))
            .order_by(WalkPacket.id.desc())
            .limit(MAX_PACKETS)
        )
    )


def recent_results(actor: User, now: datetime) -> list[dict[str, Any]]:
    """The actor's own attempts and conversations of the last RECENT_DAYS days."""
    rows = db.session.execute(
        visible_conversations(actor)
        .with_only_columns(
            Conversation.id,
            Conversation.contact_id,
            Conversation.result_code,
            Conversation.is_conversation,
            Conversation.channel,
            Conversation.occurred_at,
            Conversation.packet_id,
        )
        .where(
            Conversation.user_id == actor.id,
            Conversation.occurred_at >= now - timedelta(days=RECENT_DAYS),
        )
        .order_by(Conversation.occurred_at.desc(), Conversation.id.desc())
        .limit(MAX_RECENT)
    ).all()
    return [
        {
            "id": r.id,
            "contact_id": r.contact_id,
            "result": "talked" if r.is_conversation else r.result_code,
            "channel": r.channel,
            "at": _iso(r.occurred_at),
            "packet_id": r.packet_id,
        }
        for r in rows
    ]


def follow_ups(actor: User) -> list[dict[str, Any]]:
    """The actor's open and rescheduled follow-ups, by due date (undated last)."""
    items = list(
        db.session.scalars(
            active_followups(actor, actor.id, FollowUpFilters())
            .order_by(Commitment.due_date.is_(None), Commitment.due_date, Commitment.id)
            .limit(MAX_FOLLOW_UPS)
        )
    )
    phones = best_phones(sorted({c.contact_id for c in items if not c.contact.do_not_contact}))
    return [
        {
            "id": c.id,
            "contact_id": c.contact_id,
            "name": c.contact.display_name,
            "kind": c.kind,
            "description": c.description,
            "due_date": _iso(c.due_date),
            "status": c.status,
            "phone": phones.get(c.contact_id),
        }
        for c in items
    ]


def device_lists(actor: User, now: datetime) -> dict[str, Any]:
    """Everything the device stores for offline work, as JSON-ready data."""
    recent = recent_results(actor, now)
    latest: dict[int, dict] = {}
    for r in recent:  # newest first: the first seen per person is their latest
        latest.setdefault(r["contact_id"], {"result": r["result"], "at": r["at"]})
    packets = []
    for packet in assigned_packets(actor):
        stops = packet_stops(actor, packet)
        packets.append(
            {
                "id": packet.id,
                "name": packet.name,
                "mode": packet.mode,
                "turf": packet.turf.name,
                "door_count": packet.door_count,
                "doors": [
                    {
                        "position": s.door.position,
                        "household_key": s.door.household_key,
                        "house_number": s.door.house_number,
                        "street": s.door.street_name,
                        "attempted": s.attempted,
                        "people": [_person(actor, c, latest) for c in s.people],
                    }
                    for s in stops
                ],
            }
        )
    return {
        "user": {"id": actor.id, "name": actor.name, "role": actor.role},
        "refreshed_at": _iso(now),
        "result_codes": [{"code": c, "label": label} for c, label in choices("result_code")],
        "commitment_kinds": [
            {"code": c, "label": label} for c, label in choices("commitment_kind")
        ],
        "packets": packets,
        "follow_ups": follow_ups(actor),
        "recent": recent,
    }


def contact_ids(lists: dict[str, Any]) -> list[int]:
    """Every contact the lists name (packet residents and follow-ups), for page caching."""
    ids = {p["id"] for pk in lists["packets"] for d in pk["doors"] for p in d["people"]}
    ids.update(f["contact_id"] for f in lists["follow_ups"])
    return sorted(ids)
