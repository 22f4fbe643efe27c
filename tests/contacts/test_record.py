"""The voter record is defined once: the model's column sizes and the importer's length
checks both come from fieldcrm.contacts.record, and agree."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.contacts import record
from fieldcrm.contacts.models import Contact, ContactEmail, ContactPhone
from fieldcrm.extensions import db
from fieldcrm.imports.changes import MAPPED_KEYS
from fieldcrm.imports.models import ImportRowError


def _length(column: sa.Column) -> int | None:
    return getattr(column.type, "length", None)


def test_record__every_stored_text_field_is_sized_as_its_contact_column():
    columns = Contact.__table__.columns
    for field in record.FIELDS:
        if field.stored:
            assert field.contact in columns, field.name
        if field.stored and field.kind == "text":
            assert _length(columns[field.contact]) == field.length, field.name
    assert record.LENGTHS["email"] == _length(ContactEmail.__table__.columns["email"])
    phone_columns = ContactPhone.__table__.columns
    assert _length(phone_columns["raw"]) == record.PHONE_RAW_LENGTH
    assert _length(phone_columns["e164"]) == record.PHONE_E164_LENGTH
    assert _length(columns["vf_hash"]) == record.ROW_HASH_LENGTH


def test_record__every_sized_contact_column_an_import_writes_is_checked():
    """A voter-file column the model sizes has a length the importer checks."""
    checked = {record.frame_column(c) for c in record.VOTERFILE_FIELDS} & set(record.LENGTHS)
    sized = {
        c for c in record.VOTERFILE_FIELDS if _length(Contact.__table__.columns[c]) is not None
    }
    assert {record.frame_column(c) for c in sized} == checked
    assert "voter_id" in record.LENGTHS


def test_record__mapping_keys_carry_the_columns_they_feed():
    assert record.KEY_COLUMNS["birth_date"] == ("birth_date", "birth_year")
    assert record.KEY_COLUMNS["res_zip"] == ("res_zip5",)
    assert record.KEY_COLUMNS["status"] == ("voter_status",)
    assert record.KEY_COLUMNS["mail_zip4"] == ("mail_zip",)
    # the order is part of every stored row hash's tag: it must not move
    assert MAPPED_KEYS[:6] == (
        "first_name", "middle_name", "last_name", "name_suffix", "birth_date", "birth_year",
    )  # fmt: skip
    assert record.frame_column("voter_status") == "status"
    assert record.frame_column("first_name") == "first_name"


def test_import__values_as_long_as_their_column_are_kept_longer_ones_rejected(
    import_file, write_file
):
    """One length per field: a unit of 51-60 characters fits the column (the reader once
    refused it at 50); one character more than the column is refused, with the reason."""
    first, last = "F" * 100, "L" * 100  # display name "F… L…": 201 characters
    rows = [
        f"1,{first},{last},1 Main St,{'U' * 60},Mebane,27302",
        f"2,Bo,Day,2 Main St,{'U' * 61},Mebane,27302",
    ]
    path = write_file("units.csv", "Voter ID,First Name,Last Name,Address,Unit,City,Zip\n")
    path.write_text(path.read_text() + "\n".join(rows) + "\n")
    batch = import_file(path, source="S")
    assert (batch.inserted, batch.rejected) == (1, 1)
    kept = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "1"))
    assert kept.res_unit == "U" * 60
    assert len(kept.display_name) == 201
    reason = db.session.scalar(sa.select(ImportRowError.reason))
    assert reason == "res_unit is longer than 60 characters"
