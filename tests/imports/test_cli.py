"""`fieldcrm imports …`, `fieldcrm contacts export` and `fieldcrm jobs worker`."""

from __future__ import annotations

import csv
import json

import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports import services
from fieldcrm.imports.models import ImportBatch, ImportMapping

VAN = "Voter File VANID,FirstName,LastName,Address,City,Zip5,Cell Phone,Precinct\n"


def test_voter_file__dry_run_prints_impact_and_writes_nothing(runner, data_dir):
    result = runner.invoke(
        args=["imports", "voter-file", str(data_dir / "nc_current_excerpt.txt"), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Layout nc_current" in result.output
    assert "would insert" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ImportBatch.id))) == 0


def test_voter_file__imports_and_prints_summary(runner, write_file):
    path = write_file("v.csv", VAN + "1,Ann,Lee,1 Main St,Mebane,27302,3365550101,P1\n")
    result = runner.invoke(args=["imports", "voter-file", str(path), "--source", "VAN"])
    assert result.exit_code == 0, result.output
    assert "inserted 1" in result.output
    db.session.expire_all()
    ann = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "1"))
    assert ann.source == "VAN"
    assert ann.phones[0].e164 == "+13365550101"


def test_voter_file__refused_file_exits_nonzero_with_one_line(runner, data_dir):
    result = runner.invoke(args=["imports", "voter-file", str(data_dir / "empty.txt")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("Refused:")
    assert "empty" in lines[0]


def test_mappings__save_list_and_use(runner, write_file, tmp_path):
    spec = tmp_path / "m.json"
    spec.write_text(json.dumps({"voter_id": "ident", "first_name": "given", "last_name": "fam"}))
    saved = runner.invoke(args=["imports", "mappings", "save", "odd", "--from-json", str(spec)])
    assert saved.exit_code == 0, saved.output
    listed = runner.invoke(args=["imports", "mappings", "list"])
    assert "odd:" in listed.output
    path = write_file("odd.csv", "ident,given,fam\n7,Ann,Lee\n")
    refused = runner.invoke(args=["imports", "voter-file", str(path)])
    assert refused.exit_code == 1
    result = runner.invoke(
        args=["imports", "voter-file", str(path), "--mapping", "odd", "--source", "sheet"]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(ImportMapping.name)) == "odd"


def test_resume__finishes_an_interrupted_batch(runner, write_file):
    path = write_file("v.csv", VAN + "1,Ann,Lee,1 Main St,Mebane,27302,,P1\n")
    batch = services.create_batch(None, path, "v.csv", "VAN")
    batch.status = "interrupted"
    db.session.commit()
    result = runner.invoke(args=["imports", "resume", str(batch.id)])
    assert result.exit_code == 0, result.output
    assert "completed" in result.output
    again = runner.invoke(args=["imports", "resume", str(batch.id)])
    assert again.exit_code == 1
    assert "not interrupted" in again.output


def test_contacts_export__formula_safe_and_documented_columns(
    runner, make_contact, tmp_path, make_turf
):
    turf = make_turf(name="East")
    make_contact(turf, first_name="=HYPERLINK(\"http://x\")", last_name="@SUM(A1)",
                 phone="+13365550101")  # fmt: skip
    out = tmp_path / "contacts.csv"
    result = runner.invoke(args=["contacts", "export", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    needed = {"source", "voter_id", "first_name", "middle_name", "last_name", "suffix",
              "birth_year", "party", "address", "city", "state", "zip5", "county",
              "precinct_code", "precinct_name", "phone", "phones", "email", "turf"}  # fmt: skip
    assert needed <= set(rows[0])
    assert rows[0]["first_name"].startswith("'=")
    assert rows[0]["last_name"].startswith("'@")
    assert rows[0]["phone"] == "13365550101"
    assert rows[0]["phones"] == "13365550101"
    assert rows[0]["turf"] == "East"


def test_contacts_export__as_user_is_scoped(runner, world, tmp_path):
    out = tmp_path / "ana.csv"
    result = runner.invoke(args=["contacts", "export", str(out), "--as", "ana@example.test"])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        names = {row["last_name"] for row in csv.DictReader(handle)}
    assert names == {"East", "Assigned"}


def test_contacts_export__leader_is_refused(runner, world, tmp_path):
    out = tmp_path / "lena.csv"
    result = runner.invoke(args=["contacts", "export", str(out), "--as", "lena@example.test"])
    assert result.exit_code == 1
    assert not out.exists()


def test_jobs_worker__needs_redis(runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 1
    assert "REDIS_URL" in result.output
