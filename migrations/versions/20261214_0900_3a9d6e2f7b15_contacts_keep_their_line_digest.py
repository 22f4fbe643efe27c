"""contacts keep the digest of the line they were imported from

A refresh passes a line on unparsed when it is the very line a contact was last written
from (fieldcrm.imports.reading.lines). Nullable and without a default: adding it rewrites
no row on PostgreSQL or SQLite.

Revision ID: 3a9d6e2f7b15
Revises: 8d2f4b6a1c37
Create Date: 2026-12-14 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3a9d6e2f7b15"
down_revision = "8d2f4b6a1c37"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("contacts", sa.Column("vf_line_hash", sa.String(32), nullable=True))


def downgrade():
    # both databases drop a column in place (SQLite since 3.35); a batch copy of contacts
    # would trip the report triggers that name it
    op.execute("ALTER TABLE contacts DROP COLUMN vf_line_hash")
