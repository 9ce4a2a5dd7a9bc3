"""Progress as a maintained read model: per enrolment and outcome (progress_outcome),
and the enrolment's next-action counts and flag dates on progress_summary

Revision ID: b7c3e9a1f5d2
Revises: e1a7c3f9b2d4
Create Date: 2026-12-02 00:20:00.000000

The new rows are filled by ``flask progress rebuild`` (run after the upgrade); until
then the pages compute progress in memory for enrolments without them.
"""

import sqlalchemy as sa
from alembic import op

import portfolio.db

# revision identifiers, used by Alembic.
revision = "b7c3e9a1f5d2"
down_revision = "e1a7c3f9b2d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "progress_outcome",
        sa.Column("enrolment_id", sa.String(length=22), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        sa.Column("signed_count", sa.Integer(), nullable=False),
        sa.Column("submitted_count", sa.Integer(), nullable=False),
        sa.Column("returned_count", sa.Integer(), nullable=False),
        sa.Column("draft_count", sa.Integer(), nullable=False),
        sa.Column("signed_dates", sa.Integer(), nullable=False),
        sa.Column("signed_reflections", sa.Integer(), nullable=False),
        sa.Column("counts", portfolio.db.JSONDocument(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_progress_outcome_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrolment_id", "code", name=op.f("pk_progress_outcome")),
    )
    with op.batch_alter_table("progress_summary") as batch:
        batch.add_column(
            sa.Column("returned_items", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("draft_items", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("last_evidence_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column(
                "oldest_submitted_at",
                portfolio.db.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    # Summaries written before these columns existed lack the counts: drop them so
    # the pages compute in memory until `flask progress rebuild` writes them again.
    op.execute("DELETE FROM progress_summary")


def downgrade():
    with op.batch_alter_table("progress_summary") as batch:
        batch.drop_column("oldest_submitted_at")
        batch.drop_column("last_evidence_on")
        batch.drop_column("draft_items")
        batch.drop_column("returned_items")
    op.drop_table("progress_outcome")
