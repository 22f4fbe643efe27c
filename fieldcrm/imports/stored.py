"""What is stored for the contacts a file would update: their values, phones and emails, read
through the session's own DB-API connection (plain rows, no ORM objects), and whether a
row's carried values really differ from them (fieldcrm.imports.changes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fieldcrm.extensions import db
from fieldcrm.imports.changes import Carried, Verdicts, compare_rows, phone_keys


def stored_values(raw: Any, dialect: str, ids: list[int], columns: list[str]) -> dict[int, tuple]:
    """Stored values of these contacts' columns (in that order) by id, as the driver returns
    them (plain DB-API rows: no ORM objects)."""
    out: dict[int, tuple] = {}
    if not ids:
        return out
    select = f"SELECT id, {', '.join(columns)} FROM contacts"  # noqa: S608 - our columns
    for row in _fetch_by_ids(raw, dialect, select, "id", ids):
        out[row[0]] = row[1:]
    return out


def _fetch_by_ids(raw: Any, dialect: str, select: str, key: str, ids: list[int]) -> list[tuple]:
    rows: list[tuple] = []
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute(f"{select} WHERE {key} = ANY(%s)", (ids,))
            return list(cursor.fetchall())
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            part = ids[start : start + 900]
            cursor.execute(f"{select} WHERE {key} IN ({', '.join('?' for _ in part)})", part)
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    return rows


def stored_children(
    raw: Any, dialect: str, ids: list[int], phones: bool, emails: bool
) -> tuple[list[list[tuple]], list[list[tuple]]]:
    """Phones (id, identity, source, do_not_call) and emails (id, email, source) of these
    contacts, as lists aligned with ``ids`` (empty when not asked for)."""
    at = {contact_id: i for i, contact_id in enumerate(ids)}
    phone_lists: list[list[tuple]] = [[] for _ in ids]
    email_lists: list[list[tuple]] = [[] for _ in ids]
    if phones:
        rows = _fetch_by_ids(
            raw, dialect,
            "SELECT contact_id, id, e164, raw, source, do_not_call FROM contact_phones",
            "contact_id", ids,
        )  # fmt: skip
        for contact_id, pid, e164, raw_text, source, dnc in rows:
            key = e164 if e164 else str(raw_text)[:40]
            phone_lists[at[contact_id]].append((pid, key, source, bool(dnc)))
    if emails:
        rows = _fetch_by_ids(
            raw, dialect, "SELECT contact_id, id, email, source FROM contact_emails",
            "contact_id", ids,
        )  # fmt: skip
        for contact_id, eid, email, source in rows:
            email_lists[at[contact_id]].append((eid, email, source))
    return phone_lists, email_lists


def compare_with_stored(
    frame: pd.DataFrame,
    phones: pd.DataFrame,
    ids: list[int],
    carried: Carried,
    stored_hashes: np.ndarray,
) -> Verdicts:
    """For rows of existing contacts whose hash differs: does a carried, normalised value
    really differ from what is stored, and what do their phones and emails need?

    Rows whose stored hash carries this file's tag are changed without reading their values
    (see fieldcrm.imports.changes).
    """
    tag = carried.tag()
    assumed = np.fromiter((h.startswith(tag) for h in stored_hashes), bool, len(ids))
    from fieldcrm.imports.writers import contact_values, pylist

    connection = db.session.connection()
    dialect = connection.dialect.name
    raw = connection.connection.driver_connection
    columns = [*carried.compared, *carried.fill]
    compared_ids = [i for i, skip in zip(ids, assumed, strict=True) if not skip]
    stored = stored_values(raw, dialect, compared_ids, columns)
    rows = [stored[i] for i in compared_ids]
    stored_columns = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    values = contact_values(frame[~assumed], dialect, columns)
    stored_phones, stored_emails = stored_children(raw, dialect, ids, carried.phones, carried.email)
    by_line: dict[int, set[str]] = {}
    if carried.phones and len(phones):
        keys = phone_keys(pylist(phones["e164"]), pylist(phones["raw"]), phones["dialable"])
        for line, key in zip(pylist(phones["line"]), keys, strict=True):
            by_line.setdefault(line, set()).add(key)
    empty: set[str] = set()
    return compare_rows(
        carried,
        assumed,
        [values[c] for c in columns],
        stored_columns,
        [by_line.get(line, empty) for line in pylist(frame["line"])],
        pylist(frame["email"]) if carried.email else [None] * len(frame),
        stored_phones,
        stored_emails,
    )
