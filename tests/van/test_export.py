"""The VAN canvass-results export: columns, mapping, VANIDs, scope, policy, CLI, Parsons."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
import sqlalchemy as sa
from parsons import Table

from fieldcrm.audit import AuditEvent
from fieldcrm.extensions import db
from fieldcrm.van.services import BASE_COLUMNS

HEADER = [*BASE_COLUMNS, "Support ID", "Volunteer", "Leader"]


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def test_export__one_row_per_attempt_with_a_vanid(login_as, canvass):
    w = canvass.w
    response = login_as(w.admin_dev).get("/van/canvass.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    assert next(csv.reader(io.StringIO(response.data.decode()))) == HEADER
    rows = _rows(response.data)
    assert rows == [
        {
            "VANID": "100001", "ContactTypeID": "", "ContactType": "Walk", "ResultID": "1",
            "Result": "Not Home", "DateCanvassed": "03/02/2026",
            "CanvassedBy": "ana@example.test", "Support ID": "", "Volunteer": "", "Leader": "",
        },
        {
            "VANID": "100001", "ContactTypeID": "1", "ContactType": "Phone", "ResultID": "",
            "Result": "", "DateCanvassed": "03/03/2026", "CanvassedBy": "ana@example.test",
            "Support ID": "1 - Strong", "Volunteer": "Volunteer", "Leader": "Leader",
        },
        {
            "VANID": "200002", "ContactTypeID": "", "ContactType": "SMS Text",
            "ResultID": "", "Result": "Wrong Number", "DateCanvassed": "03/05/2026",
            "CanvassedBy": "ana@example.test", "Support ID": "", "Volunteer": "", "Leader": "",
        },
    ]  # fmt: skip  # West's refusal has no VANID: left out


def test_export__parsons_and_pandas_read_every_column_by_name(login_as, canvass, tmp_path):
    response = login_as(canvass.w.admin_dev).get("/van/canvass.csv")
    path = tmp_path / "van.csv"
    path.write_bytes(response.data)
    table = Table.from_csv(str(path))
    assert table.columns == HEADER
    assert [str(v) for v in table.column_data("VANID")] == ["100001", "100001", "200002"]
    assert table.column_data("Support ID")[1] == "1 - Strong"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == HEADER
    assert frame["Result"].tolist() == ["Not Home", "", "Wrong Number"]


def test_export__dates_filter_by_local_day(login_as, canvass):
    client = login_as(canvass.w.admin_dev)
    rows = _rows(client.get("/van/canvass.csv?since=2026-03-03&until=2026-03-03").data)
    assert [r["DateCanvassed"] for r in rows] == ["03/03/2026"]
    assert client.get("/van/canvass.csv?since=March").status_code == 400


def test_export__scoped_like_the_conversations_export(login_as, canvass):
    w = canvass.w
    assert len(_rows(login_as(w.organizer_ana).get("/van/canvass.csv").data)) == 3
    assert _rows(login_as(w.organizer_omar).get("/van/canvass.csv").data) == []
    assert _rows(login_as(w.organizer_tri).get("/van/canvass.csv").data) == []
    assert len(_rows(login_as(w.director_dana).get("/van/canvass.csv").data)) == 3
    assert login_as(w.leader_lena).get("/van/canvass.csv").status_code == 403
    assert login_as(w.leader_lena).get("/van/").status_code == 403


def test_export__audited_capped_and_offered_for_excel(app, login_as, canvass, monkeypatch):
    client = login_as(canvass.w.organizer_ana)
    client.get("/van/canvass.csv?since=2026-03-01")
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "export.van_canvass")
    )
    assert event.details["rows"] == 3
    assert event.details["filter_since"] == "2026-03-01"
    excel = client.get("/van/canvass.csv?for=excel")
    assert excel.data.startswith(b"\xef\xbb\xbf")
    assert "-excel.csv" in excel.headers["Content-Disposition"]
    monkeypatch.setitem(app.config, "EXPORT_LIMITS", {"organizer": 2})
    assert client.get("/van/canvass.csv").status_code == 403


def test_export__no_cell_starts_a_formula(login_as, canvass):
    from fieldcrm.van.models import VanMapping

    row = db.session.scalar(sa.select(VanMapping).where(VanMapping.fieldcrm_code == "phone"))
    row.van_name = '=HYPERLINK("http://evil.test","x")'
    db.session.commit()
    rows = _rows(login_as(canvass.w.admin_dev).get("/van/canvass.csv").data)
    assert rows[1]["ContactType"] == '\'=HYPERLINK("http://evil.test","x")'


def test_page__counts_what_the_file_leaves_out(login_as, canvass):
    page = login_as(canvass.w.admin_dev).get("/van/").get_data(True)
    assert "Canvass results for VAN" in login_as(canvass.w.admin_dev).get("/home").get_data(True)
    assert ">4<" in page  # attempts
    assert ">3<" in page  # with a VANID
    assert ">1<" in page  # left out
    assert "/van/canvass.csv" in page
    assert "for=excel" in page
    organizer_home = login_as(canvass.w.organizer_ana).get("/home").get_data(True)
    assert "/van/" in organizer_home


def test_cli__writes_the_same_file(runner, canvass, tmp_path):
    out = tmp_path / "van.csv"
    result = runner.invoke(args=["exports", "van-canvass", str(out), "--since", "2026-03-01"])
    assert result.exit_code == 0, result.output
    assert "Exported 3 attempts" in result.output
    assert "Left out 1 attempts of people with no VANID." in result.output
    table = Table.from_csv(str(out))
    assert table.columns == HEADER
    assert table.num_rows == 3
    as_omar = tmp_path / "omar.csv"
    result = runner.invoke(
        args=["exports", "van-canvass", str(as_omar), "--as", "omar@example.test"]
    )
    assert result.exit_code == 0, result.output
    assert Table.from_csv(str(as_omar)).num_rows == 0


@pytest.mark.parametrize("persona", ["leader_lena"])
def test_cli__refuses_roles_that_may_not_export(runner, canvass, tmp_path, persona):
    email = getattr(canvass.w, persona).email
    result = runner.invoke(args=["exports", "van-canvass", str(tmp_path / "x.csv"), "--as", email])
    assert result.exit_code == 1
    assert "Refused" in result.output


def test_readme__worked_example_is_what_ana_downloads(login_as, canvass):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("Ana's file reads:")
    opening = readme.index("```\n", start) + 4
    block = readme[opening : readme.index("\n```", opening)]
    body = login_as(canvass.w.organizer_ana).get("/van/canvass.csv").get_data(True)
    assert body.replace("example.test", "example.org").splitlines() == block.splitlines()
