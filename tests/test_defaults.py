"""A new program's lists: `db upgrade` installs them, in English and Spanish, idempotently,
without touching what admins edited (fieldcrm.defaults, migrations/env.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from fieldcrm import create_app
from fieldcrm.conversations.defaults import DEFAULT_CHOICES
from fieldcrm.conversations.models import ChoiceOption
from fieldcrm.defaults import install_defaults
from fieldcrm.extensions import db
from fieldcrm.ladder.models import DEFAULT_LADDER, LadderStage

# The schema just before labels per language (an ancestor of every later head).
BEFORE_TRANSLATIONS = "7b2e4d9c1a53"

BACKENDS = ["sqlite"]
if os.environ.get("TEST_DATABASE_URL"):
    BACKENDS.append("postgresql")


@contextmanager
def _empty_database_app(backend: str, tmp_path) -> Iterator:
    """An app on a database with no tables at all (a file, or a fresh PostgreSQL schema)."""
    if backend == "sqlite":
        app = create_app(
            "config.TestConfig",
            overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"},
        )
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    from config import _database_url

    base = _database_url(os.environ["TEST_DATABASE_URL"])
    schema = f"fresh_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in base else "?"
        app = create_app(
            "config.TestConfig",
            overrides={"SQLALCHEMY_DATABASE_URI": f"{base}{sep}options=-csearch_path%3D{schema}"},
        )
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def _lists() -> dict[str, dict[str, ChoiceOption]]:
    lists: dict[str, dict[str, ChoiceOption]] = {}
    for option in db.session.scalars(sa.select(ChoiceOption)):
        lists.setdefault(option.list_name, {})[option.code] = option
    return lists


def _insert(connection: sa.Connection, table_name: str, **values) -> None:
    """Insert a row into a table as it stands in the database (an older schema), filling
    required columns the test does not care about."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    row = dict(values)
    for column in table.columns:
        if (
            column.name in row
            or column.nullable
            or column.primary_key
            or column.server_default is not None
        ):
            continue
        python_type = column.type.python_type
        if python_type is bool:
            row[column.name] = False
        elif python_type is int:
            row[column.name] = 0
        elif python_type is datetime:
            row[column.name] = datetime.now(UTC).replace(tzinfo=None)
        elif python_type is dict:
            row[column.name] = {}
        else:
            length = getattr(column.type, "length", None) or 40
            row[column.name] = uuid.uuid4().hex[:length]
    connection.execute(table.insert().values(**row))


@pytest.mark.parametrize("backend", BACKENDS)
def test_db_upgrade__fresh_database_has_every_default_list_and_the_ladder(backend, tmp_path):
    with _empty_database_app(backend, tmp_path) as app, app.app_context():
        upgrade()
        lists = _lists()
        for list_name, entries in DEFAULT_CHOICES.items():
            ordered = sorted(lists[list_name].values(), key=lambda o: o.position)
            assert [o.code for o in ordered] == [code for code, _ in entries]
        not_home = lists["result_code"]["not_home"]
        assert not_home.label == "Not home"
        assert not_home.text_in("label", "es") == "No está en casa"
        event = lists["commitment_kind"]["event"]
        assert (event.phrase, event.text_in("phrase", "es")) == ("the event", "el evento")
        stages = db.session.scalars(sa.select(LadderStage).order_by(LadderStage.position)).all()
        assert [s.name for s in stages] == [name for name, _ in DEFAULT_LADDER]
        assert stages[0].text_in("name", "es") == "Simpatizante"


@pytest.mark.parametrize("backend", BACKENDS)
def test_db_upgrade__again_is_idempotent_and_keeps_admins_edits(backend, tmp_path):
    with _empty_database_app(backend, tmp_path) as app, app.app_context():
        upgrade()
        lists = _lists()
        lists["result_code"]["not_home"].label = "Nobody answered"
        lists["result_code"]["not_home"].translations = {}
        lists["result_code"]["moved"].active = False
        lists["issue"]["wages"].translations = {"es": {"label": "Sueldos"}}
        stage = db.session.scalar(sa.select(LadderStage).where(LadderStage.position == 1))
        stage.name = "Friend"
        stage.translations = {}
        count = db.session.scalar(sa.select(sa.func.count(ChoiceOption.id)))
        db.session.commit()

        install_defaults()
        db.session.commit()
        # and through the real path: the last migration down and up again
        downgrade(revision="-1")
        upgrade()

        lists = _lists()
        assert db.session.scalar(sa.select(sa.func.count(ChoiceOption.id))) == count
        not_home = lists["result_code"]["not_home"]
        assert (not_home.label, not_home.text_in("label", "es")) == (
            "Nobody answered",
            "Nobody answered",
        )
        assert lists["result_code"]["moved"].active is False
        assert lists["issue"]["wages"].text_in("label", "es") in ("Sueldos", "Salarios")
        assert lists["result_code"]["refused"].text_in("label", "es") == "Se negó"
        first = db.session.scalar(sa.select(LadderStage).where(LadderStage.position == 1))
        assert (first.name, first.text_in("name", "es")) == ("Friend", "Friend")
        assert db.session.scalar(sa.select(sa.func.count(LadderStage.id))) == len(DEFAULT_LADDER)


@pytest.mark.parametrize("backend", BACKENDS)
def test_db_upgrade__existing_program_gets_translations_only_where_unedited(backend, tmp_path):
    with _empty_database_app(backend, tmp_path) as app, app.app_context():
        upgrade(revision=BEFORE_TRANSLATIONS)
        with db.engine.begin() as connection:
            for position, (code, label) in enumerate(
                [("not_home", "Not home"), ("refused", "Said no"), ("custom", "Custom")]
            ):
                _insert(
                    connection,
                    "choice_options",
                    list_name="result_code",
                    code=code,
                    label=label,
                    position=position,
                    active=True,
                )
            _insert(
                connection,
                "choice_options",
                list_name="commitment_kind",
                code="event",
                label="Come to an event",
                position=0,
                active=True,
            )
            _insert(connection, "ladder_stages", name="Volunteer", position=1, active=True)
            _insert(connection, "ladder_stages", name="Door captain", position=2, active=True)
            _insert(
                connection,
                "users",
                email="old@example.test",
                name="Old",
                role="organizer",
                active=True,
                sms_template="Hi {first_name}! About the {commitment}: The {commitment} ok?",
            )
        upgrade()

        lists = _lists()
        assert set(lists["result_code"]) == {"not_home", "refused", "custom"}  # none added
        assert lists["result_code"]["not_home"].text_in("label", "es") == "No está en casa"
        assert lists["result_code"]["refused"].text_in("label", "es") == "Said no"
        assert lists["result_code"]["custom"].translations == {}
        event = lists["commitment_kind"]["event"]
        assert (event.phrase, event.text_in("phrase", "es")) == ("the event", "el evento")
        assert "volunteer_shift" not in lists["commitment_kind"]
        assert set(lists["issue"]) == {code for code, _ in DEFAULT_CHOICES["issue"]}  # was empty
        stages = {s.name: s for s in db.session.scalars(sa.select(LadderStage))}
        assert set(stages) == {"Volunteer", "Door captain"}
        assert stages["Volunteer"].text_in("name", "es") == "Voluntario"
        assert stages["Door captain"].translations == {}
        template = db.session.execute(
            sa.text("SELECT sms_template FROM users WHERE email = 'old@example.test'")
        ).scalar()
        assert template == "Hi {first_name}! About {commitment}: {commitment} ok?"


def test_install_defaults__in_a_spanish_first_program(db):
    install_defaults("es")
    db.session.commit()
    option = db.session.scalar(sa.select(ChoiceOption).where(ChoiceOption.code == "not_home"))
    assert option.label == "No está en casa"
    assert option.text_in("label", "en") == "Not home"
    stage = db.session.scalar(sa.select(LadderStage).where(LadderStage.position == 1))
    assert (stage.name, stage.text_in("name", "en")) == ("Simpatizante", "Supporter")
