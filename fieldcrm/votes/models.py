"""Elections and votes (one row per voter per election, from state vote-history files).

A vote is keyed by (source, voter_id, election_id), the same (source, voter_id) pair that
keys a voter-file contact, and carries no foreign key to contacts: a history file may be
imported before, after or without its voter file, and its rows link to the contact of that
source and voter id whenever both are there. Re-importing a history file adds nothing twice.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.extensions import db

#: Election kinds, from the election's name (see fieldcrm.imports.reading.history.election_kind).
ELECTION_KINDS = (
    "general", "primary", "runoff", "presidential_primary", "municipal", "special", "other",
)  # fmt: skip


class Election(db.Model):
    """One election as history files name it, e.g. 11/08/2016 GENERAL.

    Keyed by date and name; Florida's type codes are written as the same names North
    Carolina uses (GEN -> "11/08/2016 GENERAL"), so both states' votes share one election.
    """

    __tablename__ = "elections"
    __table_args__ = (
        sa.UniqueConstraint("election_date", "name"),
        sa.Index("ix_elections_kind_date", "kind", "election_date"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    election_date: so.Mapped[date]
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))

    def __repr__(self) -> str:
        return f"<Election {self.name}>"


class Vote(db.Model):
    """A ballot a voter cast in an election: how (method) and, in primaries, which party."""

    __tablename__ = "votes"
    __table_args__ = (
        sa.PrimaryKeyConstraint("source", "voter_id", "election_id"),
        {"sqlite_with_rowid": False},
    )

    source: so.Mapped[str] = so.mapped_column(sa.String(50))
    voter_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    election_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("elections.id", ondelete="CASCADE")
    )
    method: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    party: so.Mapped[str | None] = so.mapped_column(sa.String(10))

    election: so.Mapped[Election] = so.relationship(lazy="raise")
