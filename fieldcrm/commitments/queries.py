"""Read queries for follow-ups: my list by due date, the team view, exports, digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.auth.models import Role, User
from fieldcrm.commitments.models import Commitment
from fieldcrm.commitments.services import ACTIVE_STATUSES, kept_rate_of
from fieldcrm.contacts.models import Affiliation, Contact, ContactPhone
from fieldcrm.contacts.queries import _like
from fieldcrm.extensions import db
from fieldcrm.scoping import contact_scope, visible_commitments, visible_users


@dataclass(frozen=True)
class FollowUpFilters:
    """What the follow-ups list can be narrowed by (all optional)."""

    organization_id: int | None = None
    language: str | None = None


def _filtered(stmt: sa.Select[Any], filters: FollowUpFilters) -> sa.Select[Any]:
    if filters.organization_id:
        stmt = stmt.where(
            Commitment.contact_id.in_(
                sa.select(Affiliation.contact_id).where(
                    Affiliation.organization_id == filters.organization_id
                )
            )
        )
    if filters.language:
        stmt = stmt.where(
            sa.func.lower(Contact.preferred_languages).like(
                _like(filters.language.lower()), escape="\\"
            )
        )
    return stmt


def active_followups(actor: User, owner_id: int, filters: FollowUpFilters) -> sa.Select[Any]:
    """Open (or rescheduled) commitments owned by `owner_id` on contacts the actor may see."""
    stmt = (
        visible_commitments(actor)
        .where(Commitment.owner_id == owner_id, Commitment.status.in_(ACTIVE_STATUSES))
        .options(so.contains_eager(Commitment.contact))
    )
    return _filtered(stmt, filters)


def followup_sections(
    actor: User, today: date, filters: FollowUpFilters, limit: int = 25
) -> tuple[dict[str, list[Commitment]], dict[str, int]]:
    """The actor's own follow-ups split into overdue, due today and upcoming, with totals.

    Each section holds at most `limit` rows (overdue: oldest first; upcoming: soonest first,
    undated last); the totals say how many there are in all.
    """
    base = active_followups(actor, actor.id, filters)
    overdue = db.session.scalars(
        base.where(Commitment.due_date < today)
        .order_by(Commitment.due_date, Commitment.id)
        .limit(limit)
    ).all()
    due_today = db.session.scalars(
        base.where(Commitment.due_date == today).order_by(Commitment.id).limit(limit)
    ).all()
    upcoming = db.session.scalars(
        base.where(sa.or_(Commitment.due_date > today, Commitment.due_date.is_(None)))
        .order_by(Commitment.due_date.asc().nulls_last(), Commitment.id)
        .limit(limit)
    ).all()
    counted = _filtered(
        sa.select(
            sa.func.count().filter(Commitment.due_date < today),
            sa.func.count().filter(Commitment.due_date == today),
            sa.func.count().filter(
                sa.or_(Commitment.due_date > today, Commitment.due_date.is_(None))
            ),
        )
        .select_from(Commitment)
        .join(Contact, Contact.id == Commitment.contact_id)
        .where(
            contact_scope(actor),
            Commitment.owner_id == actor.id,
            Commitment.status.in_(ACTIVE_STATUSES),
        ),
        filters,
    )
    totals = db.session.execute(counted).one()
    sections = {"overdue": list(overdue), "today": list(due_today), "upcoming": list(upcoming)}
    return sections, dict(zip(("overdue", "today", "upcoming"), totals, strict=True))


@dataclass(frozen=True)
class TeamRow:
    """One team member's follow-up numbers."""

    user: User
    open: int
    overdue: int
    due_today: int
    kept: int
    flaked: int

    @property
    def rate(self) -> float | None:
        return kept_rate_of(self.kept, self.flaked)

    def slipping(self, watch_rate: float, min_outcomes: int) -> bool:
        """Overdue follow-ups, or a kept rate under the watch line once there is enough data."""
        enough = self.kept + self.flaked >= min_outcomes
        return self.overdue > 0 or (enough and self.rate is not None and self.rate < watch_rate)


def team_members(actor: User) -> sa.Select[tuple[User]]:
    """Whose follow-ups the actor oversees: leaders (and organizers, for directors and admins)."""
    roles = (Role.LEADER,) if actor.role == Role.ORGANIZER else (Role.LEADER, Role.ORGANIZER)
    return (
        visible_users(actor)
        .where(User.id != actor.id, User.active.is_(True), User.role.in_(roles))
        .order_by(User.role, User.name)
    )


def team_rows(actor: User, today: date) -> list[TeamRow]:
    """Each team member's open / overdue / due-today counts and kept rate, in two queries."""
    members = list(db.session.scalars(team_members(actor)))
    if not members:
        return []
    ids = [m.id for m in members]
    active = Commitment.status.in_(ACTIVE_STATUSES)
    rows = db.session.execute(
        sa.select(
            Commitment.owner_id,
            sa.func.count().filter(active),
            sa.func.count().filter(active, Commitment.due_date < today),
            sa.func.count().filter(active, Commitment.due_date == today),
            sa.func.count().filter(Commitment.status == "kept"),
            sa.func.count().filter(Commitment.status == "flaked"),
        )
        .where(Commitment.owner_id.in_(ids))
        .group_by(Commitment.owner_id)
    ).all()
    numbers = {r[0]: r[1:] for r in rows}
    return [TeamRow(m, *numbers.get(m.id, (0, 0, 0, 0, 0))) for m in members]


def team_overdue(
    actor: User, owner_ids: list[int], today: date, limit: int = 100
) -> list[Commitment]:
    """Overdue follow-ups owned by team members, oldest first (contacts in the actor's scope)."""
    if not owner_ids:
        return []
    stmt = (
        visible_commitments(actor)
        .where(
            Commitment.owner_id.in_(owner_ids),
            Commitment.status.in_(ACTIVE_STATUSES),
            Commitment.due_date < today,
        )
        .options(so.contains_eager(Commitment.contact), so.joinedload(Commitment.owner))
        .order_by(Commitment.due_date, Commitment.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def kept_rates_for_contacts(contact_ids: list[int]) -> dict[int, tuple[int, int, float | None]]:
    """{contact_id: (kept, flaked, rate)} for many contacts in one query."""
    if not contact_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Commitment.contact_id,
            sa.func.count().filter(Commitment.status == "kept"),
            sa.func.count().filter(Commitment.status == "flaked"),
        )
        .where(Commitment.contact_id.in_(contact_ids))
        .group_by(Commitment.contact_id)
    ).all()
    return {r[0]: (r[1], r[2], kept_rate_of(r[1], r[2])) for r in rows}


def export_commitments(actor: User, since: date | None, until: date | None) -> sa.Select[Any]:
    """Scoped commitments for the CSV export (by due date window), oldest first."""
    owner = so.aliased(User)
    stmt = (
        sa.select(
            Contact.voter_id,
            Contact.source,
            Contact.id,
            Commitment.id,
            Commitment.conversation_id,
            Commitment.kind,
            Commitment.description,
            Commitment.status,
            Commitment.due_date,
            Commitment.created_at,
            Commitment.status_changed_at,
            owner.email,
        )
        .select_from(Commitment)
        .join(Contact, Contact.id == Commitment.contact_id)
        .outerjoin(owner, owner.id == Commitment.owner_id)
        .where(contact_scope(actor))
        .order_by(Commitment.id)
    )
    if since:
        stmt = stmt.where(Commitment.due_date >= since)
    if until:
        stmt = stmt.where(Commitment.due_date <= until)
    return stmt


def due_for_digest(today: date) -> list[tuple[User, list[Commitment]]]:
    """Active users with follow-ups due today or overdue, each with their list (one query)."""
    stmt = (
        sa.select(Commitment)
        .join(User, User.id == Commitment.owner_id)
        .join(Contact, Contact.id == Commitment.contact_id)
        .where(
            User.active.is_(True),
            Commitment.status.in_(ACTIVE_STATUSES),
            Commitment.due_date <= today,
        )
        .options(so.contains_eager(Commitment.contact), so.contains_eager(Commitment.owner))
        .order_by(User.id, Commitment.due_date, Commitment.id)
    )
    grouped: dict[int, tuple[User, list[Commitment]]] = {}
    for commitment in db.session.scalars(stmt).unique():
        owner = commitment.owner
        assert owner is not None
        grouped.setdefault(owner.id, (owner, []))[1].append(commitment)
    return list(grouped.values())


def active_team(actor: User) -> list[User]:
    """Active people the actor may hand follow-ups to (themselves included), by name."""
    return list(
        db.session.scalars(
            visible_users(actor)
            .where(User.active.is_(True))
            .options(so.lazyload(User.regions), so.lazyload(User.turfs))
            .order_by(User.name, User.id)
        )
    )


def best_phones(contact_ids: list[int]) -> dict[int, str]:
    """{contact_id: E.164} of the number to dial for each contact, in one query.

    The same choice as Contact.best_phone: dialable and not do-not-call; a manual phone
    first, then a cell, then the oldest.
    """
    if not contact_ids:
        return {}
    rows = db.session.execute(
        sa.select(ContactPhone.contact_id, ContactPhone.e164)
        .where(
            ContactPhone.contact_id.in_(contact_ids),
            ContactPhone.valid.is_(True),
            ContactPhone.e164.is_not(None),
            ContactPhone.do_not_call.is_(False),
        )
        .order_by(
            ContactPhone.contact_id,
            ContactPhone.source != "manual",
            ContactPhone.kind != "cell",
            ContactPhone.id,
        )
    ).all()
    best: dict[int, str] = {}
    for contact_id, e164 in rows:
        best.setdefault(contact_id, e164)
    return best
