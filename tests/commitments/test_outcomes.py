"""Taking a follow-up outcome back: undo right after the tap, correct it later with history;
every kept rate counts the corrected outcome."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.commitments import queries as commitment_queries
from fieldcrm.commitments import services
from fieldcrm.commitments.models import CommitmentEvent
from fieldcrm.contacts.timeline import kept_rate
from fieldcrm.dashboards import metrics
from fieldcrm.dashboards import queries as dashboard_queries
from fieldcrm.database import utcnow
from fieldcrm.errors import PermissionDenied, ValidationFailed
from fieldcrm.extensions import db

WINDOW = 10


def _events(commitment) -> list[tuple[str | None, str | None, str | None]]:
    rows = db.session.execute(
        sa.select(CommitmentEvent.from_status, CommitmentEvent.to_status, CommitmentEvent.change)
        .where(CommitmentEvent.commitment_id == commitment.id)
        .order_by(CommitmentEvent.id)
    ).all()
    return [tuple(r) for r in rows]


@pytest.fixture
def tapped(world):
    """Ezra's shift, recorded by Ana for Lena to follow up, marked kept by Lena just now."""
    commitment = services.record_commitment(
        world.organizer_ana,
        world.east_assigned,
        services.CommitmentInput(kind="volunteer_shift", owner_id=world.leader_lena.id),
    )
    db.session.commit()
    opened_at = commitment.status_changed_at
    services.set_status(world.leader_lena, commitment, "kept")
    db.session.commit()
    commitment.opened_at = opened_at
    return commitment


def test_undo__within_minutes_restores_the_status_and_keeps_history(world, tapped):
    event = services.latest_event(tapped.id)
    services.undo_status(world.leader_lena, tapped, event.id, now=utcnow(), window_minutes=WINDOW)
    db.session.commit()
    assert tapped.status == "open"
    assert tapped.status_changed_at == tapped.opened_at
    assert _events(tapped) == [
        (None, "open", None),
        ("open", "kept", None),
        ("kept", "open", "undo"),
    ]
    assert db.session.scalar(
        sa.select(AuditEvent.details).where(AuditEvent.action == "commitment.undo")
    ) == {"undone": "kept", "status": "open"}


@pytest.mark.parametrize("why", ["too_late", "someone_else", "not_the_latest", "already_undone"])
def test_undo__refused(world, tapped, why):
    event = services.latest_event(tapped.id)
    actor, now, event_id = world.leader_lena, utcnow(), event.id
    if why == "too_late":
        now += timedelta(minutes=WINDOW)
    elif why == "someone_else":
        actor = world.organizer_ana
    elif why == "not_the_latest":
        event_id = event.id - 1
    else:
        services.undo_status(actor, tapped, event.id, now=now, window_minutes=WINDOW)
    with pytest.raises(ValidationFailed):
        services.undo_status(actor, tapped, event_id, now=now, window_minutes=WINDOW)


def test_correct__kept_to_flaked_counts_everywhere(world, make_commitment, tapped):
    """A kept outcome corrected to flaked: the contact's, the team's, the week's and the
    coverage report's kept numbers all follow, even with the report cached."""
    flt = metrics.CoverageFilter(
        since=utcnow() - timedelta(days=7),
        until=utcnow() + timedelta(minutes=1),
        week_starts=(),
    )

    def east_kept():
        rows = metrics.cached_coverage(world.admin_dev, flt)
        return next(r for r in rows if r.turf_id == world.east.id).commitments_kept

    def week():
        since = utcnow() - timedelta(days=1)
        stats = dashboard_queries.week_stats(
            [world.leader_lena], since, utcnow() + timedelta(minutes=1), since.date()
        )
        return stats[world.leader_lena.id].kept, stats[world.leader_lena.id].flaked

    def team():
        rows = commitment_queries.team_rows(world.organizer_ana, utcnow().date())
        row = next(r for r in rows if r.user.id == world.leader_lena.id)
        return row.kept, row.flaked

    outcome_at = tapped.status_changed_at
    assert kept_rate(world.east_assigned.id) == (1, 0, 1.0)
    assert (east_kept(), week(), team()) == (1, (1, 0), (1, 0))
    services.correct_outcome(world.organizer_ana, tapped, "flaked", note="she never came")
    db.session.commit()
    assert tapped.status == "flaked"
    assert tapped.status_changed_at == outcome_at  # counted in the week it happened
    assert kept_rate(world.east_assigned.id) == (0, 1, 0.0)
    assert (east_kept(), week(), team()) == (0, (0, 1), (0, 1))
    assert _events(tapped)[-1] == ("kept", "flaked", "correction")
    assert tapped.events[-1].note == "she never came"


def test_correct__reopen_puts_it_back_on_the_list(world, tapped):
    services.correct_outcome(world.leader_lena, tapped, "open")
    db.session.commit()
    assert tapped.status == "open"
    assert tapped.status_changed_at > tapped.opened_at
    assert tapped.id in {c.id for c in dashboard_queries.my_open_commitments(world.leader_lena)}


def test_correct__rules(world, make_commitment, tapped, make_user, assign_to_leader):
    still_open = make_commitment(world.east_1, world.organizer_ana)
    with pytest.raises(ValidationFailed):
        services.correct_outcome(world.organizer_ana, still_open, "kept")  # use the taps
    with pytest.raises(ValidationFailed):
        services.correct_outcome(world.organizer_ana, tapped, "kept")  # no change
    with pytest.raises(ValidationFailed):
        services.correct_outcome(world.organizer_ana, tapped, "rescheduled")
    other_leader = make_user("leader", name="Lou", turfs=[world.east])
    assign_to_leader(other_leader, world.east_assigned)
    with pytest.raises(PermissionDenied):  # a leader corrects only her own follow-ups
        services.correct_outcome(other_leader, tapped, "flaked")


def test_views__tap_shows_undo_then_undo_puts_it_back(login_as, world, make_commitment):
    commitment = make_commitment(world.east_assigned, world.leader_lena)
    client = login_as(world.leader_lena)
    tapped = client.post(
        f"/commitments/{commitment.id}/status",
        data={"status": "kept", "next": "/commitments/"},
        follow_redirects=True,
    )
    body = tapped.get_data(as_text=True)
    assert "Ezra Assigned: marked kept." in body
    assert f'action="/commitments/{commitment.id}/undo"' in body
    event_id = re.search(r'name="event_id" value="(\d+)"', body).group(1)
    undone = client.post(
        f"/commitments/{commitment.id}/undo",
        data={"event_id": event_id, "next": "/commitments/"},
        follow_redirects=True,
    )
    assert "Undone: Ezra Assigned’s follow-up is as it was." in undone.get_data(as_text=True)
    db.session.refresh(commitment)
    assert commitment.status == "open"
    again = client.post(
        f"/commitments/{commitment.id}/undo", data={"event_id": event_id}, follow_redirects=True
    )
    assert "Too late to undo" in again.get_data(as_text=True)


def test_views__reschedule_shows_no_undo(login_as, world, make_commitment):
    commitment = make_commitment(world.east_assigned, world.leader_lena)
    body = (
        login_as(world.leader_lena)
        .post(
            f"/commitments/{commitment.id}/status",
            data={"status": "rescheduled", "new_due_date": "2030-01-02"},
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert "/undo" not in body


def test_views__correct_from_the_contact_page(login_as, world, tapped):
    client = login_as(world.organizer_ana)
    page = client.get(f"/contacts/{world.east_assigned.id}").get_data(as_text=True)
    assert "Correct the outcome" in page
    response = client.post(
        f"/commitments/{tapped.id}/correct",
        data={"status": "flaked", "note": "mis-tap"},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Corrected: Ezra Assigned’s follow-up is now Flaked." in body
    assert "corrected:" in body  # the history shows the correction
    assert "mis-tap" in body
    db.session.refresh(tapped)
    assert tapped.status == "flaked"


def test_views__correct_out_of_scope_or_not_owner(
    login_as, world, tapped, make_user, assign_to_leader
):
    omar = login_as(world.organizer_omar)
    assert omar.post(
        f"/commitments/{tapped.id}/correct", data={"status": "flaked"}
    ).status_code == (404)
    lou = make_user("leader", name="Lou", turfs=[world.east])
    assign_to_leader(lou, world.east_assigned)
    client = login_as(lou)
    assert "Correct the outcome" not in client.get(f"/contacts/{world.east_assigned.id}").get_data(
        as_text=True
    )
    assert client.post(
        f"/commitments/{tapped.id}/correct", data={"status": "flaked"}
    ).status_code == (403)


def test_undo__status_time_replays_history(world, tapped):
    """Tap, undo, tap again, undo: back to when it was opened. Corrected to flaked, then
    tapped kept and undone: back to flaked at the time of the first outcome."""
    lena, now = world.leader_lena, utcnow()

    def undo():
        event = services.latest_event(tapped.id)
        services.undo_status(lena, tapped, event.id, now=now, window_minutes=WINDOW)

    undo()
    services.set_status(lena, tapped, "kept")
    undo()
    assert (tapped.status, tapped.status_changed_at) == ("open", tapped.opened_at)
    services.set_status(lena, tapped, "kept")
    kept_at = tapped.status_changed_at
    services.correct_outcome(lena, tapped, "flaked")
    services.set_status(lena, tapped, "kept")
    undo()
    assert (tapped.status, tapped.status_changed_at) == ("flaked", kept_at)
