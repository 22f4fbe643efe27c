"""Production serving: gunicorn with several workers, the RQ worker, wsgi entry point."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldcrm.extensions import db
from fieldcrm.jobs import JobRun

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextmanager
def _gunicorn(tmp_path: Path, **settings: str) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py and the production config on SQLite; yields the port
    once /healthz answers. The log is in tmp_path/gunicorn.log."""
    port = _free_port()
    env = {
        **os.environ,
        "FIELDCRM_CONFIG": "config.ProductionConfig",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}",
        "FIELDCRM_INSTANCE_DIR": str(tmp_path),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "3",
        "SESSION_COOKIE_SECURE": "0",
        "GUNICORN_ACCESS_LOG": "",
        **settings,
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "fieldcrm"), "db", "upgrade"], env=env, check=True, capture_output=True
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.mark.slow
def test_gunicorn__serves_health_and_generic_errors(tmp_path):
    with _gunicorn(tmp_path) as port:
        status, headers, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "checks": {"database": "ok"}}
        assert headers["X-Request-ID"]
        assert "max-age=" in headers["Strict-Transport-Security"]
        status, _headers, body = _get(f"http://127.0.0.1:{port}/no/such/page")
        assert status == 404
        assert b"Traceback" not in body
    lines = (tmp_path / "gunicorn.log").read_text().splitlines()
    access = [json.loads(line) for line in lines if '"fieldcrm.access"' in line]
    assert access, lines[-5:]
    assert {"request_id", "status", "path", "duration_ms"} <= set(access[0])


def _start_post(port: int, path: str, length: int, first: bytes) -> socket.socket:
    """A POST that announces `length` bytes of body and sends only `first`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n\r\n".encode()
        + first
    )
    return sock


def _status_line(sock: socket.socket) -> str:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()


@pytest.mark.slow
def test_gunicorn__slow_bodies_get_408_and_never_starve_the_workers(tmp_path):
    settings = {
        "WEB_CONCURRENCY": "1",  # one worker: six stalled bodies would fill a sync worker
        "REQUEST_BODY_IDLE_SECONDS": "3",
        "REQUEST_BODY_GRACE_SECONDS": "1",
        "REQUEST_BODY_MIN_KBPS": "4",
    }
    with _gunicorn(tmp_path, **settings) as port:
        stalled = [_start_post(port, "/auth/login", 1_000_000, b"email=a") for _ in range(6)]
        crawling = _start_post(port, "/auth/login", 1_000_000, b"email=b")
        try:
            # While six bodies never finish and one crawls, the site still answers.
            for _ in range(3):
                status, _headers, body = _get(f"http://127.0.0.1:{port}/healthz")
                assert status == 200
                crawling.sendall(b"x" * 200)  # ~400 bytes a second, under 4 KB/s
                time.sleep(0.5)
            # The crawling upload is cut with a clear timeout, not a 500 or a reset.
            for _ in range(20):
                try:
                    crawling.sendall(b"x" * 200)
                except OSError:
                    break
                time.sleep(0.5)
            assert _status_line(crawling).startswith("HTTP/1.1 408")
            # The stalled ones too, once they have sent nothing for the idle timeout.
            for sock in stalled:
                assert _status_line(sock).startswith("HTTP/1.1 408")
        finally:
            for sock in [*stalled, crawling]:
                sock.close()
        status, _headers, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log
    assert '"status": "500"' not in log


def record_job(job_run_id: int) -> None:
    """A job for the worker test: marks its JobRun completed."""
    run = db.session.get(JobRun, job_run_id)
    run.status = "completed"
    db.session.commit()


@pytest.mark.redis
def test_worker__runs_queued_jobs_in_app_context(app, db, monkeypatch):
    if not REDIS_URL:
        if os.environ.get("FIELDCRM_REQUIRE_REDIS") == "1":
            pytest.fail("TEST_REDIS_URL is required (FIELDCRM_REQUIRE_REDIS=1)")
        pytest.skip("TEST_REDIS_URL not set")
    from fieldcrm.jobs import enqueue, queue
    from fieldcrm.worker import build_worker

    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "RQ_QUEUE", f"test-worker-{uuid.uuid4().hex[:8]}")
    run = JobRun(kind="test")
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    assert enqueue(record_job, run_id) is not None
    try:
        build_worker(app).work(burst=True, with_scheduler=False)
        db.session.expire_all()
        assert db.session.scalar(sa.select(JobRun.status).where(JobRun.id == run_id)) == (
            "completed"
        )
    finally:
        q = queue()
        q.empty()
        q.delete(delete_jobs=True)


def test_worker__refuses_without_redis(app):
    from fieldcrm.worker import build_worker

    with app.app_context(), pytest.raises(SystemExit):
        build_worker(app)


def test_background_jobs_lower_their_own_cpu_priority_only():
    # in a child process: a nice value cannot be undone by the process that raised it
    code = (
        "import os\n"
        "from fieldcrm import create_app\n"
        "from fieldcrm.jobs import lower_cpu_priority\n"
        "app = create_app('config.TestConfig', overrides={'JOB_NICE': 7})\n"
        "with app.app_context():\n"
        "    before = os.nice(0)\n"
        "    lower_cpu_priority()\n"
        "    lower_cpu_priority()  # idempotent\n"
        "    print(before, os.nice(0))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after = int(out[-2]), int(out[-1])
    assert after == max(before, 7)
