"""Volunteer leaders' follow-up lists: putting people on a leader's list and taking them off.

A leader sees the people on their list (fieldcrm.scoping). Admins, directors and organizers
put people there (from a contact's page, several at once from the contacts list, or every
resident of a walk packet), choosing among the active leaders they may see
(``scoping.visible_users``) and only people they may see themselves; anybody else named is
skipped, never added. A leader adding someone by hand, or choosing a match for the person
they typed, puts that person on their own list. Every addition and removal is one audit
row (``leader.assign`` / ``leader.unassign``, on the contact, with the leader's id).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc

from fieldcrm import audit
from fieldcrm.auth.models import LeaderAssignment, Role, User
from fieldcrm.contacts.models import Contact
from fieldcrm.door.models import PacketDoor, WalkPacket
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_scope, is_id, visible_users
from fieldcrm.transactions import ConcurrentChange

ASSIGNERS = (Role.ADMIN, Role.DIRECTOR, Role.ORGANIZER)
MAX_AT_ONCE = 2000  # people per request (a walk packet holds at most 500 doors)


def assignable_leaders(actor: User | None) -> sa.Select[tuple[User]]:
    """SELECT the active volunteer leaders `actor` may put people on the list of."""
    if actor is None or actor.role not in ASSIGNERS:
        return sa.select(User).where(sa.false())
    return (
        visible_users(actor)
        .where(User.role == Role.LEADER, User.active.is_(True))
        .order_by(User.name, User.id)
    )


def get_assignable_leader(actor: User, leader_id: int | None) -> User:
    """The leader if `actor` may assign to them. Raises ValidationFailed otherwise."""
    leader = None
    if leader_id is not None and is_id(leader_id):
        leader = db.session.scalar(assignable_leaders(actor).where(User.id == leader_id))
    if leader is None:
        raise ValidationFailed([("leader_id", _("Pick one of your volunteer leaders."))])
    return leader


def _require_assigner(actor: User) -> None:
    if actor is None or not actor.active or actor.role not in ASSIGNERS:
        raise PermissionDenied("only staff put people on a leader's list")


def _visible_ids(actor: User, contact_ids: Iterable[int]) -> list[int]:
    ids = sorted({i for i in contact_ids if is_id(i)})
    if len(ids) > MAX_AT_ONCE:
        raise ValidationFailed([("contact_ids", _("Too many people at once."))])
    if not ids:
        return []
    stmt = sa.select(Contact.id).where(Contact.id.in_(ids), contact_scope(actor))
    return list(db.session.scalars(stmt.order_by(Contact.id)))


def _add(by: User, leader: User, ids: list[int]) -> int:
    """Insert the assignments not there yet; audit each. Flushes."""
    if not ids:
        return 0
    existing = set(
        db.session.scalars(
            sa.select(LeaderAssignment.contact_id).where(
                LeaderAssignment.leader_id == leader.id, LeaderAssignment.contact_id.in_(ids)
            )
        )
    )
    new = [i for i in ids if i not in existing]
    for contact_id in new:
        db.session.add(
            LeaderAssignment(leader_id=leader.id, contact_id=contact_id, assigned_by_id=by.id)
        )
        audit.record(
            "leader.assign",
            actor=by,
            entity_type="contacts",
            entity_id=contact_id,
            leader_id=leader.id,
        )
    try:
        db.session.flush()
    except sa_exc.IntegrityError as exc:  # the same assignment committed meanwhile
        raise ConcurrentChange("leader assignment raced") from exc
    return len(new)


def assign_to_leader(actor: User, leader: User, contact_ids: Iterable[int]) -> int:
    """Put the people `actor` may see among `contact_ids` on `leader`'s list.

    Returns how many were added (people already on the list, or outside the actor's
    scope, are skipped). Raises PermissionDenied (not staff), ValidationFailed (a leader
    the actor may not assign to, too many people). Flushes; audits each addition.
    """
    _require_assigner(actor)
    leader = get_assignable_leader(actor, leader.id)
    return _add(actor, leader, _visible_ids(actor, contact_ids))


def unassign_from_leader(actor: User, leader: User, contact_ids: Iterable[int]) -> int:
    """Take the people `actor` may see among `contact_ids` off `leader`'s list.

    Returns how many were removed. Raises as ``assign_to_leader``. Flushes; audits each.
    """
    _require_assigner(actor)
    leader = get_assignable_leader(actor, leader.id)
    ids = _visible_ids(actor, contact_ids)
    if not ids:
        return 0
    on_list = sa.and_(LeaderAssignment.leader_id == leader.id, LeaderAssignment.contact_id.in_(ids))
    removed = list(db.session.scalars(sa.select(LeaderAssignment.contact_id).where(on_list)))
    if not removed:
        return 0
    db.session.execute(sa.delete(LeaderAssignment).where(on_list))
    for contact_id in sorted(removed):
        audit.record(
            "leader.unassign",
            actor=actor,
            entity_type="contacts",
            entity_id=contact_id,
            leader_id=leader.id,
        )
    db.session.flush()
    return len(removed)


def put_on_own_list(leader: User, contact: Contact) -> bool:
    """A leader keeps someone they added (or matched) on their own list. True if added.

    Raises PermissionDenied when `leader` is not an active volunteer leader. Flushes; audits.
    """
    if leader is None or not leader.active or leader.role != Role.LEADER:
        raise PermissionDenied("only a volunteer leader has a list of their own")
    return _add(leader, leader, [contact.id]) == 1


def packet_people(actor: User, packet: WalkPacket) -> list[int]:
    """Ids of the packet's residents `actor` may see (the people at its doors, its turf)."""
    stmt = (
        sa.select(Contact.id)
        .join(
            PacketDoor,
            sa.and_(
                PacketDoor.household_key == Contact.household_key,
                PacketDoor.packet_id == packet.id,
            ),
        )
        .where(Contact.turf_id == packet.turf_id, contact_scope(actor))
        .order_by(Contact.id)
    )
    return list(db.session.scalars(stmt))


def leaders_of(actor: User, contact: Contact) -> list[User]:
    """The leaders whose list `contact` is on, among the users `actor` may see."""
    return list(
        db.session.scalars(
            visible_users(actor)
            .join(LeaderAssignment, LeaderAssignment.leader_id == User.id)
            .where(LeaderAssignment.contact_id == contact.id)
            .order_by(User.name, User.id)
        )
    )
