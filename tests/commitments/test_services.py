"""Commitment services: every status transition, history, reassigning, kept-rate arithmetic."""

from __future__ import annotations

from datetime import date
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.commitments import services
from fieldcrm.commitments.models import STATUSES, CommitmentEvent
from fieldcrm.commitments.services import TRANSITIONS, kept_rate_of
from fieldcrm.contacts.timeline import kept_rate
from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db

ALL_PAIRS = [(a, b) for a in STATUSES for b in STATUSES]


@pytest.mark.parametrize(("start", "to"), ALL_PAIRS)
def test_set_status__every_transition(world, make_commitment, start, to):
    commitment = make_commitment(world.east_1, world.organizer_ana, status=start)
    allowed = to in TRANSITIONS[start]
    new_date = date(2026, 12, 24) if to == "rescheduled" else None
    if not allowed:
        with pytest.raises(ValidationFailed):
            services.set_status(world.organizer_ana, commitment, to, new_due_date=new_date)
        assert commitment.status == start
        return
    services.set_status(world.organizer_ana, commitment, to, note="called", new_due_date=new_date)
    db.session.commit()
    assert commitment.status == to
    [event] = db.session.scalars(
        sa.select(CommitmentEvent).where(CommitmentEvent.commitment_id == commitment.id)
    ).all()
    assert (event.from_status, event.to_status, event.note) == (start, to, "called")
    assert event.by_user_id == world.organizer_ana.id


def test_transitions__kept_is_final_and_flaked_can_come_back():
    assert TRANSITIONS["kept"] == set()
    assert {"rescheduled", "kept"} <= TRANSITIONS["flaked"]
    assert TRANSITIONS["cancelled"] == {"open"}


def test_set_status__reschedule_needs_a_date_and_moves_it(world, make_commitment):
    commitment = make_commitment(world.east_1, world.organizer_ana)
    with pytest.raises(ValidationFailed):
        services.set_status(world.organizer_ana, commitment, "rescheduled")
    services.set_status(
        world.organizer_ana, commitment, "rescheduled", new_due_date=date(2027, 1, 2)
    )
    assert commitment.due_date == date(2027, 1, 2)


def test_set_status__unknown_status_and_out_of_scope(world, make_commitment):
    commitment = make_commitment(world.east_1, world.organizer_ana)
    with pytest.raises(ValidationFailed):
        services.set_status(world.organizer_ana, commitment, "ghosted")
    with pytest.raises(NotFound):
        services.set_status(world.organizer_omar, commitment, "kept")


@pytest.mark.parametrize(
    ("kept", "flaked", "rate"),
    [(0, 0, None), (1, 0, 1.0), (0, 3, 0.0), (3, 1, 0.75), (2, 4, 1 / 3)],
)
def test_kept_rate_of__arithmetic(kept, flaked, rate):
    assert kept_rate_of(kept, flaked) == rate


def test_kept_rate__counts_only_kept_and_flaked(world, make_commitment):
    for status in ("kept", "kept", "kept", "flaked", "open", "cancelled", "rescheduled"):
        make_commitment(world.east_1, world.organizer_ana, status=status)
    assert kept_rate(world.east_1.id) == (3, 1, 0.75)
    assert kept_rate(world.west_1.id) == (0, 0, None)


def test_reassign__organizer_hands_to_their_leader(world, make_commitment):
    commitment = make_commitment(world.east_1, world.organizer_ana)
    services.reassign_commitment(world.organizer_ana, commitment, world.leader_lena.id, "yours")
    db.session.commit()
    assert commitment.owner_id == world.leader_lena.id
    event = db.session.scalar(sa.select(CommitmentEvent))
    assert (event.new_owner_id, event.note) == (world.leader_lena.id, "yours")
    audit = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "commitment.reassign")
    )
    assert audit.details["to_owner_id"] == world.leader_lena.id


@pytest.mark.parametrize("who", ["organizer_tri", "admin_dev", "organizer_ana"])
def test_reassign__refused_outside_team_or_unchanged(world, make_commitment, who):
    commitment = make_commitment(world.east_1, world.organizer_ana)
    with pytest.raises(ValidationFailed):
        services.reassign_commitment(world.organizer_ana, commitment, getattr(world, who).id)


def test_reassign__closed_commitment_refused(world, make_commitment):
    commitment = make_commitment(world.east_1, world.organizer_ana, status="kept")
    with pytest.raises(ValidationFailed):
        services.reassign_commitment(world.organizer_ana, commitment, world.leader_lena.id)


def test_reassign__leader_now_sees_the_contact(world, make_commitment):
    from fieldcrm.scoping import can_see_contact

    commitment = make_commitment(world.east_1, world.organizer_ana)
    assert not can_see_contact(world.leader_lena, world.east_1.id)
    services.reassign_commitment(world.organizer_ana, commitment, world.leader_lena.id)
    assert can_see_contact(world.leader_lena, world.east_1.id)


def test_sms_body__fills_and_tolerates_bad_templates():
    body = services.sms_body(
        "Hi {first_name}, {sender} here about the {commitment} {unknown}",
        first_name="ROSA",
        commitment="volunteer shift",
        sender="Ana",
    )
    assert body == "Hi Rosa, Ana here about the volunteer shift"
    assert services.sms_body("Hi {0} {", first_name="x", commitment="y", sender="z") == "Hi {0} {"


def test_sms_link__encodes_the_body():
    link = services.sms_link("+13365550101", "Hi Rosa & co? 100% yes")
    assert link.startswith("sms:+13365550101?&body=")
    assert " " not in link
    assert "&co" not in link
    assert unquote(link.split("body=", 1)[1]) == "Hi Rosa & co? 100% yes"
