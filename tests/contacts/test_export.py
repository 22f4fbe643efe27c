"""The contacts export: the column contract, every stored field, the web download and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from fieldcrm.audit import AuditEvent
from fieldcrm.contacts.export import EXPORT_COLUMNS, FULL_EXPORT_COLUMNS
from fieldcrm.extensions import db

# The contract the importer recognises: do not reorder or rename.
DEFAULT = (
    "contact_id", "source", "voter_id", "first_name", "middle_name", "last_name", "suffix",
    "birth_year", "party", "address", "unit", "city", "state", "zip5", "zip4", "county",
    "precinct_code", "precinct_name", "phone", "phones", "email", "turf", "support_level",
    "not_in_latest_file",
)  # fmt: skip
FULL_TAIL = (
    "birth_date", "sex", "race", "ethnicity", "registration_date", "status", "cd", "sd", "hd",
    "mail_address", "mail_city", "mail_state", "mail_zip",
)  # fmt: skip

STORED = {
    "res_unit": "APT 4",
    "res_zip4": "1234",
    "birth_date": date(1980, 2, 29),
    "birth_year": 1980,
    "sex": "F",
    "race": "B",
    "ethnicity": "NL",
    "party": "DEM",
    "registration_date": date(2004, 10, 1),
    "voter_status": "ACTIVE",
    "cd": "06",
    "sd": "24",
    "hd": "063",
    "mail_line1": "PO BOX 9",
    "mail_city": "GRAHAM",
    "mail_state": "NC",
    "mail_zip": "27253",
}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def stored(world):
    for field, value in STORED.items():
        setattr(world.east_1, field, value)
    db.session.commit()
    return world


def test_columns__the_contract():
    assert EXPORT_COLUMNS == DEFAULT
    assert FULL_EXPORT_COLUMNS == DEFAULT + FULL_TAIL


def test_cli_export__default_has_unit_and_zip4(runner, stored, tmp_path):
    out = tmp_path / "c.csv"
    assert runner.invoke(args=["contacts", "export", str(out)]).exit_code == 0
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = {r["contact_id"]: r for r in reader}
    assert tuple(reader.fieldnames) == DEFAULT
    row = rows[str(stored.east_1.id)]
    assert (row["address"], row["unit"], row["zip5"], row["zip4"]) == (
        stored.east_1.res_line1,
        "APT 4",
        "27215",
        "1234",
    )


def test_cli_export__full_has_every_stored_voter_file_field(runner, stored, tmp_path):
    out = tmp_path / "c.csv"
    result = runner.invoke(args=["contacts", "export", str(out), "--columns", "full"])
    assert result.exit_code == 0, result.output
    rows = {r["contact_id"]: r for r in _rows(out.read_text("utf-8"))}
    row = rows[str(stored.east_1.id)]
    assert {k: row[k] for k in FULL_TAIL} == {
        "birth_date": "1980-02-29",
        "sex": "F",
        "race": "B",
        "ethnicity": "NL",
        "registration_date": "2004-10-01",
        "status": "ACTIVE",
        "cd": "06",
        "sd": "24",
        "hd": "063",
        "mail_address": "PO BOX 9",
        "mail_city": "GRAHAM",
        "mail_state": "NC",
        "mail_zip": "27253",
    }
    assert row["party"] == "DEM"
    assert row["birth_year"] == "1980"


def test_web_export__same_columns_as_the_cli_scoped_and_audited(runner, login_as, stored, tmp_path):
    response = login_as(stored.organizer_ana).get("/contacts/export.csv?columns=full")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    web = _rows(response.get_data(as_text=True))
    assert {r["last_name"] for r in web} == {"East", "Assigned"}  # Ana's turf only
    out = tmp_path / "ana.csv"
    cli = runner.invoke(
        args=["contacts", "export", str(out), "--as", "ana@example.test", "--columns", "full"]
    )
    assert cli.exit_code == 0, cli.output
    assert out.read_bytes() == response.data
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action == "export.contacts")
    ).all()
    assert len(actions) == 2


def test_web_export__applies_the_list_filters(login_as, stored, make_contact):
    make_contact(stored.east, first_name="Zed", last_name="Other", support_level=1)
    client = login_as(stored.director_dana)
    by_q = _rows(client.get("/contacts/export.csv?q=Eve").get_data(as_text=True))
    assert [r["first_name"] for r in by_q] == ["Eve"]
    by_turf = _rows(client.get(f"/contacts/export.csv?turf={stored.west.id}").get_data(True))
    assert [r["last_name"] for r in by_turf] == ["West"]
    by_support = _rows(client.get("/contacts/export.csv?support=1").get_data(as_text=True))
    assert [r["first_name"] for r in by_support] == ["Zed"]
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "export.contacts")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.details["filter_support"] == 1
    assert event.details["rows"] == 1


def test_web_export__limits_and_roles(app, login_as, stored, monkeypatch):
    assert login_as(stored.leader_lena).get("/contacts/export.csv").status_code == 403
    monkeypatch.setitem(app.config, "EXPORT_LIMITS", {"organizer": 1})
    assert login_as(stored.organizer_ana).get("/contacts/export.csv").status_code == 403
    assert login_as(stored.organizer_ana).get("/contacts/export.csv?q=Eve").status_code == 200
    assert login_as(stored.organizer_ana).get("/contacts/export.csv?columns=x").status_code == 400
