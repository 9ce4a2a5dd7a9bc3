"""Enrolment and SupervisionAssignment."""

from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.accounts.models import User
from portfolio.curriculum.models import Curriculum
from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import new_revision
from portfolio.db import utcnow
from portfolio.extensions import Model
from portfolio.organisations.models import Organisation

ENROLMENT_STATUSES = ("active", "break_in_learning", "completed", "withdrawn")
# "In training": the statuses of an enrolment that is still running.
IN_TRAINING = ("active", "break_in_learning")
SUPERVISOR_ROLE_LABELS = {
    "training_officer": "Training officer",
    "assessor": "Assessor",
    "workplace_supervisor": "Workplace supervisor",
}
SUPERVISOR_ROLES = tuple(SUPERVISOR_ROLE_LABELS)


class Enrolment(Model):
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
    # Apprenticeships: the version of the published standard the apprentice started
    # on ("1.0", "1.1"); they stay on it when a newer version is published.
    standard_version: Mapped[str | None] = mapped_column(sa.String(20))
    # Apprenticeships: weekly contracted hours drive the off-the-job target.
    contracted_hours_per_week: Mapped[float | None]
    # Apprenticeships: age on the start day (English and maths at gateway depend on it).
    age_at_start: Mapped[int | None]
    gateway_date: Mapped[date | None]
    # Gateway confirmations (apprenticeships): who confirmed readiness, and when.
    employer_confirmed_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    employer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_confirmed_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    provider_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A new random token whenever anything the cohort reads of this enrolment changes
    # (``progress.revisions``): what its cohort row is kept under, per process
    # (``progress.cohort``). "0" for rows written before it existed, or by SQL outside
    # the app's sessions; ``flask progress rebuild`` gives every enrolment a new one.
    revision: Mapped[str] = mapped_column(
        sa.String(32), default=new_revision, server_default="0"
    )

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id], lazy="joined")
    curriculum: Mapped[Curriculum] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    breaks: Mapped[list["LearningBreak"]] = relationship(
        lazy="selectin",
        order_by="LearningBreak.start_date",
        cascade="all, delete-orphan",
    )
    supervisors: Mapped[list["SupervisionAssignment"]] = relationship(
        back_populates="enrolment",
        lazy="selectin",
        order_by="SupervisionAssignment.start_date",
        cascade="all, delete-orphan",
    )

    @classmethod
    def in_training(cls) -> sa.ColumnElement[bool]:
        """SQL: the enrolment is still running (active or on a break)."""
        return cls.status.in_(IN_TRAINING)

    @property
    def is_in_training(self) -> bool:
        return self.status in IN_TRAINING


class SupervisionAssignment(Model):
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

    @classmethod
    def in_force_on(cls, day: date) -> sa.ColumnElement[bool]:
        """SQL: the assignment covers ``day``; join Enrolment and add
        ``Enrolment.in_training()`` for supervision in force (it ends with the
        enrolment)."""
        return sa.and_(
            cls.start_date <= day, sa.or_(cls.end_date.is_(None), cls.end_date >= day)
        )


# Who asked for a break in learning (apprenticeships: agreed by all three).
BREAK_REQUESTERS = ("apprentice", "employer", "provider")


class LearningBreak(Model):
    """A break in learning: targets pause and the end date moves on by its length.

    For an apprenticeship only a formal break of more than 4 weeks moves anything.
    """

    __tablename__ = "learning_break"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        sa.CheckConstraint(
            f"requested_by IS NULL OR requested_by IN {BREAK_REQUESTERS!r}",
            name="requested_by",
        ),
    )

    id: Mapped[str] = id_column()
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date | None]  # None while the break goes on
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    requested_by: Mapped[str | None] = mapped_column(sa.String(20))


REVIEW_KINDS = ("stp_end_of_year", "apprenticeship")
REVIEW_SIGNERS = ("trainee", "employer", "provider")


class ProgressReview(Model):
    """A progress review: STP end-of-year, or an apprenticeship tripartite review.

    Held when all three parties have signed (the apprentice, the employer, and the
    provider or training officer). Actions agreed are carried to the next review.
    """

    __tablename__ = "progress_review"
    __table_args__ = (sa.CheckConstraint(f"kind IN {REVIEW_KINDS!r}", name="kind"),)

    id: Mapped[str] = id_column()
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    due_on: Mapped[date | None]
    held_on: Mapped[date]
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"text": ..., "done": bool, "carried_from": review id or None}]
    actions: Mapped[list] = mapped_column(JSONDocument(), default=list)
    trainee_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    employer_signed_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    employer_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_signed_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    provider_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # When the parties still to sign were last reminded (``flask progress
    # remind-reviews``), so each is reminded at most once a reminder interval.
    signatures_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def complete(self) -> bool:
        return bool(
            self.trainee_signed_at
            and self.employer_signed_at
            and self.provider_signed_at
        )


class ScheduledReview(Model):
    """A progress review planned for a day to come; the parties are told, reminded
    before it, and it is marked held when a review is recorded on or after it."""

    __tablename__ = "scheduled_review"

    id: Mapped[str] = id_column()
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    scheduled_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("progress_review.id", ondelete="SET NULL")
    )


class ProgressSummary(Model):
    """The maintained progress of an enrolment (with ``progress.models.ProgressOutcome``).

    Written only by ``progress.tracking.refresh_progress``, in the transaction of every
    change that moves progress (evidence and its claims and status, curricula, the
    enrolment's curriculum); never by a read. ``flask progress rebuild`` refills it.
    """

    __tablename__ = "progress_summary"

    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True
    )
    percent_complete: Mapped[float]
    done_units: Mapped[int]
    total_units: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Distinct items claimed in the curriculum that are returned or drafts (next actions).
    returned_items: Mapped[int] = mapped_column(default=0, server_default="0")
    draft_items: Mapped[int] = mapped_column(default=0, server_default="0")
    # The trainee's latest evidence date and oldest waiting request (the risk flags).
    last_evidence_on: Mapped[date | None]
    oldest_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A new random token whenever any of this enrolment's maintained rows change (the
    # summary or a progress_outcome row): what a page's cached progress is keyed on
    # (``progress.tracking.progress_many``). None: rows written before it existed.
    revision: Mapped[str | None] = mapped_column(sa.String(32))
