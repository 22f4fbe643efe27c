"""The coverage rows read from the rollups equal the rows counted live, figure by figure."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.dashboards import metrics, rollup_coverage
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder.services import ensure_default_ladder

FIELDS = (
    "universe", "attempts", "attempted", "conversations", "reached", "support",
    "commitments_made", "commitments_kept", "stages", "local_leaders", "organizers",
    "last_activity", "trend",
)  # fmt: skip


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _filter(zone: str, days: int) -> metrics.CoverageFilter:
    """The report's default shape in program time `zone`: `days` up to today, 8 weeks."""
    today = datetime.now(ZoneInfo(zone)).date()
    monday = today - timedelta(days=today.weekday())
    return metrics.CoverageFilter(
        since=_midnight(today - timedelta(days=days), zone),
        until=_midnight(today + timedelta(days=1), zone),
        week_starts=tuple(
            _midnight(monday - timedelta(weeks=metrics.TREND_WEEKS - 1 - i), zone)
            for i in range(metrics.TREND_WEEKS)
        ),
    )


def _fill(world, seed: int) -> None:
    rng = random.Random(seed)
    stages = ensure_default_ladder()
    now = utcnow()
    turfs = [world.east, world.west, world.durham, None]
    people = []
    for i in range(60):
        person = Contact(
            display_name=f"P{i}",
            turf=rng.choice(turfs),
            support_level=rng.choice((None, None, 1, 2, 3, 4, 5)),
            ladder_stage_id=rng.choice([None, None, None, *[s.id for s in stages]]),
            do_not_contact=rng.random() < 0.1,
            latitude=rng.choice((None, 35 + rng.random())),
            longitude=rng.choice((None, -80 + rng.random())),
        )
        people.append(person)
    db.session.add_all(people)
    db.session.flush()
    world.leader_lena.contact_id = people[1].id
    for _ in range(250):
        talked = rng.random() < 0.4
        db.session.add(
            Conversation(
                contact_id=rng.choice(people).id,
                user_id=world.organizer_ana.id,
                occurred_at=now - timedelta(minutes=rng.randrange(0, 75 * 24 * 60)),
                channel="door",
                is_conversation=talked,
                result_code=None if talked else "not_home",
            )
        )
    for _ in range(60):
        db.session.add(
            Commitment(
                contact_id=rng.choice(people).id,
                owner_id=world.organizer_ana.id,
                created_by_id=world.organizer_ana.id,
                kind="volunteer_shift",
                status=rng.choice(("open", "kept", "flaked")),
                created_at=now - timedelta(minutes=rng.randrange(0, 75 * 24 * 60)),
            )
        )
    db.session.commit()
    # a few moves after the fact, so activity follows people between turfs
    for person in rng.sample(people, 10):
        person.turf = rng.choice(turfs)
        person.do_not_contact = rng.random() < 0.3
    db.session.commit()


def _live(actor, flt, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(rollup_coverage, "applies_to", lambda flt, group: False)
        return {r.turf_id: r for r in metrics.coverage(actor, flt)}


@pytest.mark.parametrize(
    ("zone", "seed", "days"),
    [
        ("America/New_York", 1, 55),
        ("Asia/Kolkata", 2, 20),  # half-hour offset: every bound needs the edge rows
        ("UTC", 3, 55),
        ("Pacific/Auckland", 4, 3),
    ],
)
def test_rollup_coverage__equals_the_live_count(world, monkeypatch, zone, seed, days):
    _fill(world, seed)
    flt = _filter(zone, days)
    for actor in (world.admin_dev, world.director_dana, world.organizer_ana):
        assert rollup_coverage.runs_to_present(flt.until)
        fast = {r.turf_id: r for r in metrics.coverage(actor, flt)}
        live = _live(actor, flt, monkeypatch)
        assert fast.keys() == live.keys()
        for turf_id, row in live.items():
            for name in FIELDS:
                assert getattr(fast[turf_id], name) == getattr(row, name), (turf_id, name)
            for name in ("lat", "lon"):
                assert getattr(fast[turf_id], name) == pytest.approx(
                    getattr(row, name), abs=1e-6
                ), (turf_id, name)


def test_rollup_coverage__a_period_ending_in_the_past_is_counted_live(world, monkeypatch):
    _fill(world, 5)
    flt = _filter("America/New_York", 30)
    past = metrics.CoverageFilter(
        since=flt.since - timedelta(days=20),
        until=flt.until - timedelta(days=10),
        week_starts=tuple(w - timedelta(days=14) for w in flt.week_starts),
    )
    assert not rollup_coverage.runs_to_present(past.until)
    read: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: PLR0913
        read.append(statement)

    engine = db.engine if isinstance(db.engine, sa.Engine) else db.engine.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        rows = {r.turf_id: r for r in metrics.coverage(world.admin_dev, past)}
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    assert not [s for s in read if "turf_days" in s]
    assert rows == _live(world.admin_dev, past, monkeypatch)
