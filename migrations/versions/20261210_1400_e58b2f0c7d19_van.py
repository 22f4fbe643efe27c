"""VAN files: contacts.van_id, the VAN mapping, per-source settings

Revision ID: e58b2f0c7d19
Revises: c4e1a9d27b35
Create Date: 2026-12-10 12:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e58b2f0c7d19"
down_revision = "c4e1a9d27b35"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("van_id", sa.String(length=20), nullable=True))
    op.create_index(op.f("ix_contacts_van_id"), "contacts", ["van_id"])
    op.create_table(
        "van_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("fieldcrm_code", sa.String(length=80), nullable=False),
        sa.Column("van_name", sa.String(length=120), nullable=False),
        sa.Column("van_id", sa.String(length=20), nullable=True),
        sa.Column("question", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_van_mappings")),
    )
    op.create_index("ix_van_mappings_kind", "van_mappings", ["kind", "fieldcrm_code"])
    op.create_table(
        "source_settings",
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("voter_ids_are_vanids", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_settings")),
    )


def downgrade():
    op.drop_table("source_settings")
    op.drop_index("ix_van_mappings_kind", table_name="van_mappings")
    op.drop_table("van_mappings")
    op.drop_index(op.f("ix_contacts_van_id"), table_name="contacts")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("van_id")
