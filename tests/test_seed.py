"""The demo seed: nothing it records happened in the future, and the ladder board it feeds
makes sense (this week never more than this month while the week lies inside the month)."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm import programtime
from fieldcrm.auth.models import User
from fieldcrm.database import UTCDateTime, utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder import queries
from fieldcrm.ladder.models import LadderMove


def test_seed__no_timestamp_in_the_future_and_board_adds_up(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    now = utcnow()
    checked, future = 0, []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, UTCDateTime):
                continue
            latest = db.session.scalar(sa.select(sa.func.max(column)))
            if latest is None:
                continue
            checked += 1
            if latest > now:
                future.append(f"{table.name}.{column.name} = {latest}")
    assert checked >= 5  # conversations, ladder moves, commitments, audit, users…
    assert future == []
    assert db.session.scalar(sa.select(sa.func.max(LadderMove.moved_at))) is not None

    admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
    with app.test_request_context():
        today = programtime.local_date(now)
        week, month = programtime.week_of(today), programtime.month_of(today)
    board = queries.ladder_board(
        admin, queries.BoardFilters(), now=now, week=week, month=month, stalled_after_days=30
    )
    assert board.moved_up_week > 0
    if week.first_day >= month.first_day:
        assert board.moved_up_week <= board.moved_up_month
