"""The writers' COPY text: what PostgreSQL reads must be exactly what the frame held."""

from __future__ import annotations

import pyarrow as pa
import pytest

from fieldcrm.imports.writer_postgres import copy_text, has_special_bytes


def test_copy_text__escapes_nulls_nan_and_ends_every_line():
    text = bytes(
        copy_text(
            [
                pa.array([1, None, 3]),
                pa.array(["tab\there", "back\\slash", "new\nline\r"]),
                pa.array([1.5, float("nan"), None]),
            ]
        )
    )
    assert text == (b"1\ttab\\there\t1.5\n\\N\tback\\\\slash\t\\N\n3\tnew\\nline\\r\t\\N\n")


def test_copy_text__a_sliced_array_gives_only_its_own_rows():
    names = pa.array(["skipped", "kept", "also kept"]).slice(1)
    assert bytes(copy_text([names])) == b"kept\nalso kept\n"


def test_copy_text__empty_input_is_empty():
    assert bytes(copy_text([pa.array([], pa.string())])) == b""


def test_special_bytes__found_only_where_escaping_is_needed():
    assert not has_special_bytes(pa.array(["plain", None, 'O\'Lee "Jr"']))
    assert has_special_bytes(pa.array(["plain", "tab\t"]))
    assert not has_special_bytes(pa.array([None, None], pa.string()))


def test_copy_text__a_text_is_that_column_in_every_row_escaped():
    text = bytes(copy_text([pa.array([1, 2]), "now", "tab\there", pa.array(["a", None]), "f"]))
    assert text == b"1\tnow\ttab\\there\ta\tf\n2\tnow\ttab\\there\t\\N\tf\n"


def test_sqlite_updates__know_every_index_of_the_contacts(db):
    """The SQLite writer compares before naming a column only where an index depends on
    it (writer_sqlite.tracked_columns): every index of the contacts in the database, keys
    and partial conditions, must be among the columns it knows (the migrations build the
    same indexes as the models: tests/test_migrations.py)."""
    from fieldcrm.imports.writer_sqlite import indexed_columns

    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("the SQLite writer's indexes, read from SQLite's catalogue")
    known = indexed_columns()
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts'"
    ).all()
    assert rows
    for name, sql in rows:
        keys = {r[2] for r in connection.exec_driver_sql(f'PRAGMA index_info("{name}")')}
        assert keys - {None} <= known, name
        if sql and " WHERE " in sql:
            condition = sql.split(" WHERE ", 1)[1].split()
            assert condition[1:] == ["IS", "NOT", "NULL"], name
            assert condition[0] in known, name
