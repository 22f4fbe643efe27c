"""matching people typed by hand to their door; undone and corrected follow-up outcomes

* ix_contacts_zip_house (res_zip5, res_house_number): the people at one door, read when a
  person added by hand is matched to the voter file (fieldcrm/contacts/matching.py).
* commitment_events.change: "undo" or "correction" on the history event that took an
  outcome back (NULL for every earlier event).

Revision ID: c4d8e2a61f90
Revises: 7b2e4d9c1a53
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d8e2a61f90"
down_revision = "7b2e4d9c1a53"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_contacts_zip_house", "contacts", ["res_zip5", "res_house_number"], unique=False
    )
    with op.batch_alter_table("commitment_events") as batch_op:
        batch_op.add_column(sa.Column("change", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("commitment_events") as batch_op:
        batch_op.drop_column("change")
    op.drop_index("ix_contacts_zip_house", table_name="contacts")
