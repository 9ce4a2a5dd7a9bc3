"""apprenticeship enrolments record the version of the standard the apprentice started on

Revision ID: f2b6d9a4c8e3
Revises: d8c4a2f6e1b9
Create Date: 2026-12-01 23:25:00

Adds enrolment.standard_version. An apprentice stays on the version of the published
standard they started (for example ST0218 v1.0 or v1.1), so existing apprenticeship
enrolments are given the version of the curriculum they were enrolled on; other
enrolments keep none. No outcome code changes here: what became of the old
apprenticeship codes is in curricula/mappings/, applied when the curricula are loaded.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b6d9a4c8e3'
down_revision = 'd8c4a2f6e1b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standard_version', sa.String(length=20), nullable=True))
    enrolment = sa.table(
        'enrolment',
        sa.column('curriculum_id', sa.String),
        sa.column('standard_version', sa.String),
    )
    curriculum = sa.table(
        'curriculum', sa.column('id', sa.String), sa.column('version', sa.String),
        sa.column('kind', sa.String),
    )
    apprenticeship = (
        sa.select(curriculum.c.version)
        .where(
            curriculum.c.id == enrolment.c.curriculum_id,
            curriculum.c.kind == 'apprenticeship',
        )
        .scalar_subquery()
    )
    op.execute(
        enrolment.update()
        .where(
            enrolment.c.curriculum_id.in_(
                sa.select(curriculum.c.id).where(curriculum.c.kind == 'apprenticeship')
            )
        )
        .values(standard_version=apprenticeship)
    )


def downgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('standard_version')
