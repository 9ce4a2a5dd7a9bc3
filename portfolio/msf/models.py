"""An MSF round, its invited raters, and their answers (kept apart from them).

A response row holds the answers only: no rater, no ticket, no timestamp, and a
random id, so nothing in the database links what was said to who said it.
"""

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
from portfolio.tickets.models import Ticket

STATUSES = ("collecting", "released")


class MsfRound(Model):
    __tablename__ = "msf_round"
    __table_args__ = (sa.CheckConstraint(f"status IN {STATUSES!r}", name="status"),)

    id: Mapped[str] = id_column()
    trainee_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id"), index=True
    )
    enrolment_id: Mapped[str] = mapped_column(sa.ForeignKey("enrolment.id"))
    # Outcome ids the collated feedback is evidence for (when released).
    outcome_ids: Mapped[list] = mapped_column(JSONDocument(), default=list)
    status: Mapped[str] = mapped_column(sa.String(20), default="collecting")
    self_assessment: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    min_raters: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_on: Mapped[date | None]
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # The collated summary, fixed at release, and the evidence item that holds it.
    summary: Mapped[dict | None] = mapped_column(JSONDocument())
    evidence_id: Mapped[str | None] = mapped_column(sa.ForeignKey("evidence.id"))

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id], lazy="joined")
    released_by: Mapped[User | None] = relationship(foreign_keys=[released_by_id])
    raters: Mapped[list["MsfRater"]] = relationship(
        back_populates="round",
        lazy="selectin",
        order_by="MsfRater.name",
        cascade="all, delete-orphan",
    )


class MsfRater(Model):
    """Someone the trainee invited; whether they answered is their ticket's state."""

    __tablename__ = "msf_rater"

    id: Mapped[str] = id_column()
    round_id: Mapped[str] = mapped_column(
        sa.ForeignKey("msf_round.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    role: Mapped[str] = mapped_column(sa.String(40))
    ticket_id: Mapped[str] = mapped_column(sa.ForeignKey("ticket.id"))

    round: Mapped[MsfRound] = relationship(back_populates="raters")
    ticket: Mapped[Ticket] = relationship(lazy="joined")


class MsfResponse(Model):
    """One rater's answers, with nothing that says whose."""

    __tablename__ = "msf_response"

    id: Mapped[str] = id_column()
    round_id: Mapped[str] = mapped_column(
        sa.ForeignKey("msf_round.id", ondelete="CASCADE"), index=True
    )
    ratings: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    comments: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
