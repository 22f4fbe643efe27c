"""Column mapping through the CLI and the check page: warnings by field, partial saved
mappings, date order, the list of valid field names, blank cells shown blank."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports.layouts import MAPPING_KEYS
from fieldcrm.imports.models import ImportBatch, ImportMapping

# address columns under names no alias knows: names map, street/city/ZIP do not
ODD_ADDRESS = "Voter ID,First Name,Last Name,Residence Line,Town,Postcode\n1,Ann,Lee,1 Main,X,1\n"
NAMES_ONLY = "First Name,Last Name,Address,City,Zip\nAnn,Lee,1 Main St,Mebane,27302\n"
SHEET = (
    "State Code Number,First Name,Last Name,Address,City,Zip,Registered\n"
    "K-1,Ann,Lee,1 Main St,Mebane,27302,01152004\n"
)


def _contact(voter_id: str) -> Contact:
    db.session.expire_all()
    return db.session.scalar(sa.select(Contact).where(Contact.voter_id == voter_id))


def test_dry_run__warns_by_field_for_unmapped_expected_fields(runner, write_file):
    path = write_file("odd.csv", ODD_ADDRESS)
    result = runner.invoke(args=["imports", "voter-file", str(path), "--dry-run", "--source", "S"])
    assert result.exit_code == 0, result.output
    for field in ("res_line1", "res_city", "res_zip"):
        assert f"warning: {field} is not mapped: no column of the file feeds it" in result.output
    assert "first_name is not mapped" not in result.output


def test_dry_run__warns_when_a_mapped_field_is_mostly_blank(runner, write_file):
    rows = "1,A,B,1 Main St,Mebane,\n2,C,D,2 Main St,Mebane,\n3,E,F,3 Main St,Mebane,27302\n"
    path = write_file("blank.csv", "Voter ID,First Name,Last Name,Address,City,Zip\n" + rows)
    result = runner.invoke(args=["imports", "voter-file", str(path), "--dry-run", "--source", "S"])
    assert "warning: res_zip (from Zip) is blank in 2 of 3 rows" in result.output


def test_dry_run__missing_values_print_blank_not_none(runner, write_file):
    path = write_file("names.csv", NAMES_ONLY)
    result = runner.invoke(args=["imports", "voter-file", str(path), "--dry-run", "--source", "S"])
    assert result.exit_code == 0, result.output
    assert "line 2:  Ann Lee |" in result.output
    assert "None" not in result.output


def test_voter_file__partial_saved_mapping_keeps_detected_names(runner, write_file, tmp_path):
    spec = tmp_path / "m.json"
    spec.write_text(json.dumps({"voter_id": "State Code Number"}))
    saved = runner.invoke(args=["imports", "mappings", "save", "ids", "--from-json", str(spec)])
    assert saved.exit_code == 0, saved.output
    path = write_file("sheet.csv", SHEET)
    result = runner.invoke(
        args=["imports", "voter-file", str(path), "--mapping", "ids", "--source", "S"]
    )
    assert result.exit_code == 0, result.output
    ann = _contact("K-1")
    assert (ann.first_name, ann.last_name, ann.res_city) == ("Ann", "Lee", "Mebane")


def test_voter_file__date_order_option_reads_mmddyyyy(runner, write_file):
    path = write_file("sheet.csv", SHEET.replace("Registered", "Registration Date"))
    plain = runner.invoke(args=["imports", "voter-file", str(path), "--dry-run", "--source", "S"])
    assert "warning: invalid_registration_date: 1" in plain.output
    assert (
        "warning: registration_date (from Registration Date) is not a date in 1 of 1 rows: "
        "check the date order (MDY, DMY or YMD)"
    ) in plain.output
    result = runner.invoke(
        args=["imports", "voter-file", str(path), "--date-order", "mdy", "--source", "S"]
    )
    assert result.exit_code == 0, result.output
    assert "invalid_registration_date" not in result.output
    db.session.expire_all()
    ann = db.session.scalar(sa.select(Contact).where(Contact.source == "S"))
    assert (ann.last_name, str(ann.registration_date)) == ("Lee", "2004-01-15")


def test_mappings_save__date_order_is_stored_with_the_mapping(runner, tmp_path):
    spec = tmp_path / "m.json"
    spec.write_text(json.dumps({"voter_id": "ID"}))
    args = ["imports", "mappings", "save", "mi", "--from-json", str(spec), "--date-order", "MDY"]
    assert runner.invoke(args=args).exit_code == 0
    assert db.session.scalar(sa.select(ImportMapping.mapping)) == {
        "voter_id": "ID",
        "date_order": "MDY",
    }


def test_mappings_save__unknown_field_lists_the_valid_names(runner, tmp_path):
    spec = tmp_path / "m.json"
    spec.write_text(json.dumps({"voter_id": "ID", "zip_code": "ZIP"}))
    result = runner.invoke(args=["imports", "mappings", "save", "bad", "--from-json", str(spec)])
    assert result.exit_code == 1
    assert "unknown field 'zip_code' in mapping; valid fields: voter_id, first_name" in (
        result.output
    )
    assert "res_zip" in result.output
    assert "date_order" in result.output


def test_mappings_fields__lists_every_valid_name(runner):
    result = runner.invoke(args=["imports", "mappings", "fields"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split(" ")[0] for line in lines] == list(MAPPING_KEYS)
    assert "date_order (option: MDY | DMY | YMD)" in lines


# --- the check page -----------------------------------------------------------------------------


def upload(client, text: str, name: str = "v.csv"):
    data = {"source": "S", "full_file": "y", "file": (io.BytesIO(text.encode()), name)}
    client.post("/imports/new", data=data, content_type="multipart/form-data")
    return db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))


def test_check_page__warns_by_field_and_shows_blank_for_missing(client, login_as, world):
    login_as(world.admin_dev)
    batch = upload(client, ODD_ADDRESS)
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "Check the column mapping" in page
    for field in ("res_line1", "res_city", "res_zip"):
        assert f"{field} is not mapped: no column of the file feeds it." in page
    names = upload(client, NAMES_ONLY)
    page = client.get(f"/imports/{names.id}/check").get_data(as_text=True)
    assert "Ann Lee" in page
    assert "None" not in page


def test_check_page__mapping_form_lists_field_names_and_date_order(client, login_as, world):
    login_as(world.admin_dev)
    batch = upload(client, ODD_ADDRESS)
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "Change the column mapping" in page
    assert 'name="m_res_city"' in page
    assert 'name="date_order"' in page
    assert "<code>full_name</code>, <code>birth_date</code>" in page
    assert ">res_city</p>" in page  # each field's name in a saved mapping, under its label


def test_check_page__changing_one_field_keeps_the_rest(client, login_as, world):
    login_as(world.admin_dev)
    batch = upload(client, ODD_ADDRESS)
    response = client.post(
        f"/imports/{batch.id}/check",
        data={
            "m_voter_id": "Voter ID",
            "m_first_name": "First Name",
            "m_last_name": "Last Name",
            "m_res_line1": "Residence Line",
            "m_res_city": "Town",
            "date_order": "DMY",
            "mapping_name": "odd towns",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.status == "checked"
    assert batch.mapping == {
        "res_line1": "Residence Line",
        "res_city": "Town",
        "date_order": "DMY",
    }
    assert batch.preview["mapping"]["first_name"] == "First Name"
    assert {w["field"] for w in batch.preview["mapping_warnings"]} == {"res_zip"}
    saved = db.session.scalar(sa.select(ImportMapping).where(ImportMapping.name == "odd towns"))
    assert saved.mapping == batch.mapping


def test_check_page__clearing_a_detected_field_removes_it(client, login_as, world):
    login_as(world.admin_dev)
    batch = upload(client, NAMES_ONLY)
    response = client.post(
        f"/imports/{batch.id}/check",
        data={
            "m_first_name": "First Name",
            "m_last_name": "Last Name",
            "m_res_line1": "Address",
            "m_res_city": "",
            "m_res_zip": "Zip",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.mapping == {"res_city": None}
    assert "res_city" not in batch.preview["mapping"]


def test_check_page__duplicate_header_is_refused_naming_them(client, login_as, world):
    login_as(world.admin_dev)
    batch = upload(client, "Voter ID,First Name,Last Name,Phone,phone \n1,A,B,1,2\n")
    assert batch.status == "refused"
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "the header names the same column more than once" in page
    assert "&#34;Phone&#34; (column 4) and &#34;phone&#34; (column 5)" in page


def test_check_page__dates_in_the_wrong_order_point_at_the_date_order(client, login_as, world):
    login_as(world.admin_dev)
    batch = upload(client, SHEET.replace("Registered", "Registration Date"))
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "registration_date (from Registration Date) is not a date in 1 of 1 rows" in page
    client.post(
        f"/imports/{batch.id}/check",
        data={"m_first_name": "First Name", "m_last_name": "Last Name", "date_order": "MDY"}
        | {"m_res_line1": "Address", "m_res_city": "City", "m_res_zip": "Zip"}
        | {"m_registration_date": "Registration Date"},
    )
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.mapping == {"date_order": "MDY"}
    assert batch.preview["mapping_warnings"] == []
    assert batch.preview["rows"][0]["registration_date"] == "2004-01-15"
