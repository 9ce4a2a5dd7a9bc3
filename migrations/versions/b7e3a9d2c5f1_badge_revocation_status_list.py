"""badge revocation: each issued Open Badges credential's slot in a status list

Revision ID: b7e3a9d2c5f1
Revises: e6b2f0c4d8a1
Create Date: 2026-12-01 23:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portfolio.db

# revision identifiers, used by Alembic.
revision = 'b7e3a9d2c5f1'
down_revision = 'e6b2f0c4d8a1'
branch_labels = None
depends_on = None


def upgrade():
    # A new table only: badges issued before this carry no status entry and are
    # left as they are.
    op.create_table(
        'badge_status',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('credential_id', sa.String(length=100), nullable=False),
        sa.Column('signoff_id', sa.String(length=22), nullable=False),
        sa.Column('list_number', sa.Integer(), nullable=False),
        sa.Column('list_index', sa.Integer(), nullable=False),
        sa.Column('issued_at', portfolio.db.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', portfolio.db.UTCDateTime(), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.CheckConstraint('list_index >= 0 AND list_index < 131072', name=op.f('ck_badge_status_list_index')),
        sa.ForeignKeyConstraint(['signoff_id'], ['signoff.id'], name=op.f('fk_badge_status_signoff_id_signoff'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_status')),
        sa.UniqueConstraint('credential_id', name=op.f('uq_badge_status_credential_id')),
        sa.UniqueConstraint('list_number', 'list_index', name='uq_badge_status_slot'),
    )
    with op.batch_alter_table('badge_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_status_signoff_id'), ['signoff_id'], unique=False)


def downgrade():
    with op.batch_alter_table('badge_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_status_signoff_id'))
    op.drop_table('badge_status')
