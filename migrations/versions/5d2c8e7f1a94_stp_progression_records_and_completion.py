"""STP review-of-progression records, completion (e-portfolio sign-off, MSc), Final Year Assessment sittings, extensions to training

Revision ID: 5d2c8e7f1a94
Revises: b7e3a9d2c5f1
Create Date: 2026-12-01 23:40:00

New tables only: existing rows are untouched.
"""
from alembic import op
import sqlalchemy as sa
import portfolio.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '5d2c8e7f1a94'
down_revision = 'b7e3a9d2c5f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stp_progression_record',
    sa.Column('id', sa.String(length=22), nullable=False),
    sa.Column('enrolment_id', sa.String(length=22), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('reporter', sa.String(length=30), nullable=False),
    sa.Column('topics', portfolio.db.JSONDocument(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.String(length=22), nullable=False),
    sa.Column('recorded_at', portfolio.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('check_in', 'exception', 'midterm_trainee', 'midterm_officer')", name=op.f('ck_stp_progression_record_kind')),
    sa.CheckConstraint("reporter IN ('', 'trainee', 'training_officer', 'university')", name=op.f('ck_stp_progression_record_reporter')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_stp_progression_record_enrolment_id_enrolment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_stp_progression_record_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stp_progression_record'))
    )
    with op.batch_alter_table('stp_progression_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stp_progression_record_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('stp_completion',
    sa.Column('enrolment_id', sa.String(length=22), nullable=False),
    sa.Column('portfolio_signed_off_on', sa.Date(), nullable=True),
    sa.Column('portfolio_signed_off_by_id', sa.String(length=22), nullable=True),
    sa.Column('msc_status', sa.String(length=20), nullable=True),
    sa.Column('msc_institution', sa.String(length=200), nullable=False),
    sa.Column('msc_awarded_on', sa.Date(), nullable=True),
    sa.Column('msc_recorded_by_id', sa.String(length=22), nullable=True),
    sa.Column('updated_at', portfolio.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("msc_status IS NULL OR msc_status IN ('studying', 'awarded', 'not_awarded')", name=op.f('ck_stp_completion_msc_status')),
    sa.CheckConstraint("msc_status = 'awarded' OR msc_awarded_on IS NULL", name=op.f('ck_stp_completion_msc_awarded')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_stp_completion_enrolment_id_enrolment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['msc_recorded_by_id'], ['user_account.id'], name=op.f('fk_stp_completion_msc_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['portfolio_signed_off_by_id'], ['user_account.id'], name=op.f('fk_stp_completion_portfolio_signed_off_by_id_user_account')),
    sa.PrimaryKeyConstraint('enrolment_id', name=op.f('pk_stp_completion'))
    )

    op.create_table('stp_fya_sitting',
    sa.Column('id', sa.String(length=22), nullable=False),
    sa.Column('enrolment_id', sa.String(length=22), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('sat_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_by_id', sa.String(length=22), nullable=False),
    sa.Column('recorded_at', portfolio.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('awaiting', 'pass', 'fail', 'did_not_attend')", name=op.f('ck_stp_fya_sitting_outcome')),
    sa.CheckConstraint('attempt BETWEEN 1 AND 3', name=op.f('ck_stp_fya_sitting_attempt')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_stp_fya_sitting_enrolment_id_enrolment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_stp_fya_sitting_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stp_fya_sitting')),
    sa.UniqueConstraint('enrolment_id', 'attempt', name='uq_fya_attempt')
    )
    with op.batch_alter_table('stp_fya_sitting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stp_fya_sitting_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('stp_training_extension',
    sa.Column('id', sa.String(length=22), nullable=False),
    sa.Column('enrolment_id', sa.String(length=22), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('new_end_date', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.String(length=22), nullable=False),
    sa.Column('recorded_at', portfolio.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('statutory_absence', 'exceptional_circumstances')", name=op.f('ck_stp_training_extension_kind')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_stp_training_extension_dates')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_stp_training_extension_enrolment_id_enrolment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_stp_training_extension_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stp_training_extension'))
    )
    with op.batch_alter_table('stp_training_extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stp_training_extension_enrolment_id'), ['enrolment_id'], unique=False)


def downgrade():
    for table in ('stp_training_extension', 'stp_fya_sitting', 'stp_progression_record'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_enrolment_id'))
    op.drop_table('stp_training_extension')
    op.drop_table('stp_fya_sitting')
    op.drop_table('stp_completion')
    op.drop_table('stp_progression_record')
