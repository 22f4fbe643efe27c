"""Models and migrations agree: `upgrade` builds a schema autogenerate finds no change in."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from fieldcrm import create_app
from fieldcrm.extensions import db


def _diff(app):
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)


def test_migrations__sqlite_file_matches_models(tmp_path):
    app = create_app(
        "config.TestConfig",
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mig.sqlite'}"},
    )
    assert _diff(app) == []
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL not configured")
def test_migrations__postgres_matches_models():
    from config import _database_url

    base = _database_url(os.environ["TEST_DATABASE_URL"])
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in base else "?"
        app = create_app(
            "config.TestConfig",
            overrides={"SQLALCHEMY_DATABASE_URI": f"{base}{sep}options=-csearch_path%3D{schema}"},
        )
        assert _diff(app) == []
        with app.app_context():
            db.engine.dispose()
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()
