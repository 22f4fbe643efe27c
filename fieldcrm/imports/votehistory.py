"""Vote-history files: store the votes of every history member of an upload, in chunks.

State downloads pair the voter file with a vote-history file (North Carolina's ``ncvhis``,
Florida's ``CCC_H_YYYYMMDD.txt``), alone or in the same zip as the voter file; reading them
is fieldcrm.imports.reading.history. The import job runs the voter rows first, then
``HistoryImport`` reads every history member in chunks and writes its votes (README "Vote
history").

Decisions:

* **Key.** A vote is (source, voter id, election); an election is (date, name), e.g.
  ``11/08/2016 GENERAL``. Florida's type codes are written as the names North Carolina uses
  (GEN -> GENERAL, PRI -> PRIMARY, RUN -> RUNOFF, PPP -> PRESIDENTIAL PREFERENCE PRIMARY,
  OTH -> OTHER). Votes are inserted with ON CONFLICT DO NOTHING: re-importing a file (or a
  newer file repeating old elections) adds only the votes not stored yet and never changes
  a stored one.
* **Voters not (yet) contacts.** Votes carry the voter id, not a contact id, so a history file
  may be imported before, after or without its voter file; a contact shows the votes of its
  (source, voter id). Import both files under the same source label.
* **Not a vote.** Florida's history code N ("did not vote") and any method reading
  "DID NOT VOTE" are counted as ``not_votes`` and not stored. Ballots cast but not counted
  (Florida B and P) are stored with that method: the voter turned out.
* **Accounting.** read = inserted + existing + rejected + not_votes, kept with the resume
  point (history member, rows done in it) under ``ImportBatch.detection["votes"]``; rejected
  rows are ImportRowError rows like the voter file's.
* **Speed.** Columns are parsed and normalised with Arrow; SQLite writes with ``executemany``,
  PostgreSQL with ``COPY`` into a staging table and one ``INSERT … SELECT … ON CONFLICT DO
  NOTHING`` per chunk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from fieldcrm import datacache
from fieldcrm.extensions import db
from fieldcrm.imports.models import ImportRowError
from fieldcrm.imports.reading import streaming
from fieldcrm.imports.reading.core import RowError
from fieldcrm.imports.reading.history import (
    HistoryPart,
    election_kind,
    member_detection,
    read_chunk,
)
from fieldcrm.votes.models import Election


class HistoryImport:
    """The vote-history phase of an import run: ``parts()`` to read, ``apply(part)`` to write.

    ``run`` is the services.ImportRun (batch, detection, chunk_rows, pacer). The caller
    commits after each ``apply``; the progress stored with each part lets a stopped run
    resume where it stopped.
    """

    def __init__(self, run: Any) -> None:
        self.run = run
        self.batch = run.batch
        self.history: list[dict[str, Any]] = list(getattr(run.detection, "history", []) or [])
        self._elections: dict[tuple[dt.date, str], int] = {}

    @property
    def progress(self) -> dict[str, int]:
        return dict((self.batch.detection or {}).get("votes") or {})

    def parts(self) -> Iterator[HistoryPart]:
        """The parts still to write, in member order, from the stored resume point."""
        progress = self.progress
        start_member = int(progress.get("member", 0))
        start_row = int(progress.get("rows_done", 0))
        path = Path(self.batch.stored_path)
        for index, info in enumerate(self.history):
            if index < start_member:
                continue
            first_row = start_row if index == start_member else 0
            detection = member_detection(info)
            batches = streaming.iter_batches(path, detection, self.run.chunk_rows, first_row)
            for batch in batches:
                # (lines, line numbers, member, detection, first row, …): the reader may
                # add fields after these five
                lines, numbers, member, _detection, row_index = batch[:5]
                votes, at, not_at, rejects = read_chunk(lines, numbers, info)
                yield from self._split(
                    index, member, row_index, len(lines), votes, at, not_at, rejects, numbers
                )

    def _split(  # noqa: PLR0913 - one chunk's pieces
        self,
        index: int,
        member: str,
        row_index: int,
        count: int,
        votes: pa.Table,
        at: np.ndarray,
        not_at: np.ndarray,
        rejects: list[RowError],
        numbers: np.ndarray,
    ) -> Iterator[HistoryPart]:
        pacer = self.run.pacer
        size = (pacer.max_writes() if pacer is not None else None) or count
        reject_at = np.searchsorted(numbers, np.array([r.line for r in rejects], dtype=np.int64))
        for a in range(0, count, size):
            b = min(a + size, count)
            sel = np.flatnonzero((at >= a) & (at < b))
            yield HistoryPart(
                member_index=index,
                member=member,
                end_row=row_index + b,
                rows_read=b - a,
                votes=votes.take(pa.array(sel, pa.int64())) if len(sel) < len(at) else votes,
                rejects=[r for r, p in zip(rejects, reject_at, strict=True) if a <= p < b],
                not_votes=int(((not_at >= a) & (not_at < b)).sum()),
            )

    def apply(self, part: HistoryPart) -> dict[str, int]:
        """Write a part's votes and row errors and move the progress (one transaction).

        Returns the part's counts. Raises AssertionError if the accounting would break.
        Flushes; does not commit.
        """
        votes = part.votes
        inserted = 0
        if votes.num_rows:
            ids = self._election_ids(votes)
            inserted = self._insert_votes(votes, ids)
        for error in part.rejects:
            db.session.add(
                ImportRowError(
                    batch_id=self.batch.id,
                    member=error.member[:255],
                    line=error.line,
                    kind="rejected",
                    reason=error.reason[:500],
                    raw=error.raw,
                )
            )
        counts = {
            "read": part.rows_read,
            "inserted": inserted,
            "existing": votes.num_rows - inserted,
            "rejected": len(part.rejects),
            "not_votes": part.not_votes,
        }
        if (
            counts["inserted"] + counts["existing"] + counts["rejected"] + counts["not_votes"]
            != counts["read"]
        ):
            raise AssertionError(f"vote history accounting: {counts}")
        progress = self.progress
        for key, value in counts.items():
            progress[key] = int(progress.get(key, 0)) + value
        progress["member"] = part.member_index
        progress["rows_done"] = part.end_row
        self.batch.detection = {**(self.batch.detection or {}), "votes": progress}
        db.session.flush()
        return counts

    def _election_ids(self, votes: pa.Table) -> pa.Array:
        """The election id of every vote; elections not stored yet are added."""
        dates = votes.column("election_date").combine_chunks()
        names = votes.column("election_name").combine_chunks()
        keys = pc.binary_join_element_wise(pc.cast(dates, pa.string()), names, "|")
        unique = pc.unique(keys)
        wanted: list[tuple[dt.date, str]] = []
        for key in unique.to_pylist():
            day, name = key.split("|", 1)
            wanted.append((dt.date.fromisoformat(day), name))
        missing = [k for k in wanted if k not in self._elections]
        if missing:
            self._load_elections(missing)
        ids = pa.array([self._elections[k] for k in wanted], pa.int64())
        return ids.take(pc.index_in(keys, value_set=unique))

    def _load_elections(self, keys: list[tuple[dt.date, str]]) -> None:
        table = Election.__table__
        rows = [{"election_date": d, "name": n, "kind": election_kind(n)} for d, n in keys]
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        db.session.execute(insert(table).on_conflict_do_nothing(), rows)
        for day in {d for d, _ in keys}:
            names = [n for d, n in keys if d == day]
            found = db.session.execute(
                sa.select(table.c.id, table.c.name).where(
                    table.c.election_date == day, table.c.name.in_(names)
                )
            )
            for election_id, name in found:
                self._elections[(day, name)] = election_id

    def _insert_votes(self, votes: pa.Table, election_ids: pa.Array) -> int:
        connection = db.session.connection()
        datacache.bump(connection)
        raw = connection.connection.driver_connection
        n = votes.num_rows
        source = self.batch.source
        if connection.dialect.name == "postgresql":
            from fieldcrm.imports.writer_postgres import copy_text as _copy_text

            arrays = [
                pa.array([source] * n, pa.string()),
                votes.column("voter_id").combine_chunks(),
                election_ids,
                votes.column("method").combine_chunks(),
                votes.column("party").combine_chunks(),
            ]
            cursor = raw.cursor()
            try:
                # as the voter-file writer: the part's votes and its resume point commit
                # together, so a crash loses both and the resumed run redoes the part
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS vote_stage (source text, voter_id text, "
                    "election_id integer, method text, party text) ON COMMIT DROP"
                )
                cursor.execute("TRUNCATE vote_stage")
                with cursor.copy(
                    "COPY vote_stage (source, voter_id, election_id, method, party) FROM STDIN"
                ) as copy:
                    copy.write(memoryview(_copy_text(arrays)))
                cursor.execute(
                    "INSERT INTO votes (source, voter_id, election_id, method, party) "
                    "SELECT source, voter_id, election_id, method, party FROM vote_stage "
                    "ON CONFLICT DO NOTHING"
                )
                return int(cursor.rowcount)
            finally:
                cursor.close()
        rows = zip(
            [source] * n,
            votes.column("voter_id").to_pylist(),
            election_ids.to_pylist(),
            votes.column("method").to_pylist(),
            votes.column("party").to_pylist(),
            strict=True,
        )
        before = raw.total_changes
        cursor = raw.cursor()
        try:
            cursor.executemany(
                "INSERT INTO votes (source, voter_id, election_id, method, party) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
        finally:
            cursor.close()
        return raw.total_changes - before


def summary(progress: dict[str, int] | None) -> dict[str, int]:
    """A batch's vote-history counts (zeros when it had none)."""
    progress = progress or {}
    return {k: int(progress.get(k, 0)) for k in ("read", "inserted", "existing", "rejected",
                                                 "not_votes")}  # fmt: skip
