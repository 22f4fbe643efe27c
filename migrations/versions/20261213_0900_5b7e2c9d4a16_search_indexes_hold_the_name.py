"""search indexes hold the whole name key: a query's other words are tested in the index

`ix_contacts_search_first` and `ix_contacts_search_surname` gain `search_name` as a second
key, and on PostgreSQL all three search indexes include `turf_id` and `id`, so that a
probe of a common word ("mary") tests the other words ("smith") on its index entries and
reads only the rows that match (fieldcrm.contacts.search). Rebuilding them reads the
contacts table once per index: about a minute for a million people on PostgreSQL, during
which the table takes no writes.

Revision ID: 5b7e2c9d4a16
Revises: 9c3e7b1d5a24
Create Date: 2026-12-13 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b7e2c9d4a16"
down_revision = "9c3e7b1d5a24"
branch_labels = None
depends_on = None

_SURNAME = sa.text("search_surname IS NOT NULL")


def _create(include: list[str] | None) -> None:
    extra = {"postgresql_include": include} if include else {}
    op.create_index("ix_contacts_search_name", "contacts", ["search_name"], **extra)
    first = ["search_first", "search_name"] if include else ["search_first"]
    op.create_index("ix_contacts_search_first", "contacts", first, **extra)
    surname = ["search_surname", "search_name"] if include else ["search_surname"]
    op.create_index(
        "ix_contacts_search_surname",
        "contacts",
        surname,
        sqlite_where=_SURNAME,
        postgresql_where=_SURNAME,
        **extra,
    )


def _drop() -> None:
    for name in ("ix_contacts_search_name", "ix_contacts_search_first", "ix_contacts_search_surname"):
        op.drop_index(name, table_name="contacts")


def upgrade():
    _drop()
    _create(["turf_id", "id"])


def downgrade():
    _drop()
    _create(None)
