"""bundle imports marked as imported: sources, imported sign-offs, imported versions

Revision ID: 7c1e5b2d9a40
Revises: 7e2b9c41d0a3
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import portfolio.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '7c1e5b2d9a40'
down_revision = '7e2b9c41d0a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bundle_import',
    sa.Column('id', sa.String(length=22), nullable=False),
    sa.Column('bundle_sha256', sa.String(length=64), nullable=False),
    sa.Column('installation', sa.String(length=120), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('trusted', sa.Boolean(), nullable=False),
    sa.Column('enrolment_id', sa.String(length=22), nullable=True),
    sa.Column('imported_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_bundle_import_enrolment_id_enrolment'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bundle_import')),
    sa.UniqueConstraint('bundle_sha256', name=op.f('uq_bundle_import_bundle_sha256'))
    )
    with op.batch_alter_table('bundle_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bundle_import_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('imported_signoff',
    sa.Column('id', sa.String(length=22), nullable=False),
    sa.Column('import_id', sa.String(length=22), nullable=False),
    sa.Column('evidence_id', sa.String(length=22), nullable=False),
    sa.Column('assessor_name', sa.String(length=120), nullable=False),
    sa.Column('assessor_email', sa.String(length=254), nullable=False),
    sa.Column('evidence_version', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('claims', portfolio.db.JSONDocument(), nullable=False),
    sa.Column('decided_at', portfolio.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', portfolio.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('superseded_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("decision IN ('approved', 'returned')", name=op.f('ck_imported_signoff_decision')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_imported_signoff_evidence_id_evidence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['bundle_import.id'], name=op.f('fk_imported_signoff_import_id_bundle_import')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_signoff'))
    )
    with op.batch_alter_table('imported_signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imported_signoff_evidence_id'), ['evidence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imported_signoff_import_id'), ['import_id'], unique=False)

    with op.batch_alter_table('curriculum', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_from', sa.String(length=200), nullable=True))

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_from_id', sa.String(length=22), nullable=True))
        batch_op.create_index(batch_op.f('ix_evidence_imported_from_id'), ['imported_from_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_evidence_imported_from_id_bundle_import'), 'bundle_import', ['imported_from_id'], ['id'])


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evidence_imported_from_id_bundle_import'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_evidence_imported_from_id'))
        batch_op.drop_column('imported_from_id')

    with op.batch_alter_table('curriculum', schema=None) as batch_op:
        batch_op.drop_column('imported_from')

    with op.batch_alter_table('imported_signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_signoff_import_id'))
        batch_op.drop_index(batch_op.f('ix_imported_signoff_evidence_id'))

    op.drop_table('imported_signoff')
    with op.batch_alter_table('bundle_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundle_import_enrolment_id'))

    op.drop_table('bundle_import')
