"""SQLite table rebuilds in migrations never cascade-delete child rows."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from fieldcrm import create_app
from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.extensions import db
from fieldcrm.turf.models import Region, Turf

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

PROBE = '''"""probe: rebuild contacts"""
from alembic import op
import sqlalchemy as sa

revision = "probe0rebuild"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("probe_col", sa.String(10), nullable=True))


def downgrade():
    with op.batch_alter_table("contacts", recreate="always") as batch_op:
        batch_op.drop_column("probe_col")
'''


def test_migration__contacts_rebuild_keeps_children(tmp_path):
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory, ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "rebuild.sqlite"
    app = create_app(
        "config.TestConfig", overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )
    with app.app_context():
        upgrade(directory=str(directory))
        region = Region(name="R")
        turf = Turf(name="T", region=region, precinct_codes=["P1"], zip_codes=[])
        contacts = [Contact(first_name=f"C{i}", display_name=f"C{i}", turf=turf) for i in range(5)]
        for contact in contacts:
            contact.phones.append(ContactPhone(raw="3365550100", e164="+13365550100", valid=True))
        db.session.add_all(contacts)
        db.session.commit()
        phones_before = db.session.scalar(sa.select(sa.func.count(ContactPhone.id)))
        head = ScriptDirectory(str(directory)).get_current_head()
        (directory / "versions" / "99999999_9999_probe0rebuild_probe.py").write_text(
            PROBE.format(head=head)
        )
        upgrade(directory=str(directory))
        db.session.remove()
        assert phones_before == 5
        assert db.session.scalar(sa.select(sa.func.count(ContactPhone.id))) == phones_before
        db.engine.dispose()
    conn = sqlite3.connect(path)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(contacts)")}
        assert "probe_col" in columns  # the table really was rebuilt
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
