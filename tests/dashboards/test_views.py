"""Coverage report (table, drill-down, map data, CSV), role-aware homes, team and goals."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.turf.models import WeeklyGoal


def test_coverage__director_table_has_only_own_region(login_as, world):
    body = login_as(world.director_dana).get("/coverage").get_data(as_text=True)
    assert ">East</a>" in body
    assert ">West</a>" in body
    assert "Durham" not in body
    assert "gap = universe × (1 − reach) ÷ (1 + local leaders)" in body


def test_coverage__map_data_is_scoped(login_as, world):
    data = login_as(world.director_dana).get("/coverage/map.json").get_json()
    assert {t["name"] for t in data["turfs"]} == {"East", "West"}
    assert all(t["region"] == "Piedmont" for t in data["turfs"])


def test_coverage__csv_is_scoped_and_audited(login_as, world):
    from fieldcrm.audit import AuditEvent

    response = login_as(world.director_dana).get("/coverage.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["region", "turf", "precinct", "universe"]
    assert sorted(r[1] for r in rows[1:]) == ["East", "West"]
    assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "export.coverage"
    )


def test_coverage__drill_down_by_precinct(login_as, world, make_contact):
    make_contact(world.east, precinct_code="E2")
    body = login_as(world.director_dana).get(f"/coverage?turf={world.east.id}").get_data(True)
    assert "East by precinct" in body
    assert ">E1</th>" in body
    assert ">E2</th>" in body


def test_coverage__drill_into_other_region_is_404(login_as, world):
    client = login_as(world.director_dana)
    assert client.get(f"/coverage?turf={world.durham.id}").status_code == 404
    assert client.get(f"/coverage.csv?turf={world.durham.id}").status_code == 404


def test_coverage__reflects_a_write_immediately(login_as, world, make_conversation):
    client = login_as(world.director_dana)
    client.get("/coverage.csv")
    make_conversation(world.east_1, world.organizer_ana, occurred_at=utcnow())
    rows = list(csv.reader(io.StringIO(client.get("/coverage.csv").get_data().decode("utf-8-sig"))))
    east = next(r for r in rows if r[1] == "East")
    assert east[7] == "1"  # conversations


def test_coverage__filters_and_sort(login_as, world):
    start = (utcnow() - timedelta(days=7)).date().isoformat()
    response = login_as(world.admin_dev).get(
        "/coverage", query_string={"start": start, "universe": "persuadable", "sort": "name"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.index(">Durham</a>") < body.index(">East</a>") < body.index(">West</a>")


def test_coverage__query_count_pinned(login_as, world, count_queries):
    client = login_as(world.admin_dev)
    with count_queries() as n:
        client.get("/coverage")
    cold = n()
    with count_queries() as n:
        client.get("/coverage")
    warm = n()
    assert warm < cold
    assert cold <= 16


def test_home__organizer_week_against_goals(login_as, world, make_conversation):
    db.session.add(WeeklyGoal(user_id=world.organizer_ana.id, week_start=None, attempts=4))
    db.session.commit()
    make_conversation(world.east_1, world.organizer_ana, channel="one_on_one")
    body = login_as(world.organizer_ana).get("/home").get_data(as_text=True)
    assert "Your week" in body
    assert '<small class="muted"> / 4</small>' in body
    assert "one-on-ones" in body
    assert "East" in body


def test_home__leader_sees_follow_ups(login_as, world, make_commitment):
    make_commitment(world.east_assigned, world.leader_lena, due_date=utcnow().date() - timedelta(3))
    body = login_as(world.leader_lena).get("/home").get_data(as_text=True)
    assert "Your follow-ups" in body
    assert "1 overdue" in body
    assert "Ezra Assigned" in body


def test_home__director_links_to_coverage(login_as, world):
    body = login_as(world.director_dana).get("/home").get_data(as_text=True)
    assert "/coverage" in body


def test_home__organizer_query_count_pinned(login_as, world, count_queries):
    client = login_as(world.organizer_ana)
    client.get("/home")
    with count_queries() as n:
        client.get("/home")
    assert n() <= 14


def test_team__rates_and_goal_setting(login_as, world, make_conversation):
    make_conversation(world.east_1, world.organizer_ana)
    make_conversation(world.east_1, world.organizer_ana, is_conversation=False, result_code="moved")
    client = login_as(world.director_dana)
    response = client.post(
        "/team/goal",
        data={
            "organizer_id": world.organizer_ana.id,
            "week": "",
            "attempts": 10,
            "conversations": 2,
        },
    )
    assert response.status_code == 302
    goal = db.session.scalar(sa.select(WeeklyGoal))
    assert (goal.attempts, goal.conversations, goal.set_by_id) == (10, 2, world.director_dana.id)
    body = client.get("/team").get_data(as_text=True)
    assert "Ana" in body
    assert "Omar" in body
    assert "Tri" not in body
    assert "50.0%" in body  # contact rate 1 / 2
    assert "35%" in body  # progress: mean of 2/10 attempts and 1/2 conversations


def test_team__director_cannot_set_goal_outside_region(login_as, world):
    response = login_as(world.director_dana).post(
        "/team/goal", data={"organizer_id": world.organizer_tri.id, "week": "", "attempts": 5}
    )
    assert response.status_code == 404


def test_coverage__column_headers_sort(login_as, world):
    body = login_as(world.admin_dev).get("/coverage?sort=reach").get_data(as_text=True)
    assert 'href="/coverage?sort=universe"' in body
    assert 'aria-sort="ascending" class="sorted">Reach</a>' in body


def test_team__each_goal_form_sends_one_organizer_id(login_as, world):
    """The browser posts every input of the form: one organizer id, the row's own."""
    import re

    body = login_as(world.director_dana).get("/team").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/team/goal".*?</form>', body, re.S)
    assert len(forms) == 2  # Ana and Omar
    for form in forms:
        ids = re.findall(r'name="organizer_id"[^>]*value="(\d*)"', form)
        assert len(ids) == 1
        assert ids[0] in {str(world.organizer_ana.id), str(world.organizer_omar.id)}
