"""vote history: elections and votes

Votes are keyed by (source, voter_id, election_id), like contacts by (source, voter_id),
with no foreign key to contacts, so a history file can be imported before its voter file.

Revision ID: 7b2e4d9c1a53
Revises: 3a7e5c2b9d14
Create Date: 2026-12-04 00:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b2e4d9c1a53"
down_revision = "3a7e5c2b9d14"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "elections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
        sa.UniqueConstraint("election_date", "name", name=op.f("uq_elections_election_date_name")),
    )
    op.create_index("ix_elections_kind_date", "elections", ["kind", "election_date"])
    op.create_table(
        "votes",
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("voter_id", sa.String(length=64), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=True),
        sa.Column("party", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_votes_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "voter_id", "election_id", name=op.f("pk_votes")),
        sqlite_with_rowid=False,
    )


def downgrade():
    op.drop_table("votes")
    op.drop_index("ix_elections_kind_date", table_name="elections")
    op.drop_table("elections")
