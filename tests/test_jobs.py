"""fieldcrm.jobs.enqueue without Redis: a thread for web requests, inline elsewhere."""

from __future__ import annotations

import threading

from fieldcrm import jobs

calls: list[tuple[int, str]] = []


def record_call(value: int) -> None:
    """A job for these tests: notes its argument and the thread it ran on."""
    calls.append((value, threading.current_thread().name))


def failing_job(value: int) -> None:
    raise RuntimeError(f"job {value} failed")


def test_enqueue__outside_a_request_runs_inline_with_the_thread_runner(app, db, monkeypatch):
    """Commands (and jobs) wait for their work: the thread runner is for web requests."""
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    calls.clear()
    assert jobs.enqueue(record_call, 1) is None
    assert calls == [(1, threading.current_thread().name)]


def test_enqueue__in_a_request_runs_on_a_thread_and_logs_failures(app, db, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    calls.clear()
    with app.test_request_context("/"):
        assert jobs.enqueue(record_call, 2) is None
        jobs.enqueue(failing_job, 3)
    jobs.wait_for_threads(10)
    assert calls == [(2, "job-record_call")]
    assert "background job tests.test_jobs:failing_job failed" in caplog.text
