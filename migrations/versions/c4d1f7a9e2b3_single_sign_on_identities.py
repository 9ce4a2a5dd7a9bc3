"""single sign-on: accounts' OpenID Connect identities; organisations that require it

Revision ID: c4d1f7a9e2b3
Revises: b7f3a9c2e5d1
Create Date: 2026-12-01 23:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portfolio.db

# revision identifiers, used by Alembic.
revision = 'c4d1f7a9e2b3'
down_revision = 'b7f3a9c2e5d1'
branch_labels = None
depends_on = None


def upgrade():
    # Existing organisations keep password sign-in (false) until an admin changes it.
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('sso_required', sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        'user_identity',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('user_id', sa.String(length=22), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('provider', sa.String(length=40), nullable=False),
        sa.Column('email_at_link', sa.String(length=254), nullable=False),
        sa.Column('linked_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', portfolio.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_identity_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identity')),
        sa.UniqueConstraint('issuer', 'subject', name='uq_user_identity_subject'),
        sa.UniqueConstraint('user_id', 'issuer', name='uq_user_identity_user'),
    )
    with op.batch_alter_table('user_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_identity_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_identity_user_id'))
    op.drop_table('user_identity')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('sso_required')
