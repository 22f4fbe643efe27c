"""Planning a chunk: what each normalised row does to the database (reads, never writes).

Decisions (README "Voter-file imports"):

* **Key.** Contacts are keyed on (source, voter id). A row with no voter id (a hand-made
  spreadsheet keyed by names) gets a stable synthetic id: ``~`` plus a digest of its names,
  birth year and household key, so re-importing the same sheet updates the same people.
* **Change detection.** ``Contact.vf_hash`` stores the row hash of the file row that last
  wrote the contact: a digest of its normalised carried values, tagged with the set of columns
  the file carries (fieldcrm.imports.changes). Equal hash: *unchanged*, not written. A
  different hash with the same tag: *updated*. Any other difference (a file of another shape,
  a hash of an older version) is settled by comparing the carried values, phones and emails
  with what is stored; rows found equal are unchanged (an older-version hash is replaced).
  An update writes only the columns the file carries (fill columns such as coordinates only
  where the file has a value) and syncs phones and emails the file carries; organizer data
  (manual phones, do-not-call flags, support level, ladder stage, notes, tags, owner,
  do-not-contact) is never touched. Inserted and updated contacts get
  ``last_import_batch_id``; unchanged ones are not written, which keeps a re-import of an
  unchanged statewide file cheap.
* **Duplicates.** A voter id repeated inside one file: the first row wins, later ones are
  counted as duplicates and listed (kind "duplicate") with their line numbers.
* **Other sources.** Voter ids a file would add that another source already holds are
  counted, so the check can warn and the command line can ask before writing them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports import reading
from fieldcrm.imports.changes import HASH_LENGTH, MAPPED_KEYS, Carried, carried_columns, phone_keys
from fieldcrm.imports.known import KnownContacts
from fieldcrm.imports.stored import compare_with_stored

#: what a plan made without a file's mapping writes: every column, phone and email
EVERYTHING = carried_columns(
    dict.fromkeys([*MAPPED_KEYS, "latitude", "longitude", "email", "phone"]), None
)


@dataclass
class ChunkPlan:
    """What a chunk (or a part of one) does: rows to insert, update, un-mark, its accounting.

    Every row read is in exactly one of inserts, updates, unchanged, rejects, duplicates; the
    line fields let the run cut a plan into parts by row position.
    """

    inserts: pd.DataFrame
    updates: pd.DataFrame  # with contact id in "contact_id"
    unmark_ids: list[int]
    phones: pd.DataFrame
    rejects: list[reading.RowError]
    duplicates: list[tuple[int, str, str]]  # (line, member, voter id)
    unchanged: int
    warnings: Counter
    rows_read: int
    unchanged_lines: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    unmark_lines: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    #: file position: the first row's index (over all members) and the chunk it belongs to
    start_row: int = 0
    chunk_start_row: int = 0
    ends_chunk: bool = True
    #: what the file carries: the columns an update writes, how phones and emails change
    carried: Carried = field(default_factory=lambda: EVERYTHING)
    #: unchanged rows whose stored hash is of an older version: (contact id, new hash), and
    #: their lines; only the hash is written, so the next re-import needs no comparing
    rehash: list[tuple[int, str]] = field(default_factory=list)
    rehash_lines: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))


def _synthetic_ids(frame: pd.DataFrame) -> pd.Series:
    parts = ["first_name", "middle_name", "last_name", "name_suffix", "household_key"]
    text = frame[parts[0]].fillna("").str.upper()
    for part in parts[1:]:
        text = text + "|" + frame[part].fillna("").str.upper()
    text = text + "|" + frame["birth_year"].astype("string").fillna("")
    return pd.Series(
        ["~" + hashlib.sha1(t.encode()).hexdigest()[:20] for t in text],  # noqa: S324 - a key
        index=frame.index,
        dtype="string",
    )


def plan_chunk(chunk: reading.Chunk, known: KnownContacts) -> ChunkPlan:
    """Classify a chunk's rows against the known contacts; updates `known.seen`."""
    frame = chunk.frame
    rejects = list(chunk.rejects)
    warnings = Counter(chunk.warnings)
    if len(frame) and frame["record_source"].notna().any():
        # FieldCRM's own export lists each contact's source: a contact of another source
        # (or one entered by hand) must not become a contact of this one
        other = frame["record_source"].notna() & (frame["record_source"] != known.source)
        other = other.to_numpy(dtype=bool)
        if other.any():
            for line, member, source in zip(
                frame["line"][other], frame["member"][other], frame["record_source"][other],
                strict=True,
            ):  # fmt: skip
                reason = (
                    f"exported from source {source!r}, not {known.source!r}: "
                    "import it under its own source"
                )
                rejects.append(reading.RowError(int(line), str(member), reason, ""))
            frame = frame[~other]
    if len(frame):
        missing_id = frame["voter_id"].isna()
        if missing_id.any():
            frame = frame.copy()
            frame.loc[missing_id, "voter_id"] = _synthetic_ids(frame[missing_id])
            warnings["synthetic_voter_id"] += int(missing_id.sum())
    if known.match_more is not None:
        known.match_more(frame, known)
    voter_ids = frame["voter_id"]
    in_chunk_dup = voter_ids.duplicated(keep="first").to_numpy()
    pos = known.positions(voter_ids)
    existing = pos >= 0
    earlier = np.zeros(len(frame), dtype=bool)
    earlier[existing] = known.seen[pos[existing]]
    if (~existing).any():
        earlier[~existing] = known.earlier_new(voter_ids[~existing])
    dup = in_chunk_dup | earlier
    skipped = _Skipped.of(chunk, frame, pos, known)
    dup[skipped.frame_rows] |= skipped.frame_dup
    duplicates = [
        (int(line), str(member), str(vid))
        for line, member, vid in zip(
            frame["line"][dup], frame["member"][dup], voter_ids[dup], strict=True
        )
    ]
    if skipped.dup.any():
        duplicates = sorted([*duplicates, *skipped.duplicates(chunk.member, known)])
    keep = ~dup
    known.mark_seen(voter_ids[keep], pos[keep])
    known.seen[skipped.pos[~skipped.dup]] = True
    new_mask = keep & ~existing
    old_mask = keep & existing
    old_pos = pos[old_mask]
    changed_sub = known.hash_differs(old_pos, frame["row_hash"][old_mask])
    changed_mask = old_mask.copy()
    changed_mask[old_mask] = changed_sub
    unchanged_mask = old_mask.copy()
    unchanged_mask[old_mask] = ~changed_sub
    # A different hash from a file of another shape (or an older version) is not yet a
    # change: those rows' carried values are compared with what is stored.
    carried = chunk.carried or EVERYTHING
    candidates = np.flatnonzero(changed_mask)
    updates = frame.iloc[candidates].copy()
    updates["contact_id"] = known.ids[pos[candidates]]
    phones = chunk.phones
    rehash: list[tuple[int, str]] = []
    rehash_lines = np.empty(0, np.int64)
    if len(candidates):
        cand_lines = set(updates["line"].tolist())
        cand_phones = phones[phones["line"].isin(cand_lines)] if len(phones) else phones
        stored_hashes = known.hashes_at(pos[candidates])
        verdicts = compare_with_stored(
            updates, cand_phones, updates["contact_id"].tolist(), carried, stored_hashes
        )
        really = verdicts.changed
        # unchanged, but the stored hash is of an older version: store this file's hash
        legacy = ~really & np.array([len(h) != HASH_LENGTH for h in stored_hashes], dtype=bool)
        if legacy.any():
            rehash = list(
                zip(
                    updates["contact_id"][legacy].tolist(),
                    updates["row_hash"][legacy].tolist(),
                    strict=True,
                )
            )
            rehash_lines = updates["line"].to_numpy(dtype=np.int64)[legacy]
        changed_mask[candidates[~really]] = False
        unchanged_mask[candidates[~really]] = True
        updates["phone_deletes"] = verdicts.phone_deletes
        updates["email_deletes"] = verdicts.email_deletes
        updates["insert_email"] = verdicts.insert_email
        new_by_line = {
            line: new
            for line, new, keep in zip(
                updates["line"].tolist(), verdicts.new_phones, really, strict=True
            )
            if keep
        }
        updates = updates[really]
        if len(phones):
            phones = _phones_to_write(phones, cand_lines, new_by_line)
    unchanged_pos = np.concatenate([pos[unchanged_mask], skipped.pos[~skipped.dup]])
    unchanged_lines = np.concatenate(
        [frame["line"].to_numpy(dtype=np.int64)[unchanged_mask], skipped.lines[~skipped.dup]]
    )
    if len(skipped.pos):
        by_line = np.argsort(unchanged_lines, kind="stable")
        unchanged_pos, unchanged_lines = unchanged_pos[by_line], unchanged_lines[by_line]
    unmark_sel = known.flagged[unchanged_pos]
    unmark_ids = known.ids[unchanged_pos][unmark_sel].tolist()
    written_lines = set(frame["line"][new_mask | changed_mask].tolist())
    if len(phones):
        phones = phones[phones["line"].isin(written_lines)]
    if duplicates:
        warnings["duplicate_voter_id"] += len(duplicates)
    return ChunkPlan(
        inserts=frame[new_mask],
        updates=updates,
        unmark_ids=unmark_ids,
        phones=phones,
        rejects=sorted(rejects, key=lambda r: (r.member, r.line)),
        duplicates=duplicates,
        unchanged=len(unchanged_lines),
        warnings=warnings,
        rows_read=chunk.rows_read,
        unchanged_lines=unchanged_lines,
        unmark_lines=unchanged_lines[unmark_sel],
        start_row=chunk.start_row,
        chunk_start_row=chunk.start_row,
        carried=carried,
        rehash=rehash,
        rehash_lines=rehash_lines,
    )


@dataclass
class _Skipped:
    """A chunk's rows passed on unparsed (``Chunk.skipped_lines``): known contacts whose
    stored line they are, so unchanged unless a voter id repeats. The first row of a voter
    id wins, counted in line order over these rows and the parsed ones."""

    lines: np.ndarray
    pos: np.ndarray
    #: which of these rows repeat a voter id met on an earlier line (or an earlier chunk)
    dup: np.ndarray
    #: the parsed rows of known voters (frame row numbers), and which of them repeat a
    #: voter id first met on a skipped row
    frame_rows: np.ndarray
    frame_dup: np.ndarray

    @classmethod
    def of(
        cls, chunk: reading.Chunk, frame: pd.DataFrame, pos: np.ndarray, known: KnownContacts
    ) -> _Skipped:
        lines = np.asarray(chunk.skipped_lines, dtype=np.int64)
        at = np.asarray(chunk.skipped_pos, dtype=np.int64)
        none = np.empty(0, np.int64)
        if not len(at):
            return cls(lines, at, np.zeros(0, bool), none, np.zeros(0, bool))
        rows = np.flatnonzero(pos >= 0)
        both_pos = np.concatenate([pos[rows], at])
        both_lines = np.concatenate([frame["line"].to_numpy(dtype=np.int64)[rows], lines])
        order = np.argsort(both_lines, kind="stable")
        again = np.empty(len(both_pos), dtype=bool)
        in_order = both_pos[order]
        again[order] = pd.Series(in_order).duplicated().to_numpy() | known.seen[in_order]
        return cls(lines, at, again[len(rows) :], rows, again[: len(rows)])

    def duplicates(self, member: str, known: KnownContacts) -> list[tuple[int, str, str]]:
        at = self.pos[self.dup]
        voter_ids = known.voter_ids.take(pa.array(at, pa.int64())).to_pylist()
        return [
            (int(line), member, str(vid))
            for line, vid in zip(self.lines[self.dup].tolist(), voter_ids, strict=True)
        ]


def _phones_to_write(
    phones: pd.DataFrame, candidate_lines: set[int], new_by_line: dict[int, set[str]]
) -> pd.DataFrame:
    """A chunk's phones minus, for existing contacts, every phone they already have (one
    row per new phone identity; contacts left unchanged get none)."""
    keys = phone_keys(phones["e164"].tolist(), phones["raw"].tolist(), phones["dialable"])
    keep = np.zeros(len(phones), dtype=bool)
    taken: set[tuple[int, str]] = set()
    for i, (line, key) in enumerate(zip(phones["line"].tolist(), keys, strict=True)):
        if line not in candidate_lines:
            keep[i] = True
        elif key in new_by_line.get(line, ()) and (line, key) not in taken:
            keep[i] = True
            taken.add((line, key))
    return phones[keep]


def split_plan(
    plan: ChunkPlan, numbers: np.ndarray, *, skip_rows: int = 0, max_writes: int | None = None
) -> list[ChunkPlan]:
    """Cut a chunk's plan into parts by row position, each writing at most ``max_writes``
    rows (inserts plus updates); rows before position ``skip_rows`` are left out.

    ``numbers`` is the chunk's line number per row (Chunk.numbers). The chunk's warnings go
    with its first row's part, so a part list that skips rows carries none (they were
    counted when that first part was committed).
    """
    if not skip_rows and max_writes is None:
        return [plan]
    total = len(numbers)

    def where(lines: Any) -> np.ndarray:
        return np.searchsorted(numbers, np.asarray(lines, dtype=np.int64))

    ins, upd = where(plan.inserts["line"]), where(plan.updates["line"])
    written = np.sort(np.concatenate([ins, upd]))
    written = written[written >= skip_rows]
    cuts = [skip_rows]
    if max_writes:
        cuts += [int(c) for c in written[max_writes::max_writes] if c > skip_rows]
    cuts.append(total)
    phone_at = where(plan.phones["line"]) if len(plan.phones) else np.empty(0, np.int64)
    reject_at = where([r.line for r in plan.rejects])
    dup_at = where([d[0] for d in plan.duplicates])
    unchanged_at, unmark_at = where(plan.unchanged_lines), where(plan.unmark_lines)
    rehash_at = where(plan.rehash_lines)
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b <= a:
            continue
        unchanged = (unchanged_at >= a) & (unchanged_at < b)
        unmark = (unmark_at >= a) & (unmark_at < b)
        parts.append(
            ChunkPlan(
                inserts=plan.inserts[(ins >= a) & (ins < b)],
                updates=plan.updates[(upd >= a) & (upd < b)],
                unmark_ids=[i for i, keep in zip(plan.unmark_ids, unmark, strict=True) if keep],
                phones=plan.phones[(phone_at >= a) & (phone_at < b)],
                rejects=[r for r, at in zip(plan.rejects, reject_at, strict=True) if a <= at < b],
                duplicates=[
                    d for d, at in zip(plan.duplicates, dup_at, strict=True) if a <= at < b
                ],
                unchanged=int(unchanged.sum()),
                warnings=plan.warnings if a == 0 else Counter(),
                rows_read=b - a,
                unchanged_lines=plan.unchanged_lines[unchanged],
                unmark_lines=plan.unmark_lines[unmark],
                start_row=plan.chunk_start_row + a,
                chunk_start_row=plan.chunk_start_row,
                ends_chunk=b == total,
                carried=plan.carried,
                rehash=[r for r, at in zip(plan.rehash, rehash_at, strict=True) if a <= at < b],
                rehash_lines=plan.rehash_lines[(rehash_at >= a) & (rehash_at < b)],
            )
        )
    return parts


def other_sources(source: str) -> list[str]:
    """The sources other than ``source`` holding contacts with voter ids."""
    return list(
        db.session.scalars(
            sa.select(Contact.source)
            .where(Contact.source != source, Contact.voter_id.is_not(None))
            .distinct()
        )
    )


def other_source_counts(others: list[str], plan: ChunkPlan, chunk: reading.Chunk) -> Counter[str]:
    """How many voter ids a planned chunk would add that each other source already holds:
    only ids the file itself gives (not the keys made up for rows without one; a "~" key
    in the file is FieldCRM's own, from its contacts export)."""
    if not others or not len(plan.inserts):
        return Counter()
    new_ids = plan.inserts["voter_id"]
    return _count_under_sources(others, new_ids[new_ids.isin(chunk.frame["voter_id"].dropna())])


def _count_under_sources(sources: list[str], voter_ids: pd.Series) -> Counter[str]:
    """How many of these voter ids each source already holds."""
    ids = voter_ids.dropna().unique().tolist()
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        for source in sources:
            found = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Contact)
                .where(Contact.source == source, Contact.voter_id.in_(part))
            )
            if found:
                counts[source] += int(found)
    return counts
