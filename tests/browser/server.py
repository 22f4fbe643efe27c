"""Serve the app with a seeded world on a random loopback port, for browser tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from werkzeug.serving import make_server

from fieldcrm import create_app
from fieldcrm.extensions import db


@contextmanager
def serve_world(db_path: Path, build: Callable[[], dict]) -> Iterator[SimpleNamespace]:
    """Create a fresh SQLite app (CSRF on), run `build()` in it, serve it until exit.

    Yields a namespace with `url`, `app` and whatever `build()` returned.
    """
    app = create_app(
        "config.TestConfig",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "WTF_CSRF_ENABLED": True,
            "SERVER_NAME": None,
            "RATELIMIT_ENABLED": False,
        },
    )
    with app.app_context():
        db.create_all()
        data = build()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app, **data)
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()
