"""the turf index holds the name keys on PostgreSQL: a search in a small scope reads entries

A search in a scope smaller than a common word's share of the state (an organizer's turf)
reads the scope through its turfs and tests every word on each person (fieldcrm.contacts
.search). With the name keys included in ix_contacts_turf_household that test is made on
index entries. SQLite has no included columns, and its scopes of this size are small.

Revision ID: 2e7c5a9d4f81
Revises: 6c1f9a3e8b42
Create Date: 2026-12-15 10:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "2e7c5a9d4f81"
down_revision = "6c1f9a3e8b42"
branch_labels = None
depends_on = None


def _turf_index(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_contacts_turf_household", table_name="contacts", if_exists=True)
    op.create_index(
        "ix_contacts_turf_household",
        "contacts",
        ["turf_id", "household_key"],
        postgresql_include=include,
    )


def upgrade():
    _turf_index(["search_name", "search_first", "search_surname"])


def downgrade():
    _turf_index([])
