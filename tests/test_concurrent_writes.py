"""Many people saving on the same person at once: no 5xx, no lost write.

Real threads, each with its own database connection, against a file SQLite database and
(when TEST_DATABASE_URL is set) against PostgreSQL, in a schema of their own so the commits
are real. Logging an attempt or a conversation, a commitment, a walk-packet result or a
ladder move only touches a contact as a side effect: it must never fail because someone
else saved on the same person. Only an edit of the contact's own fields checks the version.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from fieldcrm import create_app
from fieldcrm.auth import services as auth_services
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.door.models import WalkPacket
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove
from fieldcrm.ladder.services import ensure_default_ladder
from fieldcrm.turf.models import Region, Turf

SAVERS = 20


def _sqlite_app(tmp_path) -> Iterator[Flask]:
    app = create_app(
        "config.TestConfig",
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'same.sqlite'}"},
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
        db.session.remove()
        db.engine.dispose()


def _postgres_app() -> Iterator[Flask]:
    from config import _database_url

    base = _database_url(os.environ["TEST_DATABASE_URL"])
    schema = f"conc_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    app = create_app(
        "config.TestConfig",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"{base}{sep}options=-csearch_path%3D{schema}",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": SAVERS + 2},
        },
    )
    try:
        with app.app_context():
            db.create_all()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def shared_app(request, tmp_path) -> Iterator[Flask]:
    if request.param == "postgres":
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("PostgreSQL not configured")
        yield from _postgres_app()
    else:
        yield from _sqlite_app(tmp_path)


def _world(app: Flask) -> tuple[list[str], int, int]:
    """One turf, SAVERS organizers working it, one household member they all reach."""
    with app.app_context():
        ensure_default_choices()
        ensure_default_ladder()
        turf = Turf(name="T", region=Region(name="R"), precinct_codes=["P"])
        db.session.add(turf)
        db.session.flush()
        contact = Contact(first_name="Rosa", display_name="Rosa", turf=turf)
        db.session.add(contact)
        users = [
            auth_services.create_user(
                None,
                auth_services.UserInput(
                    email=f"o{i}@example.test",
                    name=f"O{i}",
                    role="organizer",
                    password="long enough password",
                    turf_ids=(turf.id,),
                ),
            )
            for i in range(SAVERS)
        ]
        packet = WalkPacket(turf_id=turf.id, name="Packet 01", mode="door")
        db.session.add(packet)
        db.session.commit()
        return [u.get_id() for u in users], contact.id, packet.id


def _together(app: Flask, user_ids: list[str], save: Callable) -> list[int]:
    """Every user saves at the same moment; returns the statuses (raises what a thread raised)."""
    statuses: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(user_ids))

    def one(n: int, user_id: str) -> None:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = user_id
        try:
            start.wait()
            statuses.append(save(client, n).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n, u)) for n, u in enumerate(user_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return statuses


def test_same_contact__parallel_conversations_all_saved(shared_app):
    user_ids, contact_id, packet_id = _world(shared_app)
    due = (date.today() + timedelta(days=7)).isoformat()

    def save(client, n: int):
        if n % 4 == 3:  # a walk-packet tap on the same person
            return client.post(
                f"/turf/packets/{packet_id}/attempt",
                data={
                    "contact_id": str(contact_id),
                    "result": "not_home",
                    "idempotency_key": f"p{n}",
                },
            )
        data = {"channel": "door", "idempotency_key": f"k{n}", "notes": f"talk {n}"}
        if n % 2:
            data["support_level"] = str(1 + n % 5)
            data["commitments-0-kind"] = "volunteer_shift"
            data["commitments-0-due_date"] = due
        return client.post(f"/contacts/{contact_id}/conversations", data=data)

    statuses = _together(shared_app, user_ids, save)

    assert sorted(statuses) == [302] * SAVERS
    with shared_app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Conversation.id)).where(Conversation.contact_id == contact_id)
        )
        assert count == SAVERS
        commitments = db.session.scalar(
            sa.select(sa.func.count(Commitment.id)).where(Commitment.contact_id == contact_id)
        )
        assert commitments == len([n for n in range(SAVERS) if n % 4 != 3 and n % 2])
        contact = db.session.get(Contact, contact_id)
        latest = db.session.scalar(
            sa.select(sa.func.max(Conversation.occurred_at)).where(
                Conversation.contact_id == contact_id
            )
        )
        assert contact.last_attempt_at == latest
        assert contact.last_contacted_at is not None
        assert contact.support_level in range(1, 6)


def test_same_contact__edit_conflicts_only_with_an_edit(shared_app):
    user_ids, contact_id, _packet_id = _world(shared_app)
    with shared_app.app_context():
        version = db.session.get(Contact, contact_id).version

    def save(client, n: int):
        if n < 2:  # two people edit the contact's own fields from the same form version
            return client.post(
                f"/contacts/{contact_id}/edit",
                data={"version": str(version), "notes": f"edit {n}", "preferred_languages": "es"},
            )
        return client.post(
            f"/contacts/{contact_id}/conversations",
            data={"channel": "phone", "result_code": "not_home", "idempotency_key": f"k{n}"},
        )

    statuses = _together(shared_app, user_ids, save)

    assert all(s < 500 for s in statuses), statuses
    assert statuses.count(302) >= SAVERS - 1  # every attempt, and one of the two edits
    with shared_app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Conversation.id)).where(Conversation.contact_id == contact_id)
        )
        assert count == SAVERS - 2
        assert db.session.get(Contact, contact_id).notes in ("edit 0", "edit 1")


def test_same_contact__parallel_ladder_steps_keep_a_straight_history(shared_app):
    user_ids, contact_id, _packet_id = _world(shared_app)
    ids = user_ids[:8]

    def save(client, n: int):
        return client.post(f"/ladder/move/{contact_id}", data={"direction": "up"})

    statuses = _together(shared_app, ids, save)

    assert statuses == [302] * len(ids)
    with shared_app.app_context():
        moves = db.session.scalars(
            sa.select(LadderMove).where(LadderMove.contact_id == contact_id).order_by(LadderMove.id)
        ).all()
        stages = ensure_default_ladder()
        assert 1 <= len(moves) <= len(stages)
        # Each move starts where the one before it ended: no step read a stale stage.
        assert moves[0].from_stage_id is None
        for before, after in zip(moves, moves[1:], strict=False):
            assert after.from_stage_id == before.to_stage_id
        contact = db.session.get(Contact, contact_id)
        assert contact.ladder_stage_id == moves[-1].to_stage_id
