"""Ladder pages: one-tap moves from a contact, the board, stage settings for admins."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove, LadderStage
from fieldcrm.ladder.services import move_contact


def test_move__one_tap_up_with_reason(login_as, world, fieldwork):
    client = login_as(world.organizer_ana)
    page = client.get(f"/contacts/{world.east_1.id}").get_data(True)
    assert 'name="direction" value="up"' in page
    response = client.post(
        f"/ladder/move/{world.east_1.id}", data={"direction": "up", "reason": "hosted a meeting"}
    )
    assert response.status_code == 302
    move = db.session.scalar(sa.select(LadderMove))
    assert (move.to_stage_id, move.reason) == (fieldwork[0].id, "hosted a meeting")
    timeline = client.get(f"/contacts/{world.east_1.id}").get_data(True)
    assert "hosted a meeting" in timeline
    assert 'name="direction" value="down"' in timeline


def test_move__refusals(login_as, world, fieldwork):
    assert (
        login_as(world.organizer_omar)
        .post(f"/ladder/move/{world.east_1.id}", data={"direction": "up"})
        .status_code
        == 404
    )
    client = login_as(world.organizer_ana)
    client.post(f"/ladder/move/{world.east_1.id}", data={"direction": "down"})
    client.post(f"/ladder/move/{world.east_1.id}", data={"direction": "sideways"})
    assert db.session.scalar(sa.select(sa.func.count(LadderMove.id))) == 0
    assert client.get(f"/ladder/move/{world.east_1.id}").status_code == 405


def test_board__organizer_sees_own_turf(login_as, world, fieldwork):
    move_contact(world.admin_dev, world.east_1, fieldwork[1], at=utcnow() - timedelta(days=40))
    move_contact(world.admin_dev, world.west_1, fieldwork[1])
    db.session.commit()
    body = login_as(world.organizer_ana).get("/ladder/").get_data(True)
    assert "Eve East" in body  # stalled: 40 days, no conversation
    assert "Wes West" not in body
    assert "Regular volunteer" in body


def test_board__turf_outside_scope_is_404(login_as, world, fieldwork):
    client = login_as(world.organizer_ana)
    assert client.get(f"/ladder/?turf={world.durham.id}").status_code == 404
    assert client.get(f"/ladder/?turf={world.east.id}").status_code == 200


def test_board__query_count_does_not_grow(login_as, world, fieldwork, make_contact, count_queries):
    client = login_as(world.director_dana)
    move_contact(world.admin_dev, world.east_1, fieldwork[0], at=utcnow() - timedelta(days=60))
    move_contact(world.admin_dev, world.west_1, fieldwork[1])
    with count_queries() as few:
        client.get("/ladder/")
    for n in range(6):
        contact = make_contact(world.east if n % 2 else world.west)
        move_contact(
            world.admin_dev, contact, fieldwork[n % 3], at=utcnow() - timedelta(days=n * 20)
        )
        move_contact(world.admin_dev, contact, fieldwork[n % 3 + 1])
    db.session.commit()
    with count_queries() as many:
        assert client.get("/ladder/").status_code == 200
    assert few() == many() == 10


def test_stages__admin_adds_and_edits(login_as, world, fieldwork):
    client = login_as(world.admin_dev)
    response = client.post(
        "/ladder/stages", data={"name": "Precinct captain", "position": "6", "active": "y"}
    )
    assert response.status_code == 302
    stage = db.session.scalar(sa.select(LadderStage).where(LadderStage.name == "Precinct captain"))
    client.post(f"/ladder/stages/{stage.id}", data={"name": "Precinct captain", "position": "3"})
    db.session.refresh(stage)
    assert (stage.position, stage.active) == (3, False)
    dup = client.post("/ladder/stages", data={"name": "Volunteer", "position": "9"})
    assert dup.status_code == 422


def test_move__leaders_do_not_move_people(login_as, world, fieldwork):
    client = login_as(world.leader_lena)
    page = client.get(f"/contacts/{world.east_assigned.id}").get_data(True)
    assert 'value="up"' not in page
    response = client.post(f"/ladder/move/{world.east_assigned.id}", data={"direction": "up"})
    assert response.status_code == 403
