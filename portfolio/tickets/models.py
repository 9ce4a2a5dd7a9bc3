"""Ticket: one emailed, single-use link for a named person without an account.

Only a hash of the link's secret is stored; the secret itself is in the email and
nowhere else, so neither the database nor the audit trail can be used to forge one.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model

# What a ticket opens: a DOPS, OCE or CBD to assess, an MSF questionnaire, or a
# registration application for a proposer or referee to confirm.
PURPOSES = ("wba", "msf", "referee")
# Professional registers an assessor can name (or "none").
REGISTERS = {
    "hcpc": "HCPC (Health and Care Professions Council)",
    "gmc": "GMC (General Medical Council)",
    "rct": "RCT (Register of Clinical Technologists)",
    "nmc": "NMC (Nursing and Midwifery Council)",
    "none": "None",
}
ROLE_MAX = 120
REGISTRATION_MAX = 30


class Ticket(Model):
    __tablename__ = "ticket"
    __table_args__ = (
        sa.CheckConstraint(f"purpose IN {PURPOSES!r}", name="purpose"),
        sa.Index("ix_ticket_subject", "purpose", "subject_id"),
    )

    id: Mapped[str] = id_column()
    purpose: Mapped[str] = mapped_column(sa.String(10))
    # The evidence item (wba) or the MSF round (msf) the ticket is for.
    subject_id: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    # SHA-256 of the secret in the link.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_count: Mapped[int] = mapped_column(default=1)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # What the person confirmed when they used it (an MSF rater's answers are kept
    # apart from this row, so nothing links a rater to what they said).
    confirmed_name: Mapped[str | None] = mapped_column(sa.String(NAME_MAX))
    confirmed_role: Mapped[str | None] = mapped_column(sa.String(ROLE_MAX))
    registration_body: Mapped[str | None] = mapped_column(sa.String(10))
    registration_number: Mapped[str | None] = mapped_column(sa.String(REGISTRATION_MAX))

    def state(self, now: datetime | None = None) -> str:
        """used, revoked, expired or open."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or utcnow()):
            return "expired"
        return "open"

    @property
    def registration(self) -> str:
        """The register and number as the assessor gave them, in words."""
        if not self.registration_body or self.registration_body == "none":
            return "No professional registration"
        label = REGISTERS.get(self.registration_body, self.registration_body)
        return f"{label.split(' (')[0]} {self.registration_number or ''}".strip()
