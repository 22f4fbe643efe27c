"""the turf index holds only the people on a turf

Every use of ix_contacts_turf_household names turfs (a turf, a list of them, a scope's),
which implies the turf is not NULL, so both databases still use it. A voter file's people
are on no turf until they are placed: a first load neither builds the index nor adds to it,
and on PostgreSQL a statewide file's unplaced people no longer hold entries with their
name keys.

Revision ID: 7d4b1e8c2f63
Revises: 2e7c5a9d4f81
Create Date: 2026-12-16 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7d4b1e8c2f63"
down_revision = "2e7c5a9d4f81"
branch_labels = None
depends_on = None


def _turf_index(where: str | None) -> None:
    op.drop_index("ix_contacts_turf_household", table_name="contacts", if_exists=True)
    condition = sa.text(where) if where else None
    op.create_index(
        "ix_contacts_turf_household",
        "contacts",
        ["turf_id", "household_key"],
        postgresql_include=["search_name", "search_first", "search_surname"],
        sqlite_where=condition,
        postgresql_where=condition,
    )


def upgrade():
    _turf_index("turf_id IS NOT NULL")


def downgrade():
    _turf_index(None)
