"""Turf services: regions, turfs, overlaps, and assigning contacts to turfs by definition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from fieldcrm import audit, programtime
from fieldcrm.auth.models import Role, User, new_session_token, user_regions, user_turfs
from fieldcrm.contacts.models import Contact
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.lib.geo import (
    GeoJSONArea,
    geojson_overlap,
)
from fieldcrm.rollups.maintain import bulk_contact_change
from fieldcrm.scoping import turf_ids_subquery, visible_users
from fieldcrm.turf.models import (
    Region,
    Turf,
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
        raise ValidationFailed([("name", _("Name the region."))])
    if db.session.scalar(sa.select(Region.id).where(Region.name == name)):
        raise ValidationFailed([("name", _("A region with this name exists."))])
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
        raise ValidationFailed([("name", _("Name the turf."))])
    precincts, zips = _clean_codes(precinct_codes), _clean_codes(zip_codes)
    if not (precincts or zips or geojson):
        raise ValidationFailed([(None, _("Define the turf by precincts, ZIP codes or an area."))])
    stmt = sa.select(Turf.id).where(Turf.region_id == region_id, Turf.name == name)
    if turf_id is not None:
        stmt = stmt.where(Turf.id != turf_id)
    if db.session.scalar(stmt):
        raise ValidationFailed([("name", _("This region already has a turf with that name."))])
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
        raise ValidationFailed([("people", _("Pick active organizers and leaders."))])
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
    if not (precinct_map or zip_map or areas) and not _anyone_placed(contact_ids):
        # No turf names anyone and no one is on a turf: nothing can move. A program's first
        # import, before its turfs are drawn, would otherwise count its people out of the
        # rollups and back for nothing (seconds a million people).
        return 0
    # Area matches are computed before the UPDATE (they need the current turf_id).
    placed = _area_matches(areas, precinct_map, contact_ids) if areas else []
    # many people at once: the rollups count the move set-based (fieldcrm.rollups.maintain)
    with bulk_contact_change(db.session.connection(), contact_ids):
        return _place(_new_turfs(precinct_map, zip_map, contact_ids), placed, zip_map)


def _anyone_placed(contact_ids: sa.Select | None) -> bool:
    """Whether anyone (of those `contact_ids` selects) is on a turf. Asked of everyone first,
    as the lowest turf id: both databases read min() from the end of the turf index, whatever
    their statistics say (a `turf_id IS NOT NULL LIMIT 1` may be planned as a scan of the
    whole table on PostgreSQL right after a load, when there are none). The index holds only
    the people on a turf, so the query says so, or SQLite would not use it."""
    lowest = sa.select(sa.func.min(Contact.turf_id)).where(Contact.turf_id.is_not(None))
    if db.session.scalar(lowest) is None:
        return False
    if contact_ids is None:
        return True
    anyone = sa.select(Contact.id).where(Contact.turf_id.is_not(None), Contact.id.in_(contact_ids))
    return db.session.execute(anyone.limit(1)).first() is not None


def _codes(name: str, mapping: dict[str, int]) -> sa.CTE:
    # a CTE, not a FROM (VALUES …) AS name (columns), which SQLite cannot read; nested in
    # the subquery, so the statement still starts with UPDATE (fieldcrm.datacache reads
    # that to know reports changed)
    return (
        sa.values(sa.column("code", sa.String), sa.column("turf_id", sa.Integer), name=name)
        .data(list(mapping.items()))
        .cte(name, nesting=True)
    )


def _new_turfs(
    precinct_map: dict[str, int], zip_map: dict[str, int], contact_ids: sa.Select | None
) -> sa.Subquery:
    """(id, turf_id) of the people `contact_ids` selects (everyone when None): the turf their
    precinct, else their ZIP, names. The codes are joined as values, so each person's turf is
    one hash lookup, not a CASE of every code evaluated for each use."""
    new_turf: sa.ColumnElement = sa.null()
    stmt = sa.select(Contact.id)
    if precinct_map:
        by_precinct = _codes("by_precinct", precinct_map)
        stmt = stmt.outerjoin(
            by_precinct, by_precinct.c.code == sa.func.upper(Contact.precinct_code)
        )
        new_turf = by_precinct.c.turf_id
    if zip_map:
        by_zip = _codes("by_zip", zip_map)
        stmt = stmt.outerjoin(by_zip, by_zip.c.code == Contact.res_zip5)
        new_turf = (
            sa.func.coalesce(new_turf, by_zip.c.turf_id) if precinct_map else by_zip.c.turf_id
        )
    if contact_ids is not None:
        stmt = stmt.where(Contact.id.in_(contact_ids))
    return stmt.add_columns(sa.cast(new_turf, sa.Integer).label("turf_id")).subquery("new")


def _place(
    new: sa.Subquery,
    placed: list[tuple[int, int | None, str | None, int]],
    zip_map: dict[str, int],
) -> int:
    stmt = (
        sa.update(Contact)
        .where(Contact.id == new.c.id, Contact.turf_id.is_distinct_from(new.c.turf_id))
        .values(turf_id=new.c.turf_id)
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
    raise ValidationFailed([("universe", _("Unknown universe."))])


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
        raise ValidationFailed([(None, _("Goals are whole numbers from 0."))])
    if data.week_start is not None and programtime.monday(data.week_start) != data.week_start:
        raise ValidationFailed([("week_start", _("A week starts on a Monday."))])
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
