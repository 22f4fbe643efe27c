"""labels per language for the configurable lists and ladder stages; commitment phrases

`choice_options.translations` and `ladder_stages.translations` hold {locale: {field: text}}
for the interface languages other than an entry's default text; `choice_options.phrase`
is how a follow-up text names a commitment kind ("your volunteer shift"). Personal
follow-up texts that said "the {commitment}" now say "{commitment}" (the phrase carries
its own article). The shipped translations are filled in after the upgrade by
fieldcrm.defaults (migrations/env.py).

Revision ID: e5a9c3d71f08
Revises: c4d8e2a61f90
Create Date: 2026-12-10 09:00:00

"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5a9c3d71f08"
down_revision = "c4d8e2a61f90"
branch_labels = None
depends_on = None

_THE_COMMITMENT = re.compile(r"\bthe \{commitment\}", re.IGNORECASE)


def upgrade():
    with op.batch_alter_table("choice_options", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phrase", sa.String(length=160), nullable=True))
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
    with op.batch_alter_table("ladder_stages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("sms_template", sa.String))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.sms_template).where(
            users.c.sms_template.like("%{commitment}%")
        )
    ).all()
    for user_id, template in rows:
        fixed = _THE_COMMITMENT.sub("{commitment}", template)
        if fixed != template:
            connection.execute(
                users.update().where(users.c.id == user_id).values(sms_template=fixed)
            )


def downgrade():
    with op.batch_alter_table("ladder_stages", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("choice_options", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("phrase")
