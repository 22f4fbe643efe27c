"""What a voter file carries, and whether a row changes what is stored (no database access).

A file updates only what it carries. ``carried_columns`` turns a resolved column mapping into
the contact columns the file owns:

* **compared**: columns the file has, written as the file says (a blank cell clears the value)
  and compared to decide whether a row changed;
* **derived**: computed from compared columns (display name, search keys, house number,
  street name, household key, and the apartment parsed off the address line when there is no unit
  column); never compared on their own, and written only when a column they are computed
  from changed;
* **fill**: written only where the file has a value (coordinates, and ZIP+4 split off a
  9-digit ZIP when the file has no ZIP+4 column), so a file without one never clears what a
  geocoder or an earlier file stored.

Phones and emails count only when the file maps a phone or email column. Columns a file does
not carry are never written, so a re-import never blanks what an earlier file (or FieldCRM
itself) stored there.

``row_hashes`` digests a row's normalised carried values (not its raw line), so line endings,
quoting and extra unmapped columns never make a row look changed. The digest is keyed by which
columns were carried and starts with a tag naming them. A row whose digest differs from the one
stored by a file of the same shape (same tag) has changed; any other difference (a file of
another shape, a digest stored by an older version) is settled by comparing the carried values
with what is stored (``compare_rows``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fieldcrm.contacts.record import KEY_COLUMNS, frame_column
from fieldcrm.imports.layouts import PHONE_KINDS, Layout

#: Bump when the hashed values or their normalisation change: every row is then compared
#: value by value once (and rewritten only where a value really differs).
HASH_VERSION = "2"
#: a row hash is the carried set's tag (8 hex digits), then 16 hex digits; a stored hash of
#: another length is of an older version
HASH_LENGTH = 24
_NULL = "\x00"

#: derived column -> the columns it is computed from; an update writes it only when one of
#: those changed (so a row updated for its party keeps an apartment another file gave)
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "display_name": ("first_name", "last_name", "name_suffix"),
    "search_name": ("first_name", "last_name"),
    "search_first": ("first_name",),
    "search_surname": ("last_name",),
    "res_house_number": ("res_line1",),
    "res_street_name": ("res_line1",),
    "res_unit": ("res_line1",),  # parsed off the address line when there is no unit column
    "household_key": ("res_line1", "res_unit", "res_zip5"),
}
#: mapping keys that carry contact columns
MAPPED_KEYS = tuple(KEY_COLUMNS)


@dataclass(frozen=True)
class Carried:
    """The contact columns (and children) one file carries; see the module docstring."""

    compared: tuple[str, ...]
    derived: tuple[str, ...] = ()
    fill: tuple[str, ...] = ()
    phones: bool = False
    email: bool = False
    #: phones and emails are only added, never removed (FieldCRM's own export lists a
    #: projection of them: no do-not-call phones, one email)
    additive: bool = False

    def sources(self, column: str) -> tuple[str, ...]:
        """The compared columns a derived column is computed from."""
        return tuple(c for c in DERIVED_FROM.get(column, ()) if c in self.compared)

    @property
    def written(self) -> tuple[str, ...]:
        """Every contact column an update may write, compared first."""
        return (*self.compared, *self.derived, *self.fill)

    def tag(self) -> str:
        """Eight hex digits naming this set of columns; every row hash starts with it."""
        return self.hash_key()[:8]

    def hash_key(self) -> str:
        """The SipHash key for this set of columns: 16 hex digits of a digest of it."""
        text = f"{HASH_VERSION}|{self!r}".encode()
        return hashlib.blake2b(text, digest_size=8).hexdigest()


def carried_columns(mapping: Mapping[str, object], layout: Layout | None) -> Carried:
    """The columns a file with this resolved mapping carries."""
    mapping = {key: value for key, value in mapping.items() if value is not None}
    if "full_name" in mapping:  # split into the name parts the file leaves blank
        for key in ("first_name", "middle_name", "last_name", "name_suffix"):
            mapping.setdefault(key, mapping["full_name"])
    compared: dict[str, None] = {}
    for key in mapping:
        for column in KEY_COLUMNS.get(key, ()):
            compared[column] = None
    if layout is not None and layout.default_state:
        compared["res_state"] = None
    derived: list[str] = []
    if "first_name" in mapping and "last_name" in mapping:
        derived += ["display_name", "search_name", "search_first", "search_surname"]
    if "res_line1" in mapping:
        derived += ["res_house_number", "res_street_name", "household_key"]
        if "res_unit" not in mapping:
            derived.append("res_unit")
    fill: list[str] = []
    if "res_zip" in mapping and "res_zip4" not in mapping:
        fill.append("res_zip4")
    if "latitude" in mapping and "longitude" in mapping:
        fill += ["latitude", "longitude", "geo_source"]
    return Carried(
        compared=tuple(compared),
        derived=tuple(derived),
        fill=tuple(fill),
        phones=any(key in mapping for key in PHONE_KINDS),
        email="email" in mapping,
        additive=bool(layout is not None and layout.additive_children),
    )


def phone_keys(e164: Sequence[Any], raw: Sequence[Any], dialable: Sequence[Any]) -> list[str]:
    """The identity of each phone: its E.164 form when dialable, else its raw text as stored."""
    return [str(e) if d and e else str(r)[:40] for e, r, d in zip(e164, raw, dialable, strict=True)]


def row_hashes(frame: pd.DataFrame, phones: pd.DataFrame, carried: Carried) -> np.ndarray:
    """Digest per frame row of its normalised carried values (``S24`` array): the carried
    set's tag, then 16 hex digits.

    Phones (when carried) are summed per row as hashes of their identities, so their order
    in the file does not matter. pandas' SipHash with a fixed key keeps digests stable
    across runs and machines.
    """
    n = len(frame)
    if not n:
        return np.empty(0, dtype="S24")
    key = carried.hash_key()
    parts: list[Any] = []
    for column in (*carried.compared, *carried.fill):
        if column == "geo_source":
            continue
        arr = pa.array(frame[frame_column(column)].array)
        if not pa.types.is_string(arr.type):
            if pa.types.is_floating(arr.type):
                arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr)
            arr = pc.cast(arr, pa.string())
        parts.append(pc.fill_null(arr, _NULL))
    if carried.email:
        parts.append(pc.fill_null(pa.array(frame["email"].array).cast(pa.string()), _NULL))
    if not parts:
        parts.append(pa.array([""] * n, pa.string()))
    joined = pc.binary_join_element_wise(*parts, "\x1f").to_numpy(zero_copy_only=False)
    digest = pd.util.hash_array(joined.astype(object), hash_key=key, categorize=False)
    if carried.phones:
        # Mixed in even when no row of the chunk has a phone (the sums are then 0): a row's
        # hash must never depend on which other rows share its chunk.
        sums = np.zeros(n, dtype=np.uint64)
        if len(phones):
            keys = phone_keys(phones["e164"].tolist(), phones["raw"].tolist(), phones["dialable"])
            phone_hash = pd.util.hash_array(
                np.array(keys, dtype=object), hash_key=key, categorize=False
            )
            # rows of one member, in line order: find each phone's row by its line
            lines = frame["line"].to_numpy(dtype=np.int64)
            rows = np.searchsorted(lines, phones["line"].to_numpy())
            np.add.at(sums, rows, phone_hash)  # wraps around modulo 2**64, order-free
        digest = pd.util.hash_array(digest ^ (sums * np.uint64(0x9E3779B97F4A7C15)))
    hex_digits = np.frombuffer(digest.astype(">u8").tobytes().hex().encode("ascii"), "S16")
    return np.char.add(np.full(n, carried.tag().encode("ascii"), dtype="S8"), hex_digits)


@dataclass
class Verdicts:
    """For rows of existing contacts: which change what is stored, and what their phones
    and emails need (lists aligned with the rows; children only for changed rows)."""

    changed: np.ndarray
    #: phone identities to add (not yet on the contact), by row
    new_phones: list[set[str]]
    phone_deletes: list[list[int]]
    insert_email: list[bool]
    email_deletes: list[list[int]]


def changed_columns(
    carried: Carried,
    values: Mapping[str, Sequence[Any]],
    stored: Sequence[Sequence[Any]],
    tracked: Collection[str] | None = None,
) -> np.ndarray:
    """Which of the ``carried.written`` columns each updated row writes: a boolean array of
    (columns, rows), for a writer that names only those (an UPDATE rewrites every index on a
    column it names).

    ``values``: the file's values by column; ``stored``: each row's stored values of the
    ``tracked`` columns (default: all of ``carried.written``), in ``carried.written`` order;
    both in the driver's value shapes. A tracked column is written where its value differs,
    a fill column only where the file has one, and a derived column (a name key, a part of
    the address) only where a column it is computed from changes too. A column not tracked
    is written without comparing, to the same end: a compared one always, a fill one where
    the file has a value, a derived one where a column it comes from changes (those must
    be tracked). Compared column by column: a row at a time took twice as long.
    """
    written = carried.written
    tracked = set(written if tracked is None else tracked)
    for name in written:
        if name in carried.derived and not set(carried.sources(name)) <= tracked:
            raise ValueError(f"the columns {name} comes from must be tracked")
    names = [name for name in written if name in tracked]
    rows = len(stored)
    by_column = list(zip(*stored, strict=True)) if stored else [()] * len(names)
    differs: dict[str, np.ndarray] = {}
    for name, old in zip(names, by_column, strict=True):
        new = values[name]
        if name in carried.fill:
            found = [a is not None and a != b for a, b in zip(new, old, strict=True)]
        else:
            found = [a != b for a, b in zip(new, old, strict=True)]
        differs[name] = np.array(found, dtype=bool).reshape(rows)
    changed = np.zeros((len(written), rows), dtype=bool)
    for k, name in enumerate(written):
        if name in differs:
            changed[k] = differs[name]
        elif name in carried.fill:
            changed[k] = np.fromiter((a is not None for a in values[name]), bool, rows)
        elif name not in carried.derived:
            changed[k] = True
        if name in carried.derived:
            sources = [differs[s] for s in carried.sources(name) if s in differs]
            either = np.logical_or.reduce(sources) if sources else False
            changed[k] = (changed[k] & either) if name in differs else either
    return changed


def compare_rows(
    carried: Carried,
    assumed: np.ndarray,
    file_columns: Sequence[Sequence[Any]],
    stored_columns: Sequence[Sequence[Any]],
    file_phones: Sequence[set[str]],
    file_emails: Sequence[str | None],
    stored_phones: Sequence[Sequence[tuple[int, str, str, bool]]],
    stored_emails: Sequence[Sequence[tuple[int, str, str]]],
) -> Verdicts:
    """Compare rows' carried values with the stored ones, column by column.

    Rows in ``assumed`` are changed without comparing columns (their hash differs from the
    one a file of the same shape stored, so a carried value differs); the columns hold the
    other rows only, in ``carried.compared`` then ``carried.fill`` order, in the driver's value
    shapes. Stored phones are (id, identity, source, do_not_call), emails (id, email, source).
    A fill column changes only where the file has a value.
    """
    n = len(file_phones)
    changed = assumed.copy()
    compared = np.zeros(int((~assumed).sum()), dtype=bool)
    k = len(carried.compared)
    columns = [*carried.compared, *carried.fill]
    for j, (column, new, old) in enumerate(zip(columns, file_columns, stored_columns, strict=True)):
        if column == "geo_source":
            continue
        if j < k:
            differs = (a != b for a, b in zip(new, old, strict=True))
        else:
            differs = (a is not None and a != b for a, b in zip(new, old, strict=True))
        compared |= np.fromiter(differs, dtype=bool, count=len(compared))
    changed[~assumed] = compared
    new_phones: list[set[str]] = [set()] * n
    phone_deletes: list[list[int]] = [[]] * n
    if carried.phones:
        new_phones, phone_deletes = [], []
        for wanted, have in zip(file_phones, stored_phones, strict=True):
            new_phones.append(wanted - {key for _, key, _, _ in have})
            phone_deletes.append(
                []
                if carried.additive
                else [
                    pid
                    for pid, key, source, dnc in have
                    if source == "voterfile" and not dnc and key not in wanted
                ]
            )
    insert_email: list[bool] = [False] * n
    email_deletes: list[list[int]] = [[]] * n
    if carried.email:
        insert_email, email_deletes = [], []
        for email, have in zip(file_emails, stored_emails, strict=True):
            wanted = email.lower() if email else None
            insert_email.append(
                wanted is not None and wanted not in {e.lower() for _, e, _ in have}
            )
            email_deletes.append(
                []
                if carried.additive
                else [
                    eid for eid, e, source in have if source == "voterfile" and e.lower() != wanted
                ]
            )
    changed |= np.fromiter(
        (
            bool(a or b or c or d)
            for a, b, c, d in zip(new_phones, phone_deletes, insert_email, email_deletes,
                                  strict=True)
        ),
        dtype=bool,
        count=n,
    )  # fmt: skip
    return Verdicts(changed, new_phones, phone_deletes, insert_email, email_deletes)
