"""Parsons reads the CSV exports the other tests do not read with it, by column name."""

from __future__ import annotations

import csv
import io

from parsons import Table

from fieldcrm.dashboards.views import CSV_HEADER
from fieldcrm.extensions import db
from fieldcrm.imports.models import ImportBatch, ImportRowError
from fieldcrm.imports.services import ROW_ERROR_COLUMNS


def _table(tmp_path, name: str, body: bytes) -> Table:
    path = tmp_path / name
    path.write_bytes(body)
    return Table.from_csv(str(path))


def _header(body: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(body.decode("utf-8"))))


def test_parsons__coverage_export_by_column_name(login_as, world, fieldwork, tmp_path):
    body = login_as(world.admin_dev).get("/coverage.csv").data
    assert _header(body) == CSV_HEADER
    table = _table(tmp_path, "coverage.csv", body)
    assert table.columns == CSV_HEADER
    assert {"East", "West", "Durham"} <= set(table.column_data("turf"))
    for column in CSV_HEADER:
        table.column_data(column)


def test_parsons__rejected_rows_export_by_column_name(login_as, world, tmp_path):
    batch = ImportBatch(
        source="test", original_filename="voters.csv", stored_path="missing.csv",
        status="completed", created_by_id=world.admin_dev.id, rejected=1,
    )  # fmt: skip
    db.session.add(batch)
    db.session.flush()
    db.session.add(
        ImportRowError(
            batch_id=batch.id,
            member="voters.csv",
            line=7,
            reason="no voter id and no name",
            raw=",,,",
        )  # fmt: skip
    )
    db.session.commit()
    body = login_as(world.admin_dev).get(f"/imports/{batch.id}/errors.csv").data
    table = _table(tmp_path, "errors.csv", body)
    assert tuple(table.columns) == ROW_ERROR_COLUMNS
    assert [str(v) for v in table.column_data("line")] == ["7"]
    assert table.column_data("reason") == ["no voter id and no name"]
