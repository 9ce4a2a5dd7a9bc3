"""Progress reviews can be scheduled (scheduled_review) and the parties still to sign
reminded (progress_review.signatures_reminded_at)

Revision ID: f3a9c2e7b1d5
Revises: d8b2f6a1c3e7
Create Date: 2026-12-02 00:30:00.000000

Adds a table and a nullable column: existing reviews are kept as they are, never
reminded yet.
"""

import sqlalchemy as sa
from alembic import op

import portfolio.db

# revision identifiers, used by Alembic.
revision = "f3a9c2e7b1d5"
down_revision = "d8b2f6a1c3e7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduled_review",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("enrolment_id", sa.String(length=22), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.String(length=22), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("reminded_at", portfolio.db.UTCDateTime(), nullable=True),
        sa.Column("review_id", sa.String(length=22), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_scheduled_review_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_scheduled_review_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["progress_review.id"],
            name=op.f("fk_scheduled_review_review_id_progress_review"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_review")),
    )
    with op.batch_alter_table("scheduled_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_review_enrolment_id"),
            ["enrolment_id"],
            unique=False,
        )
    with op.batch_alter_table("progress_review", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "signatures_reminded_at", portfolio.db.UTCDateTime(), nullable=True
            )
        )


def downgrade():
    with op.batch_alter_table("progress_review", schema=None) as batch_op:
        batch_op.drop_column("signatures_reminded_at")
    with op.batch_alter_table("scheduled_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_review_enrolment_id"))
    op.drop_table("scheduled_review")
