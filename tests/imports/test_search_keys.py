"""Imports write the search keys: folded names on new and changed people, phone endings."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.contacts.queries import ContactFilters, contacts_list
from fieldcrm.extensions import db

HEADER = "Voter File VANID,FirstName,LastName,Address,City,State,Zip5,Cell Phone,Party\n"


def van_file(rows: list[tuple]) -> str:
    return HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows)


def keys(voter_id: str) -> tuple[str, str, str | None, list[str | None]]:
    contact = db.session.scalar(
        sa.select(Contact).where(Contact.source == "VAN", Contact.voter_id == voter_id)
    )
    phones = db.session.scalars(
        sa.select(ContactPhone.reversed_digits)
        .where(ContactPhone.contact_id == contact.id)
        .order_by(ContactPhone.id)
    ).all()
    return contact.search_name, contact.search_first, contact.search_surname, list(phones)


def test_import__writes_name_and_phone_keys(import_file, write_file):
    path = write_file(
        "a.csv",
        van_file(
            [
                (
                    1,
                    "José",
                    "Álvarez",
                    "1 Main St",
                    "Burlington",
                    "NC",
                    "27215",
                    "(336) 555-0101",
                    "D",
                ),
                (2, "ANA", "NUÑEZ", "2 Main St", "Burlington", "NC", "27215", "555-0102", "D"),
                (3, "", "O'Brien-Smith", "3 Main St", "Burlington", "NC", "27215", "", "R"),
            ]
        ),  # fmt: skip
    )
    batch = import_file(path, source="VAN")
    assert batch.inserted == 3
    assert keys("1") == ("alvarez jose", "jose", None, ["10105556331"])
    assert keys("2") == ("nunez ana", "ana", None, ["2010555"])
    assert keys("3") == ("obrien smith", "", "smith", [])


def test_import__a_changed_name_changes_its_key_and_search_finds_it(
    import_file, write_file, make_user
):
    row = (1, "Jose", "Alvarez", "1 Main St", "Burlington", "NC", "27215", "3365550101", "D")
    other = (2, "Ana", "Lopez", "2 Main St", "Burlington", "NC", "27215", "", "D")
    import_file(write_file("v1.csv", van_file([row, other])), source="VAN")
    renamed = (1, "José", "Álvarez-Núñez", *row[3:])
    batch = import_file(write_file("v2.csv", van_file([renamed, other])), source="VAN")
    assert (batch.updated, batch.unchanged) == (1, 1)
    db.session.expire_all()
    assert keys("1")[:3] == ("alvarez nunez jose", "jose", "nunez")
    admin = make_user("admin")
    for q in ("núñez", "Alvarez", "(336) 555-0101"):
        found = db.session.scalars(contacts_list(admin, ContactFilters(q=q))).all()
        assert [c.voter_id for c in found] == ["1"], q
