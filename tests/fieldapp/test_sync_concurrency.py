"""The same queued items sent at the same moment from several connections (a page and the
service worker, two tabs, a retry racing the first send): each is stored exactly once.

Real threads with their own connections, on a file SQLite database and (when
TEST_DATABASE_URL is set) on PostgreSQL in a schema of its own, so the commits are real.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from fieldcrm import create_app
from fieldcrm.auth import services as auth_services
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.conversations.services import ensure_default_choices
from fieldcrm.extensions import db
from fieldcrm.fieldapp.models import SyncedItem
from fieldcrm.turf.models import Region, Turf

SENDERS = 6
ITEMS = 10


@pytest.fixture(params=["sqlite", "postgres"])
def shared_app(request, tmp_path) -> Iterator[Flask]:
    if request.param == "sqlite":
        app = create_app(
            "config.TestConfig",
            overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'sync.sqlite'}"},
        )
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL not configured")
    from config import _database_url

    base = _database_url(os.environ["TEST_DATABASE_URL"])
    schema = f"sync_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    app = create_app(
        "config.TestConfig",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"{base}{sep}options=-csearch_path%3D{schema}",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": SENDERS + 2},
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


def _world(app: Flask) -> tuple[str, int, int, list[int]]:
    with app.app_context():
        ensure_default_choices()
        turf = Turf(name="T", region=Region(name="R"), precinct_codes=["P"])
        db.session.add(turf)
        db.session.flush()
        user = auth_services.create_user(
            None,
            auth_services.UserInput(
                email="o@example.test",
                name="O",
                role="organizer",
                password="long enough password",
                turf_ids=(turf.id,),
            ),
        )
        contacts = [Contact(first_name=f"P{n}", display_name=f"P{n}", turf=turf) for n in range(3)]
        db.session.add_all(contacts)
        db.session.flush()
        commitment = Commitment(
            contact_id=contacts[0].id, owner_id=user.id, kind="volunteer_shift", status="open"
        )
        db.session.add(commitment)
        db.session.commit()
        return user.get_id(), user.id, commitment.id, [c.id for c in contacts]


def test_same_batch_sent_at_once_from_many_connections__each_item_once(shared_app):
    session_id, user_id, commitment_id, contact_ids = _world(shared_app)
    now = datetime.now(UTC).isoformat()
    batch = [
        {
            "id": str(uuid.uuid4()),
            "kind": "attempt",
            "user_id": user_id,
            "queued_at": now,
            "payload": {"contact_id": contact_ids[n % 3], "result": "not_home"},
        }
        for n in range(ITEMS)
    ]
    batch.append(
        {
            "id": str(uuid.uuid4()),
            "kind": "commitment_outcome",
            "user_id": user_id,
            "queued_at": now,
            "payload": {"commitment_id": commitment_id, "status": "kept"},
        }
    )
    answers: list[list[dict]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(SENDERS)

    def one() -> None:
        client = shared_app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = session_id
        try:
            start.wait()
            response = client.post("/field/api/sync", json={"items": batch})
            assert response.status_code == 200, response.status_code
            answers.append(response.get_json()["items"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # Every sender got an answer per item: stored by exactly one, "already" for the others.
    for position, _sent in enumerate(batch):
        statuses = sorted(a[position]["status"] for a in answers)
        assert statuses == ["already"] * (SENDERS - 1) + ["stored"], (position, statuses)
        assert len({a[position]["record_id"] for a in answers}) == 1
    with shared_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == ITEMS
        assert db.session.scalar(sa.select(sa.func.count(SyncedItem.id))) == ITEMS + 1
        commitment = db.session.get(Commitment, commitment_id)
        assert commitment.status == "kept"
        assert len(commitment.events) == 1  # the one status change (no "open" event here)
