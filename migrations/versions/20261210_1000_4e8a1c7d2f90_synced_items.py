"""synced items: what devices sent, stored once per (author, client id)

Revision ID: 4e8a1c7d2f90
Revises: e5a9c3d71f08
Create Date: 2026-12-04 12:00:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "4e8a1c7d2f90"
down_revision = "e5a9c3d71f08"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "synced_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_synced_items_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synced_items")),
        sa.UniqueConstraint("user_id", "client_id", name=op.f("uq_synced_items_user_id_client_id")),
    )
    op.create_index(op.f("ix_synced_items_stored_at"), "synced_items", ["stored_at"])


def downgrade():
    op.drop_index(op.f("ix_synced_items_stored_at"), table_name="synced_items")
    op.drop_table("synced_items")
