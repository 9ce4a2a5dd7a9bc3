"""enrolment.revision: a token that changes with everything the cohort reads of it

Revision ID: b7e3f1a9d2c4
Revises: a4d7e2c9f1b6
Create Date: 2026-12-02 19:30:00.000000

Existing enrolments get "0" (the server default): their cohort rows are kept under it
until anything of theirs next changes, when the app gives them a random token.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e3f1a9d2c4"
down_revision = "a4d7e2c9f1b6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "revision", sa.String(length=32), server_default="0", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_column("revision")
