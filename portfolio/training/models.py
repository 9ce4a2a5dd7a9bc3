"""Enrolment and SupervisionAssignment."""

from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.accounts.models import User
from portfolio.curriculum.models import Curriculum
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.organisations.models import Organisation

ENROLMENT_STATUSES = ("active", "break_in_learning", "completed", "withdrawn")
SUPERVISOR_ROLES = ("training_officer", "assessor", "workplace_supervisor")


class Enrolment(db.Model):
    """A trainee on one version of a curriculum (a programme) at an organisation."""

    __tablename__ = "enrolment"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {ENROLMENT_STATUSES!r}", name="status"),
        sa.CheckConstraint("expected_end_date > start_date", name="dates"),
    )

    id: Mapped[str] = id_column()
    trainee_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id"), index=True
    )
    curriculum_id: Mapped[str] = mapped_column(
        sa.ForeignKey("curriculum.id"), index=True
    )
    organisation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    start_date: Mapped[date]
    expected_end_date: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    # Apprenticeships: weekly contracted hours drive the off-the-job target.
    contracted_hours_per_week: Mapped[float | None]
    gateway_date: Mapped[date | None]
    created_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id], lazy="joined")
    curriculum: Mapped[Curriculum] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    supervisors: Mapped[list["SupervisionAssignment"]] = relationship(
        back_populates="enrolment",
        lazy="selectin",
        order_by="SupervisionAssignment.start_date",
        cascade="all, delete-orphan",
    )


class SupervisionAssignment(db.Model):
    """A supervisor assigned to a trainee's enrolment, in a role, for a date range."""

    __tablename__ = "supervision_assignment"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {SUPERVISOR_ROLES!r}", name="role"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        sa.Index("ix_supervision_supervisor_trainee", "supervisor_id", "trainee_id"),
    )

    id: Mapped[str] = id_column()
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    # Copied from the enrolment so "who supervises whom" is one indexed lookup.
    trainee_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id"), index=True
    )
    supervisor_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    role: Mapped[str] = mapped_column(sa.String(30))
    start_date: Mapped[date]
    end_date: Mapped[date | None]

    enrolment: Mapped[Enrolment] = relationship(back_populates="supervisors")
    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id], lazy="joined")

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (
            self.end_date is None or self.end_date >= day
        )
