"""Schema migrations (Flask-Migrate over Alembic), set up on first use.

Importing Flask-Migrate imports Alembic: 0.2-0.3 s that every ``fieldcrm`` command and
every app start paid, while only ``fieldcrm db …`` and the code that upgrades a database
(tests, benchmarks, restore) use it. ``init_app`` puts a stand-in at
``app.extensions["migrate"]`` that sets Flask-Migrate up for the app the first time
anything reads it; the ``fieldcrm`` command loads its ``db`` group when asked for
(``db_group``).
"""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import Flask

#: how Alembic compares the models with the schema and renders migrations (SQLite needs
#: batch mode to alter a table)
OPTIONS: dict[str, Any] = {"render_as_batch": True, "compare_type": True}


class _Deferred:
    """``app.extensions["migrate"]`` until first read: then Flask-Migrate's own config."""

    def __init__(self, app: Flask, db: Any, directory: str) -> None:
        self._app, self._db, self._directory = app, db, directory

    def __getattr__(self, name: str) -> Any:
        return getattr(real_config(self._app, self._db, self._directory), name)


def init_app(app: Flask, db: Any, directory: str) -> None:
    """Register the stand-in (nothing of Alembic is imported)."""
    # Alembic announces each plugin it sets up at INFO when it is imported, which is now
    # after the app's logging is set up: noise before every migration's output
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app.extensions["migrate"] = _Deferred(app, db, directory)


def real_config(app: Flask, db: Any, directory: str) -> Any:
    """Set Flask-Migrate up for ``app`` (once) and return its config object."""
    current = app.extensions.get("migrate")
    if current is not None and not isinstance(current, _Deferred):
        return current
    from flask_migrate import Migrate

    Migrate().init_app(app, db, directory=directory, **OPTIONS)
    return app.extensions["migrate"]


def db_group() -> click.Command:
    """Flask-Migrate's ``db`` command group."""
    from flask_migrate.cli import db

    return db
