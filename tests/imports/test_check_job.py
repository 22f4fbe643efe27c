"""The check of an upload runs as a background job, never inside the upload request."""

from __future__ import annotations

import io
import sqlite3
import threading

import sqlalchemy as sa

from fieldcrm import create_app
from fieldcrm.auth import services as auth_services
from fieldcrm.extensions import db
from fieldcrm.imports import jobs, planning, services
from fieldcrm.imports.models import ImportBatch
from fieldcrm.jobs import wait_for_threads

VAN = "Voter File VANID,FirstName,LastName,Address,City,Zip5,Cell Phone,Precinct\n"


def _rows(count: int) -> str:
    return VAN + "".join(
        f"{n},Ann{n},Lee,{n} Main St,Mebane,27302,,P1\n" for n in range(1, count + 1)
    )


def _upload(client, text: str, name: str = "v.csv"):
    data = {"source": "VAN", "file": (io.BytesIO(text.encode()), name)}
    return client.post("/imports/new", data=data, content_type="multipart/form-data")


def _latest() -> ImportBatch:
    db.session.expire_all()
    return db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))


def test_upload__returns_before_the_check_which_runs_on_a_thread(
    app, client, login_as, world, monkeypatch
):
    """Without Redis a web request's job runs on a background thread: the upload answers
    while the check has not even started, and the check page shows it in progress."""
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    release = threading.Event()
    real_run_check = jobs.run_check

    def held_check(batch_id: int) -> None:
        assert release.wait(30)
        real_run_check(batch_id)

    monkeypatch.setattr(jobs, "run_check", held_check)
    login_as(world.admin_dev)
    try:
        response = _upload(client, _rows(30))
        assert response.status_code == 302
        batch = _latest()
        assert batch.status == "checking"
        assert batch.preview is None
        page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
        assert "Checking the file" in page
        assert 'data-reload-unless="checking"' in page
        progress = client.get(f"/imports/{batch.id}/progress.json").get_json()
        assert progress["status"] == "checking"
        assert progress["finished"] is False
    finally:
        release.set()
        wait_for_threads(30)
    batch = _latest()
    assert batch.status == "checked"
    assert batch.preview["impact"]["insert"] == 30
    assert batch.rows_total_estimate == 30
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "would be added" in page


def test_check_job__progress_is_committed_chunk_by_chunk(db, write_file, monkeypatch):
    path = write_file("v.csv", _rows(250))
    batch = services.create_batch(None, path, "v.csv", "VAN", detect=False)
    db.session.commit()
    seen: list[tuple[str, int]] = []
    real_plan = planning.plan_chunk

    def watching_plan(chunk, known):
        # the job has committed its progress: nothing is pending while it reads the file
        assert not db.session.dirty
        assert not db.session.new
        row = db.session.execute(
            sa.select(ImportBatch.status, ImportBatch.preview).where(ImportBatch.id == batch.id)
        ).one()
        seen.append((row.status, row.preview["progress"]["rows"]))
        return real_plan(chunk, known)

    monkeypatch.setattr(planning, "plan_chunk", watching_plan)
    jobs.check_upload(batch.id, chunk_rows=100)
    # chunks of 100 lines: the first holds the header
    assert seen == [("checking", 0), ("checking", 99), ("checking", 199)]
    done = _latest()
    assert done.status == "checked"
    assert done.preview["impact"]["rows"] == 250


def test_check_job__refused_file_keeps_its_columns_for_the_mapping_form(client, login_as, world):
    login_as(world.admin_dev)
    _upload(client, "ident,given,family\n7,Ann,Lee\n", name="odd.csv")
    batch = _latest()
    assert batch.status == "refused"
    assert batch.preview == {"columns": ["ident", "given", "family"]}
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "Map its columns" in page
    assert "Check again" in page


def test_check_page__a_stalled_check_can_be_run_again(client, login_as, world, write_file, app):
    from datetime import timedelta

    from fieldcrm.database import utcnow

    login_as(world.admin_dev)
    path = write_file("v.csv", _rows(3))
    batch = services.create_batch(world.admin_dev, path, "v.csv", "VAN", detect=False)
    batch.heartbeat_at = utcnow() - timedelta(
        seconds=app.config.get("IMPORT_STALE_SECONDS", 300) + 5
    )
    db.session.commit()
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "Check again" in page
    assert client.get(f"/imports/{batch.id}/progress.json").get_json()["stalled"] is True
    response = client.post(f"/imports/{batch.id}/recheck")
    assert response.status_code == 302
    assert _latest().status == "checked"


def test_upload__check_never_holds_the_sqlite_write_lock_while_reading(tmp_path, monkeypatch):
    """While the check reads the file, another connection can take SQLite's write lock at
    once (an organizer's save does not wait for the check)."""
    path = tmp_path / "check.sqlite"
    app = create_app(
        "config.TestConfig",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "IMPORT_CHUNK_ROWS": 100,
        },
    )
    with app.app_context():
        db.create_all()
        admin = auth_services.create_user(
            None,
            auth_services.UserInput(
                email="a@example.test", name="A", role="admin", password="long enough password"
            ),
        )
        db.session.commit()
        admin_id = admin.get_id()

    attempts: list[bool] = []
    real_plan = planning.plan_chunk

    def plan_while_someone_saves(chunk, known):
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # what any write needs first
            other.rollback()
            attempts.append(True)
        except sqlite3.OperationalError:
            attempts.append(False)
        finally:
            other.close()
        return real_plan(chunk, known)

    monkeypatch.setattr(planning, "plan_chunk", plan_while_someone_saves)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = admin_id
    try:
        response = _upload(client, _rows(350))
        assert response.status_code == 302
        with app.app_context():
            assert db.session.scalar(sa.select(ImportBatch.status)) == "checked"
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    assert attempts == [True, True, True, True]


def test_progress_page__of_a_batch_being_checked(client, login_as, world, write_file):
    login_as(world.admin_dev)
    path = write_file("v.csv", _rows(3))
    batch = services.create_batch(world.admin_dev, path, "v.csv", "VAN", detect=False)
    db.session.commit()
    response = client.get(f"/imports/{batch.id}")
    assert response.status_code == 200
    assert "checking" in response.get_data(as_text=True)
    listing = client.get("/imports/").get_data(as_text=True)
    assert f"/imports/{batch.id}/check" in listing


def test_recheck__refused_while_a_check_is_running(client, login_as, world, write_file):
    login_as(world.admin_dev)
    path = write_file("v.csv", _rows(3))
    batch = services.create_batch(world.admin_dev, path, "v.csv", "VAN", detect=False)
    db.session.commit()
    response = client.post(f"/imports/{batch.id}/recheck", follow_redirects=True)
    assert "This file is being checked" in response.get_data(as_text=True)
    assert _latest().status == "checking"


def test_run_on_a_sqlite_file__its_parts_reach_the_database_file_by_the_run_end(
    tmp_path, sqlite_file_app
):
    """A run's commits leave the copy of SQLite's log to a thread of their own
    (fieldcrm.lib.wal_checkpoints), which has copied everything when the run returns:
    SQLite alone leaves a log this small uncopied."""
    app = sqlite_file_app(IMPORT_CHUNK_ROWS=100)
    csv = tmp_path / "v.csv"
    csv.write_text(_rows(350))
    with app.app_context():
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        batch = services.create_batch(None, csv, "v.csv", "VAN")
        db.session.commit()
        done = jobs.import_batch(batch.id)
        assert done.status == "completed"
        assert not any(t.name == "wal-checkpoints" for t in threading.enumerate())
        in_file = sqlite3.connect(f"file:{db.engine.url.database}?immutable=1", uri=True)
        try:
            assert in_file.execute("SELECT count(*) FROM contacts").fetchone()[0] == 350
        finally:
            in_file.close()
