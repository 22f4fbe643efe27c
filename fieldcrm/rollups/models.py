"""The rollup tables: per-turf counts that database triggers keep in step with every write.

Both tables are *delta logs*: each row holds signed counts, and a figure is the sum of the
rows of its key. A trigger appends the change a written row makes (the old contribution
subtracted, the new one added) in the writing transaction, so the rollups commit and roll
back with the data; appending never updates a shared row, so concurrent writers never wait
on each other or deadlock over a counter. `fieldcrm.rollups.maintain.compact` folds the
rows of each key into one now and then.

* `turf_people`: placed contacts by (turf, support level, ladder stage, do-not-contact):
  how many, and the sums of their coordinates in millionths of a degree (integers, so
  adding and subtracting is exact) with how many have each coordinate.
* `turf_days`: by (turf, UTC day, do-not-contact of the person): attempts and
  conversations (conversations.occurred_at on that day), commitments made and of those
  kept (commitments.created_at on that day), counted under the person's current turf.

0 stands for "none" in `support` and `stage_id` (a key column is never NULL).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.extensions import db

# SQLite only numbers rows itself (and never reuses a number, with AUTOINCREMENT) for an
# INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
_RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class TurfPeople(db.Model):
    """A change in the placed contacts of one turf (see module docstring)."""

    __tablename__ = "turf_people"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: so.Mapped[int] = so.mapped_column(_RowId, primary_key=True)
    turf_id: so.Mapped[int] = so.mapped_column(index=True)
    support: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    stage_id: so.Mapped[int]
    dnc: so.Mapped[bool]
    people: so.Mapped[int]
    lat_n: so.Mapped[int]
    lat_e6: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    lon_n: so.Mapped[int]
    lon_e6: so.Mapped[int] = so.mapped_column(sa.BigInteger)


class TurfDay(db.Model):
    """A change in one turf's activity on one UTC day (see module docstring)."""

    __tablename__ = "turf_days"
    __table_args__ = (
        sa.Index("ix_turf_days_turf_id_day", "turf_id", "day"),
        {"sqlite_autoincrement": True},
    )

    id: so.Mapped[int] = so.mapped_column(_RowId, primary_key=True)
    turf_id: so.Mapped[int]
    day: so.Mapped[date]
    dnc: so.Mapped[bool]
    attempts: so.Mapped[int]
    talks: so.Mapped[int]
    made: so.Mapped[int]
    kept: so.Mapped[int]


class RollupPause(db.Model):
    """SQLite only: a row here, inserted and deleted inside one transaction by
    `maintain.bulk_contact_change`, turns the contacts triggers off for that transaction
    (other connections never see it: SQLite has one writer, and the row never commits).
    PostgreSQL uses a transaction-local setting instead."""

    __tablename__ = "rollup_pause"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)


@sa.event.listens_for(db.metadata, "after_create")
def _install_triggers(target: sa.MetaData, connection: sa.Connection, **kw: object) -> None:
    """`create_all` (tests, a fresh development database) gets the triggers too."""
    from fieldcrm.rollups import ddl

    inspector = sa.inspect(connection)
    needed = ("contacts", "conversations", "commitments", "turf_people", "turf_days")
    if all(inspector.has_table(name) for name in needed):
        ddl.install(connection)


@sa.event.listens_for(db.metadata, "before_drop")
def _drop_triggers(target: sa.MetaData, connection: sa.Connection, **kw: object) -> None:
    from fieldcrm.rollups import ddl

    ddl.drop(connection)
