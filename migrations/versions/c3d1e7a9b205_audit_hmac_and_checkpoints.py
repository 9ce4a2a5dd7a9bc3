"""audit events keyed with an HMAC; signed audit checkpoints

Existing events keep mac NULL: they were written with the plain SHA-256 scheme and
still verify with it. Events written from now on carry an HMAC under AUDIT_KEY.

Revision ID: c3d1e7a9b205
Revises: 12a43616ec0f
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import portfolio.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'c3d1e7a9b205'
down_revision = '12a43616ec0f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))

    op.create_table('audit_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('head_seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=80), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint'))
    )


def downgrade():
    op.drop_table('audit_checkpoint')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('mac')
