"""Serve the app with a seeded world on a random loopback port, for browser tests."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from werkzeug.serving import make_server

from config import _database_url
from fieldcrm import create_app, jobs
from fieldcrm.extensions import db

_NAMES = itertools.count()


@contextmanager
def _database(db_path: Path, on_postgres: bool) -> Iterator[str]:
    """The URL of a fresh database: the SQLite file `db_path`, or, with `on_postgres` and
    TEST_DATABASE_URL set, a database of its own on that PostgreSQL server (dropped after)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not (on_postgres and base):
        yield f"sqlite:///{db_path}"
        return
    url = sa.make_url(_database_url(base))
    name = f"fieldcrm_browser_{os.getpid()}_{next(_NAMES)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


class _Served:
    """`app` as the test server serves it: each response body read whole and closed before
    werkzeug sends it, and a `close` that waits for the requests in flight.

    werkzeug's development server drains the request socket before it closes the response
    body; when the browser has already dropped the connection (a navigation cancelling a
    script's load), that read raises, the body (an open static file) is never closed, and
    its ResourceWarning surfaces in some later test. Production serves with gunicorn.

    A request still running when the test ends (a phone's background sync, a fetch the
    closing page left behind) holds a pooled connection that the engine's dispose cannot
    close; once its database is dropped, that connection's ResourceWarning also surfaces in
    some later test. `close` turns new requests away (503) and waits for those in flight.
    """

    def __init__(self, app) -> None:
        self.app = app
        self._running = 0
        self._closing = False
        self._idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self._idle:
            if self._closing:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"the test server is stopping"]
            self._running += 1
        try:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def close(self, timeout: float) -> bool:
        """Turn new requests away; True once none is running (False after `timeout` s)."""
        with self._idle:
            self._closing = True
            return self._idle.wait_for(lambda: self._running == 0, timeout)


@contextmanager
def serve_world(
    db_path: Path, build: Callable[[], dict], *, on_postgres: bool = False
) -> Iterator[SimpleNamespace]:
    """Create a fresh app (CSRF on), run `build()` in it, serve it until exit.

    The database is a SQLite file at `db_path`; with `on_postgres`, a fresh PostgreSQL
    database when TEST_DATABASE_URL names one (the field app's tests run on both).
    Yields a namespace with `url`, `app` and whatever `build()` returned.
    """
    with _database(db_path, on_postgres) as url:
        app = create_app(
            "config.TestConfig",
            overrides={
                "SQLALCHEMY_DATABASE_URI": url,
                "WTF_CSRF_ENABLED": True,
                "SERVER_NAME": None,
                "RATELIMIT_ENABLED": False,
            },
        )
        with app.app_context():
            db.create_all()
            data = build()
            db.session.commit()
        served = _Served(app)
        server = make_server("127.0.0.1", 0, served, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app, **data)
        finally:
            server.shutdown()
            thread.join(5)
            finished = served.close(timeout=10)
            server.server_close()
            with app.app_context():
                jobs.wait_for_threads(10)
                in_use = getattr(db.engine.pool, "checkedout", lambda: 0)()
                db.engine.dispose()
            assert finished, "a request to the test server was still running 10 s after the test"
            assert not in_use, f"{in_use} database connection(s) still in use after the test"
