"""Turf services: regions, turfs, overlaps, and assigning contacts to turfs by definition."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm import audit, programtime
from fieldcrm.auth.models import Role, User, new_session_token, user_regions, user_turfs
from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.conversations.models import Conversation
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.lib.geo import (
    EARTH_RADIUS_MILES,
    GeoJSONArea,
    bounding_box,
    geojson_overlap,
    haversine_miles,
    zip_centroid,
)
from fieldcrm.lib.geocode import normalize_address_key
from fieldcrm.rollups.maintain import bulk_contact_change
from fieldcrm.scoping import contact_scope, turf_ids_subquery, visible_users
from fieldcrm.turf.cutting import Door, cut_packets
from fieldcrm.turf.models import (
    GeocodeCacheEntry,
    PacketDoor,
    Region,
    Turf,
    WalkPacket,
    WeeklyGoal,
)
from fieldcrm.votes.queries import VoteFilter, vote_history_clause

# Contacts are re-assigned to area turfs in chunks of this many coordinates.
AREA_CHUNK = 20_000


def _clean_codes(codes: Iterable[str]) -> list[str]:
    return sorted({c.strip().upper() for c in codes if c and c.strip()})


def create_region(actor: User | None, name: str) -> Region:
    """Create a region. Raises ValidationFailed on a blank or duplicate name. Flushes."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([("name", "Name the region.")])
    if db.session.scalar(sa.select(Region.id).where(Region.name == name)):
        raise ValidationFailed([("name", "A region with this name exists.")])
    region = Region(name=name)
    db.session.add(region)
    db.session.flush()
    audit.record("region.create", actor=actor, entity=region)
    return region


def _checked_definition(
    region_id: int,
    turf_id: int | None,
    name: str,
    precinct_codes: Iterable[str],
    zip_codes: Iterable[str],
    geojson: dict | None,
) -> tuple[str, list[str], list[str]]:
    """(name, precincts, ZIPs) cleaned; raises ValidationFailed for a blank or duplicate
    name in the region, or a definition with no precinct, ZIP or area."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([("name", "Name the turf.")])
    precincts, zips = _clean_codes(precinct_codes), _clean_codes(zip_codes)
    if not (precincts or zips or geojson):
        raise ValidationFailed([(None, "Define the turf by precincts, ZIP codes or an area.")])
    stmt = sa.select(Turf.id).where(Turf.region_id == region_id, Turf.name == name)
    if turf_id is not None:
        stmt = stmt.where(Turf.id != turf_id)
    if db.session.scalar(stmt):
        raise ValidationFailed([("name", "This region already has a turf with that name.")])
    return name, precincts, zips


def create_turf(
    actor: User | None,
    region: Region,
    name: str,
    precinct_codes: Iterable[str] = (),
    zip_codes: Iterable[str] = (),
    geojson: dict | None = None,
) -> Turf:
    """Create a turf in a region. Raises ValidationFailed (blank/duplicate name, empty
    definition). Flushes. Contacts are assigned separately (assign_contacts_to_turfs)."""
    name, precincts, zips = _checked_definition(
        region.id, None, name, precinct_codes, zip_codes, geojson
    )
    turf = Turf(region=region, name=name, precinct_codes=precincts, zip_codes=zips, geojson=geojson)
    db.session.add(turf)
    db.session.flush()
    audit.record("turf.create", actor=actor, entity=turf)
    return turf


def ensure_can_manage_region(actor: User | None, region: Region) -> None:
    """Admins manage every region's turfs, directors those of their own regions.

    Raises PermissionDenied otherwise.
    """
    if actor is None or not actor.active:
        raise PermissionDenied("turf")
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.DIRECTOR:
        mine = db.session.scalar(
            sa.select(user_regions.c.region_id).where(
                user_regions.c.user_id == actor.id, user_regions.c.region_id == region.id
            )
        )
        if mine is not None:
            return
    raise PermissionDenied("turf")


def update_turf(
    actor: User | None,
    turf: Turf,
    name: str,
    precinct_codes: Iterable[str] = (),
    zip_codes: Iterable[str] = (),
    geojson: dict | None = None,
) -> bool:
    """Rename or redefine a turf; returns True when the definition changed.

    A changed definition bumps `definition_version` (the caller then enqueues the
    reassignment job; contacts are never moved inside a request). Raises ValidationFailed
    (blank/duplicate name, empty definition). Flushes; audits.
    """
    name, precincts, zips = _checked_definition(
        turf.region_id, turf.id, name, precinct_codes, zip_codes, geojson
    )
    changed = (
        precincts != list(turf.precinct_codes or [])
        or zips != list(turf.zip_codes or [])
        or (geojson or None) != (turf.geojson or None)
    )
    turf.name = name
    if changed:
        turf.precinct_codes, turf.zip_codes, turf.geojson = precincts, zips, geojson
        turf.definition_version = (turf.definition_version or 1) + 1
    db.session.flush()
    audit.record("turf.update", actor=actor, entity=turf, definition_changed=changed)
    return changed


def set_turf_people(actor: User | None, turf: Turf, user_ids: Iterable[int]) -> None:
    """Make `user_ids` (organizers and leaders) the people assigned to the turf.

    Users whose turfs change get a new session token (their scope changed). Raises
    ValidationFailed for a user the actor can't see (directors: people of their regions),
    or an inactive, admin or director user. Flushes; audits.
    """
    wanted = set(user_ids)
    users = (
        list(db.session.scalars(visible_users(actor).where(User.id.in_(wanted)))) if wanted else []
    )
    bad = [u for u in users if not u.active or u.role not in (Role.ORGANIZER, Role.LEADER)]
    if bad or len(users) != len(wanted):
        raise ValidationFailed([("people", "Pick active organizers and leaders.")])
    before = {u.id: u for u in turf.users}
    for user in users:
        if user.id not in before:
            turf.users.append(user)
            user.session_token = new_session_token()
    for uid, user in before.items():
        if uid not in wanted:
            turf.users.remove(user)
            user.session_token = new_session_token()
    db.session.flush()
    audit.record("turf.people", actor=actor, entity=turf, user_ids=sorted(wanted))


def turf_overlaps(
    precinct_codes: Iterable[str],
    zip_codes: Iterable[str],
    geojson: dict | None,
    exclude_turf_id: int | None = None,
) -> list[tuple[str, str]]:
    """(other turf name, what overlaps) for every other turf sharing a precinct, a ZIP or
    area with this definition. Turfs should not overlap; the pages warn, never refuse,
    because a redistricting may need two turfs to overlap for a day."""
    precincts, zips = set(_clean_codes(precinct_codes)), set(_clean_codes(zip_codes))
    stmt = sa.select(Turf).order_by(Turf.name)
    if exclude_turf_id is not None:
        stmt = stmt.where(Turf.id != exclude_turf_id)
    found: list[tuple[str, str]] = []
    for other in db.session.scalars(stmt):
        shared_p = precincts & set(other.precinct_codes or [])
        if shared_p:
            found.append((other.name, "precincts " + ", ".join(sorted(shared_p))))
        shared_z = zips & set(other.zip_codes or [])
        if shared_z:
            found.append((other.name, "ZIP codes " + ", ".join(sorted(shared_z))))
        if geojson and other.geojson:
            try:
                if geojson_overlap(geojson, other.geojson):
                    found.append((other.name, "drawn area"))
            except ValueError:
                continue
    return found


def assign_contacts_to_turfs(contact_ids: sa.Select | None = None) -> int:
    """Recompute Contact.turf_id from every turf's definition; returns rows changed.

    Precedence when definitions overlap: a precinct match, then an area match (contacts
    with coordinates inside a turf's GeoJSON area), then a ZIP match; among turfs of the
    same kind, the lowest turf id wins (turfs should not overlap; the turf pages warn when
    they do). Contacts matching no turf get turf_id NULL. `contact_ids` limits the work to
    a SELECT of contact ids (e.g. one import batch). Issues UPDATEs directly in the
    session's transaction (no ORM flush).
    """
    turfs = db.session.execute(
        sa.select(Turf.id, Turf.precinct_codes, Turf.zip_codes, Turf.geojson).order_by(Turf.id)
    ).all()
    precinct_map: dict[str, int] = {}
    zip_map: dict[str, int] = {}
    areas: list[tuple[int, GeoJSONArea]] = []
    for turf_id, precincts, zips, geojson in turfs:
        for code in precincts or []:
            precinct_map.setdefault(code, turf_id)
        for code in zips or []:
            zip_map.setdefault(code, turf_id)
        if geojson:
            try:
                areas.append((turf_id, GeoJSONArea(geojson)))
            except ValueError:
                continue
    cases = []
    if precinct_map:
        cases.append(
            (
                sa.func.upper(Contact.precinct_code).in_(list(precinct_map)),
                sa.case(precinct_map, value=sa.func.upper(Contact.precinct_code)),
            )
        )
    if zip_map:
        cases.append(
            (Contact.res_zip5.in_(list(zip_map)), sa.case(zip_map, value=Contact.res_zip5))
        )
    # Area matches are computed before the UPDATE (they need the current turf_id).
    placed = _area_matches(areas, precinct_map, contact_ids) if areas else []
    # many people at once: the rollups recount after the move (fieldcrm.rollups.maintain)
    with bulk_contact_change(db.session.connection(), contact_ids):
        return _place(cases, placed, zip_map, contact_ids)


def _place(
    cases: list,
    placed: list[tuple[int, int | None, str | None, int]],
    zip_map: dict[str, int],
    contact_ids: sa.Select | None,
) -> int:
    new_turf = sa.case(*cases, else_=sa.null()) if cases else sa.null()
    stmt = sa.update(Contact)
    if contact_ids is not None:
        stmt = stmt.where(Contact.id.in_(contact_ids))
    stmt = (
        stmt.where(
            sa.or_(
                sa.and_(Contact.turf_id.is_(None), new_turf.is_not(None)),
                sa.and_(Contact.turf_id.is_not(None), new_turf.is_(None)),
                Contact.turf_id != new_turf,
            )
        )
        .values(turf_id=new_turf)
        .execution_options(synchronize_session=False)
    )
    changed = db.session.execute(stmt).rowcount or 0
    # The UPDATE above put area contacts on their ZIP turf (or none); move them to their
    # area's turf and correct the count so it reports net changes only.
    fix: dict[int, list[int]] = {}
    for contact_id, original, zip5, area_turf in placed:
        by_zip = zip_map.get(zip5 or "")
        changed += (original != area_turf) - (original != by_zip)
        if by_zip != area_turf:
            fix.setdefault(area_turf, []).append(contact_id)
    for turf_id, ids in fix.items():
        for start in range(0, len(ids), 500):
            db.session.execute(
                sa.update(Contact)
                .where(Contact.id.in_(ids[start : start + 500]))
                .values(turf_id=turf_id)
                .execution_options(synchronize_session=False)
            )
    return changed


def _area_matches(
    areas: list[tuple[int, GeoJSONArea]],
    precinct_map: dict[str, int],
    contact_ids: sa.Select | None,
) -> list[tuple[int, int | None, str | None, int]]:
    """(contact id, current turf, ZIP, area turf) for geocoded contacts inside an area and
    not claimed by a precinct (first area by turf id wins)."""
    stmt = sa.select(
        Contact.id, Contact.latitude, Contact.longitude, Contact.turf_id, Contact.res_zip5
    ).where(Contact.latitude.is_not(None), Contact.longitude.is_not(None))
    if precinct_map:
        stmt = stmt.where(
            sa.or_(
                Contact.precinct_code.is_(None),
                sa.func.upper(Contact.precinct_code).not_in(list(precinct_map)),
            )
        )
    if contact_ids is not None:
        stmt = stmt.where(Contact.id.in_(contact_ids))
    found: list[tuple[int, int | None, str | None, int]] = []
    result = db.session.execute(stmt.order_by(Contact.id))
    while chunk := result.fetchmany(AREA_CHUNK):
        points = [(r.latitude, r.longitude) for r in chunk]
        owner: list[int | None] = [None] * len(chunk)
        for turf_id, area in areas:
            for i, inside in enumerate(area.contains_many(points)):
                if inside and owner[i] is None:
                    owner[i] = turf_id
        for row, turf_id in zip(chunk, owner, strict=True):
            if turf_id is not None:
                found.append((row.id, row.turf_id, row.res_zip5, turf_id))
    return found


# -- universes -------------------------------------------------------------------------

UNIVERSES: dict[str, str] = {
    "all": "Everyone in the turf",
    "not_reached": "Not yet reached (no conversation ever)",
    "persuadable": "Support 2-3 (leaning or undecided)",
    "unidentified": "No support level yet",
    "stale": "No conversation in the last N days",
}
DEFAULT_STALE_DAYS = 30


def universe_clause(
    name: str | None,
    now: datetime,
    days: int = DEFAULT_STALE_DAYS,
    votes: VoteFilter | None = None,
) -> sa.ColumnElement[bool]:
    """WHERE clause on Contact for a named universe (see UNIVERSES), narrowed by an optional
    vote-history filter (fieldcrm.votes.queries.vote_history_clause).

    Every universe leaves out people marked do-not-contact. "stale" means no conversation
    (a real talk, not a failed attempt) since `now - days`. Raises ValidationFailed for an
    unknown name or a malformed vote-history filter.
    """
    if votes is not None and votes.kind:
        today = programtime.local_date(now)
        return sa.and_(universe_clause(name, now, days), vote_history_clause(votes, today))
    base = Contact.do_not_contact.is_(False)
    key = name or "all"
    if key == "all":
        return base
    if key == "not_reached":
        return sa.and_(base, Contact.last_contacted_at.is_(None))
    if key == "persuadable":
        return sa.and_(base, Contact.support_level.in_((2, 3)))
    if key == "unidentified":
        return sa.and_(base, Contact.support_level.is_(None))
    if key == "stale":
        cutoff = now - timedelta(days=max(1, days))
        return sa.and_(
            base,
            sa.or_(Contact.last_contacted_at.is_(None), Contact.last_contacted_at < cutoff),
        )
    raise ValidationFailed([("universe", "Unknown universe.")])


# -- walk packets ------------------------------------------------------------------------


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

    Doors are households (Contact.household_key); whole streets stay together, odd and
    even sides in house-number order, packets geographically compact when coordinates
    exist (fieldcrm.turf.cutting.cut_packets). Packets are named "<prefix> NN", numbered
    after the turf's existing packets. Raises NotFound/PermissionDenied (see ensure_can_cut)
    and ValidationFailed (bad size, mode or universe, or no doors). Flushes; audits.
    """
    ensure_can_cut(actor, turf)
    if not 5 <= data.target_size <= 500:
        raise ValidationFailed([("target_size", "Packets hold 5 to 500 doors.")])
    if data.mode not in ("door", "phone"):
        raise ValidationFailed([("mode", "Walk or phone.")])
    if data.universe not in UNIVERSES:
        raise ValidationFailed([("universe", "Unknown universe.")])
    assignee = _check_assignee(actor, turf, data.assigned_user_id)
    doors = turf_doors(actor, turf, data.universe, now, data.stale_days, data.votes)
    if not doors:
        raise ValidationFailed([(None, "Nobody in this turf matches that universe.")])
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
        raise ValidationFailed([("assigned_user_id", "Pick an organizer or leader of this turf.")])
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


# -- radius search ---------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyContact:
    """What a radius result shows of a contact."""

    id: int
    display_name: str
    address: str


@dataclass(frozen=True)
class Nearby:
    """A contact (or a door's first resident) and its distance from the centre."""

    contact: NearbyContact
    miles: float
    people: int = 1


def resolve_address(
    line1: str | None, city: str | None, state: str | None, zip5: str | None
) -> tuple[float, float, str] | None:
    """A point for an address without touching the network: the geocode cache, else the
    ZIP centroid. Returns (lat, lon, "cache" | "zip_centroid") or None."""
    key = normalize_address_key(line1, city, state, zip5)
    hit = db.session.execute(
        sa.select(GeocodeCacheEntry.latitude, GeocodeCacheEntry.longitude).where(
            GeocodeCacheEntry.address_key == key
        )
    ).first()
    if hit is not None and hit.latitude is not None and hit.longitude is not None:
        return hit.latitude, hit.longitude, "cache"
    point = zip_centroid(zip5)
    if point is not None:
        return point[0], point[1], "zip_centroid"
    return None


def radius_search(
    actor: User,
    lat: float,
    lon: float,
    miles: float,
    *,
    doors: bool = False,
    limit: int = 200,
) -> list[Nearby]:
    """Contacts (or doors) in the actor's scope within `miles` of (lat, lon), nearest first.

    An indexed bounding-box prefilter on (latitude, longitude), then the exact distance
    (fieldcrm.lib.geo.haversine_miles). With `doors`, residents of one household are one
    row (the nearest resident stands for it). Raises ValidationFailed for a bad point or
    radius. Two queries.
    """
    if not 0 < miles <= 50:
        raise ValidationFailed([("miles", "Search within 0 to 50 miles.")])
    try:
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, miles)
    except ValueError as exc:
        raise ValidationFailed([(None, str(exc))]) from exc
    candidates = db.session.execute(
        sa.select(Contact.id, Contact.latitude, Contact.longitude, Contact.household_key).where(
            Contact.latitude.between(min_lat, max_lat),
            Contact.longitude.between(min_lon, max_lon),
            contact_scope(actor),
        )
    ).all()
    centre = (lat, lon)
    # Rank with a vectorised copy of geopy's great-circle formula, then take each kept
    # row's exact distance from geopy itself (haversine_miles).
    approx = _great_circle_miles(lat, lon, [c[1] for c in candidates], [c[2] for c in candidates])
    found: list[tuple[float, int, str | None]] = []
    points: dict[int, tuple[float, float]] = {}
    for (cid, clat, clon, key), rough in zip(candidates, approx, strict=True):
        if rough <= miles * (1 + 1e-9):
            found.append((float(rough), cid, key))
            points[cid] = (clat, clon)
    found.sort()
    people: dict[str, int] = {}
    if doors:
        picked: list[tuple[float, int, str | None]] = []
        for distance, cid, key in found:
            door = key or f"contact:{cid}"
            if door in people:
                people[door] += 1
                continue
            people[door] = 1
            picked.append((distance, cid, key))
        found = picked
    exact = [(haversine_miles(centre, points[cid]), cid, key) for _r, cid, key in found[:limit]]
    found = [row for row in exact if row[0] <= miles]
    contacts = {
        r.id: NearbyContact(
            r.id,
            r.display_name,
            _address(r.res_line1, r.res_city, r.res_state, r.res_zip5),
        )
        for r in db.session.execute(
            sa.select(
                Contact.id,
                Contact.display_name,
                Contact.res_line1,
                Contact.res_city,
                Contact.res_state,
                Contact.res_zip5,
            ).where(Contact.id.in_([cid for _, cid, _ in found]))
        )
    }
    return [
        Nearby(contacts[cid], distance, people.get(key or f"contact:{cid}", 1))
        for distance, cid, key in found
        if cid in contacts
    ]


def _address(line1: str | None, city: str | None, state: str | None, zip5: str | None) -> str:
    text = ", ".join(p for p in (line1, city, state) if p)
    return f"{text} {zip5 or ''}".strip()


def _great_circle_miles(lat: float, lon: float, lats: list, lons: list) -> np.ndarray:
    """geopy's great_circle formula over arrays (same radius, same atan2 form), in miles."""
    if not lats:
        return np.zeros(0)
    lat1, lng1 = math.radians(lat), math.radians(lon)
    lat2, lng2 = (
        np.radians(np.asarray(lats, dtype=float)),
        np.radians(np.asarray(lons, dtype=float)),
    )
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    sin_lat2, cos_lat2 = np.sin(lat2), np.cos(lat2)
    delta = lng2 - lng1
    cos_d, sin_d = np.cos(delta), np.sin(delta)
    d = np.arctan2(
        np.sqrt((cos_lat2 * sin_d) ** 2 + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_d) ** 2),
        sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_d,
    )
    return d * EARTH_RADIUS_MILES


def phone_bank(actor: User, packet: WalkPacket) -> list[tuple[Contact, ContactPhone]]:
    """People of the packet (scoped) with a dialable phone, in walk order."""
    return [
        (person, person.best_phone)
        for stop in packet_stops(actor, packet)
        for person in stop.people
        if person.best_phone is not None and not person.do_not_contact
    ]


# -- weekly goals --------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalInput:
    """An organizer's weekly targets; `week_start` None sets the standing goal."""

    attempts: int = 0
    conversations: int = 0
    one_on_ones: int = 0
    commitments: int = 0
    week_start: date | None = None


def set_weekly_goal(actor: User, organizer: User, data: GoalInput) -> WeeklyGoal:
    """Set an organizer's goal for a week (or their standing goal).

    Admins set anyone's; directors those of organizers working in their regions. Raises
    NotFound (organizer out of scope), ValidationFailed (negative numbers). Flushes; audits.
    """
    if organizer.role != Role.ORGANIZER or not _directs(actor, organizer):
        raise NotFound("user")
    numbers = (data.attempts, data.conversations, data.one_on_ones, data.commitments)
    if any(n is None or n < 0 or n > 100_000 for n in numbers):
        raise ValidationFailed([(None, "Goals are whole numbers from 0.")])
    if data.week_start is not None and programtime.monday(data.week_start) != data.week_start:
        raise ValidationFailed([("week_start", "A week starts on a Monday.")])
    goal = db.session.scalar(
        sa.select(WeeklyGoal).where(
            WeeklyGoal.user_id == organizer.id,
            WeeklyGoal.week_start.is_(None)
            if data.week_start is None
            else WeeklyGoal.week_start == data.week_start,
        )
    )
    if goal is None:
        goal = WeeklyGoal(user_id=organizer.id, week_start=data.week_start)
        db.session.add(goal)
    goal.attempts, goal.conversations = data.attempts, data.conversations
    goal.one_on_ones, goal.commitments = data.one_on_ones, data.commitments
    goal.set_by_id = actor.id
    db.session.flush()
    audit.record("goal.set", actor=actor, entity=goal, organizer_id=organizer.id)
    return goal


def _directs(actor: User, organizer: User) -> bool:
    if not actor.active:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.DIRECTOR:
        return False
    return (
        db.session.scalar(
            sa.select(user_turfs.c.turf_id).where(
                user_turfs.c.user_id == organizer.id,
                user_turfs.c.turf_id.in_(turf_ids_subquery(actor)),
            )
        )
        is not None
    )


def goal_for(user_id: int, week_start: date) -> WeeklyGoal | None:
    """The goal for that week, else the standing goal, else None."""
    goals = db.session.scalars(
        sa.select(WeeklyGoal).where(
            WeeklyGoal.user_id == user_id,
            sa.or_(WeeklyGoal.week_start == week_start, WeeklyGoal.week_start.is_(None)),
        )
    ).all()
    specific = [g for g in goals if g.week_start == week_start]
    return (specific or goals or [None])[0]
