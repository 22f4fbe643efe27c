"""Contacts export: the column sets, scoped and filtered, streamed in chunks (README "Exports").

The column definitions live here only; the web download, the CLI and the README read them.

* ``EXPORT_COLUMNS`` (the default set): contact_id, source, voter_id, first_name, middle_name,
  last_name, suffix, birth_year, party, address, unit, city, state, zip5, zip4, county,
  precinct_code, precinct_name, phone (the best dialable phone, E.164 digits without the "+"),
  phones (every phone, "; " between them, dialable ones as E.164 digits, the others as
  received), email, turf, support_level, not_in_latest_file.
* ``FULL_EXPORT_COLUMNS`` ("full"): the default set followed by every other stored voter-file
  field: birth_date, sex, race, ethnicity, registration_date, status (voter status), cd, sd,
  hd, mail_address, mail_city, mail_state, mail_zip. Dates are ISO 8601.

Columns that show a field the actor's role may not see (fieldcrm.contacts.visibility) are left
out of that actor's file. Spreadsheet safety and encoding follow fieldcrm.lib.csvsafe.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Any, Final

import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact, ContactEmail, ContactPhone
from fieldcrm.contacts.queries import ContactFilters, filter_clauses
from fieldcrm.contacts.visibility import visible_columns
from fieldcrm.exports import check_export, record_export
from fieldcrm.extensions import db
from fieldcrm.lib.csvsafe import phone_cell, write_csv
from fieldcrm.scoping import contact_scope
from fieldcrm.turf.models import Turf

EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "contact_id", "source", "voter_id", "first_name", "middle_name", "last_name", "suffix",
    "birth_year", "party", "address", "unit", "city", "state", "zip5", "zip4", "county",
    "precinct_code", "precinct_name", "phone", "phones", "email", "turf", "support_level",
    "not_in_latest_file",
)  # fmt: skip
FULL_EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    *EXPORT_COLUMNS,
    "birth_date", "sex", "race", "ethnicity", "registration_date", "status", "cd", "sd", "hd",
    "mail_address", "mail_city", "mail_state", "mail_zip",
)  # fmt: skip
COLUMN_SETS: Final = {"default": EXPORT_COLUMNS, "full": FULL_EXPORT_COLUMNS}
PHONE_COLUMNS: Final = ("phone",)
CHUNK = 5000

# Export column -> the stored Contact column it shows as it is (the API reads these too).
STORED_COLUMNS: Final = {
    "contact_id": Contact.id,
    "source": Contact.source,
    "voter_id": Contact.voter_id,
    "first_name": Contact.first_name,
    "middle_name": Contact.middle_name,
    "last_name": Contact.last_name,
    "suffix": Contact.name_suffix,
    "birth_year": Contact.birth_year,
    "party": Contact.party,
    "address": Contact.res_line1,
    "unit": Contact.res_unit,
    "city": Contact.res_city,
    "state": Contact.res_state,
    "zip5": Contact.res_zip5,
    "zip4": Contact.res_zip4,
    "county": Contact.county,
    "precinct_code": Contact.precinct_code,
    "precinct_name": Contact.precinct_name,
    "support_level": Contact.support_level,
    "not_in_latest_file": Contact.not_in_latest_file,
    "birth_date": Contact.birth_date,
    "sex": Contact.sex,
    "race": Contact.race,
    "ethnicity": Contact.ethnicity,
    "registration_date": Contact.registration_date,
    "status": Contact.voter_status,
    "cd": Contact.cd,
    "sd": Contact.sd,
    "hd": Contact.hd,
    "mail_address": Contact.mail_line1,
    "mail_city": Contact.mail_city,
    "mail_state": Contact.mail_state,
    "mail_zip": Contact.mail_zip,
}
# Columns computed from phones, emails and turfs (see export_rows).
DERIVED_COLUMNS: Final = ("phone", "phones", "email", "turf")
# one definition per column
if set(FULL_EXPORT_COLUMNS) != set(STORED_COLUMNS) | set(DERIVED_COLUMNS):
    raise RuntimeError("every export column needs exactly one definition")


def columns_for(actor: User | None, column_set: str = "default") -> tuple[str, ...]:
    """The columns of `column_set` ("default" or "full") that `actor` may see.

    Raises ValueError for an unknown set name.
    """
    if column_set not in COLUMN_SETS:
        raise ValueError(f"unknown column set {column_set!r}: use default or full")
    return visible_columns(actor, COLUMN_SETS[column_set])


def _where(actor: User | None, filters: ContactFilters | None) -> list[sa.ColumnElement[bool]]:
    """Admins from the CLI (actor None) export everything; anyone else their scope."""
    clauses = [sa.true() if actor is None else contact_scope(actor)]
    return clauses + (filter_clauses(filters) if filters else [])


def count_contacts(actor: User | None, filters: ContactFilters | None = None) -> int:
    """How many contacts the export would hold."""
    stmt = sa.select(sa.func.count(Contact.id)).where(*_where(actor, filters))
    return db.session.scalar(stmt) or 0


def best_phone(phones: list[tuple]) -> str | None:
    """The Contact.best_phone rule on plain rows: manual, then cell, then any dialable."""
    usable = [p for p in phones if p[2] and p[1] and not p[5]]
    usable.sort(key=lambda p: (p[4] != "manual", p[3] != "cell", p[0]))
    return usable[0][1] if usable else None


def export_rows(
    actor: User | None,
    columns: Sequence[str] = EXPORT_COLUMNS,
    filters: ContactFilters | None = None,
) -> Iterator[list[Any]]:
    """Rows in `columns` order, contacts by id, loaded CHUNK at a time (no ORM objects)."""
    unknown = set(columns) - set(FULL_EXPORT_COLUMNS)
    if unknown:
        raise ValueError(f"unknown export columns: {sorted(unknown)}")
    stored = [c for c in columns if c in STORED_COLUMNS]
    selected = [Contact.id, Contact.turf_id, *(STORED_COLUMNS[c] for c in stored)]
    position = {name: i + 2 for i, name in enumerate(stored)}
    turfs = dict(db.session.execute(sa.select(Turf.id, Turf.name)).all())
    where = _where(actor, filters)
    last_id = 0
    while True:
        batch = db.session.execute(
            sa.select(*selected)
            .where(*where, Contact.id > last_id)
            .order_by(Contact.id)
            .limit(CHUNK)
        ).all()
        if not batch:
            return
        ids = [row[0] for row in batch]
        last_id = ids[-1]
        phones, emails = phones_by_contact(ids), emails_by_contact(ids)
        for row in batch:
            own = phones.get(row[0], [])
            derived = {
                "phone": best_phone(own),
                "phones": listed_phones(own),
                "email": emails.get(row[0]),
                "turf": turfs.get(row[1]),
            }
            yield [derived[c] if c in derived else row[position[c]] for c in columns]


def phones_by_contact(ids: list[int]) -> dict[int, list[tuple]]:
    """Each contact's phones as (id, e164, valid, kind, source, do_not_call, raw), by id."""
    phones: dict[int, list[tuple]] = {}
    for row in db.session.execute(
        sa.select(
            ContactPhone.contact_id,
            ContactPhone.id,
            ContactPhone.e164,
            ContactPhone.valid,
            ContactPhone.kind,
            ContactPhone.source,
            ContactPhone.do_not_call,
            ContactPhone.raw,
        )  # fmt: skip
        .where(ContactPhone.contact_id.in_(ids))
        .order_by(ContactPhone.id)
    ):
        phones.setdefault(row[0], []).append(tuple(row[1:]))
    return phones


def _callable(own: list[tuple]) -> Iterator[tuple[str, bool]]:
    """(value, is E.164) of each phone that may be called: dialable ones in E.164, the
    others as received."""
    for p in own:
        if not p[5]:
            yield (p[1], True) if p[2] and p[1] else (p[6], False)


def phone_values(own: list[tuple]) -> list[str]:
    """Every phone that may be called (the `phones` column as a list: the API's)."""
    return [value for value, _e164 in _callable(own)]


def listed_phones(own: list[tuple]) -> str | None:
    """The `phones` column: every phone that may be called, "; " between them."""
    listed = "; ".join(phone_cell(v) if e164 else v for v, e164 in _callable(own))
    return listed or None


def emails_by_contact(ids: list[int]) -> dict[int, str]:
    """Each contact's first email, by contact id."""
    emails: dict[int, str] = {}
    for contact_id, email in db.session.execute(
        sa.select(ContactEmail.contact_id, ContactEmail.email)
        .where(ContactEmail.contact_id.in_(ids))
        .order_by(ContactEmail.id)
    ):
        emails.setdefault(contact_id, email)
    return emails


def prepare_export(
    actor: User | None,
    column_set: str = "default",
    filters: ContactFilters | None = None,
    *,
    authenticated_at: float | None = None,
) -> tuple[tuple[str, ...], int]:
    """Check an export before any byte is written: (columns, row count).

    Raises ValueError for an unknown column set, PermissionDenied over the actor's limit, and
    ReauthRequired when a large export needs the password again (fieldcrm.exports).
    """
    columns = columns_for(actor, column_set)
    total = count_contacts(actor, filters)
    if actor is not None:
        check_export(actor, total, "contacts", authenticated_at=authenticated_at)
    return columns, total


def export_contacts(
    actor: User | None,
    fileobj: IO[str],
    column_set: str = "default",
    filters: ContactFilters | None = None,
    *,
    excel: bool = False,
) -> int:
    """Write the contacts CSV to `fileobj` (the CLI); returns the row count.

    Raises PermissionDenied when the actor's export limit is exceeded. Audits the export.
    """
    columns, _total = prepare_export(actor, column_set, filters)
    written = write_csv(
        fileobj, columns, export_rows(actor, columns, filters), PHONE_COLUMNS, excel=excel
    )
    record_export(
        actor, "contacts", written, scope="all" if actor is None else actor.role, columns=column_set
    )
    return written
