"""turf rollups: per-turf counts kept by triggers, for the coverage report cold

`turf_people` and `turf_days` are delta logs kept by triggers on contacts, conversations
and commitments (fieldcrm.rollups.ddl); `rollup_pause` lets a bulk move pause the contacts
triggers inside its transaction on SQLite; `ix_contacts_turf_attempts` (partial: people
with an attempt) answers people attempted / reached since a date. The upgrade installs
the triggers, sets every person's last attempt and conversation from their conversations
(the triggers keep them so from then on) and counts every turf once: a few seconds for a
million people.

The trigger definitions are imported from fieldcrm.rollups.ddl rather than copied here:
`install` drops and recreates them, so a later revision that changes them calls it again.

Revision ID: 9c3e7b1d5a24
Revises: c4d1e8a2f6b3
Create Date: 2026-12-12 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9c3e7b1d5a24"
down_revision = "c4d1e8a2f6b3"
branch_labels = None
depends_on = None

_RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    from fieldcrm.rollups import ddl, maintain

    op.create_table(
        "turf_people",
        sa.Column("id", _RowId, nullable=False),
        sa.Column("turf_id", sa.Integer(), nullable=False),
        sa.Column("support", sa.SmallInteger(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("dnc", sa.Boolean(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("lat_n", sa.Integer(), nullable=False),
        sa.Column("lat_e6", sa.BigInteger(), nullable=False),
        sa.Column("lon_n", sa.Integer(), nullable=False),
        sa.Column("lon_e6", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turf_people")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_turf_people_turf_id"), "turf_people", ["turf_id"])
    op.create_table(
        "turf_days",
        sa.Column("id", _RowId, nullable=False),
        sa.Column("turf_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dnc", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("talks", sa.Integer(), nullable=False),
        sa.Column("made", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turf_days")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_turf_days_turf_id_day", "turf_days", ["turf_id", "day"])
    op.create_table(
        "rollup_pause",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_pause")),
    )
    op.create_index(
        "ix_contacts_turf_attempts",
        "contacts",
        ["turf_id", "last_attempt_at", "last_contacted_at", "do_not_contact"],
        sqlite_where=sa.text("last_attempt_at IS NOT NULL"),
        postgresql_where=sa.text("last_attempt_at IS NOT NULL"),
    )
    connection = op.get_bind()
    ddl.install(connection)
    maintain.rebuild(connection)


def downgrade():
    from fieldcrm.rollups import ddl

    ddl.drop(op.get_bind())
    op.drop_index("ix_contacts_turf_attempts", table_name="contacts")
    op.drop_table("rollup_pause")
    op.drop_index("ix_turf_days_turf_id_day", table_name="turf_days")
    op.drop_table("turf_days")
    op.drop_index(op.f("ix_turf_people_turf_id"), table_name="turf_people")
    op.drop_table("turf_people")
