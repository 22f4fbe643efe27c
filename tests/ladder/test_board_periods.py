"""The ladder board's "moved up this week / this month": program-time weeks (Monday on) and
calendar months (the 1st on), nothing after now, and a week inside its month never counts more."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from fieldcrm import programtime
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder import queries, services

# One move up a day, 2026-09-14 to 2026-10-18: the weeks of Sep 28 and Oct 1 straddle a month.
FIRST = date(2026, 9, 14)
DAYS = 35


@pytest.fixture
def daily_moves(app, world, fieldwork, make_contact):
    """One move up per local day at noon (seven people climbing the five stages in turn)."""
    people = [make_contact(world.east, first_name=f"P{i}", precinct_code="E1") for i in range(7)]
    climbed = {p.id: 0 for p in people}
    days = []
    with app.test_request_context():
        for i in range(DAYS):
            day = FIRST + timedelta(days=i)
            person = people[i % len(people)]
            stage = fieldwork[climbed[person.id]]
            climbed[person.id] += 1
            services.move_contact(
                world.organizer_ana, person, stage, at=programtime.day_time(day, time(12))
            )
            days.append(day)
    db.session.commit()
    return days


def _board(app, actor, today, clock=time(18)):
    with app.test_request_context():
        return queries.ladder_board(
            actor,
            queries.BoardFilters(),
            now=programtime.day_time(today, clock),
            week=programtime.week_of(today),
            month=programtime.month_of(today),
            stalled_after_days=30,
        )


def test_counts_follow_program_weeks_and_months(app, world, daily_moves):
    for today in daily_moves:
        board = _board(app, world.organizer_ana, today)
        in_week = [d for d in daily_moves if board.week.first_day <= d <= today]
        in_month = [d for d in daily_moves if board.month.first_day <= d <= today]
        assert (board.moved_up_week, board.moved_up_month) == (len(in_week), len(in_month))
        if board.week.first_day >= board.month.first_day:  # the week lies inside the month
            assert board.moved_up_week <= board.moved_up_month, today


def test_week_begun_last_month_counts_its_own_days(app, world, daily_moves):
    board = _board(app, world.organizer_ana, date(2026, 10, 1))  # a Thursday
    assert (board.week.first_day, board.month.first_day) == (date(2026, 9, 28), date(2026, 10, 1))
    assert (board.moved_up_week, board.moved_up_month) == (4, 1)  # Sep 28-Oct 1 vs Oct 1


def test_moves_after_now_count_nowhere(app, world, daily_moves):
    # 8 AM on Wednesday Sep 16: that day's noon move has not happened yet.
    board = _board(app, world.organizer_ana, date(2026, 9, 16), clock=time(8))
    assert (board.moved_up_week, board.moved_up_month) == (2, 2)
    assert len(board.recent_moves_up) == 2


def test_board_page_names_when_week_and_month_start(app, login_as, world, fieldwork):
    services.move_contact(world.organizer_ana, world.east_1, fieldwork[0], at=utcnow())
    db.session.commit()
    with app.test_request_context():
        today = programtime.today()
        week = programtime.format_date(programtime.monday(today))
        month = programtime.format_date(today.replace(day=1))
    page = login_as(world.organizer_ana).get("/ladder/").get_data(True)
    week_stat = page[page.index('data-stat="week"') :]
    month_stat = page[page.index('data-stat="month"') :]
    assert f"since {week}" in week_stat[: week_stat.index("</div>")]
    assert f"since {month}" in month_stat[: month_stat.index("</div>")]
