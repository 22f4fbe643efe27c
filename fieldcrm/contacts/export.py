"""Contacts export: the documented CSV columns, scoped, streamed in chunks (README "Exports").

Columns (EXPORT_COLUMNS): contact_id, source, voter_id, first_name, middle_name, last_name,
suffix, birth_year, party, address, city, state, zip5, county, precinct_code, precinct_name,
phone (the best dialable phone, E.164 digits without the "+"), phones (every phone, "; "
between them, dialable ones as E.164 digits, the others as received), email, turf,
support_level, not_in_latest_file.

Spreadsheet safety follows fieldcrm.lib.csvsafe: no cell can run as a formula; phone numbers are
written as their E.164 digits without the leading "+" (so ``+13365551234`` is ``13365551234``),
which is never a formula and keeps the country code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import sqlalchemy as sa

from fieldcrm.auth.models import User
from fieldcrm.contacts.models import Contact, ContactEmail, ContactPhone
from fieldcrm.exports import check_export, record_export
from fieldcrm.extensions import db
from fieldcrm.lib.csvsafe import phone_cell, write_csv
from fieldcrm.scoping import contact_scope
from fieldcrm.turf.models import Turf

EXPORT_COLUMNS: tuple[str, ...] = (
    "contact_id", "source", "voter_id", "first_name", "middle_name", "last_name", "suffix",
    "birth_year", "party", "address", "city", "state", "zip5", "county", "precinct_code",
    "precinct_name", "phone", "phones", "email", "turf", "support_level", "not_in_latest_file",
)  # fmt: skip
CHUNK = 5000

_SELECTED = (
    Contact.id, Contact.source, Contact.voter_id, Contact.first_name, Contact.middle_name,
    Contact.last_name, Contact.name_suffix, Contact.birth_year, Contact.party,
    Contact.res_line1, Contact.res_city, Contact.res_state, Contact.res_zip5, Contact.county,
    Contact.precinct_code, Contact.precinct_name, Contact.turf_id, Contact.support_level,
    Contact.not_in_latest_file,
)  # fmt: skip


def _where(actor: User | None) -> sa.ColumnElement[bool]:
    """Admins from the CLI (actor None) export everything; anyone else their scope."""
    return sa.true() if actor is None else contact_scope(actor)


def count_contacts(actor: User | None) -> int:
    """How many contacts the export would hold."""
    return db.session.scalar(sa.select(sa.func.count(Contact.id)).where(_where(actor))) or 0


def _best_phone(phones: list[tuple]) -> str | None:
    """The Contact.best_phone rule on plain rows: manual, then cell, then any dialable."""
    usable = [p for p in phones if p[2] and p[1] and not p[5]]
    usable.sort(key=lambda p: (p[4] != "manual", p[3] != "cell", p[0]))
    return usable[0][1] if usable else None


def export_rows(actor: User | None) -> Iterator[tuple[Any, ...]]:
    """Rows in EXPORT_COLUMNS order, contacts by id, loaded CHUNK at a time (no ORM objects)."""
    turfs = dict(db.session.execute(sa.select(Turf.id, Turf.name)).all())
    last_id = 0
    while True:
        batch = db.session.execute(
            sa.select(*_SELECTED)
            .where(_where(actor), Contact.id > last_id)
            .order_by(Contact.id)
            .limit(CHUNK)
        ).all()
        if not batch:
            return
        ids = [row[0] for row in batch]
        last_id = ids[-1]
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
        emails: dict[int, str] = {}
        for contact_id, email in db.session.execute(
            sa.select(ContactEmail.contact_id, ContactEmail.email)
            .where(ContactEmail.contact_id.in_(ids))
            .order_by(ContactEmail.id)
        ):
            emails.setdefault(contact_id, email)
        for row in batch:
            own = phones.get(row[0], [])
            listed = "; ".join(phone_cell(p[1]) if p[2] and p[1] else p[6] for p in own if not p[5])
            yield (
                row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                row[9], row[10], row[11], row[12], row[13], row[14], row[15],
                _best_phone(own), listed or None, emails.get(row[0]),
                turfs.get(row[16]), row[17], row[18],
            )  # fmt: skip


def export_contacts(actor: User | None, fileobj: IO[str]) -> int:
    """Write the contacts CSV to `fileobj`; returns the row count.

    Raises PermissionDenied when the actor's export limit is exceeded. Audits the export.
    """
    total = count_contacts(actor)
    if actor is not None:
        check_export(actor, total, "contacts")
    written = write_csv(fileobj, EXPORT_COLUMNS, export_rows(actor), phone_columns=("phone",))
    record_export(actor, "contacts", written, scope="all" if actor is None else actor.role)
    return written
