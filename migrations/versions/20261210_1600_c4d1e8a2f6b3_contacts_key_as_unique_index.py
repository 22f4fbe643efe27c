"""contacts (source, voter_id): a unique index instead of a unique constraint

The same rule, but an index can be dropped for a bulk first load and built once at the end
(fieldcrm.imports.writers), which SQLite cannot do with a table constraint; maintained row
by row it cost about a third of SQLite's insert time.

Revision ID: c4d1e8a2f6b3
Revises: c4a91f2e6b38
Create Date: 2026-12-10 16:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d1e8a2f6b3"
down_revision = "c4a91f2e6b38"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_constraint("uq_contacts_source_voter_id", type_="unique")
    op.create_index(
        "uq_contacts_source_voter_id", "contacts", ["source", "voter_id"], unique=True
    )


def downgrade():
    op.drop_index("uq_contacts_source_voter_id", table_name="contacts")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.create_unique_constraint("uq_contacts_source_voter_id", ["source", "voter_id"])
