"""Operator commands: create-admin, seed."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment
from fieldcrm.contacts.models import Contact
from fieldcrm.conversations.models import Conversation
from fieldcrm.extensions import db
from fieldcrm.ladder.models import LadderMove


def test_create_admin(runner):
    result = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "Boss@Example.test",
            "--name",
            "Boss",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.test"))
    assert user.role == "admin"


def test_create_admin__short_password_fails_cleanly(runner):
    result = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "a@example.test",
            "--name",
            "A",
            "--password",
            "short",
        ]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output


def test_seed__loads_demo_program_once(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    emails = set(db.session.scalars(sa.select(User.email)))
    assert {
        "admin@example.org",
        "director@example.org",
        "organizer@example.org",
        "organizer2@example.org",
        "leader@example.org",
    } <= emails
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) > 2000
    unassigned = db.session.scalar(
        sa.select(sa.func.count(Contact.id)).where(Contact.turf_id.is_(None))
    )
    assert unassigned == 0
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) > 300
    assert db.session.scalar(sa.select(sa.func.count(Commitment.id))) > 50
    assert db.session.scalar(sa.select(sa.func.count(LadderMove.id))) > 20
    again = runner.invoke(args=["seed"])
    assert "skipped" in again.output


def test_fieldcrm_command__loads_the_migration_tools_only_for_db(tmp_path):
    """Alembic (through Flask-Migrate) costs every command a quarter second: the app and its
    other commands start without it, and `fieldcrm db …` still has every migration command."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    env.pop("FIELDCRM_CONFIG", None)
    probe = (
        "import sys; from fieldcrm.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('alembic loaded:', 'alembic' in sys.modules)"
    )

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True,
            check=True, timeout=120,
        )  # fmt: skip
        return done.stdout + done.stderr

    assert "alembic loaded: False" in run("imports", "--help")
    listed = run("--help")
    assert " db " in listed
    upgraded = run("db", "upgrade")
    assert "alembic loaded: True" in upgraded
    assert "Running upgrade" in upgraded
    # Alembic's chatter as it is imported stays quiet, wherever it is imported from
    quiet = subprocess.run(
        [sys.executable, "-c", "from fieldcrm import create_app; create_app(); import alembic"],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert "setup plugin" not in quiet.stderr + quiet.stdout
    assert "(head)" in run("db", "current")
