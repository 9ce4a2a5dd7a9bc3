"""SignOff: a decision on one version of an evidence item."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # exports.models imports these models: only the checker needs it
    from portfolio.exports.models import BundleImport
    from portfolio.tickets.models import Ticket

DECISIONS = ("approved", "returned")


@dataclass(frozen=True)
class ExternalAssessor:
    """An assessor without an account, as they confirmed themselves on a ticket."""

    name: str
    email: str
    role: str
    registration: str
    id: None = None
    external: bool = True
    # As an account would answer: no account, so never deactivated.
    active: bool = True
    deactivated_at: None = None

    def registration_text(self) -> str:
        return self.registration


class SignOff(Model):
    """An assessor's decision, with the hash of exactly what they saw.

    Approvals stay when evidence is unlocked: they are marked superseded, with the
    reason, so the history of what was once signed is never lost.
    """

    __tablename__ = "signoff"
    __table_args__ = (
        sa.CheckConstraint(f"decision IN {DECISIONS!r}", name="decision"),
        sa.CheckConstraint(
            "assessor_id IS NOT NULL OR ticket_id IS NOT NULL", name="assessor"
        ),
    )

    id: Mapped[str] = id_column()
    evidence_id: Mapped[str] = mapped_column(
        sa.ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    evidence_version: Mapped[int]
    # The assessor's account; none when they decided through an emailed ticket.
    assessor_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id"), index=True
    )
    ticket_id: Mapped[str | None] = mapped_column(sa.ForeignKey("ticket.id"))
    decision: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    # The outcomes signed off, as "curriculum-slug:version:code" strings.
    claims: Mapped[list] = mapped_column(JSONDocument(), default=list)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A DOPS, OCE or CBD's assessor's part, completed when approving: ratings per
    # domain, overall, strengths, development, the declaration, who and when.
    assessment: Mapped[dict | None] = mapped_column(JSONDocument())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    # A ticket-completed assessment that a curriculum wants countersigned: the
    # trainee's training officer who did, and when (until then it does not count).
    countersign_required: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )
    countersigned_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    countersigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assessor_account: Mapped[User | None] = relationship(
        foreign_keys=[assessor_id], lazy="joined"
    )
    ticket: Mapped["Ticket | None"] = relationship(lazy="joined")
    countersigned_by: Mapped[User | None] = relationship(
        foreign_keys=[countersigned_by_id], lazy="joined"
    )

    @property
    def assessor(self) -> "User | ExternalAssessor":
        """Who decided: their account, or what they confirmed on the ticket."""
        if self.assessor_account is not None:
            return self.assessor_account
        ticket = self.ticket
        assert ticket is not None  # a check constraint: an account or a ticket
        return ExternalAssessor(
            name=ticket.confirmed_name or ticket.name,
            email=ticket.email,
            role=ticket.confirmed_role or "",
            registration=ticket.registration,
        )

    @property
    def external(self) -> bool:
        return self.assessor_account is None

    @property
    def awaiting_countersignature(self) -> bool:
        return (
            self.decision == "approved"
            and self.ticket_id is not None
            and self.countersigned_at is None
            and self.superseded_at is None
            and self.countersign_required
        )


class ImportedSignOff(Model):
    """A decision recorded by another installation, brought in with a bundle.

    Never a sign-off here: it names the bundle's assessor as text (no local account),
    and nothing that counts approvals (progress, exports, the queue) reads this table.
    """

    __tablename__ = "imported_signoff"
    __table_args__ = (
        sa.CheckConstraint(f"decision IN {DECISIONS!r}", name="decision"),
    )

    id: Mapped[str] = id_column()
    import_id: Mapped[str] = mapped_column(
        sa.ForeignKey("bundle_import.id"), index=True
    )
    evidence_id: Mapped[str] = mapped_column(
        sa.ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    assessor_name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    assessor_email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    evidence_version: Mapped[int]
    decision: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    claims: Mapped[list] = mapped_column(JSONDocument(), default=list)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_reason: Mapped[str | None] = mapped_column(sa.Text)

    source: Mapped["BundleImport"] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return self.source.label
