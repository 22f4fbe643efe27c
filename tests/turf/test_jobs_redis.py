"""The reassignment and geocoding jobs on a real RQ queue (Redis named by TEST_REDIS_URL)."""

from __future__ import annotations

import os

import pytest

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.jobs import JobRun, enqueue, queue
from fieldcrm.turf import jobs

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_app(app, db):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("FIELDCRM_REQUIRE_REDIS") == "1":
            pytest.fail("TEST_REDIS_URL is not set")
        pytest.skip("TEST_REDIS_URL is not set")
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "RQ_QUEUE")}
    app.config.update(REDIS_URL=url, RQ_QUEUE="fieldcrm-test-turf")
    queue().empty()
    yield app
    queue().empty()
    app.config.update(saved)


def test_reassign_contacts__queued_then_run_by_a_worker(redis_app, world, make_contact):
    from rq import SimpleWorker

    moved = make_contact(world.east, precinct_code="W1")
    run = jobs.create_job_run("reassign", {})
    db.session.commit()
    job_id = enqueue(jobs.reassign_contacts, run.id)
    assert job_id is not None
    assert db.session.get(JobRun, run.id).status == "queued"  # nothing ran in the caller
    worker = SimpleWorker([queue()], connection=queue().connection)
    assert worker.work(burst=True)
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == "completed"
    assert db.session.get(Contact, moved.id).turf_id == world.west.id
