"""account lifecycle: role dates, deactivation, registration numbers, invitations, TOTP

Revision ID: e6b2f0c4d8a1
Revises: a5c8e1f4b7d2
Create Date: 2026-12-01 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
import portfolio.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'e6b2f0c4d8a1'
down_revision = 'a5c8e1f4b7d2'
branch_labels = None
depends_on = None


def upgrade():
    # Existing roles stay open-ended (no dates); existing people stay active.
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', portfolio.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deactivated_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('hcpc_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('rct_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('gmc_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('nmc_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', portfolio.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    op.create_table(
        'invitation',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('user_id', sa.String(length=22), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('organisation_id', sa.String(length=22), nullable=True),
        sa.Column('invited_by_id', sa.String(length=22), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', portfolio.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', portfolio.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('trainee', 'supervisor', 'training_lead', 'admin')", name=op.f('ck_invitation_role')),
        sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_invitation_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_invitation_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash')),
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_user_id'), ['user_id'], unique=False)

    op.create_table(
        'recovery_code',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('user_id', sa.String(length=22), nullable=False),
        sa.Column('code_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', portfolio.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recovery_code_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_user_id'))
    op.drop_table('invitation')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        for column in ('totp_last_step', 'totp_enabled_at', 'totp_secret', 'nmc_number',
                       'gmc_number', 'rct_number', 'hcpc_number', 'deactivated_reason',
                       'deactivated_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_column('end_date')
        batch_op.drop_column('start_date')
