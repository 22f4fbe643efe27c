"""A VAN export's people matched to the contacts already here under other sources.

A MyCampaign or VoteBuilder export (layout ``van_export``: both a ``VANID`` and a ``Voter
File VANID`` column) is imported under its own source, keyed on VANID like any voter id.
Most of its people were usually imported before from the state voter file under another
source; they must stay one contact each. Before a chunk is planned, every row whose VANID is
not yet a contact of the import's source is looked for among the other sources' contacts:

1. a contact whose ``van_id`` is this VANID (matched by an earlier VAN import);
2. a contact whose ``van_id`` is this row's ``Voter File VANID`` (a VoteBuilder export
   matched it, and this MyCampaign row links to that voter-file record);
3. a contact whose voter id is this row's state voter id (``StateFileID`` and its aliases),
   in a source whose voter ids are not VANIDs, in the same state when both give one, with
   no VANID yet.

Only a single candidate is a match (two are "ambiguous" and the row becomes a new contact,
as does a row whose candidate another VANID of this file already took). A matched contact
joins the run's known contacts under the row's VANID, so the planner treats the row as an
update of that contact (phones and emails only added: the layout is additive) and a
repeated VANID as a duplicate. When the run writes, a step-3 match stores the VANID on the
contact (`Contact.van_id`) in the transaction of the chunk's first part, and the source is
marked as one whose voter ids are VANIDs (`fieldcrm.van`); a check writes nothing and counts.
Matched contacts keep their own source, and a full-file VAN import never marks them "not in
latest file": they are only ever added to the known contacts as their rows are read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.van.models import SourceSetting

LAYOUT = "van_export"
_BATCH = 500


@dataclass
class VanMatcher:
    """Extra matching for one run or check of a VAN export (see the module docstring)."""

    source: str
    write: bool
    counts: Counter = field(default_factory=Counter)
    by_source: Counter = field(default_factory=Counter)
    #: contacts of other sources matched in this run (each to one VANID)
    claimed: set[int] = field(default_factory=set)
    #: VAN-id sources (their voter ids are never state voter ids)
    vanid_sources: frozenset[str] = frozenset()

    def __call__(self, frame: pd.DataFrame, known: Any) -> None:
        if not len(frame):
            return
        unknown = frame[(known.positions(frame["voter_id"]) < 0)]
        unknown = unknown[~unknown["voter_id"].str.startswith("~")]
        unknown = unknown.drop_duplicates("voter_id")
        if not len(unknown):
            return
        matches: dict[str, tuple] = {}  # VANID -> (contact row, how)
        rows = {r.voter_id: r for r in unknown.itertuples(index=False)}
        self._by_van_id(list(rows), rows, matches, "van_id", lambda r: r.voter_id)
        rest = [v for v in rows if v not in matches]
        self._by_van_id(rest, rows, matches, "voter_file_vanid", lambda r: r.voter_file_vanid)
        rest = [v for v in rows if v not in matches]
        links = self._by_state_id(rest, rows, matches)
        if not matches:
            return
        keys = list(matches)
        contacts = [matches[k][0] for k in keys]
        known.add(keys, [c.id for c in contacts], [c.vf_hash or "" for c in contacts])
        if self.write and links:
            table = Contact.__table__
            db.session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("cid"), table.c.van_id.is_(None))
                .values(van_id=sa.bindparam("vid")),
                [{"cid": cid, "vid": vid} for cid, vid in links],
            )

    def _candidates(self, column: sa.ColumnElement, values: list[str]) -> dict[str, list]:
        found: dict[str, list] = {}
        for start in range(0, len(values), _BATCH):
            part = values[start : start + _BATCH]
            for row in db.session.execute(
                sa.select(
                    Contact.id,
                    Contact.source,
                    Contact.voter_id,
                    Contact.van_id,
                    Contact.vf_hash,
                    Contact.res_state,
                ).where(column.in_(part), Contact.source != self.source)
            ):
                key = row.van_id if column is Contact.van_id else row.voter_id
                found.setdefault(key, []).append(row)
        return found

    def _take(self, vanid: str, candidates: list, how: str, matches: dict) -> bool:
        free = [c for c in candidates if c.id not in self.claimed]
        if len(candidates) > 1:
            self.counts["ambiguous"] += 1
            return False
        if not free:
            self.counts["conflict"] += 1
            return False
        contact = free[0]
        self.claimed.add(contact.id)
        matches[vanid] = (contact, how)
        self.counts[how] += 1
        self.by_source[contact.source] += 1
        return True

    def _by_van_id(self, vanids, rows, matches, how, key) -> None:  # noqa: ANN001
        wanted = {vanid: key(rows[vanid]) for vanid in vanids}
        wanted = {v: k for v, k in wanted.items() if isinstance(k, str) and k}
        if not wanted:
            return
        found = self._candidates(Contact.van_id, sorted(set(wanted.values())))
        for vanid, value in wanted.items():
            if value in found:
                self._take(vanid, found[value], how, matches)

    def _by_state_id(self, vanids, rows, matches) -> list[tuple[int, str]]:  # noqa: ANN001
        wanted = {v: rows[v].state_voter_id for v in vanids}
        wanted = {v: s for v, s in wanted.items() if isinstance(s, str) and s}
        if not wanted:
            return []
        found = self._candidates(Contact.voter_id, sorted(set(wanted.values())))
        links: list[tuple[int, str]] = []
        for vanid, state_id in wanted.items():
            state = rows[vanid].res_state if isinstance(rows[vanid].res_state, str) else None
            candidates = [
                c
                for c in found.get(state_id, ())
                if c.source not in self.vanid_sources
                and (state is None or c.res_state is None or c.res_state == state)
            ]
            if not candidates:
                continue
            if len(candidates) == 1 and candidates[0].van_id not in (None, vanid):
                self.counts["conflict"] += 1  # already another VANID's person
                continue
            if self._take(vanid, candidates, "state_voter_id", matches):
                links.append((candidates[0].id, vanid))
        return links

    def summary(self) -> dict[str, Any]:
        """What the check page shows: how many people were matched, how and from where."""
        how = ("van_id", "voter_file_vanid", "state_voter_id")
        return {
            "matched": sum(self.counts[k] for k in how),
            "by": {k: self.counts[k] for k in how if self.counts[k]},
            "sources": dict(self.by_source.most_common()),
            "ambiguous": self.counts["ambiguous"],
            "conflict": self.counts["conflict"],
        }


def attach(known: Any, layout: str | None, *, write: bool) -> VanMatcher | None:
    """Give a VAN export's run (write) or check (no write) its matcher; None otherwise.

    A run also marks the source as one whose voter ids are VANIDs (flushes).
    """
    if layout != LAYOUT:
        return None
    vanid_sources = frozenset(
        db.session.scalars(
            sa.select(SourceSetting.source).where(SourceSetting.voter_ids_are_vanids.is_(True))
        )
    )
    matcher = VanMatcher(
        source=known.source, write=write, vanid_sources=vanid_sources - {known.source}
    )
    known.match_more = matcher
    if write:
        from fieldcrm.van.services import set_vanid_source

        set_vanid_source(None, known.source, True)
    return matcher
