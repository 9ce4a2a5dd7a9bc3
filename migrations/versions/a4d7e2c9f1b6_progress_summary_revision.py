"""progress_summary.revision: a token that changes with an enrolment's maintained rows

Revision ID: a4d7e2c9f1b6
Revises: f3a9c2e7b1d5
Create Date: 2026-12-02 07:40:00.000000

A nullable column: existing summaries have none until their rows next change (or
``flask progress rebuild`` runs), and until then their progress is not cached.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4d7e2c9f1b6"
down_revision = "f3a9c2e7b1d5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("progress_summary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("progress_summary", schema=None) as batch_op:
        batch_op.drop_column("revision")
