"""The rollups equal a full recount after any sequence of writes, through any write path."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.database import utcnow
from fieldcrm.extensions import db
from fieldcrm.ladder.services import ensure_default_ladder
from fieldcrm.rollups import maintain
from fieldcrm.turf.models import Turf
from fieldcrm.turf.services import assign_contacts_to_turfs

STATUSES = ("open", "kept", "flaked", "cancelled")


def _agree() -> None:
    assert maintain.differences(db.session.connection()) == []


@pytest.fixture
def place(world):
    """The world plus its ladder; `place.turfs` are East, West and Durham."""
    world.stages = ensure_default_ladder()
    world.turfs = [world.east, world.west, world.durham]
    db.session.commit()
    return world


def _pick(items: list, index: int):
    return items[index % len(items)] if items else None


# One write: (kind, a, b, c) with small integers the step turns into ids and values.
write = st.tuples(
    st.sampled_from(
        [
            "add_contact", "move", "support", "stage", "dnc", "geo", "delete_contact",
            "log", "flip", "retime", "delete_conversation", "commit", "status",
            "backdate", "delete_commitment", "bulk_move", "core_update", "compact",
            "unplace_all", "delete_turf",
        ]
    ),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(-2000, 2000),
)  # fmt: skip


def _apply(place, op: str, a: int, b: int, c: int) -> None:  # noqa: PLR0912, PLR0915
    """Apply one write the way the app (or an importer, or psql) would."""
    now = utcnow()
    turfs = [*db.session.scalars(sa.select(Turf).order_by(Turf.id))]
    turf = _pick([*turfs, None], b)
    contacts = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
    contact = _pick(list(contacts), a)
    stage = _pick([*place.stages, None], b)
    if op == "add_contact":
        db.session.add(
            Contact(
                display_name=f"P{a}",
                turf=turf,
                support_level=(b % 6) or None,
                ladder_stage_id=stage.id if stage else None,
                do_not_contact=c % 7 == 0,
                latitude=None if c % 5 == 0 else 35 + c / 3001,
                longitude=None if c % 4 == 0 else -80 + c / 2999,
            )
        )
    elif contact is None:
        return
    elif op == "move":
        contact.turf = turf
    elif op == "support":
        contact.support_level = (b % 6) or None
    elif op == "stage":
        contact.ladder_stage_id = stage.id if stage else None
    elif op == "dnc":
        contact.do_not_contact = not contact.do_not_contact
    elif op == "geo":
        contact.latitude = None if c % 3 == 0 else 36 + c / 7001
    elif op == "delete_contact":
        db.session.delete(contact)
    elif op == "log":
        db.session.add(
            Conversation(
                contact_id=contact.id,
                user_id=place.organizer_ana.id,
                occurred_at=now - timedelta(minutes=abs(c) * 37),
                channel="door",
                is_conversation=b % 2 == 0,
                result_code=None if b % 2 == 0 else "not_home",
            )
        )
    elif op == "commit":
        db.session.add(
            Commitment(
                contact_id=contact.id,
                owner_id=place.organizer_ana.id,
                created_by_id=place.organizer_ana.id,
                kind="volunteer_shift",
                status=STATUSES[b % 4],
                created_at=now - timedelta(minutes=abs(c) * 53),
            )
        )
    elif op in ("flip", "retime", "delete_conversation"):
        conversation = _pick(db.session.scalars(sa.select(Conversation)).all(), b)
        if conversation is None:
            return
        if op == "flip":
            conversation.is_conversation = not conversation.is_conversation
        elif op == "retime":
            conversation.occurred_at = conversation.occurred_at + timedelta(hours=c / 10)
        else:
            db.session.delete(conversation)
    elif op in ("status", "backdate", "delete_commitment"):
        commitment = _pick(db.session.scalars(sa.select(Commitment)).all(), b)
        if commitment is None:
            return
        if op == "status":
            commitment.status = STATUSES[c % 4]
        elif op == "backdate":
            commitment.created_at = commitment.created_at - timedelta(hours=abs(c) / 7)
        else:
            db.session.delete(commitment)
    elif op == "bulk_move":
        # a Core UPDATE of many rows, like placing an import's people
        ids = [p.id for p in contacts if p.id % 3 == a % 3]
        db.session.execute(
            sa.update(Contact)
            .where(Contact.id.in_(ids))
            .values(turf_id=turf.id if turf else None)
            .execution_options(synchronize_session=False)
        )
    elif op == "core_update":
        # through the raw driver connection, as the importers write
        connection = db.session.connection()
        marker = "?" if connection.dialect.name == "sqlite" else "%s"
        connection.exec_driver_sql(
            f"UPDATE contacts SET latitude = {marker}, support_level = {marker} "
            f"WHERE id = {marker}",
            (30 + b / 10, (c % 5) + 1, contact.id),
        )
    elif op == "compact":
        maintain.compact(db.session.connection())
    elif op == "unplace_all" and a % 5 == 0:
        assign_contacts_to_turfs()  # every turf's precincts decide: most people leave
    elif op == "delete_turf" and a % 7 == 0 and turf is not None:
        db.session.delete(turf)  # its people are un-placed by the foreign key
    db.session.flush()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=st.lists(write, min_size=1, max_size=25), commit=st.booleans())
def test_rollups__equal_a_recount_after_any_writes(place, writes, commit):
    for op, a, b, c in writes:
        _apply(place, op, a, b, c)
    if commit:
        db.session.commit()
    else:
        db.session.expire_all()
    _agree()


def test_rollups__a_rolled_back_write_leaves_them_as_they_were(place):
    before = maintain.differences(db.session.connection())
    place.east_1.turf = place.west
    db.session.flush()
    db.session.rollback()
    assert before == []
    assert maintain.differences(db.session.connection()) == []


def test_rollups__a_bulk_move_pauses_the_triggers_and_recounts(place, monkeypatch, make_contact):
    for i in range(6):
        make_contact(place.east, precinct_code="W1", support_level=(i % 5) + 1)
    monkeypatch.setattr(maintain, "BULK_MIN", 0)
    counted: list[str] = []

    def spy(connection, turf_ids=None):
        counted.append("refresh")
        return real(connection, turf_ids)

    real = maintain.refresh
    monkeypatch.setattr(maintain, "refresh", spy)
    moved = assign_contacts_to_turfs()
    assert moved == 6
    assert counted == ["refresh"]
    # the triggers are on again afterwards, in the same transaction
    place.west_1.support_level = 4
    db.session.flush()
    _agree()
    db.session.commit()
    _agree()


def test_rollups__a_bulk_move_of_some_people_counts_them_out_and_in(
    place, monkeypatch, make_contact, make_conversation
):
    """A part of the program moved at once (turf reassign, 50,000 at a time) is counted
    set-based over its own people: no recount of every turf, and the rollups still agree,
    conversations and commitments moving with their people."""
    movers = [
        make_contact(place.east, precinct_code="W1", support_level=(i % 5) + 1) for i in range(6)
    ]
    stayer = make_contact(place.east, precinct_code="W1")
    make_conversation(movers[0], place.organizer_ana)
    make_conversation(movers[1], place.organizer_ana, is_conversation=False, result_code="not_home")
    make_conversation(stayer, place.organizer_ana)
    monkeypatch.setattr(maintain, "BULK_MIN", 0)
    monkeypatch.setattr(
        maintain, "refresh", lambda *a, **k: pytest.fail("a part must not recount every turf")
    )
    ids = [m.id for m in movers]
    moved = assign_contacts_to_turfs(sa.select(Contact.id).where(Contact.id.in_(ids)))
    assert moved == 6
    db.session.expire_all()
    assert {m.turf_id for m in movers} == {place.west.id}
    assert stayer.turf_id == place.east.id
    _agree()
    # the triggers are on again afterwards, in the same transaction
    movers[0].support_level = 5
    db.session.flush()
    _agree()
    db.session.commit()
    _agree()


def test_rollups__conversations_keep_the_persons_last_times(place, make_conversation):
    now = utcnow().replace(microsecond=0)
    person = place.east_1
    talk = make_conversation(person, place.organizer_ana, occurred_at=now - timedelta(days=2))
    make_conversation(
        person,
        place.organizer_ana,
        occurred_at=now - timedelta(days=1),
        is_conversation=False,
        result_code="not_home",
    )
    db.session.refresh(person)
    assert person.last_attempt_at == now - timedelta(days=1)
    assert person.last_contacted_at == now - timedelta(days=2)
    talk.is_conversation, talk.result_code = False, "refused"  # corrected: no one answered
    db.session.commit()
    db.session.refresh(person)
    assert person.last_contacted_at is None
    _agree()


def test_rollups__rebuild_recounts_and_repairs_last_times(place, make_conversation):
    make_conversation(place.east_1, place.organizer_ana)
    connection = db.session.connection()
    connection.exec_driver_sql("DELETE FROM turf_people")
    connection.exec_driver_sql("UPDATE contacts SET last_attempt_at = NULL")
    assert maintain.differences(connection)
    assert maintain.rebuild(connection) == 1
    _agree()


def test_rollups__compact_folds_each_key_into_one_row(place, make_contact):
    for _ in range(3):
        make_contact(place.west)
    connection = db.session.connection()
    rows = connection.exec_driver_sql("SELECT count(*) FROM turf_people").scalar()
    assert maintain.compact(connection)
    folded = connection.exec_driver_sql("SELECT count(*) FROM turf_people").scalar()
    keys = connection.exec_driver_sql(
        "SELECT count(*) FROM (SELECT DISTINCT turf_id, support, stage_id, dnc "
        "FROM turf_people) AS k"
    ).scalar()
    assert folded == keys < rows
    _agree()
