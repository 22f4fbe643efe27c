"""The triggers that keep the rollups (fieldcrm.rollups.models) in step with every write.

They run inside the writing statement, so every path is covered: ORM flushes, Core bulk
updates, the importers' raw executemany and COPY, foreign-key cascades (a deleted turf
un-places its people, a deleted stage takes them off the ladder), a `psql` session. Each
appends the change one written row makes:

* contacts: insert, update of turf / support level / stage / do-not-contact / coordinates,
  delete: the person's `turf_people` contribution; when the turf or do-not-contact
  changes (or the person is deleted), their conversations' and commitments' `turf_days`
  contribution moves with them (read from their rows, an index range per person);
* conversations: insert, update of contact / time / talked, delete: one `turf_days` count,
  under the person's current turf. They also keep `contacts.last_attempt_at` and
  `last_contacted_at` equal to the latest attempt and the latest conversation of the person
  (the coverage report counts people reached from them): an insert moves them forward, an
  update or a delete recomputes them;
* commitments: insert, update of contact / creation time / kept-or-not, delete.

On PostgreSQL a conversation or commitment trigger locks the person's row (FOR NO KEY
UPDATE, as saving the person's last attempt does anyway) before reading their turf, so it
waits for a transaction moving that person to another turf and counts under the turf that
transaction leaves; the contacts trigger reads the person's activity after its own row
lock. The contacts insert and update triggers can be paused for one transaction
(`maintain.bulk_contact_change`), which then recomputes the turfs it touched in one pass.

`install` is idempotent (drop, then create) and runs after `create_all` (tests) and in the
migration; every statement here is the whole definition, for SQLite and for PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

PEOPLE = "turf_people (turf_id, support, stage_id, dnc, people, lat_n, lat_e6, lon_n, lon_e6)"
DAYS = "turf_days (turf_id, day, dnc, attempts, talks, made, kept)"
#: The contacts columns a turf_people row depends on.
PEOPLE_COLUMNS = (
    "turf_id",
    "support_level",
    "ladder_stage_id",
    "do_not_contact",
    "latitude",
    "longitude",
)
PAUSE_SETTING = "fieldcrm.rollups_paused"
SQLITE_TRIGGERS = (
    ("contacts", "rollup_contacts_insert"),
    ("contacts", "rollup_contacts_people"),
    ("contacts", "rollup_contacts_days"),
    ("contacts", "rollup_contacts_delete"),
    ("conversations", "rollup_conversations_insert"),
    ("conversations", "rollup_conversations_update"),
    ("conversations", "rollup_conversations_delete"),
    ("commitments", "rollup_commitments_insert"),
    ("commitments", "rollup_commitments_update"),
    ("commitments", "rollup_commitments_delete"),
)
PG_TRIGGERS = (
    ("contacts", "rollup_contacts_insert"),
    ("contacts", "rollup_contacts_people"),
    ("contacts", "rollup_contacts_delete"),
    ("contacts", "rollup_contacts_truncate"),
    ("conversations", "rollup_conversations_insert"),
    ("conversations", "rollup_conversations_update"),
    ("conversations", "rollup_conversations_delete"),
    ("conversations", "rollup_conversations_truncate"),
    ("commitments", "rollup_commitments_insert"),
    ("commitments", "rollup_commitments_update"),
    ("commitments", "rollup_commitments_delete"),
    ("commitments", "rollup_commitments_truncate"),
)
PG_FUNCTIONS = (
    "rollup_contacts_row",
    "rollup_conversations_row",
    "rollup_commitments_row",
    "rollup_rebuild_all",
)


# -- expressions shared by both dialects and by the full recompute (maintain.py) ----------


def e6(column: str, dialect: str) -> str:
    """A coordinate in millionths of a degree, as an integer (0 when missing)."""
    if dialect == "postgresql":
        return f"coalesce(round({column} * 1000000)::bigint, 0)"
    return f"coalesce(CAST(round({column} * 1000000) AS INTEGER), 0)"


def day(column: str, dialect: str) -> str:
    """The UTC day of a stored timestamp."""
    if dialect == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"


def flag(expression: str, dialect: str) -> str:
    """A boolean expression as 0 or 1."""
    return f"({expression})::int" if dialect == "postgresql" else f"({expression})"


def people_values(row: str, sign: str, dialect: str) -> str:
    """The turf_people values one contact row (`row`: NEW or OLD) contributes."""
    return (
        f"{row}.turf_id, coalesce({row}.support_level, 0), coalesce({row}.ladder_stage_id, 0), "
        f"{row}.do_not_contact, {sign}1, "
        f"{sign}{flag(f'{row}.latitude IS NOT NULL', dialect)}, "
        f"{sign}{e6(f'{row}.latitude', dialect)}, "
        f"{sign}{flag(f'{row}.longitude IS NOT NULL', dialect)}, "
        f"{sign}{e6(f'{row}.longitude', dialect)}"
    )


def activity_of(contact_id: str, dialect: str) -> str:
    """One person's conversations and commitments as (day, a, t, m, k) rows."""
    talked = flag("is_conversation", dialect)
    kept = flag("status = 'kept'", dialect)
    return (
        f"SELECT {day('occurred_at', dialect)} AS day, 1 AS a, {talked} AS t, 0 AS m, 0 AS k "
        f"FROM conversations WHERE contact_id = {contact_id} "
        f"UNION ALL SELECT {day('created_at', dialect)}, 0, 0, 1, {kept} "
        f"FROM commitments WHERE contact_id = {contact_id}"
    )


def _move_days(row: str, sign: str, dialect: str) -> str:
    """INSERT the turf_days change of a person's whole activity (`row`: NEW or OLD)."""
    return (
        f"INSERT INTO {DAYS} SELECT {row}.turf_id, x.day, {row}.do_not_contact, "
        f"{sign}sum(x.a), {sign}sum(x.t), {sign}sum(x.m), {sign}sum(x.k) "
        f"FROM ({activity_of(f'{row}.id', dialect)}) AS x GROUP BY x.day"
    )


def _changed(columns: tuple[str, ...], dialect: str) -> str:
    op = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns)


_LATEST = (
    "last_attempt_at = (SELECT max(v.occurred_at) FROM conversations v "
    "WHERE v.contact_id = contacts.id), "
    "last_contacted_at = (SELECT max(v.occurred_at) FROM conversations v "
    "WHERE v.contact_id = contacts.id AND v.is_conversation)"
)


def _forward(row: str) -> str:
    """SET clause and condition moving a person's last attempt / conversation forward."""
    newer_attempt = f"(last_attempt_at IS NULL OR last_attempt_at < {row}.occurred_at)"
    newer_talk = (
        f"({row}.is_conversation AND "
        f"(last_contacted_at IS NULL OR last_contacted_at < {row}.occurred_at))"
    )
    return (
        f"last_attempt_at = CASE WHEN {newer_attempt} THEN {row}.occurred_at "
        f"ELSE last_attempt_at END, "
        f"last_contacted_at = CASE WHEN {newer_talk} THEN {row}.occurred_at "
        f"ELSE last_contacted_at END "
        f"WHERE id = {row}.contact_id AND ({newer_attempt} OR {newer_talk})"
    )


def recompute_people(dialect: str, turfs: str = "") -> str:
    """SELECT of the turf_people rows recomputed from contacts (`turfs`: an extra
    condition on `c.turf_id`, e.g. "AND c.turf_id IN (1, 2)")."""
    return (
        "SELECT c.turf_id, coalesce(c.support_level, 0), coalesce(c.ladder_stage_id, 0), "
        "c.do_not_contact, count(*), count(c.latitude), "
        f"sum({e6('c.latitude', dialect)}), count(c.longitude), "
        f"sum({e6('c.longitude', dialect)}) "
        f"FROM contacts c WHERE c.turf_id IS NOT NULL {turfs} "
        "GROUP BY c.turf_id, coalesce(c.support_level, 0), coalesce(c.ladder_stage_id, 0), "
        "c.do_not_contact"
    )


def recompute_days(dialect: str, turfs: str = "") -> str:
    """SELECT of the turf_days rows recomputed from conversations and commitments."""
    kept = flag("m.status = 'kept'", dialect)
    return (
        "SELECT x.turf_id, x.day, x.dnc, sum(x.a), sum(x.t), sum(x.m), sum(x.k) FROM ("
        f"SELECT c.turf_id AS turf_id, {day('v.occurred_at', dialect)} AS day, "
        f"c.do_not_contact AS dnc, 1 AS a, {flag('v.is_conversation', dialect)} AS t, "
        "0 AS m, 0 AS k FROM conversations v JOIN contacts c ON c.id = v.contact_id "
        f"WHERE c.turf_id IS NOT NULL {turfs} "
        f"UNION ALL SELECT c.turf_id, {day('m.created_at', dialect)}, c.do_not_contact, "
        f"0, 0, 1, {kept} "
        "FROM commitments m JOIN contacts c ON c.id = m.contact_id "
        f"WHERE c.turf_id IS NOT NULL {turfs}"
        ") AS x GROUP BY x.turf_id, x.day, x.dnc"
    )


# -- SQLite ---------------------------------------------------------------------------------

_SQLITE_ACTIVE = "NOT EXISTS (SELECT 1 FROM rollup_pause)"


def _sqlite_conversation_days(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {DAYS} SELECT turf_id, date({row}.occurred_at), do_not_contact, "
        f"{sign}1, {sign}{row}.is_conversation, 0, 0 "
        f"FROM contacts WHERE id = {row}.contact_id AND turf_id IS NOT NULL"
    )


def _sqlite_commitment_days(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {DAYS} SELECT turf_id, date({row}.created_at), do_not_contact, 0, 0, "
        f"{sign}1, {sign}({row}.status = 'kept') "
        f"FROM contacts WHERE id = {row}.contact_id AND turf_id IS NOT NULL"
    )


def sqlite_statements() -> list[str]:
    s = "sqlite"
    people_changed = _changed(PEOPLE_COLUMNS, s)
    place_changed = _changed(("turf_id", "do_not_contact"), s)
    conv_changed = _changed(("contact_id", "occurred_at", "is_conversation"), s)
    com_changed = _changed(("contact_id", "created_at"), s)
    return [
        f"""CREATE TRIGGER rollup_contacts_insert AFTER INSERT ON contacts
        WHEN NEW.turf_id IS NOT NULL AND {_SQLITE_ACTIVE}
        BEGIN
          INSERT INTO {PEOPLE} VALUES ({people_values("NEW", "", s)});
        END""",
        f"""CREATE TRIGGER rollup_contacts_people
        AFTER UPDATE OF {", ".join(PEOPLE_COLUMNS)} ON contacts
        WHEN ({people_changed}) AND {_SQLITE_ACTIVE}
        BEGIN
          INSERT INTO {PEOPLE} SELECT {people_values("OLD", "-", s)}
            WHERE OLD.turf_id IS NOT NULL;
          INSERT INTO {PEOPLE} SELECT {people_values("NEW", "", s)}
            WHERE NEW.turf_id IS NOT NULL;
        END""",
        f"""CREATE TRIGGER rollup_contacts_days AFTER UPDATE OF turf_id, do_not_contact ON contacts
        WHEN ({place_changed}) AND {_SQLITE_ACTIVE}
        BEGIN
          {_move_days("OLD", "-", s)} HAVING OLD.turf_id IS NOT NULL;
          {_move_days("NEW", "", s)} HAVING NEW.turf_id IS NOT NULL;
        END""",
        # Before the row goes: its conversations and commitments are still there to count
        # (the cascade that deletes them then finds no person, and counts nothing).
        f"""CREATE TRIGGER rollup_contacts_delete BEFORE DELETE ON contacts
        WHEN OLD.turf_id IS NOT NULL
        BEGIN
          INSERT INTO {PEOPLE} VALUES ({people_values("OLD", "-", s)});
          {_move_days("OLD", "-", s)};
        END""",
        f"""CREATE TRIGGER rollup_conversations_insert AFTER INSERT ON conversations
        BEGIN
          UPDATE contacts SET {_forward("NEW")};
          {_sqlite_conversation_days("NEW", "")};
        END""",
        f"""CREATE TRIGGER rollup_conversations_update
        AFTER UPDATE OF contact_id, occurred_at, is_conversation ON conversations
        WHEN {conv_changed}
        BEGIN
          {_sqlite_conversation_days("OLD", "-")};
          {_sqlite_conversation_days("NEW", "")};
          UPDATE contacts SET {_LATEST} WHERE id IN (OLD.contact_id, NEW.contact_id);
        END""",
        f"""CREATE TRIGGER rollup_conversations_delete AFTER DELETE ON conversations
        BEGIN
          {_sqlite_conversation_days("OLD", "-")};
          UPDATE contacts SET {_LATEST} WHERE id = OLD.contact_id;
        END""",
        f"""CREATE TRIGGER rollup_commitments_insert AFTER INSERT ON commitments
        BEGIN
          {_sqlite_commitment_days("NEW", "")};
        END""",
        f"""CREATE TRIGGER rollup_commitments_update
        AFTER UPDATE OF contact_id, created_at, status ON commitments
        WHEN {com_changed} OR (OLD.status = 'kept') IS NOT (NEW.status = 'kept')
        BEGIN
          {_sqlite_commitment_days("OLD", "-")};
          {_sqlite_commitment_days("NEW", "")};
        END""",
        f"""CREATE TRIGGER rollup_commitments_delete AFTER DELETE ON commitments
        BEGIN
          {_sqlite_commitment_days("OLD", "-")};
        END""",
    ]


# -- PostgreSQL ----------------------------------------------------------------------------

_PG_ACTIVE = f"current_setting('{PAUSE_SETTING}', true) IS DISTINCT FROM 'on'"


def _pg_lock(row: str) -> str:
    """Read (and lock) the person's turf and do-not-contact into t, d."""
    return (
        f"SELECT turf_id, do_not_contact INTO t, d FROM contacts "
        f"WHERE id = {row}.contact_id FOR NO KEY UPDATE;"
    )


def _pg_conversation_days(row: str, sign: str) -> str:
    when = day(f"{row}.occurred_at", "postgresql")
    return (
        f"IF t IS NOT NULL THEN INSERT INTO {DAYS} VALUES (t, {when}, "
        f"d, {sign}1, {sign}({row}.is_conversation)::int, 0, 0); END IF;"
    )


def _pg_commitment_days(row: str, sign: str) -> str:
    when = day(f"{row}.created_at", "postgresql")
    return (
        f"IF t IS NOT NULL THEN INSERT INTO {DAYS} VALUES (t, {when}, "
        f"d, 0, 0, {sign}1, {sign}({row}.status = 'kept')::int); END IF;"
    )


def postgresql_statements() -> list[str]:
    p = "postgresql"
    people_changed = _changed(PEOPLE_COLUMNS, p)
    conv_changed = _changed(("contact_id", "occurred_at", "is_conversation"), p)
    com_changed = _changed(("contact_id", "created_at"), p)
    contacts_fn = f"""CREATE OR REPLACE FUNCTION rollup_contacts_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE moved boolean := TG_OP = 'DELETE';
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        IF OLD.turf_id IS NOT NULL THEN
          INSERT INTO {PEOPLE} VALUES ({people_values("OLD", "-", p)});
        END IF;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        IF NEW.turf_id IS NOT NULL THEN
          INSERT INTO {PEOPLE} VALUES ({people_values("NEW", "", p)});
        END IF;
      END IF;
      IF TG_OP = 'UPDATE' THEN
        moved := OLD.turf_id IS DISTINCT FROM NEW.turf_id
          OR OLD.do_not_contact IS DISTINCT FROM NEW.do_not_contact;
      END IF;
      IF moved THEN
        IF OLD.turf_id IS NOT NULL THEN
          {_move_days("OLD", "-", p)};
        END IF;
        IF TG_OP = 'UPDATE' THEN
          IF NEW.turf_id IS NOT NULL THEN
            {_move_days("NEW", "", p)};
          END IF;
        END IF;
      END IF;
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NULL;
    END $$"""
    conversations_fn = f"""CREATE OR REPLACE FUNCTION rollup_conversations_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE t integer; d boolean;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        {_pg_lock("NEW")}
        UPDATE contacts SET {_forward("NEW")};
        {_pg_conversation_days("NEW", "")}
        RETURN NULL;
      END IF;
      {_pg_lock("OLD")}
      {_pg_conversation_days("OLD", "-")}
      IF TG_OP = 'UPDATE' THEN
        {_pg_lock("NEW")}
        {_pg_conversation_days("NEW", "")}
        UPDATE contacts SET {_LATEST} WHERE id IN (OLD.contact_id, NEW.contact_id);
      ELSE
        UPDATE contacts SET {_LATEST} WHERE id = OLD.contact_id;
      END IF;
      RETURN NULL;
    END $$"""
    commitments_fn = f"""CREATE OR REPLACE FUNCTION rollup_commitments_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE t integer; d boolean;
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        {_pg_lock("OLD")}
        {_pg_commitment_days("OLD", "-")}
      END IF;
      IF TG_OP <> 'DELETE' THEN
        {_pg_lock("NEW")}
        {_pg_commitment_days("NEW", "")}
      END IF;
      RETURN NULL;
    END $$"""
    return [
        contacts_fn,
        conversations_fn,
        commitments_fn,
        f"""CREATE TRIGGER rollup_contacts_insert AFTER INSERT ON contacts FOR EACH ROW
        WHEN (NEW.turf_id IS NOT NULL AND {_PG_ACTIVE})
        EXECUTE FUNCTION rollup_contacts_row()""",
        f"""CREATE TRIGGER rollup_contacts_people
        AFTER UPDATE OF {", ".join(PEOPLE_COLUMNS)} ON contacts FOR EACH ROW
        WHEN (({people_changed}) AND {_PG_ACTIVE})
        EXECUTE FUNCTION rollup_contacts_row()""",
        """CREATE TRIGGER rollup_contacts_delete BEFORE DELETE ON contacts FOR EACH ROW
        WHEN (OLD.turf_id IS NOT NULL)
        EXECUTE FUNCTION rollup_contacts_row()""",
        """CREATE TRIGGER rollup_conversations_insert AFTER INSERT ON conversations
        FOR EACH ROW EXECUTE FUNCTION rollup_conversations_row()""",
        f"""CREATE TRIGGER rollup_conversations_update
        AFTER UPDATE OF contact_id, occurred_at, is_conversation ON conversations FOR EACH ROW
        WHEN ({conv_changed})
        EXECUTE FUNCTION rollup_conversations_row()""",
        """CREATE TRIGGER rollup_conversations_delete AFTER DELETE ON conversations
        FOR EACH ROW EXECUTE FUNCTION rollup_conversations_row()""",
        """CREATE TRIGGER rollup_commitments_insert AFTER INSERT ON commitments
        FOR EACH ROW EXECUTE FUNCTION rollup_commitments_row()""",
        f"""CREATE TRIGGER rollup_commitments_update
        AFTER UPDATE OF contact_id, created_at, status ON commitments FOR EACH ROW
        WHEN ({com_changed} OR (OLD.status = 'kept') IS DISTINCT FROM (NEW.status = 'kept'))
        EXECUTE FUNCTION rollup_commitments_row()""",
        """CREATE TRIGGER rollup_commitments_delete AFTER DELETE ON commitments
        FOR EACH ROW EXECUTE FUNCTION rollup_commitments_row()""",
    ]


def _pg_truncate_statements() -> list[str]:
    """TRUNCATE skips row triggers: recompute everything after one (a maintenance act)."""
    p = "postgresql"
    function = f"""CREATE OR REPLACE FUNCTION rollup_rebuild_all() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM turf_people;
      DELETE FROM turf_days;
      INSERT INTO {PEOPLE} {recompute_people(p)};
      INSERT INTO {DAYS} {recompute_days(p)};
      RETURN NULL;
    END $$"""
    return [function] + [
        f"CREATE TRIGGER rollup_{table}_truncate AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION rollup_rebuild_all()"
        for table in ("contacts", "conversations", "commitments")
    ]


def drop(connection: sa.Connection) -> None:
    """Drop the triggers (PostgreSQL: their functions, and with them the triggers)."""
    if connection.dialect.name == "postgresql":
        for name in PG_FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
        return
    for _table, name in SQLITE_TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def install(connection: sa.Connection) -> None:
    """(Re)create the triggers on `connection` (in its transaction)."""
    drop(connection)
    if connection.dialect.name == "postgresql":
        statements = postgresql_statements() + _pg_truncate_statements()
    else:
        statements = sqlite_statements()
    for statement in statements:
        connection.exec_driver_sql(statement)
