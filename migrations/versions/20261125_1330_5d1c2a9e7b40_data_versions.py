"""data versions: counters that tell report caches the data changed

Revision ID: 5d1c2a9e7b40
Revises: 5c1e7a9d2b41
Create Date: 2026-11-25 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d1c2a9e7b40"
down_revision = "5c1e7a9d2b41"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_versions")),
    )


def downgrade():
    op.drop_table("data_versions")
