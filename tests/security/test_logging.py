"""No log line carries a form value, a search term, SQL parameters or an exception message.

A unique marker is planted in every parameter and field of every route (discovered from
the URL map, see `discovered_routes`); every SQL statement that carries a marker is then
made to fail, so each of those requests ends in a 500 with a database error whose
parameters hold the marker. Everything logged, at every level, through the production
handler is searched for the markers.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.contacts import services as contact_services
from fieldcrm.extensions import db, limiter
from fieldcrm.logging_setup import make_handler, scrubbed_traceback

MARK = re.compile(r"plnt\d{4}q")
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def _reset_limits(app):
    limiter.reset()


@pytest.fixture
def production_log():
    """Everything logged anywhere, at DEBUG and up, through the production JSON handler."""
    buffer = io.StringIO()
    handler = make_handler(json_lines=True)
    handler.setStream(buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def failing_on_planted_values(app):
    """Every SQL statement whose parameters hold a marker fails in the database."""
    engine = db.engine if isinstance(db.engine, sa.Engine) else db.engine.engine

    def sabotage(conn, cursor, statement, parameters, context, executemany):  # noqa: PLR0913
        if MARK.search(repr(parameters)):
            return statement + " PLANTED SYNTAX ERROR", parameters
        return statement, parameters

    sa.event.listen(engine, "before_cursor_execute", sabotage, retval=True)
    yield
    sa.event.remove(engine, "before_cursor_execute", sabotage)


def _planted(n: int, key: str) -> str:
    mark = f"plnt{n:04d}q"
    return f"{mark}@example.test" if "email" in key else f"Talked with {mark} about rent"


def test_logs__no_planted_value_in_any_line_even_on_500(
    app,
    client,
    login_as,
    secure_world,
    discovered_routes,
    production_log,
    failing_on_planted_values,
    monkeypatch,
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer 500 as in production
    w = secure_world
    planted: list[str] = []
    statuses: dict[int, int] = {}
    n = 0
    for method, path, _endpoint, keys in discovered_routes:
        if not keys:
            continue
        data = {}
        for key in keys:
            n += 1
            data[key] = _planted(n, key)
            planted.append(MARK.search(data[key]).group())
        db.session.expire_all()
        login_as(db.session.get(User, w.admin_dev.id))
        if method == "GET":
            response = client.get(path, query_string=data)
        else:
            response = client.post(path, data=data)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    # An error raised outside the database, whose message quotes what was typed.
    def refuse(contact, raw, kind="cell"):
        raise ValueError(f"cannot understand phone {raw!r}")

    monkeypatch.setattr(contact_services, "add_phone", refuse)
    login_as(db.session.get(User, w.admin_dev.id))
    response = client.post(
        f"/contacts/{w.east_1.id}/phones", data={"phone": "plnt9999q", "kind": "cell"}
    )
    assert response.status_code == 500
    planted.append("plnt9999q")

    text = production_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(planted) > 100
    leaked = sorted(set(MARK.findall(text)))
    assert leaked == [], f"{len(leaked)} planted values reached the logs, e.g. {leaked[:5]}"
    assert statuses.get(500, 0) >= 3, statuses  # the sabotage did reach the database
    errors = [line for line in lines if line["level"] == "ERROR" and "exc_info" in line]
    assert len(errors) >= statuses[500]
    assert any("Traceback" in e["exc_info"] and "[SQL: " in e["exc_info"] for e in errors)
    assert any("builtins.ValueError" in e["exc_info"] for e in errors)


def test_scrubbed_traceback__keeps_frames_and_types_drops_messages():
    typed = {"phone": "555-0100", "name": "Rosa Alvarez"}  # as a request would bring them

    def inner():
        raise KeyError(typed["phone"])

    try:
        try:
            inner()
        except KeyError as exc:
            raise RuntimeError(typed["name"]) from exc
    except RuntimeError as exc:
        text = scrubbed_traceback(exc)
    assert "555-0100" not in text
    assert "Rosa" not in text
    assert "builtins.KeyError" in text
    assert "builtins.RuntimeError" in text
    assert "direct cause" in text
    assert "in inner" in text


def test_engine__hides_sql_parameters(app):
    with app.app_context():
        assert db.engine.hide_parameters is True


def fail_with_planted_email(user_id: int) -> None:
    """A job (run by the RQ worker) that breaks a unique key with a user's email, then
    raises an error whose message quotes it, as code handling such an error might."""
    user = db.session.get(User, user_id)
    email = user.email
    try:
        db.session.add(User(email=email, name="Copy", password_hash="x", role=user.role))
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise ValueError(f"cannot add a second account for {email}") from exc


@pytest.mark.redis
def test_worker_log__a_failing_job_logs_no_message_or_value(
    app, db, make_user, production_log, monkeypatch
):
    if not REDIS_URL:
        if os.environ.get("FIELDCRM_REQUIRE_REDIS") == "1":
            pytest.fail("TEST_REDIS_URL is required (FIELDCRM_REQUIRE_REDIS=1)")
        pytest.skip("TEST_REDIS_URL not set")
    from fieldcrm.jobs import enqueue, queue
    from fieldcrm.worker import build_worker

    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "RQ_QUEUE", f"test-log-{uuid.uuid4().hex[:8]}")
    user = make_user(email="plnt7001q@example.test")
    db.session.commit()
    job_id = enqueue(fail_with_planted_email, user.id)
    try:
        build_worker(app).work(burst=True, with_scheduler=False)
        stored = queue().fetch_job(job_id).latest_result().exc_string
    finally:
        q = queue()
        q.empty()
        q.delete(delete_jobs=True)

    text = production_log.getvalue()
    errors = [json.loads(line) for line in text.splitlines() if '"ERROR"' in line]
    assert any(
        "builtins.ValueError" in e["message"] and "IntegrityError" in e["message"] for e in errors
    ), text
    assert MARK.findall(text) == []
    # RQ's failed-job record (shown by `rq info` and dashboards) is scrubbed the same way.
    assert "builtins.ValueError" in stored
    assert MARK.findall(stored) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _send(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.slow
def test_gunicorn_log__an_escaping_error_logs_no_message_or_query(tmp_path):
    """gunicorn (gunicorn.conf.py) logs an error escaping the app, and a request it refuses,
    without the exception messages, the query string or the refused request's text."""
    port = _free_port()
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "",
        "FAILING_WSGI_MARKS": "plnt7101q,plnt7102q",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                *("-c", "gunicorn.conf.py", "tests.security.failing_wsgi:app"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 20
            while "Booting worker" not in log.read_text():
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            request = b"GET /export.csv?name=plnt7103q HTTP/1.1\r\nHost: x\r\n\r\n"
            assert _send(port, request).startswith(b"HTTP/1.1 200")  # the body breaks off
            _send(port, b"GET /?name=plnt7104q HTTP/1.1 extra\r\nHost: x\r\n\r\n")
            deadline = time.monotonic() + 20
            while "Invalid request" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert "Error handling request" in text
    assert "builtins.RuntimeError" in text
    assert "builtins.ValueError" in text
    assert "direct cause" in text
    assert "Invalid request from ip=127.0.0.1" in text
    assert MARK.findall(text) == []
