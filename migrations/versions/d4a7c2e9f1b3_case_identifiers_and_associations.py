"""CASE identifiers, sequence numbers and associations kept from imports

Revision ID: d4a7c2e9f1b3
Revises: 7c1e5b2d9a40
Create Date: 2026-12-01 10:00:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa
import portfolio.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'd4a7c2e9f1b3'
down_revision = '7c1e5b2d9a40'
branch_labels = None
depends_on = None

# portfolio/curriculum/models.py CASE_NAMESPACE, as it is at this revision.
CASE_NAMESPACE = uuid.UUID("5a3b3f5e-8f0c-4f63-9d7a-6b1d6f0c2a11")


def _uuid(*parts):
    return str(uuid.uuid5(CASE_NAMESPACE, ":".join(parts)))


def upgrade():
    with op.batch_alter_table('curriculum', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('case_associations', portfolio.db.JSONDocument(), nullable=True))
        batch_op.create_index(batch_op.f('ix_curriculum_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('outcome', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('case_sequence', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outcome_case_id'), ['case_id'], unique=False)

    # Existing rows get the identifiers they have always been exported with.
    connection = op.get_bind()
    curriculum = sa.table('curriculum', sa.column('id'), sa.column('slug'),
                          sa.column('case_id'), sa.column('case_associations', portfolio.db.JSONDocument()))
    outcome = sa.table('outcome', sa.column('id'), sa.column('origin_slug'),
                       sa.column('code'), sa.column('case_id'))
    for row in connection.execute(sa.select(curriculum.c.id, curriculum.c.slug)).all():
        connection.execute(curriculum.update().where(curriculum.c.id == row.id).values(
            case_id=_uuid(row.slug), case_associations=[]))
    for row in connection.execute(
        sa.select(outcome.c.id, outcome.c.origin_slug, outcome.c.code)
    ).all():
        connection.execute(outcome.update().where(outcome.c.id == row.id).values(
            case_id=_uuid(row.origin_slug, row.code)))
    with op.batch_alter_table('curriculum', schema=None) as batch_op:
        batch_op.alter_column('case_associations', existing_type=portfolio.db.JSONDocument(), nullable=False)


def downgrade():
    with op.batch_alter_table('outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_case_id'))
        batch_op.drop_column('case_sequence')
        batch_op.drop_column('case_id')

    with op.batch_alter_table('curriculum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_curriculum_case_id'))
        batch_op.drop_column('case_associations')
        batch_op.drop_column('case_id')
