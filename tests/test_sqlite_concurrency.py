"""SQLite under concurrent writers: no "database is locked", no lost write."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from fieldcrm import create_app
from fieldcrm.auth import services
from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.extensions import db
from fieldcrm.lib import sqlite_setup
from fieldcrm.turf.models import Region, Turf

WRITERS, WRITES = 8, 15


def test_sqlite__concurrent_web_writes_and_bulk_import(tmp_path):
    path = tmp_path / "busy.sqlite"
    app = create_app(
        "config.TestConfig", overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )
    with app.app_context():
        db.create_all()
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
        turf = Turf(name="T", region=Region(name="R"), precinct_codes=["P"])
        db.session.add(turf)
        db.session.flush()
        contact = Contact(first_name="C", display_name="C", turf=turf)
        db.session.add(contact)
        users = [
            services.create_user(
                None,
                services.UserInput(
                    email=f"w{i}@example.test",
                    name=f"W{i}",
                    role="organizer",
                    password="long enough password",
                    turf_ids=(turf.id,),
                ),
            )
            for i in range(WRITERS)
        ]
        db.session.commit()
        ids = [u.get_id() for u in users]
        contact_id, turf_id = contact.id, turf.id

    statuses: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def web_writer(user_id: str) -> None:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = user_id
        try:
            for n in range(WRITES):
                response = client.post(
                    f"/contacts/{contact_id}/phones",
                    data={"phone": f"33655501{n:02d}", "kind": "cell"},
                )
                statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def bulk_writer() -> None:
        """An import's chunked writes on a connection of its own."""
        engine = sa.create_engine(f"sqlite:///{path}")
        sqlite_setup.configure_engine(engine)
        n = 0
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(
                    sa.insert(Contact.__table__),
                    [
                        {"turf_id": turf_id, "source": "import", "display_name": f"I{n + k}"}
                        for k in range(200)
                    ],
                )
            n += 200
        engine.dispose()

    importer = threading.Thread(target=bulk_writer)
    importer.start()
    threads = [threading.Thread(target=web_writer, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    importer.join()

    assert errors == []
    assert statuses == [302] * (WRITERS * WRITES)
    with app.app_context():
        phones = db.session.scalar(
            sa.select(sa.func.count(ContactPhone.id)).where(ContactPhone.contact_id == contact_id)
        )
        assert phones == WRITERS * WRITES
        assert db.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
        db.engine.dispose()


def test_sqlite__import_pacer_yields_the_lock_fully_only_while_others_write(tmp_path):
    from fieldcrm.imports.services import LockPacer

    app = create_app(
        "config.TestConfig",
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'paced.sqlite'}"},
    )
    with app.app_context():
        db.create_all()
        pacer = LockPacer(500)  # takes its first look now
        quiet = 0.05 * LockPacer.QUIET_SHARE
        assert pacer.max_writes() is None  # nobody else has written: whole chunks
        assert abs(pacer.pause_after(0.05) - quiet) < 1e-9
        db.session.add(Region(name="own write"))  # the import's own commits don't count
        db.session.commit()
        assert abs(pacer.pause_after(0.05) - quiet) < 1e-9
        with db.engine.begin() as other:  # someone else commits
            other.execute(sa.insert(Region).values(name="organizer's write"))
        assert pacer.max_writes() == 500  # parts while people work
        assert pacer.pause_after(0.15) == 0.15  # as long as it held the lock
        assert pacer.pause_after(0.01) == LockPacer.MIN_ACTIVE_PAUSE  # and stays attentive
        assert pacer.pause_after(10.0) == LockPacer.MAX_PAUSE
        db.session.remove()
        db.engine.dispose()
