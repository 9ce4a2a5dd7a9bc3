"""Registration routes and CPD: applications, proposers and referees (tickets of
purpose "referee"), the CPD log and profile, register entries, and the two new
export kinds (a route's pack, the CPD profile)

Revision ID: d8b2f6a1c3e7
Revises: b7c3e9a1f5d2
Create Date: 2026-12-02 00:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

import portfolio.db

# revision identifiers, used by Alembic.
revision = "d8b2f6a1c3e7"
down_revision = "b7c3e9a1f5d2"
branch_labels = None
depends_on = None

OLD_PURPOSES = ("wba", "msf")
NEW_PURPOSES = ("wba", "msf", "referee")
OLD_KINDS = ("portfolio", "registration", "bundle", "capacity")
NEW_KINDS = (*OLD_KINDS, "registration_route", "cpd_profile")
ROUTES = (
    "rct_primary",
    "rct_equivalence",
    "ahcs_stp_equivalence",
    "hcpc_international",
)


def upgrade():
    op.create_table(
        "registration_application",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("owner_id", sa.String(length=22), nullable=False),
        sa.Column("route", sa.String(length=30), nullable=False),
        sa.Column("choice", sa.String(length=64), nullable=True),
        sa.Column("statements", portfolio.db.JSONDocument(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", portfolio.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", portfolio.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            f"route IN {ROUTES!r}", name=op.f("ck_registration_application_route")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_registration_application_owner_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_application")),
    )
    with op.batch_alter_table("registration_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_application_owner_id"),
            ["owner_id"],
            unique=False,
        )

    op.create_table(
        "registration_nominee",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("application_id", sa.String(length=22), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("relationship_to", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at", portfolio.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column(
            "confirmed_at", portfolio.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("ticket_id", sa.String(length=22), nullable=True),
        sa.CheckConstraint(
            "role IN ('proposer', 'referee')", name=op.f("ck_registration_nominee_role")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["registration_application.id"],
            name=op.f(
                "fk_registration_nominee_application_id_registration_application"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_registration_nominee_ticket_id_ticket"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_nominee")),
    )
    with op.batch_alter_table("registration_nominee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_nominee_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "cpd_activity",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("owner_id", sa.String(length=22), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("activity_type", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("learning", sa.Text(), nullable=False),
        sa.Column("benefit", sa.Text(), nullable=False),
        sa.Column("standards", portfolio.db.JSONDocument(), nullable=False),
        sa.Column("evidence_id", sa.String(length=22), nullable=True),
        sa.Column(
            "created_at", portfolio.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "hours >= 0 AND hours <= 1000", name=op.f("ck_cpd_activity_hours")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence.id"],
            name=op.f("fk_cpd_activity_evidence_id_evidence"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_cpd_activity_owner_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpd_activity")),
    )
    with op.batch_alter_table("cpd_activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cpd_activity_owner_date", ["owner_id", "occurred_on"], unique=False
        )

    op.create_table(
        "cpd_profile",
        sa.Column("owner_id", sa.String(length=22), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("statement", portfolio.db.JSONDocument(), nullable=False),
        sa.Column(
            "updated_at", portfolio.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_cpd_profile_owner_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_cpd_profile")),
    )

    op.create_table(
        "register_entry",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("owner_id", sa.String(length=22), nullable=False),
        sa.Column("register", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column(
            "created_at", portfolio.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "register IN ('hcpc', 'rct')", name=op.f("ck_register_entry_register")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_register_entry_owner_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry")),
        sa.UniqueConstraint("owner_id", "register", name="uq_register_entry"),
    )
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_register_entry_owner_id"), ["owner_id"], unique=False
        )

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_ticket_purpose"), type_="check")
        batch_op.create_check_constraint("purpose", f"purpose IN {NEW_PURPOSES!r}")
    with op.batch_alter_table("export", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_export_kind"), type_="check")
        batch_op.create_check_constraint("kind", f"kind IN {NEW_KINDS!r}")


def downgrade():
    op.execute("DELETE FROM export WHERE kind IN ('registration_route', 'cpd_profile')")
    with op.batch_alter_table("export", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_export_kind"), type_="check")
        batch_op.create_check_constraint("kind", f"kind IN {OLD_KINDS!r}")
    op.drop_table("registration_nominee")
    op.execute("DELETE FROM ticket WHERE purpose = 'referee'")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_ticket_purpose"), type_="check")
        batch_op.create_check_constraint("purpose", f"purpose IN {OLD_PURPOSES!r}")
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_entry_owner_id"))
    op.drop_table("register_entry")
    op.drop_table("cpd_profile")
    with op.batch_alter_table("cpd_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_cpd_activity_owner_date")
    op.drop_table("cpd_activity")
    with op.batch_alter_table("registration_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_application_owner_id"))
    op.drop_table("registration_application")
