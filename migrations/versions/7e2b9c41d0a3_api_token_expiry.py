"""api token expiry

Revision ID: 7e2b9c41d0a3
Revises: c3d1e7a9b205
Create Date: 2026-12-01 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
import portfolio.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '7e2b9c41d0a3'
down_revision = 'c3d1e7a9b205'
branch_labels = None
depends_on = None


def upgrade():
    # Tokens made before this revision keep working until revoked (no expiry).
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', portfolio.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
