"""The import job on a real RQ queue (Redis from TEST_REDIS_URL), run by a burst worker."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db as _db
from fieldcrm.imports import jobs, services
from fieldcrm.imports.models import ImportBatch

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.redis


@pytest.fixture
def redis_app(app, monkeypatch):
    """The app pointed at TEST_REDIS_URL with a queue of its own (emptied afterwards)."""
    if not REDIS_URL:
        if os.environ.get("FIELDCRM_REQUIRE_REDIS") == "1":
            pytest.fail("TEST_REDIS_URL is required (FIELDCRM_REQUIRE_REDIS=1)")
        pytest.skip("TEST_REDIS_URL not set")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "RQ_QUEUE", f"test-imports-{uuid.uuid4().hex[:8]}")
    yield app
    from fieldcrm.jobs import queue

    with app.app_context():
        q = queue()
        q.empty()
        q.delete(delete_jobs=True)


def test_run_import__on_rq_worker(redis_app, db, write_file):
    from rq import SimpleWorker

    from fieldcrm.jobs import queue, redis_connection

    path = write_file("v.csv", "Voter File VANID,FirstName,LastName\n1,Ann,Lee\n2,Bo,Day\n")
    batch = services.create_batch(None, path, "v.csv", "VAN")
    services.queue_batch(None, batch)
    _db.session.commit()
    job_id = jobs.enqueue_import(batch.id)
    assert job_id is not None
    _db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == "queued"  # not run inline
    worker = SimpleWorker([queue()], connection=redis_connection())
    assert worker.work(burst=True)
    _db.session.expire_all()
    done = db.session.get(ImportBatch, batch.id)
    assert done.status == "completed"
    assert done.inserted == 2
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 2
    assert queue().fetch_job(job_id).is_finished


def test_jobs_worker_command__runs_queued_import(redis_app, db, write_file, runner):
    path = write_file("w.csv", "Voter File VANID,FirstName,LastName\n7,Cy,Ng\n")
    batch = services.create_batch(None, path, "w.csv", "VAN")
    services.queue_batch(None, batch)
    _db.session.commit()
    jobs.enqueue_import(batch.id)
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    _db.session.expire_all()
    assert _db.session.get(ImportBatch, batch.id).status == "completed"


def test_check_upload__on_rq_worker(redis_app, db, write_file):
    """With Redis the upload's check is queued, not run by the caller, and a worker runs it."""
    from rq import SimpleWorker

    from fieldcrm.jobs import queue, redis_connection

    path = write_file("c.csv", "Voter File VANID,FirstName,LastName\n1,Ann,Lee\n2,Bo,Day\n")
    batch = services.create_batch(None, path, "c.csv", "VAN", detect=False)
    _db.session.commit()
    job_id = jobs.enqueue_check(batch.id)
    assert job_id is not None
    _db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == "checking"  # not run inline
    worker = SimpleWorker([queue()], connection=redis_connection())
    assert worker.work(burst=True)
    _db.session.expire_all()
    checked = db.session.get(ImportBatch, batch.id)
    assert checked.status == "checked"
    assert checked.preview["impact"]["insert"] == 2
    assert queue().fetch_job(job_id).is_finished
