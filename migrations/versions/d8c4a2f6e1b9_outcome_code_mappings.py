"""outcome code mappings: old curriculum codes and what became of them

Revision ID: d8c4a2f6e1b9
Revises: e3a8c5f1b7d4
Create Date: 2026-12-01 23:55:00.000000

"""
from alembic import op
import sqlalchemy as sa
import portfolio.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'd8c4a2f6e1b9'
down_revision = 'e3a8c5f1b7d4'
branch_labels = None
depends_on = None


def upgrade():
    # A new table only: existing claims are untouched until a mapping file is loaded
    # (flask curricula load), which moves claims only where the meaning is the same.
    op.create_table(
        'outcome_code_mapping',
        sa.Column('id', sa.String(length=22), nullable=False),
        sa.Column('curriculum_slug', sa.String(length=64), nullable=False),
        sa.Column('from_code', sa.String(length=64), nullable=False),
        sa.Column('to_code', sa.String(length=64), nullable=True),
        sa.Column('meaning', sa.String(length=10), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('source_file', sa.String(length=300), nullable=False),
        sa.Column('claims_moved', sa.Integer(), nullable=False),
        sa.Column('loaded_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("meaning IN ('same', 'changed', 'removed')", name=op.f('ck_outcome_code_mapping_meaning')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_code_mapping')),
        sa.UniqueConstraint('curriculum_slug', 'from_code', name='uq_outcome_code_mapping_from'),
    )
    with op.batch_alter_table('outcome_code_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_code_mapping_curriculum_slug'), ['curriculum_slug'], unique=False)


def downgrade():
    with op.batch_alter_table('outcome_code_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_code_mapping_curriculum_slug'))
    op.drop_table('outcome_code_mapping')
