"""WBA forms completed by the assessor: the assessor's part on the sign-off, and
existing DOPS, OCE and CBD marked as rated by the trainee (the previous flow)

Revision ID: a5c8e1f4b7d2
Revises: d4a7c2e9f1b3
Create Date: 2026-12-01 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portfolio.db

# revision identifiers, used by Alembic.
revision = 'a5c8e1f4b7d2'
down_revision = 'd4a7c2e9f1b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ratings_by_trainee', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessment', portfolio.db.JSONDocument(), nullable=True))
    # Every DOPS, OCE and CBD recorded so far was rated by its trainee. Only this
    # marker is set: the answers, versions and sign-offs stay exactly as they are.
    op.execute(
        "UPDATE evidence SET ratings_by_trainee = true "
        "WHERE kind IN ('dops', 'oce', 'cbd')"
    )


def downgrade():
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.drop_column('assessment')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('ratings_by_trainee')
