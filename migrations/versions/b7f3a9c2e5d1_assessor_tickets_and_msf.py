"""Assessor tickets (people without an account), countersignature, reflections
linked to an assessment, and multi-source feedback rounds

Revision ID: b7f3a9c2e5d1
Revises: f2b6d9a4c8e3
Create Date: 2026-12-01 23:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portfolio.db

# revision identifiers, used by Alembic.
revision = 'b7f3a9c2e5d1'
down_revision = 'f2b6d9a4c8e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ticket',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('subject_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.String(length=22), nullable=False),
        sa.Column('created_at', portfolio.db.UTCDateTime(), nullable=False),
        sa.Column('expires_at', portfolio.db.UTCDateTime(), nullable=False),
        sa.Column('sent_count', sa.Integer(), nullable=False),
        sa.Column('last_sent_at', portfolio.db.UTCDateTime(), nullable=False),
        sa.Column('opened_at', portfolio.db.UTCDateTime(), nullable=True),
        sa.Column('used_at', portfolio.db.UTCDateTime(), nullable=True),
        sa.Column('revoked_at', portfolio.db.UTCDateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.String(length=22), nullable=True),
        sa.Column('confirmed_name', sa.String(length=120), nullable=True),
        sa.Column('confirmed_role', sa.String(length=120), nullable=True),
        sa.Column('registration_body', sa.String(length=10), nullable=True),
        sa.Column('registration_number', sa.String(length=30), nullable=True),
        sa.CheckConstraint("purpose IN ('wba', 'msf')", name=op.f('ck_ticket_purpose')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_ticket_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_ticket_revoked_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_ticket_token_hash')),
    )
    op.create_index('ix_ticket_subject', 'ticket', ['purpose', 'subject_id'], unique=False)
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.alter_column('assessor_id', existing_type=sa.String(length=22), nullable=True)
        batch_op.add_column(sa.Column('ticket_id', sa.String(length=22), nullable=True))
        batch_op.add_column(sa.Column('countersign_required', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('countersigned_by_id', sa.String(length=22), nullable=True))
        batch_op.add_column(sa.Column('countersigned_at', portfolio.db.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_signoff_ticket_id_ticket'), 'ticket', ['ticket_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_signoff_countersigned_by_id_user_account'), 'user_account', ['countersigned_by_id'], ['id'])
        batch_op.create_check_constraint('assessor', 'assessor_id IS NOT NULL OR ticket_id IS NOT NULL')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reflects_on_id', sa.String(length=22), nullable=True))
        batch_op.create_index(batch_op.f('ix_evidence_reflects_on_id'), ['reflects_on_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_evidence_reflects_on_id_evidence'), 'evidence', ['reflects_on_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'msf_round',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('trainee_id', sa.String(length=22), nullable=False),
        sa.Column('enrolment_id', sa.String(length=22), nullable=False),
        sa.Column('outcome_ids', portfolio.db.JSONDocument(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('self_assessment', portfolio.db.JSONDocument(), nullable=False),
        sa.Column('min_raters', sa.Integer(), nullable=False),
        sa.Column('created_at', portfolio.db.UTCDateTime(), nullable=False),
        sa.Column('reviewed_on', sa.Date(), nullable=True),
        sa.Column('released_at', portfolio.db.UTCDateTime(), nullable=True),
        sa.Column('released_by_id', sa.String(length=22), nullable=True),
        sa.Column('summary', portfolio.db.JSONDocument(), nullable=True),
        sa.Column('evidence_id', sa.String(length=22), nullable=True),
        sa.CheckConstraint("status IN ('collecting', 'released')", name=op.f('ck_msf_round_status')),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_msf_round_enrolment_id_enrolment')),
        sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_msf_round_evidence_id_evidence')),
        sa.ForeignKeyConstraint(['released_by_id'], ['user_account.id'], name=op.f('fk_msf_round_released_by_id_user_account')),
        sa.ForeignKeyConstraint(['trainee_id'], ['user_account.id'], name=op.f('fk_msf_round_trainee_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_msf_round')),
    )
    op.create_index(op.f('ix_msf_round_trainee_id'), 'msf_round', ['trainee_id'], unique=False)
    op.create_table(
        'msf_rater',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('round_id', sa.String(length=22), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('ticket_id', sa.String(length=22), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['msf_round.id'], name=op.f('fk_msf_rater_round_id_msf_round'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_msf_rater_ticket_id_ticket')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_msf_rater')),
    )
    op.create_index(op.f('ix_msf_rater_round_id'), 'msf_rater', ['round_id'], unique=False)
    op.create_table(
        'msf_response',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('round_id', sa.String(length=22), nullable=False),
        sa.Column('ratings', portfolio.db.JSONDocument(), nullable=False),
        sa.Column('comments', portfolio.db.JSONDocument(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['msf_round.id'], name=op.f('fk_msf_response_round_id_msf_round'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_msf_response')),
    )
    op.create_index(op.f('ix_msf_response_round_id'), 'msf_response', ['round_id'], unique=False)
    # MSF items recorded so far hold a summary the trainee typed: marked as
    # recorded under the previous flow, their answers and sign-offs untouched.
    op.execute("UPDATE evidence SET ratings_by_trainee = true WHERE kind = 'msf'")


def downgrade():
    op.drop_index(op.f('ix_msf_response_round_id'), table_name='msf_response')
    op.drop_table('msf_response')
    op.drop_index(op.f('ix_msf_rater_round_id'), table_name='msf_rater')
    op.drop_table('msf_rater')
    op.drop_index(op.f('ix_msf_round_trainee_id'), table_name='msf_round')
    op.drop_table('msf_round')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evidence_reflects_on_id_evidence'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_evidence_reflects_on_id'))
        batch_op.drop_column('reflects_on_id')
    op.execute("DELETE FROM signoff WHERE assessor_id IS NULL")
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.drop_constraint('ck_signoff_assessor', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_signoff_countersigned_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_signoff_ticket_id_ticket'), type_='foreignkey')
        batch_op.drop_column('countersigned_at')
        batch_op.drop_column('countersigned_by_id')
        batch_op.drop_column('countersign_required')
        batch_op.drop_column('ticket_id')
        batch_op.alter_column('assessor_id', existing_type=sa.String(length=22), nullable=False)
    op.drop_index('ix_ticket_subject', table_name='ticket')
    op.drop_table('ticket')
