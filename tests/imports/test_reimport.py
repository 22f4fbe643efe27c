"""Re-imports change only what a file really changes: FieldCRM's own export round trip, line
endings, extra vendor columns, columns a file lacks, coordinates, phones and emails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.export import EXPORT_COLUMNS, FULL_EXPORT_COLUMNS, export_contacts
from fieldcrm.contacts.models import Contact, ContactEmail, ContactPhone
from fieldcrm.extensions import db
from fieldcrm.imports.layouts import recognise_header
from fieldcrm.lib.csvsafe import phone_cell, write_csv

#: The export's column contract: the default set, then what the "full" set adds.
CONTRACT_DEFAULT = (
    "contact_id", "source", "voter_id", "first_name", "middle_name", "last_name", "suffix",
    "birth_year", "party", "address", "unit", "city", "state", "zip5", "zip4", "county",
    "precinct_code", "precinct_name", "phone", "phones", "email", "turf", "support_level",
    "not_in_latest_file",
)  # fmt: skip
CONTRACT_FULL = (
    *CONTRACT_DEFAULT, "birth_date", "sex", "race", "ethnicity", "registration_date", "status",
    "cd", "sd", "hd", "mail_address", "mail_city", "mail_state", "mail_zip",
)  # fmt: skip
_CONTACT_COLUMN = {
    "contact_id": "id", "suffix": "name_suffix", "address": "res_line1", "unit": "res_unit",
    "city": "res_city", "state": "res_state", "zip5": "res_zip5", "zip4": "res_zip4",
    "status": "voter_status", "mail_address": "mail_line1", "turf": "turf_id",
}  # fmt: skip

VAN_HEADER = "Voter File VANID,FirstName,LastName,DOB,Address,City,State,Zip5,Cell Phone,Party"


def everything() -> tuple[list, list, list]:
    """Every column of every contact, phone and email, in id order."""
    return tuple(
        [tuple(row) for row in db.session.execute(sa.select(table).order_by(table.c.id))]
        for table in (Contact.__table__, ContactPhone.__table__, ContactEmail.__table__)
    )


def by_voter_id(source: str, voter_id: str) -> Contact:
    return db.session.scalar(
        sa.select(Contact).where(Contact.source == source, Contact.voter_id == voter_id)
    )


def write_contract_export(path: Path, columns: tuple[str, ...]) -> Path:
    """The contacts export as the column contract describes it (any subset of its columns)."""
    rows = []
    for contact in db.session.scalars(sa.select(Contact).order_by(Contact.id)):
        phones = [p for p in contact.phones if not p.do_not_call]
        values = {
            "phone": contact.best_phone.e164 if contact.best_phone else None,
            "phones": "; ".join(phone_cell(p.e164) if p.valid and p.e164 else p.raw for p in phones)
            or None,
            "email": contact.emails[0].email if contact.emails else None,
        }
        row = []
        for column in columns:
            if column in values:
                row.append(values[column])
            else:
                row.append(getattr(contact, _CONTACT_COLUMN.get(column, column)))
        rows.append(row)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        write_csv(handle, columns, rows, phone_columns=("phone",))
    return path


@pytest.fixture
def nc_loaded(import_file, data_dir):
    """The committed NC excerpt imported as source NC, plus what FieldCRM adds later: a
    geocode, a manual phone, a do-not-call flag, an email, values a spreadsheet would read
    as formulas, and data only other files carry (birth date, ZIP+4, apartment)."""
    batch = import_file(data_dir / "nc_current_excerpt.txt", source="NC")
    assert batch.inserted > 20
    people = db.session.scalars(
        sa.select(Contact).where(Contact.source == "NC").order_by(Contact.id)
    ).all()
    first, second, third = people[:3]
    first.latitude, first.longitude = 36.1, -79.4
    first.geo_source, first.geo_precision = "nominatim", "rooftop"
    first.birth_date, first.res_zip4, first.res_unit = dt.date(1950, 2, 3), "1234", "APT 2"
    first.middle_name = "=HYPERLINK(1)"
    second.last_name = "'QUOTED"
    second.phones.append(ContactPhone(raw="919 555 0199", e164="+19195550199", valid=True))
    second.emails.append(ContactEmail(email="pat@example.org", source="voterfile"))
    third.phones.append(ContactPhone(raw="555-0100", kind="home", source="voterfile"))
    for phone in people[3].phones:
        phone.do_not_call = True
    db.session.commit()
    return people


def test_export_layout__recognised_by_its_leading_columns():
    for header in (EXPORT_COLUMNS, CONTRACT_DEFAULT, CONTRACT_FULL, CONTRACT_FULL[:3]):
        assert recognise_header(list(header)).name == "fieldcrm_export"
    assert recognise_header(["voter_id", "contact_id", "source", "first_name"]).name == "generic"


def test_export_round_trip__today_export_changes_nothing(nc_loaded, import_file, tmp_path):
    path = tmp_path / "contacts.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        export_contacts(None, handle)
    before = everything()
    batch = import_file(path, source="NC")
    assert batch.layout == "fieldcrm_export"
    assert (batch.inserted, batch.updated, batch.rejected) == (0, 0, 0)
    assert batch.unchanged == len(nc_loaded)
    assert everything() == before


@pytest.mark.parametrize("excel", [False, True], ids=["plain", "excel"])
@pytest.mark.parametrize("column_set", ["default", "full"])
def test_export_round_trip__real_export_twice_changes_nothing(
    nc_loaded, import_file, tmp_path, column_set, excel
):
    """The export as the web and CLI write it (either column set, plain or for Excel), imported
    back under its source twice: nothing inserted, updated or rejected, no quote added."""
    assert EXPORT_COLUMNS == CONTRACT_DEFAULT
    assert FULL_EXPORT_COLUMNS == CONTRACT_FULL
    before = everything()
    for trip in range(2):
        path = tmp_path / f"trip{trip}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            export_contacts(None, handle, column_set, excel=excel)
        batch = import_file(path, source="NC")
        assert batch.layout == "fieldcrm_export"
        assert (batch.inserted, batch.updated, batch.rejected) == (0, 0, 0)
        assert everything() == before
    assert by_voter_id("NC", nc_loaded[0].voter_id).middle_name == "=HYPERLINK(1)"


@pytest.mark.parametrize("columns", [CONTRACT_DEFAULT, CONTRACT_FULL], ids=["default", "full"])
def test_export_round_trip__contract_columns_change_nothing(
    nc_loaded, import_file, tmp_path, columns
):
    before = everything()
    for trip in range(2):  # a second trip of the re-imported data adds no quote either
        path = write_contract_export(tmp_path / f"trip{trip}.csv", columns)
        batch = import_file(path, source="NC")
        assert (batch.inserted, batch.updated, batch.rejected) == (0, 0, 0)
        assert everything() == before
    assert by_voter_id("NC", nc_loaded[0].voter_id).middle_name == "=HYPERLINK(1)"


def test_export_reimport__an_edited_cell_updates_only_that(nc_loaded, import_file, tmp_path):
    path = write_contract_export(tmp_path / "contacts.csv", CONTRACT_DEFAULT)
    first = nc_loaded[0]
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace("'=HYPERLINK(1)", "MARIE", 1), encoding="utf-8-sig")
    batch = import_file(path, source="NC")
    assert (batch.inserted, batch.updated) == (0, 1)
    again = by_voter_id("NC", first.voter_id)
    assert again.middle_name == "MARIE"
    assert (again.latitude, again.longitude, again.geo_source) == (36.1, -79.4, "nominatim")
    assert (again.birth_date, again.res_zip4, again.res_unit) == (
        dt.date(1950, 2, 3), "1234", "APT 2",
    )  # fmt: skip


def test_export_reimport__contacts_of_other_sources_are_refused(
    nc_loaded, import_file, tmp_path, make_contact
):
    make_contact(source="manual", voter_id=None)
    make_contact(source="VAN", voter_id="77")
    path = write_contract_export(tmp_path / "contacts.csv", CONTRACT_DEFAULT)
    count = db.session.scalar(sa.select(sa.func.count(Contact.id)))
    batch = import_file(path, source="NC", full_file=False)
    assert (batch.inserted, batch.updated, batch.rejected) == (0, 0, 2)
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == count


def test_reimport__line_endings_converted_change_nothing(import_file, data_dir, tmp_path):
    crlf = (data_dir / "nc_current_excerpt.txt").read_bytes()
    assert b"\r\n" in crlf
    first = import_file(data_dir / "nc_current_excerpt.txt", source="NC")
    before = everything()
    lf = tmp_path / "nc_lf.txt"
    lf.write_bytes(crlf.replace(b"\r\n", b"\n"))
    batch = import_file(lf, source="NC")
    assert (batch.inserted, batch.updated) == (0, 0)
    assert batch.unchanged == first.inserted
    assert everything() == before


def test_reimport__extra_vendor_columns_change_nothing(import_file, data_dir, tmp_path):
    import_file(data_dir / "nc_current_excerpt.txt", source="NC")
    before = everything()
    lines = (data_dir / "nc_current_excerpt.txt").read_text().splitlines()
    extra = [lines[0] + '\t"E1_20241105"\t"E2_20221108"']
    extra += [line + '\t"Y"\t"N"' for line in lines[1:]]
    path = tmp_path / "nc_history.txt"
    path.write_text("\r\n".join(extra) + "\r\n")
    batch = import_file(path, source="NC")
    assert (batch.inserted, batch.updated) == (0, 0)
    assert everything() == before


def van(*rows: str, header: str = VAN_HEADER) -> str:
    return header + "\n" + "\n".join(rows) + "\n"


def test_reimport__keeps_coordinates_the_file_does_not_bring(import_file, write_file):
    import_file(write_file("v1.csv", van("1,Ann,Lee,1980-04-05,1 Main St,Burlington,NC,27215,,D")),
                source="VAN")  # fmt: skip
    ann = by_voter_id("VAN", "1")
    ann.latitude, ann.longitude, ann.geo_source, ann.geo_precision = 36.0, -79.0, "zip", "zip"
    db.session.commit()
    moved = van("1,Ann,Lee,1980-04-05,1 Main St,Burlington,NC,27215,,R")
    batch = import_file(write_file("v2.csv", moved), source="VAN")
    assert batch.updated == 1
    ann = by_voter_id("VAN", "1")
    assert ann.party == "R"
    assert (ann.latitude, ann.longitude, ann.geo_source, ann.geo_precision) == (
        36.0, -79.0, "zip", "zip",
    )  # fmt: skip


def test_reimport__file_coordinates_replace_stored_ones(import_file, write_file):
    header = "Voter ID,First Name,Last Name,Latitude,Longitude"
    import_file(write_file("a.csv", van("1,Ann,Lee,,", header=header)), source="L2")
    ann = by_voter_id("L2", "1")
    ann.latitude, ann.longitude, ann.geo_source = 36.0, -79.0, "nominatim"
    db.session.commit()
    batch = import_file(write_file("b.csv", van("1,Ann,Lee,,", header=header)), source="L2")
    assert (batch.updated, batch.unchanged) == (0, 1)  # a blank cell brings nothing
    batch = import_file(write_file("c.csv", van("1,Ann,Lee,35.5,-78.5", header=header)),
                        source="L2")  # fmt: skip
    assert batch.updated == 1
    ann = by_voter_id("L2", "1")
    assert (ann.latitude, ann.longitude, ann.geo_source) == (35.5, -78.5, "voterfile")


def test_reimport__a_missing_column_leaves_stored_values_alone(import_file, write_file):
    import_file(
        write_file(
            "v1.csv", van("1,Ann,Lee,1980-04-05,1 Main St,Burlington,NC,27215,3365550101,D")
        ),
        source="VAN",
    )
    ann = by_voter_id("VAN", "1")
    household = ann.household_key
    assert household
    ann.emails.append(ContactEmail(email="ann@example.org", source="voterfile"))
    db.session.commit()
    narrow = "Voter File VANID,FirstName,LastName,Party"
    batch = import_file(write_file("v2.csv", van("1,Ann,Lee,R", header=narrow)), source="VAN")
    assert batch.updated == 1
    ann = by_voter_id("VAN", "1")
    assert ann.party == "R"
    assert ann.birth_date == dt.date(1980, 4, 5)
    assert (ann.res_line1, ann.res_city, ann.res_zip5) == ("1 Main St", "Burlington", "27215")
    assert ann.household_key == household
    assert [p.e164 for p in ann.phones] == ["+13365550101"]
    assert [e.email for e in ann.emails] == ["ann@example.org"]
    again = import_file(write_file("v3.csv", van("1,Ann,Lee,R", header=narrow)), source="VAN")
    assert (again.updated, again.unchanged) == (0, 1)


def test_reimport__phones_the_file_still_lists_keep_their_flags(import_file, write_file):
    row = "1,Ann,Lee,1980-04-05,1 Main St,Burlington,NC,27215,{phone},{party}"
    import_file(write_file("v1.csv", van(row.format(phone="3365550101", party="D"))),
                source="VAN")  # fmt: skip
    ann = by_voter_id("VAN", "1")
    ann.phones[0].do_not_call = True
    ann.phones.append(ContactPhone(raw="555-0100", source="manual"))
    db.session.commit()
    phone_ids = sorted(p.id for p in ann.phones)
    batch = import_file(write_file("v2.csv", van(row.format(phone="336 555 0101", party="R"))),
                        source="VAN")  # fmt: skip
    assert batch.updated == 1
    ann = by_voter_id("VAN", "1")
    assert sorted(p.id for p in ann.phones) == phone_ids
    assert [p.do_not_call for p in ann.phones] == [True, False]
    batch = import_file(write_file("v3.csv", van(row.format(phone="3365550102", party="R"))),
                        source="VAN")  # fmt: skip
    assert batch.updated == 1
    ann = by_voter_id("VAN", "1")
    # the dropped voter-file number stays only because it is flagged do-not-call
    assert sorted((p.source, p.e164 or p.raw, p.do_not_call) for p in ann.phones) == [
        ("manual", "555-0100", False),
        ("voterfile", "+13365550101", True),
        ("voterfile", "+13365550102", False),
    ]


@pytest.mark.parametrize("name", ["ncvoter_Statewide.txt", "ncvoter.txt"])
def test_reimport__real_file_with_converted_line_endings_changes_nothing(
    import_file, nc_shared, tmp_path, name
):
    raw = (nc_shared / name).read_bytes()
    converted = tmp_path / name
    if b"\r\n" in raw:
        converted.write_bytes(raw.replace(b"\r\n", b"\n"))
    else:
        converted.write_bytes(raw.replace(b"\n", b"\r\n"))
    first = import_file(nc_shared / name, source="NC")
    before = everything()
    batch = import_file(converted, source="NC")
    assert (batch.inserted, batch.updated) == (0, 0)
    assert batch.unchanged == first.inserted
    assert everything() == before


def test_reimport__hashes_of_an_older_version_are_compared_then_refreshed(import_file, data_dir):
    first = import_file(data_dir / "nc_current_excerpt.txt", source="NC")
    # what the previous version stored: a digest of the raw line
    db.session.execute(sa.update(Contact).values(vf_hash="0123456789abcdef"))
    db.session.commit()
    before = everything()
    batch = import_file(data_dir / "nc_current_excerpt.txt", source="NC")
    assert (batch.updated, batch.unchanged) == (0, first.inserted)
    after = everything()
    vf_hash = list(Contact.__table__.columns).index(Contact.__table__.c.vf_hash)
    strip = [tuple(v for k, v in enumerate(row) if k != vf_hash) for row in before[0]]
    assert [tuple(v for k, v in enumerate(row) if k != vf_hash) for row in after[0]] == strip
    assert after[1:] == before[1:]
    assert all(len(row[vf_hash]) == 24 for row in after[0])
    again = import_file(data_dir / "nc_current_excerpt.txt", source="NC")
    assert (again.updated, again.unchanged) == (0, first.inserted)
    assert everything() == after


def test_export_import__into_an_empty_database_restores_the_voter_file_fields(
    nc_loaded, import_file, tmp_path
):
    path = write_contract_export(tmp_path / "contacts.csv", CONTRACT_FULL)
    fields = [
        "voter_id", "first_name", "middle_name", "last_name", "name_suffix", "birth_date",
        "birth_year", "sex", "race", "ethnicity", "party", "res_line1", "res_unit", "res_city",
        "res_state", "res_zip5", "res_zip4", "mail_line1", "mail_city", "mail_state", "mail_zip",
        "county", "precinct_code", "precinct_name", "cd", "sd", "hd", "registration_date",
        "voter_status",
    ]  # fmt: skip

    def stored() -> list[tuple]:
        rows = db.session.execute(
            sa.select(*[getattr(Contact, f) for f in fields]).order_by(Contact.voter_id)
        )
        return [tuple(row) for row in rows]

    def phones() -> list[tuple]:
        return sorted(
            (c.voter_id, p.e164 or p.raw)
            for c in db.session.scalars(sa.select(Contact))
            for p in c.phones
            if not p.do_not_call
        )

    before, before_phones = stored(), phones()
    for contact in db.session.scalars(sa.select(Contact)).all():
        db.session.delete(contact)
    db.session.commit()
    batch = import_file(path, source="NC")
    assert (batch.inserted, batch.rejected) == (len(before), 0)
    assert stored() == before
    assert phones() == before_phones
