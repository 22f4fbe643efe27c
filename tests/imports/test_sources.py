"""Which source an import lands under: named after the file, never a generic default, and
a plain warning (and a confirmation) when its voter ids exist under another source."""

from __future__ import annotations

import io

import sqlalchemy as sa

from fieldcrm.contacts.export import export_contacts
from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports.models import ImportBatch

VAN = "Voter File VANID,FirstName,LastName,Address,City,Zip5,Cell Phone,Precinct\n"
GOOD = VAN + "1,Ann,Lee,1 Main St,Mebane,27302,3365550101,E1\n2,Bo,Day,2 Main St,Mebane,27302,,W1\n"


def upload(client, text: str, name: str = "v.csv", **fields):
    data = {"file": (io.BytesIO(text.encode()), name), **fields}
    return client.post("/imports/new", data=data, content_type="multipart/form-data")


def latest() -> ImportBatch:
    db.session.expire_all()
    return db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))


def count(source: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(Contact.id)).where(Contact.source == source))


def test_upload_form__no_generic_source_and_full_file_unticked(client, login_as, world):
    login_as(world.admin_dev)
    page = client.get("/imports/new").get_data(as_text=True)
    assert "voterfile" not in page
    assert 'name="source" type="text" value=""' in page
    assert 'id="full_file" name="full_file" type="checkbox" value="y">' in page  # unchecked


def test_upload_form__offers_sources_already_loaded(
    client, login_as, world, import_file, write_file
):
    import_file(write_file("van.csv", GOOD), source="VAN")
    login_as(world.admin_dev)
    page = client.get("/imports/new").get_data(as_text=True)
    assert '<datalist id="known-sources"><option value="VAN"></datalist>' in page


def test_upload__state_file_is_named_after_its_state(client, login_as, world, data_dir):
    login_as(world.admin_dev)
    text = (data_dir / "nc_current_excerpt.txt").read_text(encoding="utf-8")
    upload(client, text, name="ncvoter.txt")
    batch = latest()
    assert batch.status == "checked"
    assert batch.source == "nc"
    assert batch.full_file is False
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "under source nc" in page


def test_upload__generic_file_without_a_source_cannot_start(client, login_as, world):
    login_as(world.admin_dev)
    upload(client, GOOD)
    batch = latest()
    assert batch.status == "checked"
    assert batch.source == ""
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "Name the source of this file before starting" in page
    client.post(f"/imports/{batch.id}/start")
    assert latest().status == "checked"
    assert count("VAN") == 0
    client.post(f"/imports/{batch.id}/source", data={"source": "VAN"})
    batch = latest()
    assert (batch.source, batch.status) == ("VAN", "checked")
    client.post(f"/imports/{batch.id}/start")
    assert latest().status == "completed"
    assert count("VAN") == 2


def test_check__voter_ids_under_another_source_warn_and_need_confirmation(
    client, login_as, world, import_file, write_file
):
    import_file(write_file("van.csv", GOOD), source="VAN")
    login_as(world.admin_dev)
    # a names-only row of the new file gets a made-up key: never counted as another's
    upload(client, GOOD + ",Cy,Ng,3 Main St,Mebane,27302,,W1\n", source="voterfile")
    batch = latest()
    assert batch.preview["impact"]["insert"] == 3
    assert batch.preview["other_sources"] == {"VAN": 2}
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "2 of these voter ids already exist under source VAN." in page
    assert "Use source VAN and check again" in page
    assert 'name="confirm_other_sources"' in page
    # no confirmation: nothing starts
    response = client.post(f"/imports/{batch.id}/start")
    assert response.headers["Location"].endswith(f"/imports/{batch.id}/check")
    assert latest().status == "checked"
    assert count("voterfile") == 0
    # confirmed: imported as asked
    client.post(f"/imports/{batch.id}/start", data={"confirm_other_sources": "y"})
    assert latest().status == "completed"
    assert count("voterfile") == 3


def test_check__switching_to_the_existing_source_updates_instead(
    client, login_as, world, import_file, write_file
):
    import_file(write_file("van.csv", GOOD), source="VAN")
    login_as(world.admin_dev)
    upload(client, GOOD, source="Other")
    batch = latest()
    client.post(f"/imports/{batch.id}/source", data={"source": "VAN"})
    batch = latest()
    assert batch.source == "VAN"
    assert batch.preview["other_sources"] == {}
    assert batch.preview["impact"]["insert"] == 0
    assert batch.preview["impact"]["unchanged"] == 2
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "already exist under source" not in page


def test_check__own_contacts_export_as_a_new_source_is_caught(
    client, login_as, world, import_file, data_dir, write_file
):
    """FieldCRM's own contacts export (contact_id,source,voter_id,...) loaded back in as a
    new source would duplicate everyone: the check refuses each row, naming its source."""
    loaded = import_file(data_dir / "nc_current_excerpt.txt", source="NC")
    # a hand-made sheet without voter ids: its people are keyed by name ("~..." ids)
    import_file(write_file("sheet.csv", "First Name,Last Name\nAnn,Sheet\nBo,Sheet\n"), "sheet")
    out = io.StringIO()
    export_contacts(None, out)
    text = out.getvalue()
    assert text.lstrip("\ufeff").replace('"', "").startswith("contact_id,source,voter_id")
    login_as(world.admin_dev)
    upload(client, text, name="contacts.csv", source="crm export")
    batch = latest()
    assert batch.status == "checked"
    assert batch.preview["impact"]["insert"] == 0
    assert batch.preview["impact"]["update"] == 0
    problems = batch.preview["problems"]
    refused = {reason: entry["count"] for reason, entry in problems.items()}
    assert refused[
        "exported from source 'NC', not 'crm export': import it under its own source"
    ] == (loaded.inserted)
    assert (
        refused["exported from source 'sheet', not 'crm export': import it under its own source"]
        == 2
    )
    page = client.get(f"/imports/{batch.id}/check").get_data(as_text=True)
    assert "import it under its own source" in page


def test_cli_dry_run__says_when_voter_ids_exist_under_another_source(
    runner, import_file, write_file
):
    import_file(write_file("van.csv", GOOD), source="VAN")
    path = write_file("again.csv", GOOD)
    result = runner.invoke(
        args=["imports", "voter-file", str(path), "--source", "Other", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "2 of these voter ids already exist under source VAN." in result.output


def test_cli__asks_before_importing_ids_of_another_source(runner, import_file, write_file):
    import_file(write_file("van.csv", GOOD), source="VAN")
    path = write_file("again.csv", GOOD)
    declined = runner.invoke(
        args=["imports", "voter-file", str(path), "--source", "Other"], input="n\n"
    )
    assert declined.exit_code == 1
    assert "Not imported" in declined.output
    db.session.expire_all()
    assert count("Other") == 0
    accepted = runner.invoke(
        args=["imports", "voter-file", str(path), "--source", "Other", "--yes"]
    )
    assert accepted.exit_code == 0, accepted.output
    db.session.expire_all()
    assert count("Other") == 2


def test_cli__generic_file_needs_a_source(runner, write_file):
    result = runner.invoke(args=["imports", "voter-file", str(write_file("v.csv", GOOD))])
    assert result.exit_code == 1
    assert "--source" in result.output
    assert db.session.scalar(sa.select(sa.func.count(ImportBatch.id))) == 0
