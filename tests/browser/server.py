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
from fieldcrm import create_app
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


def _bodies_read_at_once(app):
    """`app` with each response body read whole and closed before werkzeug sends it.

    werkzeug's development server drains the request socket before it closes the response
    body; when the browser has already dropped the connection (a navigation cancelling a
    script's load), that read raises, the body (an open static file) is never closed, and
    its ResourceWarning surfaces in some later test. Production serves with gunicorn."""

    def wrapped(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wrapped


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
        server = make_server("127.0.0.1", 0, _bodies_read_at_once(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app, **data)
        finally:
            server.shutdown()
            thread.join(5)
            with app.app_context():
                db.engine.dispose()
