"""The export policy over every CSV download: read by name in data tools, safe in spreadsheets.

Each export is read with the clients organizers use (Parsons, pandas, Python's csv) and must
give every column by its plain name; the "for Excel" variant must keep accents for Excel;
and in every export no cell may start a formula, whatever text people typed.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from parsons import Table

from fieldcrm.contacts.export import EXPORT_COLUMNS, FULL_EXPORT_COLUMNS
from fieldcrm.extensions import db
from fieldcrm.lib.csvsafe import unneutralise
from tests.fixtures.app import ON_POSTGRES

# Text people could type (or a voter file could carry) that a spreadsheet would run.
PLANTED = ["\x00=1+1", '=HYPERLINK("http://evil.test","x")', "+1", "@x", "\t=x"]
# PostgreSQL text cannot hold NUL, so there the NUL case is left to SQLite (and to csvsafe's
# own tests); every other value is planted on both databases.
STORABLE = [p for p in PLANTED if not (ON_POSTGRES and "\x00" in p)]
EVIL_TURF = ("" if ON_POSTGRES else "\x00") + "=cmd|' /C calc'!A0"
# What a spreadsheet reads as the start of a formula (after it drops leading control chars).
FORMULA_START = re.compile(r"^[\x00-\x20\x7f]*[=+\-@\uff1d\uff0b\uff0d\uff20]")


def _save(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def _cells(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _no_formula(body: bytes) -> None:
    rows = _cells(body)
    bad = [cell for row in rows for cell in row if FORMULA_START.match(cell)]
    assert bad == []


@pytest.fixture
def exported(world, fieldwork, make_conversation, make_commitment):
    """Ana's East turf with accented names, one conversation and one commitment."""
    w = world
    w.east_1.first_name = "Peña"
    w.east_1.res_unit = "APT 2B"
    make_conversation(w.east_1, w.organizer_ana, support_level=2, issues=["rent"])
    make_commitment(w.east_1, w.organizer_ana, description="Trae café")
    db.session.commit()
    return w


EXPORTS = {
    "contacts": ("/contacts/export.csv", EXPORT_COLUMNS, "contact_id"),
    "contacts-full": ("/contacts/export.csv?columns=full", FULL_EXPORT_COLUMNS, "contact_id"),
    "conversations": ("/conversations/export.csv", None, "conversation_id"),
    "commitments": ("/commitments/export.csv", None, "commitment_id"),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_export__parsons_and_pandas_read_every_column_by_name(login_as, exported, tmp_path, name):
    url, expected, key = EXPORTS[name]
    response = login_as(exported.organizer_ana).get(url)
    assert response.status_code == 200
    path = _save(tmp_path, f"{name}.csv", response.data)
    header = _cells(response.data)[0]
    if expected is not None:
        assert tuple(header) == expected

    table = Table.from_csv(str(path))
    assert table.columns == header
    for column in header:
        table.column_data(column)  # raises on a name Parsons did not read plainly
    ids = [str(v) for v in table.column_data(key)]
    assert len(ids) == (2 if name.startswith("contacts") else 1)  # Ana's East turf
    assert all(ids)

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == header
    assert frame[key].tolist() == ids
    if name.startswith("contacts"):
        peña = frame[frame["contact_id"] == str(exported.east_1.id)]
        assert peña["first_name"].tolist() == ["Peña"]
        assert peña["unit"].tolist() == ["APT 2B"]
        assert "Peña" in table.column_data("first_name")


def test_cli_export__parsons_reads_columns_by_name(runner, exported, tmp_path):
    out = tmp_path / "contacts.csv"
    result = runner.invoke(args=["contacts", "export", str(out)])
    assert result.exit_code == 0, result.output
    table = Table.from_csv(str(out))
    assert tuple(table.columns) == EXPORT_COLUMNS
    assert "Peña" in table.column_data("first_name")
    assert list(pd.read_csv(out, dtype=str).columns) == list(EXPORT_COLUMNS)


@pytest.mark.parametrize("url", ["/contacts/export.csv", "/conversations/export.csv"])
def test_export__excel_variant_keeps_accents_for_excel(login_as, exported, url):
    client = login_as(exported.organizer_ana)
    plain = client.get(url)
    excel = client.get(url + "?for=excel")
    assert not plain.data.startswith(b"\xef\xbb\xbf")
    assert excel.data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only after a BOM
    assert excel.data[3:] == plain.data
    assert "-excel.csv" in excel.headers["Content-Disposition"]
    if "contacts" in url:
        assert "Peña" in excel.data.decode("utf-8-sig")


def test_cli_export__excel_flag_writes_a_bom(runner, exported, tmp_path):
    out = tmp_path / "contacts.csv"
    assert runner.invoke(args=["contacts", "export", str(out), "--excel"]).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Peña" in out.read_text("utf-8-sig")


def test_export_pages__link_every_export_with_its_excel_variant(login_as, exported):
    client = login_as(exported.organizer_ana)
    home = client.get("/home").get_data(True)
    for endpoint in ("/conversations/export.csv", "/commitments/export.csv", "/contacts/export"):
        assert endpoint in home
    assert "for=excel" in home
    contacts = client.get("/contacts/?q=Pe%C3%B1a").get_data(True)
    assert 'action="/contacts/export.csv"' in contacts
    assert 'name="q" value="Peña"' in contacts
    assert 'value="full"' in contacts
    follow_ups = client.get("/commitments/").get_data(True)
    assert "/commitments/export.csv?for=excel" in follow_ups


SOFFICE = shutil.which("soffice")
# LibreOffice's CSV import: comma, double quote, UTF-8 (76), from line 1, and token 13
# "evaluate formulas" switched ON, the least safe way a person could open the file.
LO_CSV_FILTER = "CSV:44,34,76,1,,,false,false,true,false,false,,true"


def _libreoffice_sheet(csv_path: Path, tmp_path: Path) -> tuple[str, str]:
    """Open `csv_path` in LibreOffice Calc headless, save as xlsx; (sheet XML, strings XML)."""
    out = tmp_path / "lo"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         f"--infilter={LO_CSV_FILTER}", "--convert-to", "xlsx", "--outdir", str(out),
         str(csv_path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with zipfile.ZipFile(out / (csv_path.stem + ".xlsx")) as book:
        return (
            book.read("xl/worksheets/sheet1.xml").decode(),
            book.read("xl/sharedStrings.xml").decode(),
        )


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.slow
def test_export__libreoffice_opens_both_files_with_accents_and_no_formula(
    login_as, planted, tmp_path
):
    planted.east_1.first_name = "Peña"
    db.session.commit()
    client = login_as(planted.organizer_ana)
    control = _save(tmp_path, "control.csv", b"a,b\r\n=1+1,x\r\n")
    assert "<f" in _libreoffice_sheet(control, tmp_path)[0]  # the check sees a live formula
    for query in ("?columns=full", "?columns=full&for=excel"):
        path = _save(tmp_path, "contacts.csv", client.get("/contacts/export.csv" + query).data)
        sheet, strings = _libreoffice_sheet(path, tmp_path)
        assert "<f" not in sheet
        assert "Peña" in strings
        assert re.search(r"<t[^>]*>contact_id</t>", strings)  # no stray BOM in the header


# -- C: the formula guard in every export ---------------------------------------------------


@pytest.fixture
def planted(world, fieldwork, make_conversation, make_commitment, make_contact):
    """Formula text in every free-text field that reaches an export."""
    w = world
    w.planted = []
    for n, text in enumerate(STORABLE):
        contact = make_contact(
            w.east,
            first_name=text,
            last_name=text,
            middle_name=text,
            res_line1=text,
            res_unit=text,
            res_city=text,
            county=text,
            precinct_name=text,
            party=text,
            sex=text[:20],
            race=text,
            mail_line1=text,
            mail_city=text,
            voter_id=f"F{n}",
        )
        make_conversation(contact, w.organizer_ana, issues_text=text, ask_text=text, response=None)
        make_commitment(contact, w.organizer_ana, description=text)
        w.planted.append(contact)
    w.east.name = EVIL_TURF
    w.piedmont.name = "@SUM(1+1)"
    db.session.commit()
    return w


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/export.csv",
        "/contacts/export.csv?columns=full",
        "/contacts/export.csv?for=excel",
        "/conversations/export.csv",
        "/commitments/export.csv",
    ],
)
def test_export__no_cell_starts_a_formula(login_as, planted, url):
    response = login_as(planted.organizer_ana).get(url)
    assert response.status_code == 200
    body = response.data
    _no_formula(body)
    # the guard is reversible: every planted text comes back exactly
    values = {unneutralise(cell) for row in _cells(body)[1:] for cell in row}
    assert set(STORABLE) <= values


def test_coverage_export__no_cell_starts_a_formula(login_as, planted):
    response = login_as(planted.admin_dev).get("/coverage.csv")
    assert response.status_code == 200
    _no_formula(response.data)
    assert EVIL_TURF in {unneutralise(c) for r in _cells(response.data) for c in r}


def test_cli_contacts_export__no_cell_starts_a_formula(runner, planted, tmp_path):
    out = tmp_path / "contacts.csv"
    for columns in ("default", "full"):
        result = runner.invoke(args=["contacts", "export", str(out), "--columns", columns])
        assert result.exit_code == 0, result.output
        _no_formula(out.read_bytes())


def test_import_rejected_rows_export__no_cell_starts_a_formula(login_as, world, db):
    from fieldcrm.imports.models import ImportBatch, ImportRowError

    batch = ImportBatch(
        source="test",
        original_filename="voters.csv",
        stored_path="missing.csv",
        status="completed",
        created_by_id=world.admin_dev.id,
        rejected=len(STORABLE),
    )
    db.session.add(batch)
    db.session.flush()
    for n, text in enumerate(STORABLE, start=2):
        db.session.add(
            ImportRowError(batch_id=batch.id, member=text, line=n, reason=text, raw=text)
        )
    db.session.commit()
    response = login_as(world.admin_dev).get(f"/imports/{batch.id}/errors.csv")
    assert response.status_code == 200
    _no_formula(response.data)
    assert set(STORABLE) <= {unneutralise(c) for r in _cells(response.data)[1:] for c in r}


def test_every_csv_writer_goes_through_csvsafe():
    """No module writes CSV itself: csvsafe is the one writer (and holds the formula guard)."""
    root = Path(__file__).resolve().parents[1] / "fieldcrm"
    writer = re.compile(r"csv\.(writer|DictWriter)\(|\.to_csv\(|QUOTE_(ALL|MINIMAL|NONE)")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "csvsafe.py" and writer.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
