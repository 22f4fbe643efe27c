"""The ladder board: people per stage, who moved up, time in stage, who is stalled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.auth.models import User, user_turfs
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove, LadderStage
from fieldcrm.programtime import Span
from fieldcrm.scoping import contact_scope
from fieldcrm.turf.models import Turf


@dataclass(frozen=True)
class BoardFilters:
    """Narrow the board to one organizer's turfs, one turf, or one region (all optional)."""

    organizer_id: int | None = None
    turf_id: int | None = None
    region_id: int | None = None


@dataclass(frozen=True)
class StageRow:
    stage: LadderStage
    people: int
    avg_days_in_stage: float | None


@dataclass(frozen=True)
class Board:
    stages: list[StageRow]
    on_ladder: int
    week: Span
    month: Span
    moved_up_week: int
    moved_up_month: int
    recent_moves_up: list[LadderMove]
    stalled_count: int
    stalled: list[Contact]


def board_clause(actor: User, filters: BoardFilters) -> sa.ColumnElement[bool]:
    """The actor's contact scope narrowed by the board filters."""
    clauses = [contact_scope(actor)]
    if filters.organizer_id:
        clauses.append(
            Contact.turf_id.in_(
                sa.select(user_turfs.c.turf_id).where(user_turfs.c.user_id == filters.organizer_id)
            )
        )
    if filters.turf_id:
        clauses.append(Contact.turf_id == filters.turf_id)
    if filters.region_id:
        clauses.append(
            Contact.turf_id.in_(sa.select(Turf.id).where(Turf.region_id == filters.region_id))
        )
    return sa.and_(*clauses)


def days_between(column: Any, now: datetime) -> sa.ColumnElement[float]:
    """Days from `column` (a UTC timestamp) to `now`, in SQL for SQLite or PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        stamp = now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return sa.func.julianday(sa.literal(stamp)) - sa.func.julianday(column)
    return sa.func.extract("epoch", sa.literal(now, sa.DateTime(timezone=True)) - column) / 86400.0


def ladder_board(
    actor: User,
    filters: BoardFilters,
    *,
    now: datetime,
    week: Span,
    month: Span,
    stalled_after_days: int,
    stalled_limit: int = 50,
) -> Board:
    """Everything the ladder board shows, in six queries whatever the size of the scope.

    `now` is a UTC instant; `week` and `month` are the program-time week and calendar month
    (fieldcrm.programtime.week_of / month_of) containing it. Moved up this week / this
    month: moves to a higher stage (or onto the ladder), of people still on it, inside that
    span and not after `now` (a mistyped future date counts nowhere). The month starts on
    the 1st, so while a week that began in the previous month runs, its days before the 1st
    count in the week and not in the month; otherwise the week lies inside the month and
    never counts more. Stalled: on the ladder, no move and no conversation in
    `stalled_after_days`.
    """
    where = board_clause(actor, filters)
    stages = list(db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)))
    rows = db.session.execute(
        sa.select(
            Contact.ladder_stage_id,
            sa.func.count(),
            sa.func.avg(days_between(Contact.ladder_stage_since, now)),
        )
        .where(where, Contact.ladder_stage_id.is_not(None))
        .group_by(Contact.ladder_stage_id)
    ).all()
    per_stage = {r[0]: (r[1], r[2]) for r in rows}
    stage_rows = [
        StageRow(
            s,
            per_stage.get(s.id, (0, None))[0],
            float(per_stage[s.id][1]) if per_stage.get(s.id, (0, None))[1] is not None else None,
        )
        for s in stages
        if s.active or s.id in per_stage
    ]
    to_stage = so.aliased(LadderStage)
    from_stage = so.aliased(LadderStage)
    up = sa.or_(from_stage.id.is_(None), to_stage.position > from_stage.position)
    # Moves up of people still on the ladder: their ids come from the partial index on
    # (turf, stage), so a director's region never reads its contacts' rows.
    on_ladder = sa.select(Contact.id).where(where, Contact.ladder_stage_id.is_not(None))
    in_scope = LadderMove.contact_id.in_(on_ladder)
    moved_base = (
        sa.select(LadderMove)
        .join(to_stage, to_stage.id == LadderMove.to_stage_id)
        .outerjoin(from_stage, from_stage.id == LadderMove.from_stage_id)
        .where(
            LadderMove.moved_at >= min(week.start, month.start),
            LadderMove.moved_at <= now,
            up,
            in_scope,
        )
    )

    def inside(span: Span) -> sa.ColumnElement[bool]:
        return sa.and_(LadderMove.moved_at >= span.start, LadderMove.moved_at < span.end)

    in_week, in_month = db.session.execute(
        moved_base.with_only_columns(
            sa.func.count().filter(inside(week)), sa.func.count().filter(inside(month))
        )
    ).one()
    recent = list(
        db.session.scalars(
            moved_base.options(
                so.joinedload(LadderMove.contact),
                so.contains_eager(LadderMove.to_stage, alias=to_stage),
                so.contains_eager(LadderMove.from_stage, alias=from_stage),
            )
            .order_by(LadderMove.moved_at.desc())
            .limit(20)
        )
    )
    cutoff = now - timedelta(days=stalled_after_days)
    stalled_where = sa.and_(
        where,
        Contact.ladder_stage_id.is_not(None),
        sa.or_(Contact.ladder_stage_since.is_(None), Contact.ladder_stage_since < cutoff),
        sa.or_(Contact.last_contacted_at.is_(None), Contact.last_contacted_at < cutoff),
    )
    stalled_count = db.session.scalar(sa.select(sa.func.count(Contact.id)).where(stalled_where))
    stalled = list(
        db.session.scalars(
            sa.select(Contact)
            .where(stalled_where)
            .options(so.joinedload(Contact.ladder_stage))
            .order_by(Contact.ladder_stage_since.asc().nulls_first(), Contact.id)
            .limit(stalled_limit)
        )
    )
    return Board(
        stages=stage_rows,
        on_ladder=sum(r.people for r in stage_rows),
        week=week,
        month=month,
        moved_up_week=in_week or 0,
        moved_up_month=in_month or 0,
        recent_moves_up=recent,
        stalled_count=stalled_count or 0,
        stalled=stalled,
    )
