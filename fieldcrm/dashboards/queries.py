"""Read models for home pages (the full coverage and team reports build on these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.auth.models import Role, User
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove
from fieldcrm.scoping import (
    contact_scope,
    visible_commitments,
    visible_conversations,
    visible_users,
)
from fieldcrm.turf.models import WeeklyGoal


def scope_counts(actor: User, since: datetime) -> dict[str, int]:
    """Contacts in scope, and attempts / conversations since `since` on them."""
    contacts = db.session.scalar(sa.select(sa.func.count(Contact.id)).where(contact_scope(actor)))
    row = db.session.execute(
        sa.select(
            sa.func.count(Conversation.id),
            sa.func.count(Conversation.id).filter(Conversation.is_conversation.is_(True)),
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(contact_scope(actor), Conversation.occurred_at >= since)
    ).one()
    return {"contacts": contacts or 0, "attempts": row[0] or 0, "conversations": row[1] or 0}


def my_open_commitments(actor: User, limit: int = 10) -> list[Commitment]:
    """The actor's own open commitments, soonest due first."""
    stmt = (
        visible_commitments(actor)
        .where(Commitment.owner_id == actor.id, Commitment.status == "open")
        .options(so.contains_eager(Commitment.contact))
        .order_by(Commitment.due_date.asc().nulls_last(), Commitment.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def recent_conversations(actor: User, limit: int = 10) -> list[Conversation]:
    """The latest conversations on contacts in scope."""
    stmt = (
        visible_conversations(actor)
        .options(so.contains_eager(Conversation.contact), so.joinedload(Conversation.user))
        .order_by(Conversation.occurred_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


@dataclass
class WeekStats:
    """One organizer's work in a week, with the goal they are measured against.

    attempts: conversations rows they logged (any result); conversations: those where they
    talked; one_on_ones: conversations on the one_on_one channel; commitments: commitments
    they recorded. Rates: contact rate = conversations / attempts; kept rate = kept /
    (kept + flaked) of commitments they own that were resolved in the week.
    """

    user: User
    attempts: int = 0
    conversations: int = 0
    one_on_ones: int = 0
    commitments: int = 0
    kept: int = 0
    flaked: int = 0
    goal: WeeklyGoal | None = None

    @property
    def contact_rate(self) -> float:
        return round(100.0 * self.conversations / self.attempts, 1) if self.attempts else 0.0

    @property
    def kept_rate(self) -> float | None:
        resolved = self.kept + self.flaked
        return round(100.0 * self.kept / resolved, 1) if resolved else None

    def progress(self, metric: str) -> int | None:
        """Percent of the goal reached for a metric (None without a goal for it)."""
        target = getattr(self.goal, metric, 0) if self.goal else 0
        if not target:
            return None
        return min(999, round(100 * getattr(self, metric) / target))

    @property
    def goal_progress(self) -> int | None:
        """Mean progress over the metrics that have a goal (a team-page comparison)."""
        values = [
            p
            for p in (
                self.progress(m)
                for m in ("attempts", "conversations", "one_on_ones", "commitments")
            )
            if p is not None
        ]
        return round(sum(min(p, 100) for p in values) / len(values)) if values else None


def week_stats(
    users: list[User], since: datetime, until: datetime, week: date
) -> dict[int, WeekStats]:
    """WeekStats for each user over [since, until); four queries whatever the team size."""
    stats = {u.id: WeekStats(user=u) for u in users}
    if not stats:
        return stats
    ids = list(stats)
    in_week = sa.and_(Conversation.occurred_at >= since, Conversation.occurred_at < until)
    talked = Conversation.is_conversation.is_(True)
    for uid, attempts, convs, ones in db.session.execute(
        sa.select(
            Conversation.user_id,
            sa.func.count(Conversation.id),
            sa.func.count(Conversation.id).filter(talked),
            sa.func.count(Conversation.id).filter(talked, Conversation.channel == "one_on_one"),
        )
        .where(Conversation.user_id.in_(ids), in_week)
        .group_by(Conversation.user_id)
    ):
        s = stats[uid]
        s.attempts, s.conversations, s.one_on_ones = attempts, convs, ones
    for uid, n in db.session.execute(
        sa.select(Commitment.created_by_id, sa.func.count(Commitment.id))
        .where(
            Commitment.created_by_id.in_(ids),
            Commitment.created_at >= since,
            Commitment.created_at < until,
        )
        .group_by(Commitment.created_by_id)
    ):
        stats[uid].commitments = n
    for uid, kept, flaked in db.session.execute(
        sa.select(
            Commitment.owner_id,
            sa.func.count(Commitment.id).filter(Commitment.status == "kept"),
            sa.func.count(Commitment.id).filter(Commitment.status == "flaked"),
        )
        .where(
            Commitment.owner_id.in_(ids),
            Commitment.status_changed_at >= since,
            Commitment.status_changed_at < until,
        )
        .group_by(Commitment.owner_id)
    ):
        stats[uid].kept, stats[uid].flaked = kept, flaked
    goals = db.session.scalars(
        sa.select(WeeklyGoal)
        .where(
            WeeklyGoal.user_id.in_(ids),
            sa.or_(WeeklyGoal.week_start == week, WeeklyGoal.week_start.is_(None)),
        )
        .order_by(WeeklyGoal.week_start.is_(None))
    )
    for goal in goals:
        if stats[goal.user_id].goal is None:
            stats[goal.user_id].goal = goal
    return stats


@dataclass
class FollowUps:
    """An owner's open commitments: overdue, due today, and the next ones."""

    overdue: int
    due_today: int
    items: list[Commitment]


def follow_ups(actor: User, today: date, limit: int = 10) -> FollowUps:
    """The actor's own open commitments (in scope), overdue first. Two queries."""
    base = [Commitment.owner_id == actor.id, Commitment.status == "open"]
    overdue, due_today = db.session.execute(
        sa.select(
            sa.func.count(Commitment.id).filter(Commitment.due_date < today),
            sa.func.count(Commitment.id).filter(Commitment.due_date == today),
        ).where(*base)
    ).one()
    items = list(
        db.session.scalars(
            visible_commitments(actor)
            .where(*base)
            .options(so.contains_eager(Commitment.contact))
            .order_by(Commitment.due_date.asc().nulls_last(), Commitment.id)
            .limit(limit)
        )
    )
    return FollowUps(overdue=overdue or 0, due_today=due_today or 0, items=items)


def ladder_movement(actor: User, since: datetime, limit: int = 15) -> list[LadderMove]:
    """Ladder moves since `since` of people in the actor's scope, newest first."""
    return list(
        db.session.scalars(
            sa.select(LadderMove)
            .join(Contact, Contact.id == LadderMove.contact_id)
            .where(contact_scope(actor), LadderMove.moved_at >= since)
            .options(
                so.contains_eager(LadderMove.contact),
                so.joinedload(LadderMove.from_stage),
                so.joinedload(LadderMove.to_stage),
            )
            .order_by(LadderMove.moved_at.desc())
            .limit(limit)
        )
    )


def team_members(actor: User) -> list[User]:
    """Active organizers the actor directs (admins: all), by name."""
    return list(
        db.session.scalars(
            visible_users(actor)
            .where(User.role == Role.ORGANIZER, User.active.is_(True))
            .order_by(User.name)
        )
    )
