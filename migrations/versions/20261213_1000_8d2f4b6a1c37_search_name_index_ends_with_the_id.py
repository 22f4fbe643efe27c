"""the name index ends with the id: a page of one common name is read in order, not sorted

The list orders a name search by (search_name, id). With the id only included, PostgreSQL
read every person sharing a name key ("smith mary": 63,000 in the statewide bench) to sort
them by id before showing 50 (330 ms); with the id in the key it reads the 50. SQLite's
index already ended with the row id; the same definition keeps the two alike.

Revision ID: 8d2f4b6a1c37
Revises: 5b7e2c9d4a16
Create Date: 2026-12-13 10:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "8d2f4b6a1c37"
down_revision = "5b7e2c9d4a16"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_contacts_search_name", table_name="contacts")
    op.create_index(
        "ix_contacts_search_name",
        "contacts",
        ["search_name", "id"],
        postgresql_include=["turf_id"],
    )


def downgrade():
    op.drop_index("ix_contacts_search_name", table_name="contacts")
    op.create_index(
        "ix_contacts_search_name",
        "contacts",
        ["search_name"],
        postgresql_include=["turf_id", "id"],
    )
