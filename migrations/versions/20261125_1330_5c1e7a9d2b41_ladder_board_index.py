"""Index the contacts on the ladder by turf, for the ladder board

Revision ID: 5c1e7a9d2b41
Revises: b83300edf092
Create Date: 2026-11-25 13:30:00

The ladder board counts people per stage, averages their time in stage, lists who is
stalled and finds who moved up, all within an actor's turfs. A partial index holding only
the contacts on the ladder (a few percent of a voter file) keeps each of those to a small
index range per turf, whatever the size of the turf.
"""

import sqlalchemy as sa
from alembic import op

revision = "5c1e7a9d2b41"
down_revision = "b83300edf092"
branch_labels = None
depends_on = None

ON_LADDER = "ladder_stage_id IS NOT NULL"


def upgrade():
    op.create_index(
        "ix_contacts_turf_ladder",
        "contacts",
        ["turf_id", "ladder_stage_id", "ladder_stage_since", "last_contacted_at"],
        unique=False,
        sqlite_where=sa.text(ON_LADDER),
        postgresql_where=sa.text(ON_LADDER),
    )


def downgrade():
    op.drop_index("ix_contacts_turf_ladder", table_name="contacts")
