"""Claims keep the key they were signed as when a code mapping moves them

Revision ID: e1a7c3f9b2d4
Revises: c9e4b7a2d1f6
Create Date: 2026-12-01 23:55:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e1a7c3f9b2d4"
down_revision = "c9e4b7a2d1f6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outcome_claim", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signed_as", sa.String(length=300), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("outcome_claim", schema=None) as batch_op:
        batch_op.drop_column("signed_as")
