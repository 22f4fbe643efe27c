"""Ladder services: one-rung moves with history, stage settings, the board's arithmetic."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldcrm import programtime
from fieldcrm.audit import AuditEvent
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.ladder import queries, services
from fieldcrm.ladder.models import LadderMove


def test_step_contact__up_from_nowhere_then_up_then_down_then_off(world, fieldwork):
    stages = fieldwork
    contact = world.east_1
    services.step_contact(world.organizer_ana, contact, "up", "said yes")
    assert contact.ladder_stage_id == stages[0].id
    services.step_contact(world.organizer_ana, contact, "up", "first shift")
    assert contact.ladder_stage_id == stages[1].id
    services.step_contact(world.organizer_ana, contact, "down", "moved away for a while")
    assert contact.ladder_stage_id == stages[0].id
    services.step_contact(world.organizer_ana, contact, "down")
    assert contact.ladder_stage_id is None
    moves = db.session.scalars(sa.select(LadderMove).order_by(LadderMove.id)).all()
    assert [(m.from_stage_id, m.to_stage_id) for m in moves] == [
        (None, stages[0].id),
        (stages[0].id, stages[1].id),
        (stages[1].id, stages[0].id),
        (stages[0].id, None),
    ]
    assert moves[0].reason == "said yes"
    assert moves[0].by_user_id == world.organizer_ana.id


def test_step_contact__skips_retired_stages(world, fieldwork):
    stages = fieldwork
    stages[1].active = False
    services.step_contact(world.organizer_ana, world.east_1, "up")
    services.step_contact(world.organizer_ana, world.east_1, "up")
    assert world.east_1.ladder_stage_id == stages[2].id


@pytest.mark.parametrize(("start", "direction"), [(None, "down"), (4, "up"), (0, "sideways")])
def test_step_contact__refused(world, fieldwork, start, direction):
    if start is not None:
        services.move_contact(world.organizer_ana, world.east_1, fieldwork[start])
    with pytest.raises(ValidationFailed):
        services.step_contact(world.organizer_ana, world.east_1, direction)


def test_step_contact__out_of_scope(world, fieldwork):
    with pytest.raises(NotFound):
        services.step_contact(world.organizer_omar, world.east_1, "up")


def test_stages__create_update_audited_and_names_unique(world, fieldwork):
    stage = services.create_stage(world.admin_dev, "Door captain", 6, "Runs a walk packet")
    with pytest.raises(ValidationFailed):
        services.create_stage(world.admin_dev, "Volunteer", 7)
    services.update_stage(world.admin_dev, stage, "Block captain", 6, None, False)
    assert (stage.name, stage.active) == ("Block captain", False)
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "ladder.stage_create" in actions
    assert "ladder.stage_update" in actions
    with pytest.raises(ValidationFailed):
        services.update_stage(world.admin_dev, stage, "", 6, None, True)


def _span(now, days_back):
    first = (now - timedelta(days=days_back)).date()
    return programtime.Span(first, now.date(), now - timedelta(days=days_back), now)


def _board(actor, **filters):
    now = utcnow()
    return queries.ladder_board(
        actor,
        queries.BoardFilters(**filters),
        now=now,
        week=_span(now, 3),
        month=_span(now, 20),
        stalled_after_days=30,
    )


def test_ladder_board__counts_moves_time_in_stage_and_stalled(world, fieldwork, make_contact):
    stages = fieldwork
    now = utcnow()
    ana = world.organizer_ana
    long_ago = now - timedelta(days=60)
    services.move_contact(ana, world.east_1, stages[0], at=now - timedelta(days=10))
    services.move_contact(ana, world.east_1, stages[1], at=now - timedelta(days=1))
    services.move_contact(ana, world.east_assigned, stages[0], at=long_ago)
    services.move_contact(world.organizer_omar, world.west_1, stages[0], at=now)
    services.move_contact(ana, world.east_1, stages[0], at=now - timedelta(hours=1))  # down
    db.session.commit()

    board = _board(ana)
    per_stage = {r.stage.name: r.people for r in board.stages}
    assert per_stage["Supporter"] == 2
    assert per_stage["Volunteer"] == 0
    assert board.on_ladder == 2
    assert board.moved_up_week == 1  # the move to Volunteer; moving down is not up
    assert board.moved_up_month == 2  # plus the first rung ten days ago
    assert {m.contact_id for m in board.recent_moves_up} == {world.east_1.id}
    assert [c.id for c in board.stalled] == [world.east_assigned.id]
    assert board.stalled_count == 1
    supporter = next(r for r in board.stages if r.stage.name == "Supporter")
    assert supporter.avg_days_in_stage == pytest.approx((60 + 1 / 24) / 2, abs=0.01)


def test_ladder_board__a_recent_conversation_unstalls(world, fieldwork, make_conversation):
    services.move_contact(
        world.organizer_ana, world.east_1, fieldwork[0], at=utcnow() - timedelta(days=45)
    )
    assert _board(world.organizer_ana).stalled_count == 1
    world.east_1.last_contacted_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert _board(world.organizer_ana).stalled_count == 0


def test_ladder_board__filters_by_turf_region_and_organizer(world, fieldwork):
    services.move_contact(world.admin_dev, world.east_1, fieldwork[0])
    services.move_contact(world.admin_dev, world.west_1, fieldwork[0])
    services.move_contact(world.admin_dev, world.durham_1, fieldwork[0])
    assert _board(world.admin_dev).on_ladder == 3
    assert _board(world.admin_dev, region_id=world.piedmont.id).on_ladder == 2
    assert _board(world.admin_dev, turf_id=world.west.id).on_ladder == 1
    assert _board(world.admin_dev, organizer_id=world.organizer_tri.id).on_ladder == 1
    assert _board(world.director_dana).on_ladder == 2  # Piedmont only
    assert _board(world.director_dana, region_id=world.triangle.id).on_ladder == 0
