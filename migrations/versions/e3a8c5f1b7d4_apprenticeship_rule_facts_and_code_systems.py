"""apprenticeship rule facts (age at start, who asked for a break) and organisation code systems

Revision ID: e3a8c5f1b7d4
Revises: 5d2c8e7f1a94
Create Date: 2026-12-01 23:40:00

Adds enrolment.age_at_start (English and maths at gateway depend on it),
learning_break.requested_by (apprentice, employer or provider), organisation.code_system
(ODS, GSS or LOCAL) and the "commissioner" organisation kind. Existing organisations keep
their codes and ids (enrolments reference them by id); code_system is filled from the code:
Scottish health board codes S08... are GSS geography codes, the Northern Ireland trusts'
acronyms and NHS Golden Jubilee's SB0801 are placeholders of ours (LOCAL, not confirmed),
every other code is an ODS code. No code changes, so no old -> new code mapping is needed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a8c5f1b7d4'
down_revision = '5d2c8e7f1a94'
branch_labels = None
depends_on = None

OLD_KINDS = "('trust', 'health_board', 'special_health_board', 'other')"
NEW_KINDS = "('trust', 'health_board', 'special_health_board', 'commissioner', 'other')"
LOCAL_CODES = ("BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT", "NIAS", "SB0801")


def upgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('age_at_start', sa.Integer(), nullable=True))

    with op.batch_alter_table('learning_break', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            'requested_by',
            "requested_by IS NULL OR requested_by IN ('apprentice', 'employer', 'provider')",
        )

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('code_system', sa.String(length=8), server_default='ODS', nullable=False)
        )
    organisation = sa.table(
        'organisation', sa.column('code', sa.String), sa.column('code_system', sa.String)
    )
    op.execute(
        organisation.update()
        .where(organisation.c.code.like('S08%'))
        .values(code_system='GSS')
    )
    op.execute(
        organisation.update()
        .where(organisation.c.code.in_(LOCAL_CODES))
        .values(code_system='LOCAL')
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'code_system', "code_system IN ('ODS', 'GSS', 'LOCAL')"
        )
        batch_op.drop_constraint(batch_op.f('ck_organisation_kind'), type_='check')
        batch_op.create_check_constraint('kind', f"kind IN {NEW_KINDS}")


def downgrade():
    op.execute("DELETE FROM organisation WHERE kind = 'commissioner'")
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organisation_kind'), type_='check')
        batch_op.create_check_constraint('kind', f"kind IN {OLD_KINDS}")
        batch_op.drop_constraint(batch_op.f('ck_organisation_code_system'), type_='check')
        batch_op.drop_column('code_system')

    with op.batch_alter_table('learning_break', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_learning_break_requested_by'), type_='check')
        batch_op.drop_column('requested_by')

    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('age_at_start')
