"""Webhook deliveries on a real RQ queue (Redis named by TEST_REDIS_URL)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from fieldcrm.conversations import services as conversation_services
from fieldcrm.extensions import db
from fieldcrm.jobs import queue
from fieldcrm.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_app(app, db):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("FIELDCRM_REQUIRE_REDIS") == "1":
            pytest.fail("TEST_REDIS_URL is not set")
        pytest.skip("TEST_REDIS_URL is not set")
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "RQ_QUEUE")}
    app.config.update(REDIS_URL=url, RQ_QUEUE="fieldcrm-test-webhooks")
    _clear()
    yield app
    _clear()
    app.config.update(saved)


def _clear() -> None:
    q = queue()
    q.empty()
    registry = q.scheduled_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)


def _log(world) -> None:
    conversation_services.log_conversation(
        world.organizer_ana, world.east_1, conversation_services.ConversationInput()
    )
    db.session.commit()


def _run_queued() -> int:
    """Run the queued jobs as the worker would (its entry point, in this process). A real
    SimpleWorker's burst sometimes waits a minute for its pub/sub thread to stop."""
    jobs = queue().jobs
    for job in jobs:
        queue().remove(job)
        job.perform()
    return len(jobs)


def _delivery() -> WebhookDelivery:
    db.session.expire_all()
    return db.session.scalar(sa.select(WebhookDelivery))


def test_delivery__queued_after_commit_then_sent_by_a_worker(
    redis_app, world, fieldwork, receiver, endpoint
):
    _log(world)
    assert _delivery().status == "pending"  # nothing was sent by the saving process
    assert receiver.requests == []
    assert queue().count == 1
    assert _run_queued() == 1
    row = _delivery()
    assert (row.status, row.attempts) == ("delivered", 1)
    assert receiver.events() == ["conversation.logged"]


def test_failed_delivery__retry_is_scheduled_on_rq(redis_app, world, fieldwork, receiver, endpoint):
    receiver.statuses = [500]
    _log(world)
    assert _run_queued() == 1
    row = _delivery()
    assert (row.status, row.attempts) == ("retrying", 1)
    # the retry waits in RQ's scheduled registry until the worker's scheduler queues it
    assert queue().scheduled_job_registry.count == 1
    assert queue().count == 0
