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


def test_background_process_renices_its_postgresql_backends():
    """An import's writes run in PostgreSQL backend processes: a niced import process must
    not leave them competing with web requests at full priority (where the OS allows)."""
    import os
    import subprocess
    import sys

    import pytest

    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql") or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL on this machine and the right to renice its processes")
    code = (
        "import os\n"
        "import sqlalchemy as sa\n"
        "from config import _database_url\n"
        "from fieldcrm import create_app\n"
        "from fieldcrm.extensions import db\n"
        "from fieldcrm.jobs import lower_cpu_priority\n"
        f"app = create_app('config.TestConfig', overrides={{'JOB_NICE': 7, "
        f"'SQLALCHEMY_DATABASE_URI': _database_url({url!r})}})\n"
        "with app.app_context():\n"
        "    pid = db.session.scalar(sa.text('SELECT pg_backend_pid()'))\n"
        "    before = os.getpriority(os.PRIO_PROCESS, pid)\n"
        "    db.session.commit()\n"
        "    lower_cpu_priority()\n"
        "    niced = db.session.scalar(sa.text('SELECT pg_backend_pid()'))\n"
        "    print(before, os.getpriority(os.PRIO_PROCESS, niced))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after = int(out[-2]), int(out[-1])
    assert (before, after) == (0, 7)
