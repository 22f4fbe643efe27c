"""Follow-up pages: sections by due date, one-tap outcomes, handing over, team view, export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from fieldcrm import programtime
from fieldcrm.commitments.models import Commitment, CommitmentEvent
from fieldcrm.extensions import db


def _today(app):
    with app.test_request_context():
        return programtime.today()


def _section(body: str, name: str) -> str:
    start = body.index(f'followups-{name}"')
    end = body.find("</section>", start)
    return body[start:end]


def test_mine__overdue_today_upcoming(app, login_as, world, fieldwork, make_commitment):
    today = _today(app)
    make_commitment(world.east_1, world.organizer_ana, due_date=today - timedelta(days=2))
    make_commitment(world.east_assigned, world.organizer_ana, due_date=today, kind="training")
    make_commitment(
        world.east_1, world.organizer_ana, due_date=today + timedelta(days=3), kind="recruit"
    )
    make_commitment(world.east_1, world.organizer_ana, due_date=today, status="kept", kind="event")
    make_commitment(world.east_1, world.leader_lena, due_date=today, kind="vote_plan")
    body = login_as(world.organizer_ana).get("/commitments/").get_data(True)
    assert "Volunteer shift" in _section(body, "overdue")
    assert "Attend a training" in _section(body, "today")
    assert "Come to an event" not in body  # kept: not on the list
    assert "Make a voting plan" not in body  # someone else's
    assert "Recruit people" in _section(body, "upcoming")


def test_mine__call_and_prefilled_text(app, login_as, world, fieldwork, make_commitment):
    make_commitment(world.east_1, world.organizer_ana, due_date=_today(app))
    body = login_as(world.organizer_ana).get("/commitments/").get_data(True)
    assert 'href="tel:+13365550101"' in body
    assert "sms:+13365550101?&amp;body=Hi%20Eve%2C%20it%27s%20Ana." in body
    assert "volunteer%20shift" in body


def test_mine__own_sms_template(app, login_as, world, fieldwork, make_commitment):
    world.organizer_ana.sms_template = "Hola {first_name}!"
    db.session.commit()
    make_commitment(world.east_1, world.organizer_ana, due_date=_today(app))
    body = login_as(world.organizer_ana).get("/commitments/").get_data(True)
    assert "body=Hola%20Eve%21" in body


def test_mine__filters_by_organization_and_language(
    app, login_as, world, fieldwork, make_commitment, make_org
):
    world.east_assigned.preferred_languages = "es, en"
    db.session.commit()
    org = make_org("Local 7", members=[world.east_1])
    make_commitment(world.east_1, world.organizer_ana, due_date=_today(app))
    make_commitment(world.east_assigned, world.organizer_ana, due_date=_today(app))
    client = login_as(world.organizer_ana)
    by_org = client.get(f"/commitments/?organization={org.id}").get_data(True)
    assert "Eve East" in by_org
    assert "Ezra Assigned" not in by_org
    by_lang = client.get("/commitments/?language=es").get_data(True)
    assert "Ezra Assigned" in by_lang
    assert "Eve East" not in by_lang


def test_mine__query_count_does_not_grow_with_rows(
    app, login_as, world, fieldwork, make_commitment, count_queries
):
    today = _today(app)
    client = login_as(world.organizer_ana)
    for offset in (-1, 0, 1):
        make_commitment(world.east_1, world.organizer_ana, due_date=today + timedelta(days=offset))
    with count_queries() as few:
        client.get("/commitments/")
    for offset in (-5, -3, 0, 0, 2, 4, 6, 8):
        make_commitment(
            world.east_assigned, world.organizer_ana, due_date=today + timedelta(days=offset)
        )
    with count_queries() as many:
        assert client.get("/commitments/").status_code == 200
    assert few() == many() == 9


def test_set_status__one_tap_kept(app, login_as, world, fieldwork, make_commitment):
    commitment = make_commitment(world.east_assigned, world.leader_lena, due_date=_today(app))
    response = login_as(world.leader_lena).post(
        f"/commitments/{commitment.id}/status", data={"status": "kept", "next": "/commitments/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/commitments/")
    db.session.refresh(commitment)
    assert commitment.status == "kept"
    assert db.session.scalar(sa.select(CommitmentEvent.to_status)) == "kept"


def test_set_status__reschedule_with_date_and_note(
    app, login_as, world, fieldwork, make_commitment
):
    commitment = make_commitment(world.east_1, world.organizer_ana, due_date=_today(app))
    client = login_as(world.organizer_ana)
    client.post(f"/commitments/{commitment.id}/status", data={"status": "rescheduled"})
    db.session.refresh(commitment)
    assert commitment.status == "open"  # no date: refused, nothing changed
    client.post(
        f"/commitments/{commitment.id}/status",
        data={"status": "rescheduled", "new_due_date": "2027-02-01", "note": "sick kid"},
    )
    db.session.refresh(commitment)
    assert (commitment.status, commitment.due_date.isoformat()) == ("rescheduled", "2027-02-01")
    assert db.session.scalar(sa.select(CommitmentEvent.note)) == "sick kid"


def test_set_status__out_of_scope_is_404_and_get_is_405(
    login_as, world, fieldwork, make_commitment
):
    commitment = make_commitment(world.east_1, world.organizer_ana)
    client = login_as(world.organizer_omar)
    assert (
        client.post(f"/commitments/{commitment.id}/status", data={"status": "kept"}).status_code
        == 404
    )
    assert client.get(f"/commitments/{commitment.id}/status").status_code == 405


def test_reassign__to_leader_via_page(login_as, world, fieldwork, make_commitment):
    commitment = make_commitment(world.east_1, world.organizer_ana)
    client = login_as(world.organizer_ana)
    assert "Hand to someone else" in client.get("/commitments/").get_data(True)
    client.post(f"/commitments/{commitment.id}/owner", data={"owner_id": world.leader_lena.id})
    db.session.refresh(commitment)
    assert commitment.owner_id == world.leader_lena.id
    refused = client.post(
        f"/commitments/{commitment.id}/owner", data={"owner_id": world.organizer_tri.id}
    )
    assert refused.status_code == 302
    db.session.refresh(commitment)
    assert commitment.owner_id == world.leader_lena.id


def test_reassign__leaders_cannot(login_as, world, fieldwork, make_commitment):
    commitment = make_commitment(world.east_assigned, world.leader_lena)
    response = login_as(world.leader_lena).post(
        f"/commitments/{commitment.id}/owner", data={"owner_id": world.organizer_ana.id}
    )
    assert response.status_code == 403


def test_team__leader_rows_kept_rate_and_slipping(app, login_as, world, fieldwork, make_commitment):
    today = _today(app)
    make_commitment(world.east_assigned, world.leader_lena, due_date=today - timedelta(days=1))
    for status in ("kept", "kept", "flaked"):
        make_commitment(world.east_assigned, world.leader_lena, status=status)
    body = login_as(world.organizer_ana).get("/commitments/team").get_data(True)
    assert "Lena" in body
    assert "67%" in body
    assert "2 kept, 1 flaked" in body
    assert "slipping: check in" in body
    assert "Omar" not in body  # another turf's organizer is not Ana's team
    assert "not who to blame" in body


def test_team__query_count_does_not_grow_with_people(
    app, login_as, world, fieldwork, make_commitment, make_user, count_queries
):
    client = login_as(world.director_dana)
    make_commitment(world.east_1, world.leader_lena, due_date=_today(app) - timedelta(days=9))
    with count_queries() as few:
        client.get("/commitments/team")
    for n in range(4):
        leader = make_user("leader", turfs=[world.east])
        make_commitment(world.east_1, leader, due_date=_today(app) - timedelta(days=n + 1))
    with count_queries() as many:
        assert client.get("/commitments/team").status_code == 200
    assert few() == many()


def test_export__commitments_scoped(login_as, world, fieldwork, make_commitment):
    make_commitment(world.east_1, world.organizer_ana, status="kept")
    make_commitment(world.west_1, world.organizer_omar)
    response = login_as(world.organizer_ana).get("/commitments/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(True).lstrip("\ufeff"))))
    assert [r["voter_id"] for r in rows] == [world.east_1.voter_id]
    assert rows[0]["commitment_status"] == "kept"
    assert rows[0]["owner_email"] == world.organizer_ana.email
    assert login_as(world.leader_lena).get("/commitments/export.csv").status_code == 403


def test_commitment_model_untouched_by_views(world, make_commitment):
    """A guard for the fixtures above: the factory writes open commitments by default."""
    commitment = make_commitment(world.east_1, world.organizer_ana)
    assert db.session.get(Commitment, commitment.id).status == "open"


def test_mine__long_sections_are_cut_with_show_all(
    app, login_as, world, fieldwork, make_commitment, monkeypatch
):
    monkeypatch.setitem(app.config, "FOLLOW_UPS_PER_SECTION", 2)
    for days in (1, 2, 3):
        make_commitment(world.east_1, world.organizer_ana, due_date=_today(app) - timedelta(days))
    client = login_as(world.organizer_ana)
    overdue = _section(client.get("/commitments/").get_data(True), "overdue")
    assert overdue.count('class="followup-row"') == 2
    assert "Showing 2 of 3." in overdue
    everything = _section(client.get("/commitments/?all=1").get_data(True), "overdue")
    assert everything.count('class="followup-row"') == 3


def test_sms_template__own_text_saved_and_checked(login_as, world, fieldwork):
    client = login_as(world.organizer_ana)
    client.post("/commitments/sms-template", data={"sms_template": "Hey {first_name}!"})
    db.session.refresh(world.organizer_ana)
    assert world.organizer_ana.sms_template == "Hey {first_name}!"
    client.post("/commitments/sms-template", data={"sms_template": "Hi {phone}"})
    db.session.refresh(world.organizer_ana)
    assert world.organizer_ana.sms_template == "Hey {first_name}!"
    client.post("/commitments/sms-template", data={"sms_template": ""})
    db.session.refresh(world.organizer_ana)
    assert world.organizer_ana.sms_template is None
