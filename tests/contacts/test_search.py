"""The contacts search: accents and case both ways, phones in any common shape, scoping,
the stored keys kept up to date, and a plan that starts from the search indexes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldcrm.contacts import services
from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.contacts.queries import ContactFilters, contacts_list
from fieldcrm.contacts.search import parse_query
from fieldcrm.extensions import db
from tests.fixtures.plans import query_plan


@pytest.fixture
def accented(world, make_contact):
    """East has José Álvarez and Ana Nuñez written with accents, Jose Alvarez and Luis Nunez
    written without (as voter files do), and a DE LA CRUZ. West has another Álvarez."""
    make = make_contact
    w = world
    w.jose_accented = make(w.east, first_name="José", last_name="Álvarez")
    w.jose_plain = make(w.east, first_name="JOSE", last_name="ALVAREZ")
    w.ana = make(w.east, first_name="Ana", last_name="Nuñez")
    w.luis = make(w.east, first_name="LUIS", last_name="NUNEZ")
    w.maria = make(w.east, first_name="María Elena", last_name="de la Cruz")
    w.west_alvarez = make(w.west, first_name="Rosa", last_name="Álvarez")
    return w


def found(actor, q: str) -> set[Contact]:
    return set(db.session.scalars(contacts_list(actor, ContactFilters(q=q))))


def ids(*contacts: Contact) -> set[Contact]:
    return set(contacts)


@pytest.mark.parametrize("q", ["Álvarez", "Alvarez", "alvarez", "ÁLVAREZ", "alv", "ÁLV"])
def test_search__last_name_any_case_and_accents(accented, q):
    w = accented
    assert found(w.organizer_ana, q) == ids(w.jose_accented, w.jose_plain)


@pytest.mark.parametrize("q", ["Nuñez", "Nunez", "NUÑEZ", "nuñ"])
def test_search__tilde_both_ways(accented, q):
    assert found(accented.organizer_ana, q) == ids(accented.ana, accented.luis)


@pytest.mark.parametrize("q", ["José", "jose", "JOSÉ", "José Álvarez", "alvarez jose", "jos alv"])
def test_search__first_name_and_both_names(accented, q):
    assert found(accented.organizer_ana, q) == ids(accented.jose_accented, accented.jose_plain)


@pytest.mark.parametrize(
    "q", ["maria", "maria elena cruz", "de la cruz", "María de la Cruz", "cruz", "Cruz María"]
)
def test_search__words_inside_compound_names(accented, q):
    assert found(accented.organizer_ana, q) == ids(accented.maria)


def test_search__a_word_must_start_a_name_word(accented):
    assert found(accented.organizer_ana, "varez") == set()
    assert found(accented.organizer_ana, "jose nunez") == set()


def test_search__director_finds_the_whole_region_only(accented):
    w = accented
    assert found(w.director_dana, "alvarez") == ids(w.jose_accented, w.jose_plain, w.west_alvarez)
    assert found(w.organizer_tri, "alvarez") == set()


@pytest.mark.parametrize(
    "q",
    [
        "(336) 555-0101",
        "336.555.0101",
        "+1 336 555 0101",
        "3365550101",
        "336-555-0101",
        "+13365550101",
        "1 (336) 555-0101",
        "555-0101",
        "0101",
    ],
)
def test_search__phone_in_any_common_format(world, q):
    assert found(world.organizer_ana, q) == ids(world.east_1)


def test_search__phone_of_another_number_finds_nothing(world):
    assert found(world.organizer_ana, "(336) 555-0102") == set()
    assert found(world.organizer_ana, "(919) 555-0101") == set()


def test_search__phone_kept_only_raw_is_found_by_its_ending(world, make_contact):
    person = make_contact(world.east, first_name="Raw", last_name="Phone")
    services.add_phone(person, "555 0199 ext")  # not dialable: kept as typed
    db.session.commit()
    assert found(world.organizer_ana, "555-0199") == ids(person)


def test_search__voter_id_zip_and_address(world, make_contact):
    w = world
    assert found(w.organizer_ana, w.east_1.voter_id) == ids(w.east_1)
    assert found(w.organizer_ana, w.east_1.voter_id.lower()) == ids(w.east_1)
    number = w.east_1.res_line1.split()[0]
    assert found(w.organizer_ana, f"{number} main") == ids(w.east_1)
    assert found(w.organizer_ana, f"{number} Main St") == ids(w.east_1)
    assert found(w.organizer_ana, "27215") == ids(w.east_1, w.east_assigned)


def test_search__a_name_with_digits_is_a_name_too(world, make_contact):
    person = make_contact(world.east, first_name="First7", last_name="Last3x17")
    assert found(world.organizer_ana, "Last3x17") == ids(person)
    assert found(world.organizer_ana, "first7 last3") == ids(person)


def test_search__names_sort_without_regard_to_accents(accented):
    names = [c.display_name for c in found_sorted(accented.organizer_ana, "a")]
    assert names.index("José Álvarez") < names.index("Ana Nuñez")


def found_sorted(actor, q: str) -> list[Contact]:
    return list(db.session.scalars(contacts_list(actor, ContactFilters(q=q))))


def test_parse_query__reads_what_people_type():
    assert parse_query("  Álvarez  José ").words == ("alvarez", "jose")
    assert parse_query("(336) 555-0101").phone == "1010555633"
    assert parse_query("+1 336 555 0101").phone == "1010555633"
    assert parse_query("12 Oak St").house_number == "12"
    assert parse_query("12 Oak St").street_words == ("OAK", "ST")
    assert parse_query("alvarez 27215").numbers == ("27215",)
    assert parse_query("BN0012").voter_ids == ("BN0012",)
    assert parse_query("BN0012").words == ("bn0012",)
    assert parse_query("") == parse_query(None)


# --- the stored keys ----------------------------------------------------------------------


def keys(contact: Contact) -> tuple[str, str, str | None]:
    columns = (Contact.search_name, Contact.search_first, Contact.search_surname)
    return tuple(db.session.execute(sa.select(*columns).where(Contact.id == contact.id)).one())


def test_keys__written_by_create_contact(world):
    contact = services.create_contact(
        world.organizer_ana,
        services.ContactInput(first_name="Zoë", last_name="Ñúñez", phone="(336) 555-0177"),
    )
    db.session.commit()
    assert keys(contact) == ("nunez zoe", "zoe", None)
    phone_key = sa.select(ContactPhone.reversed_digits).where(ContactPhone.contact_id == contact.id)
    assert db.session.scalar(phone_key) == "77105556331"


def test_keys__follow_a_name_edit(world):
    contact = world.east_1
    contact.last_name = "Ébano Núñez"
    db.session.commit()
    assert keys(contact) == ("ebano nunez eve", "eve", "nunez")
    contact.first_name = None
    contact.last_name = "Ébano"
    db.session.commit()
    assert keys(contact) == ("ebano", "", None)


def test_keys__bulk_insert_without_the_orm_objects(world):
    db.session.execute(
        sa.insert(Contact),
        [{"source": "bulk", "first_name": "Íñigo", "last_name": "Pérez Gil", "display_name": "x"}],
    )
    contact = db.session.scalar(sa.select(Contact).where(Contact.source == "bulk"))
    assert keys(contact) == ("perez gil inigo", "inigo", "gil")


# --- how the database runs it -------------------------------------------------------------


def test_search__list_query_count_is_pinned(login_as, accented, make_contact, count_queries):
    client = login_as(accented.director_dana)
    client.get("/contacts/?q=alvarez")
    with count_queries() as n:
        assert client.get("/contacts/?q=alvarez").status_code == 200
    few = n()
    for _ in range(5):
        make_contact(accented.east, first_name="Álvaro", last_name="Álvarez", phone="+13365550111")
    with count_queries() as n:
        body = client.get("/contacts/?q=%C3%81lvarez").get_data(as_text=True)
    assert n() == few
    assert body.count('class="contact-row"') == 8


def _plan(actor, q: str) -> str:
    stmt = contacts_list(actor, ContactFilters(q=q)).limit(50)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # The plan must not hang on the statistics earlier tests left (an index build
        # records the table's size outside their rolled-back transactions): give the tables
        # a program's shape, many phones to a few people, and statistics of their own.
        some = connection.scalar(sa.select(Contact.id).limit(1))
        connection.execute(
            sa.insert(ContactPhone),
            [{"contact_id": some, "raw": f"919555{n:04d}", "e164": f"+1919555{n:04d}",
              "reversed_digits": f"{n:04d}"[::-1] + "5559191"} for n in range(2000)],
        )  # fmt: skip
        connection.exec_driver_sql("ANALYZE contacts, contact_phones")
    return query_plan(stmt)


@pytest.mark.parametrize(
    ("q", "indexes"),
    [
        ("Álvarez José", ("ix_contacts_search_name", "ix_contacts_search_first")),
        ("Álvarez José", ("ix_contacts_search_surname",)),
        ("(336) 555-0101", ("ix_contact_phones_reversed_digits",)),
        ("27215", ("ix_contacts_voter_id", "ix_contacts_zip_house")),
    ],
)
def test_search__starts_from_the_search_indexes(accented, q, indexes):
    plan = _plan(accented.director_dana, q)
    for index in indexes:  # "a|b": either index serves (both start with the same column)
        assert any(name in plan for name in index.split("|")), plan
    assert "SCAN contacts\n" not in plan + "\n"  # SQLite: never a full table scan
    assert "Seq Scan on contacts" not in plan  # PostgreSQL
