"""Registration applications, their proposers and referees, the CPD log and profile,
and the registers a person is on (for renewal reminders)."""

from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.accounts.models import User
from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model

ROUTE_KEYS = (
    "rct_primary",
    "rct_equivalence",
    "ahcs_stp_equivalence",
    "hcpc_international",
)
NOMINEE_ROLES = ("proposer", "referee")
# The registers a person can record being on, for renewal reminders.
REGISTERS = ("hcpc", "rct")
# Kinds of CPD activity, as the HCPC groups its examples.
CPD_TYPES = {
    "work_based": "Work-based learning",
    "professional": "Professional activity",
    "formal": "Formal or educational",
    "self_directed": "Self-directed learning",
    "other": "Other",
}
TEXT_MAX = 20000
TITLE_MAX = 200


class RegistrationApplication(Model):
    """One person's application by one route: their statements, choice and stage."""

    __tablename__ = "registration_application"
    __table_args__ = (sa.CheckConstraint(f"route IN {ROUTE_KEYS!r}", name="route"),)

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    route: Mapped[str] = mapped_column(sa.String(30))
    # The RCT scope code (RCT routes) or the STP curriculum slug (AHCS route).
    choice: Mapped[str | None] = mapped_column(sa.String(64))
    # The statements the route asks for, by key.
    statements: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    # Where the application is in the register's process (AHCS stages), 0-based.
    stage: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    owner: Mapped[User] = relationship(lazy="joined")
    nominees: Mapped[list["Nominee"]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="Nominee.created_at",
    )


class Nominee(Model):
    """A proposer or referee, who confirms the application by an emailed link."""

    __tablename__ = "registration_nominee"
    __table_args__ = (sa.CheckConstraint(f"role IN {NOMINEE_ROLES!r}", name="role"),)

    id: Mapped[str] = id_column()
    application_id: Mapped[str] = mapped_column(
        sa.ForeignKey("registration_application.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    # How they know the applicant (for example "Line manager").
    relationship_to: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What they confirmed, by the ticket: their statement and when.
    statement: Mapped[str | None] = mapped_column(sa.Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[str | None] = mapped_column(sa.ForeignKey("ticket.id"))

    application: Mapped[RegistrationApplication] = relationship(
        back_populates="nominees"
    )


class CpdActivity(Model):
    """One CPD activity: what, when, how long, what was learnt, the benefit."""

    __tablename__ = "cpd_activity"
    __table_args__ = (
        sa.CheckConstraint("hours >= 0 AND hours <= 1000", name="hours"),
        sa.Index("ix_cpd_activity_owner_date", "owner_id", "occurred_on"),
    )

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    activity_type: Mapped[str] = mapped_column(sa.String(20))
    occurred_on: Mapped[date]
    hours: Mapped[float] = mapped_column(sa.Float, default=0)
    learning: Mapped[str] = mapped_column(sa.Text, default="")
    benefit: Mapped[str] = mapped_column(sa.Text, default="")
    # Codes of the CPD standards it helps meet: HCPC CPD1..CPD5, RCT P-RCTCPD1..3.
    standards: Mapped[list] = mapped_column(JSONDocument(), default=list)
    # A portfolio evidence item that supports it (the same person's).
    evidence_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("evidence.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CpdProfile(Model):
    """The person's CPD profile text: the summary of practice and the statement."""

    __tablename__ = "cpd_profile"

    owner_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id"), primary_key=True
    )
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # How each standard is met, by standard code.
    statement: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class RegisterEntry(Model):
    """A register the person is on, so renewals can be reminded."""

    __tablename__ = "register_entry"
    __table_args__ = (
        sa.CheckConstraint(f"register IN {REGISTERS!r}", name="register"),
        sa.UniqueConstraint("owner_id", "register", name="uq_register_entry"),
    )

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    register: Mapped[str] = mapped_column(sa.String(10))
    number: Mapped[str] = mapped_column(sa.String(30), default="")
    # The last renewal deadline a reminder was sent for (so one is sent once).
    reminded_for: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
