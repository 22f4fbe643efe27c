"""A read cache for heavy reports that stays correct after every write.

Every SQL statement that writes to a table reports depend on (contacts, conversations,
commitments, turfs, users…) bumps a counter row in `data_versions` *in the same
transaction*, so the bump commits or rolls back with the write and other processes see it
exactly when they see the data. A report is cached under the sum of the counters: after any
committed write the sum changes and the next request recomputes.

* A statement that changed no rows (an UPDATE or DELETE that matched nothing, an INSERT
  that a conflict skipped) bumps nothing: the data is what it was. So does an import
  re-placing contacts on turfs when none moved.
* Writes that only *added contacts with no turf* (a voter-file import's new people, before
  any turf takes them) bump a second set of counters. Reports that leave contacts without
  a turf out (coverage: every figure is per turf) pass `reads_unplaced=False` and are not
  recomputed for them; every other report is. Placing those contacts on a turf afterwards
  is an ordinary write and bumps the main counters.

* Writes to the people's own tables (contacts, conversations, commitments) bump a third
  set of counters, and everything else (turfs, users, the ladder…) the main one. Every
  report reads all of them unless it knows better: coverage over the "everyone" universe
  passes a `version` of its own, the main counters plus a fingerprint of its turfs'
  rollup rows (fieldcrm.rollups), so a save in another region keeps it cached.

* The bump is hooked on SQLAlchemy's cursor events, so ORM flushes, bulk `update()`s, Core
  inserts and `exec_driver_sql` all count. Writes through a raw DB-API cursor (outside
  SQLAlchemy) do not: such a writer must call `bump(connection)` itself.
* Counters are sharded over SHARDS rows (by process id) so concurrent writers on PostgreSQL
  don't queue on one row lock; readers add them up (one indexed query).
* The cache itself is per process (a small LRU); entries are keyed by report name, the
  caller's key (actor id, filter…) and the data version.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from fieldcrm.extensions import db

SHARDS = 16
MAX_ENTRIES = 256
TRACKED = frozenset(
    {
        "contacts",
        "conversations",
        "commitments",
        "ladder_stages",
        "ladder_moves",
        "turfs",
        "regions",
        "users",
        "user_turfs",
        "user_regions",
        "leader_assignments",
        "weekly_goals",
        "elections",
        "votes",
        "boundaries",
    }
)
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?)\s+"?(\w+)"?',
    re.IGNORECASE,
)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
T = TypeVar("T")


class DataVersion(db.Model):
    """One shard of the data-version counter (see module docstring)."""

    __tablename__ = "data_versions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    version: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


#: First id of the counters for writes that only added contacts with no turf.
UNPLACED = SHARDS
#: First id of the counters for other writes to the people's own tables.
PEOPLE = 2 * SHARDS
PEOPLE_TABLES = frozenset({"contacts", "conversations", "commitments"})


def _bump_sql(first: int = 0) -> str:
    shard = first + os.getpid() % SHARDS
    return (
        f"INSERT INTO data_versions (id, version) VALUES ({shard}, 1) "  # noqa: S608 - ints only
        "ON CONFLICT (id) DO UPDATE SET version = data_versions.version + 1"
    )


def bump(connection: sa.Connection, *, unplaced_only: bool = False) -> None:
    """Bump the data version on `connection` (in its current transaction).

    `unplaced_only`: the writes being counted only inserted contacts without a turf (and
    rows of their own, such as their phones); reports that leave such contacts out are not
    recomputed for them.
    """
    connection.exec_driver_sql(_bump_sql(UNPLACED if unplaced_only else 0))


def _before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: PLR0913
    match = _WRITE.match(statement)
    if not match:
        return
    table = match.group(1).lower()
    if table not in TRACKED:
        return
    first = PEOPLE if table in PEOPLE_TABLES else 0
    if first not in conn.info.setdefault("fieldcrm_bumped", set()):
        conn.info["fieldcrm_pending"] = first


# Whether each database (by URL) has the data_versions table. A database migrated before
# the table existed simply gets no bumps, and reports on it are never cached.
_has_table: dict[str, bool] = {}


def _table_exists(conn: sa.Connection, raw: Any) -> bool:
    url = str(conn.engine.url)
    if url not in _has_table:
        if conn.dialect.name == "postgresql":
            raw.execute("SELECT to_regclass('data_versions') IS NOT NULL")
        else:
            raw.execute(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' "
                "AND name = 'data_versions'"
            )
        _has_table[url] = bool(raw.fetchone()[0])
    return _has_table[url]


def _after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: PLR0913
    first = conn.info.pop("fieldcrm_pending", None)
    if first is None:
        return
    # Nothing changed: no bump. (With RETURNING, SQLite counts rows only as they are read,
    # so such a statement always bumps.)
    if cursor.rowcount == 0 and not _RETURNING.search(statement):
        return
    conn.info["fieldcrm_bumped"].add(first)
    raw = conn.connection.dbapi_connection.cursor()
    try:
        if _table_exists(conn, raw):
            raw.execute(_bump_sql(first))
    finally:
        raw.close()


def _reset(conn, *args: Any) -> None:
    conn.info.pop("fieldcrm_bumped", None)
    conn.info.pop("fieldcrm_pending", None)


sa.event.listen(sa.Engine, "before_cursor_execute", _before)
sa.event.listen(sa.Engine, "after_cursor_execute", _after)
for _name in (
    "begin",
    "commit",
    "rollback",
    "savepoint",
    "rollback_savepoint",
    "release_savepoint",
):
    sa.event.listen(sa.Engine, _name, _reset)


def data_version(*, reads_unplaced: bool = True) -> int:
    """The current data version (sum of the shards; 0 on a fresh database).

    `reads_unplaced=False` leaves out the counters of writes that only added contacts with
    no turf (see module docstring).
    """
    stmt = sa.select(sa.func.coalesce(sa.func.sum(DataVersion.version), 0))
    if not reads_unplaced:
        stmt = stmt.where(sa.or_(DataVersion.id < UNPLACED, DataVersion.id >= PEOPLE))
    return int(db.session.scalar(stmt))


def structure_version() -> sa.ScalarSelect[int]:
    """A scalar subquery: the main counters only (every tracked write but those to the
    people's own tables, and the importers' explicit bumps)."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(DataVersion.version), 0))
        .where(DataVersion.id < UNPLACED)
        .scalar_subquery()
    )


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return True, self.items[key]
            return False, None

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_cache = _LRU(MAX_ENTRIES)


def cached(
    name: str,
    key: Hashable,
    compute: Callable[[], T],
    *,
    reads_unplaced: bool = True,
    version: Callable[[], Hashable] | None = None,
) -> T:
    """`compute()`'s result, reused until any tracked table changes.

    `key` must capture everything the result depends on besides the data (the actor's id,
    the filter). Callers get a shared object: treat it as read-only. Pass
    `reads_unplaced=False` only when the result leaves out every contact without a turf
    (and everything attached to one): adding such contacts then keeps the cached result.
    `version`, when given, replaces the data version: it must change whenever anything
    the result reads does (one query, in the reader's transaction).
    """
    engine = db.engine
    url = str(engine.url if isinstance(engine, sa.Engine) else engine.engine.url)
    if url not in _has_table:
        _has_table[url] = sa.inspect(engine).has_table("data_versions")
    if not _has_table[url]:
        return compute()
    current = version() if version is not None else data_version(reads_unplaced=reads_unplaced)
    full = (name, url, key, reads_unplaced, current)
    hit, value = _cache.get(full)
    if hit:
        return value
    value = compute()
    _cache.put(full, value)
    return value


def clear() -> None:
    """Forget every cached result and table check (tests; after restoring a database)."""
    _cache.clear()
    _has_table.clear()
