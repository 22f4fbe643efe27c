"""drop ix_contacts_turf_id: ix_contacts_turf_household starts with turf_id and serves it

One index fewer to build after a bulk voter-file load and to maintain on every turf change.

Revision ID: 3a7e5c2b9d14
Revises: 8f3b6c1d9a27
Create Date: 2026-11-25 16:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "3a7e5c2b9d14"
down_revision = "8f3b6c1d9a27"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_contacts_turf_id", table_name="contacts", if_exists=True)


def downgrade():
    op.create_index("ix_contacts_turf_id", "contacts", ["turf_id"], unique=False)
