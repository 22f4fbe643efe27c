"""The search-keys migration fills the keys of people and phones already in the database."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from fieldcrm import create_app
from fieldcrm.extensions import db

BEFORE = "7b2e4d9c1a53"  # the revision before the search keys
PEOPLE = 5_003  # more than one batch of the backfill


def _fill_and_upgrade(app) -> tuple[list[tuple], list[tuple]]:
    """Migrate to BEFORE, write people and phones the old way, migrate to head; the keys."""
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO contacts (id, source, first_name, last_name, display_name, "
                    "do_not_contact, not_in_latest_file, version, created_at, updated_at) "
                    "VALUES (:id, 'old', :first, :last, '', false, false, 1, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                [{"id": 1, "first": "José", "last": "Álvarez-Núñez"}]
                + [{"id": 2, "first": None, "last": None}]
                + [{"id": i, "first": f"Pat{i}", "last": "DOE"} for i in range(3, PEOPLE + 1)],
            )
            connection.execute(
                sa.text(
                    "INSERT INTO contact_phones (id, contact_id, e164, raw, kind, source, valid, "
                    "do_not_call, created_at) VALUES (:id, :cid, :e164, :raw, 'cell', "
                    "'voterfile', true, false, CURRENT_TIMESTAMP)"
                ),
                [
                    {"id": 1, "cid": 1, "e164": "+13365550101", "raw": "(336) 555-0101"},
                    {"id": 2, "cid": PEOPLE, "e164": None, "raw": "555-0199"},
                ],
            )
        upgrade()
        with db.engine.connect() as connection:
            people = connection.execute(
                sa.text(
                    "SELECT id, search_name, search_first, search_surname FROM contacts "
                    "WHERE id IN (1, 2, 3, :last) ORDER BY id"
                ),
                {"last": PEOPLE},
            ).all()
            phones = connection.execute(
                sa.text("SELECT id, reversed_digits FROM contact_phones ORDER BY id")
            ).all()
        db.engine.dispose()
    return [tuple(r) for r in people], [tuple(r) for r in phones]


EXPECTED_PEOPLE = [
    (1, "alvarez nunez jose", "jose", "nunez"),
    (2, "", "", None),
    (3, "doe pat3", "pat3", None),
    (PEOPLE, f"doe pat{PEOPLE}", f"pat{PEOPLE}", None),
]
EXPECTED_PHONES = [(1, "10105556331"), (2, "9910555")]


def test_migration__backfills_search_keys_sqlite(tmp_path):
    app = create_app(
        "config.TestConfig",
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'keys.sqlite'}"},
    )
    assert _fill_and_upgrade(app) == (EXPECTED_PEOPLE, EXPECTED_PHONES)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL not configured")
def test_migration__backfills_search_keys_postgres():
    from config import _database_url

    base = _database_url(os.environ["TEST_DATABASE_URL"])
    schema = f"keys_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in base else "?"
        app = create_app(
            "config.TestConfig",
            overrides={"SQLALCHEMY_DATABASE_URI": f"{base}{sep}options=-csearch_path%3D{schema}"},
        )
        assert _fill_and_upgrade(app) == (EXPECTED_PEOPLE, EXPECTED_PHONES)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()
