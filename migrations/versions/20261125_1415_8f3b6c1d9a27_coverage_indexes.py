"""covering indexes for the coverage report's conversation and commitment reads

Revision ID: 8f3b6c1d9a27
Revises: 5d1c2a9e7b40
Create Date: 2026-11-25 14:15:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "8f3b6c1d9a27"
down_revision = "5d1c2a9e7b40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_conversations_coverage",
        "conversations",
        ["contact_id", "occurred_at", "is_conversation"],
        unique=False,
    )
    op.create_index(
        "ix_commitments_coverage",
        "commitments",
        ["contact_id", "created_at", "status"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_commitments_coverage", table_name="commitments")
    op.drop_index("ix_conversations_coverage", table_name="conversations")
