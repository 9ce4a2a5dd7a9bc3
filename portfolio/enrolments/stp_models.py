"""STP records kept beside an enrolment: review-of-progression records and completion.

- ``ProgressionRecord``: a six-month check-in, an exception reported to the School, or
  a midterm review evaluation (``portfolio.progress.stp_review.RECORD_KINDS``);
- ``StpCompletion``: the e-portfolio sign-off and the MSc, one row per enrolment;
- ``FyaSitting``: the STP Final Year Assessment, one row per attempt (at most three);
- ``TrainingExtension``: an extension to training for statutory absence or exceptional
  extenuating circumstances, agreed with the School. Kept apart from
  ``LearningBreak`` (an apprenticeship's break in learning under the funding rules).

Sources: https://nshcs.hee.nhs.uk/programmes/stp/the-stp-final-year-assessment/stp-final-year-assessment-regulations ;
https://nshcs.hee.nhs.uk/publications/exceptional-extenuating-circumstances-policy/html/ ;
https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-departments-on-stp-2025-completion/what-are-you-expected-to-complete
"""

from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model

PROGRESSION_RECORD_KINDS = (
    "check_in",
    "exception",
    "midterm_trainee",
    "midterm_officer",
)
REPORTER_ROLES = ("", "trainee", "training_officer", "university")
MSC_STATUSES = ("studying", "awarded", "not_awarded")
FYA_OUTCOMES = ("awaiting", "pass", "fail", "did_not_attend")
FYA_MAX_ATTEMPTS = 3
EXTENSION_KINDS = ("statutory_absence", "exceptional_circumstances")


class ProgressionRecord(Model):
    """A check-in, an exception reported to the School or a midterm evaluation."""

    __tablename__ = "stp_progression_record"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {PROGRESSION_RECORD_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"reporter IN {REPORTER_ROLES!r}", name="reporter"),
    )

    id: Mapped[str] = id_column()
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    held_on: Mapped[date]
    reporter: Mapped[str] = mapped_column(sa.String(30), default="")
    # The check-in topics confirmed in place (keys of stp_review.CHECK_IN_TOPICS).
    topics: Mapped[list] = mapped_column(JSONDocument(), default=list)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StpCompletion(Model):
    """An STP enrolment's e-portfolio sign-off and MSc, as recorded by a lead."""

    __tablename__ = "stp_completion"
    __table_args__ = (
        sa.CheckConstraint(
            f"msc_status IS NULL OR msc_status IN {MSC_STATUSES!r}", name="msc_status"
        ),
        sa.CheckConstraint(
            "msc_status = 'awarded' OR msc_awarded_on IS NULL", name="msc_awarded"
        ),
    )

    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True
    )
    portfolio_signed_off_on: Mapped[date | None]
    portfolio_signed_off_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    msc_status: Mapped[str | None] = mapped_column(sa.String(20))
    msc_institution: Mapped[str] = mapped_column(sa.String(200), default="")
    msc_awarded_on: Mapped[date | None]
    msc_recorded_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class FyaSitting(Model):
    """One attempt at the STP Final Year Assessment and its outcome."""

    __tablename__ = "stp_fya_sitting"
    __table_args__ = (
        sa.UniqueConstraint("enrolment_id", "attempt", name="uq_fya_attempt"),
        sa.CheckConstraint(f"outcome IN {FYA_OUTCOMES!r}", name="outcome"),
        sa.CheckConstraint(f"attempt BETWEEN 1 AND {FYA_MAX_ATTEMPTS}", name="attempt"),
    )

    id: Mapped[str] = id_column()
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int]
    sat_on: Mapped[date]
    outcome: Mapped[str] = mapped_column(sa.String(20), default="awaiting")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingExtension(Model):
    """An extension to STP training agreed for statutory absence or exceptional
    extenuating circumstances (not an apprenticeship break in learning)."""

    __tablename__ = "stp_training_extension"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {EXTENSION_KINDS!r}", name="kind"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )

    id: Mapped[str] = id_column()
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    new_end_date: Mapped[date | None]  # the completion date agreed with the School
    recorded_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def in_force_on(self, day: date) -> bool:
        return self.start_date <= day and (
            self.end_date is None or day <= self.end_date
        )
