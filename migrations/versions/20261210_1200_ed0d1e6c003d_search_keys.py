"""search keys: folded names and reversed phone digits, indexed

contacts.search_name ("alvarez nunez jose"), contacts.search_first ("jose") and
contacts.search_surname ("nunez": the last word of a last name of several words) hold the
names folded for case and accents; contact_phones.reversed_digits the phone's digits, last
first.
The contacts search matches them by index ranges (fieldcrm.contacts.search). Existing rows
are filled here in batches by id, with the same functions the application writes them with
(fieldcrm.lib.search_keys). On PostgreSQL the keys compare byte by byte (COLLATE "C").

ix_contacts_voter_id lets a number typed in the search be a voter id (the unique key
leads with the source); ix_contacts_name goes: the list sorts by the folded name now.

Revision ID: ed0d1e6c003d
Revises: c4d8e2f1a6b3
Create Date: 2026-12-10 09:00:00

"""

import sqlalchemy as sa
from alembic import op

from fieldcrm.lib import search_keys

# revision identifiers, used by Alembic.
revision = "ed0d1e6c003d"
down_revision = "c4d8e2f1a6b3"
branch_labels = None
depends_on = None

BATCH = 5_000


def _key_type(length):
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _backfill(connection, table, columns, compute):
    """Fill the key columns of `table` from `columns`, BATCH rows at a time by id."""
    source = sa.table(table, sa.column("id"), *(sa.column(c) for c in columns))
    keys = list(compute(*([None] * len(columns))))
    target = sa.table(table, sa.column("id"), *(sa.column(k) for k in keys))
    update = (
        sa.update(target)
        .where(target.c.id == sa.bindparam("row_id"))
        .values({k: sa.bindparam(f"new_{k}") for k in keys})
    )
    after = 0
    while True:
        rows = connection.execute(
            sa.select(source.c.id, *(source.c[c] for c in columns))
            .where(source.c.id > after)
            .order_by(source.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        params = []
        for row in rows:
            values = compute(*row[1:])
            params.append({"row_id": row[0], **{f"new_{k}": values[k] for k in keys}})
        connection.execute(update, params)
        after = rows[-1][0]


def _name_keys(first, last):
    name, first_key, surname = search_keys.name_keys(first, last)
    return {"search_name": name, "search_first": first_key, "search_surname": surname}


def _phone_key(e164, raw):
    return {"reversed_digits": search_keys.phone_key(e164, raw)}


def upgrade():
    op.add_column(
        "contacts",
        sa.Column(
            "search_name", _key_type(search_keys.NAME_LENGTH), server_default="", nullable=False
        ),
    )
    op.add_column(
        "contacts",
        sa.Column(
            "search_first", _key_type(search_keys.FIRST_LENGTH), server_default="", nullable=False
        ),
    )
    op.add_column(
        "contacts",
        sa.Column("search_surname", _key_type(search_keys.FIRST_LENGTH), nullable=True),
    )
    op.add_column(
        "contact_phones",
        sa.Column("reversed_digits", _key_type(search_keys.PHONE_LENGTH), nullable=True),
    )
    connection = op.get_bind()
    _backfill(connection, "contacts", ("first_name", "last_name"), _name_keys)
    _backfill(connection, "contact_phones", ("e164", "raw"), _phone_key)
    # Indexes after the fill: built once, not maintained row by row.
    op.create_index("ix_contacts_search_name", "contacts", ["search_name"], unique=False)
    op.create_index("ix_contacts_search_first", "contacts", ["search_first"], unique=False)
    op.create_index(
        "ix_contacts_search_surname",
        "contacts",
        ["search_surname"],
        unique=False,
        sqlite_where=sa.text("search_surname IS NOT NULL"),
        postgresql_where=sa.text("search_surname IS NOT NULL"),
    )
    op.create_index("ix_contacts_voter_id", "contacts", ["voter_id"], unique=False)
    op.drop_index("ix_contacts_name", table_name="contacts")
    op.create_index(
        op.f("ix_contact_phones_reversed_digits"),
        "contact_phones",
        ["reversed_digits"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_contact_phones_reversed_digits"), table_name="contact_phones")
    op.create_index("ix_contacts_name", "contacts", ["last_name", "first_name"], unique=False)
    op.drop_index("ix_contacts_voter_id", table_name="contacts")
    op.drop_index("ix_contacts_search_surname", table_name="contacts")
    op.drop_index("ix_contacts_search_first", table_name="contacts")
    op.drop_index("ix_contacts_search_name", table_name="contacts")
    with op.batch_alter_table("contact_phones") as batch_op:
        batch_op.drop_column("reversed_digits")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("search_surname")
        batch_op.drop_column("search_first")
        batch_op.drop_column("search_name")
