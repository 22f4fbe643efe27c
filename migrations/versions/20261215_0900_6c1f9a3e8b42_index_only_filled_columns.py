"""columns a voter file leaves empty are indexed only where filled; no index of a ZIP alone

The coordinates (where the state gives none), the VANID, the owner and the ladder stage are
empty for most of an imported state's people. Their indexes held an entry for every one of
them, which a bulk load built (about 0.2 s a million contacts each on SQLite) and a refresh
kept for every updated row; every lookup names a value, so an index of the filled rows
serves it. The index of the ZIP code alone repeated the first column of
ix_contacts_zip_house.

The drops say ``if_exists``: a bulk load killed before it rebuilt its indexes leaves them
missing until an import finishes (fieldcrm.imports.run.finish_run).

Revision ID: 6c1f9a3e8b42
Revises: 3a9d6e2f7b15
Create Date: 2026-12-15 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6c1f9a3e8b42"
down_revision = "3a9d6e2f7b15"
branch_labels = None
depends_on = None

FILLED_ONLY = {
    "ix_contacts_lat_lon": ["latitude", "longitude"],
    "ix_contacts_van_id": ["van_id"],
    "ix_contacts_owner_id": ["owner_id"],
    "ix_contacts_ladder_stage_id": ["ladder_stage_id"],
}


def upgrade():
    for name, columns in FILLED_ONLY.items():
        where = sa.text(f"{columns[0]} IS NOT NULL")
        op.drop_index(name, table_name="contacts", if_exists=True)
        op.create_index(name, "contacts", columns, sqlite_where=where, postgresql_where=where)
    op.drop_index("ix_contacts_res_zip5", table_name="contacts", if_exists=True)


def downgrade():
    op.create_index("ix_contacts_res_zip5", "contacts", ["res_zip5"])
    for name, columns in FILLED_ONLY.items():
        op.drop_index(name, table_name="contacts", if_exists=True)
        op.create_index(name, "contacts", columns)
