"""matching people typed by hand to their door

* ix_contacts_zip_house (res_zip5, res_house_number): the people at one door, read when a
  person added by hand is matched to the voter file (fieldcrm/contacts/matching.py).

Revision ID: c4d8e2a61f90
Revises: 7b2e4d9c1a53
Create Date: 2026-12-05 09:00:00

"""

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


def downgrade():
    op.drop_index("ix_contacts_zip_house", table_name="contacts")
