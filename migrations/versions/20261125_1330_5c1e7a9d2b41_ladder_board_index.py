"""Index contacts by turf and ladder stage for the ladder board

Revision ID: 5c1e7a9d2b41
Revises: b83300edf092
Create Date: 2026-11-25 13:30:00

The ladder board counts people per stage, averages their time in stage and lists who is
stalled, all within an actor's turfs; this covering index keeps it to an index range scan
per turf instead of reading every contact of the turf.
"""

from alembic import op

revision = "5c1e7a9d2b41"
down_revision = "b83300edf092"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contacts_turf_ladder",
            ["turf_id", "ladder_stage_id", "ladder_stage_since", "last_contacted_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_turf_ladder")
