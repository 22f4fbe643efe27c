"""Conversation services: logging, idempotency, contact updates, the edit window, lists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.commitments.models import Commitment
from fieldcrm.commitments.services import CommitmentInput
from fieldcrm.conversations import services
from fieldcrm.conversations.models import ChoiceOption, Conversation
from fieldcrm.conversations.services import ConversationInput
from fieldcrm.database import utcnow
from fieldcrm.errors import NotFound, PermissionDenied, ValidationFailed
from fieldcrm.extensions import db


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_log_conversation__attempt_updates_last_attempt_only(world, fieldwork):
    conv = services.log_conversation(
        world.organizer_ana, world.east_1, ConversationInput(result_code="not_home")
    )
    db.session.commit()
    assert conv.is_conversation is False
    assert world.east_1.last_attempt_at is not None
    assert world.east_1.last_contacted_at is None


def test_log_conversation__one_on_one_updates_contact_and_records_commitments(world, fieldwork):
    data = ConversationInput(
        channel="one_on_one",
        support_level=2,
        issues=("rent", "wages"),
        story="Rent went up 30%.",
        ask_kind="house_meeting",
        response="yes",
        follow_up_date=date(2026, 12, 1),
        commitments=(
            CommitmentInput(kind="house_meeting", due_date=date(2026, 12, 5)),
            CommitmentInput(
                kind="recruit", due_date=date(2026, 12, 9), owner_id=world.leader_lena.id
            ),
        ),
    )
    conv = services.log_conversation(world.organizer_ana, world.east_1, data)
    db.session.commit()
    assert conv.is_conversation is True
    assert world.east_1.support_level == 2
    assert world.east_1.last_contacted_at == conv.occurred_at
    owners = db.session.scalars(
        sa.select(Commitment.owner_id).where(Commitment.conversation_id == conv.id)
    ).all()
    assert sorted(owners) == sorted([world.organizer_ana.id, world.leader_lena.id])


def test_log_conversation__same_idempotency_key_creates_one_record(world, fieldwork):
    data = ConversationInput(result_code="not_home", idempotency_key="k-123")
    first = services.log_conversation(world.organizer_ana, world.east_1, data)
    second = services.log_conversation(world.organizer_ana, world.east_1, data)
    db.session.commit()
    assert first.id == second.id
    assert _count(Conversation) == 1


def test_log_conversation__nothing_is_required(world, fieldwork):
    conv = services.log_conversation(world.organizer_ana, world.east_1, ConversationInput())
    assert conv.is_conversation is True
    assert conv.support_level is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ConversationInput(channel="carrier pigeon"), "channel"),
        (ConversationInput(result_code="abducted"), "result_code"),
        (ConversationInput(support_level=6), "support_level"),
        (ConversationInput(response="perhaps"), "response"),
        (ConversationInput(result_code="not_home", support_level=1), "result_code"),
    ],
)
def test_log_conversation__invalid_input_refused(world, fieldwork, data, field):
    with pytest.raises(ValidationFailed) as exc:
        services.log_conversation(world.organizer_ana, world.east_1, data)
    assert field in [f for f, _ in exc.value.errors]


def test_log_conversation__other_turf_contact_not_found(world, fieldwork):
    with pytest.raises(NotFound):
        services.log_conversation(world.organizer_omar, world.east_1, ConversationInput())


def test_log_conversation__owner_outside_team_refused(world, fieldwork):
    data = ConversationInput(
        commitments=(CommitmentInput(kind="recruit", owner_id=world.organizer_tri.id),)
    )
    with pytest.raises(ValidationFailed):
        services.log_conversation(world.organizer_ana, world.east_1, data)


def test_update_conversation__author_in_window_audits_changes(world, fieldwork):
    conv = services.log_conversation(
        world.organizer_ana, world.east_1, ConversationInput(support_level=3, notes="first")
    )
    db.session.commit()
    services.update_conversation(
        world.organizer_ana,
        conv,
        ConversationInput(support_level=1, notes="first", issues=("rent",)),
        now=utcnow(),
        window_minutes=60,
    )
    db.session.commit()
    assert conv.support_level == 1
    assert world.east_1.support_level == 1
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "conversation.update")
    )
    assert event.entity_id == conv.id
    assert event.details["changed"] == "support_level,issues"
    assert event.details["before_support_level"] == 3
    assert event.details["after_support_level"] == 1
    assert event.details["after_issues"] == "rent"
    assert "before_notes" not in event.details


def test_update_conversation__unchanged_writes_no_audit(world, fieldwork):
    conv = services.log_conversation(world.organizer_ana, world.east_1, ConversationInput())
    services.update_conversation(
        world.organizer_ana, conv, ConversationInput(), now=utcnow(), window_minutes=60
    )
    assert not db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action == "conversation.update")
    )


def test_update_conversation__window_passed_refused(world, fieldwork):
    conv = services.log_conversation(world.organizer_ana, world.east_1, ConversationInput())
    later = conv.created_at + timedelta(minutes=61)
    with pytest.raises(PermissionDenied):
        services.update_conversation(
            world.organizer_ana, conv, ConversationInput(notes="x"), now=later, window_minutes=60
        )


def test_update_conversation__other_author_refused(world, fieldwork):
    conv = services.log_conversation(world.organizer_ana, world.east_1, ConversationInput())
    with pytest.raises(PermissionDenied):
        services.update_conversation(
            world.director_dana, conv, ConversationInput(notes="x"), now=utcnow(), window_minutes=60
        )


def test_update_conversation__with_commitments_cannot_become_attempt(world, fieldwork):
    conv = services.log_conversation(
        world.organizer_ana,
        world.east_1,
        ConversationInput(commitments=(CommitmentInput(kind="recruit"),)),
    )
    with pytest.raises(ValidationFailed):
        services.update_conversation(
            world.organizer_ana,
            conv,
            ConversationInput(result_code="not_home"),
            now=utcnow(),
            window_minutes=60,
        )


def test_add_choice__appends_and_refuses_duplicates(world, fieldwork):
    option = services.add_choice(world.admin_dev, "issue", "Water shutoffs")
    assert option.code == "water_shutoffs"
    assert ("water_shutoffs", "Water shutoffs") in services.choices("issue")
    with pytest.raises(ValidationFailed):
        services.add_choice(world.admin_dev, "issue", "Water Shutoffs")
    with pytest.raises(ValidationFailed):
        services.add_choice(world.admin_dev, "nope", "x")


def test_update_choice__retired_entry_leaves_the_list(world, fieldwork):
    option = db.session.scalar(sa.select(ChoiceOption).where(ChoiceOption.code == "moved"))
    services.update_choice(world.admin_dev, option, "Moved away", 3, False)
    assert "moved" not in dict(services.choices("result_code"))
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "choice.update"))
