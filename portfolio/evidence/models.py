"""Evidence, OutcomeClaim and Attachment."""

from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.accounts.models import User
from portfolio.curriculum.models import Outcome
from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.evidence import types as evidence_types
from portfolio.extensions import Model

if TYPE_CHECKING:  # exports.models imports these models: only the checker needs it
    from portfolio.exports.models import BundleImport

KINDS = evidence_types.NAMES
STATUSES = ("draft", "submitted", "returned", "signed_off")
TITLE_MAX = 200
BODY_MAX = 50_000


class Evidence(Model):
    """One piece of evidence, recorded once and claimed against many outcomes."""

    __tablename__ = "evidence"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        sa.Index("ix_evidence_owner_status", "owner_id", "status"),
        sa.Index("ix_evidence_assessor_status", "submitted_to_id", "status"),
        # Last activity per trainee (cohort pages): an index-only max() per owner.
        sa.Index("ix_evidence_owner_updated", "owner_id", "updated_at"),
    )

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    occurred_on: Mapped[date]
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # Structured answers: reflection prompts, DOPS/OCE/CBD forms, OTJ hours.
    form: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    # A DOPS, OCE or CBD recorded before assessors completed the ratings: its
    # ratings, strengths and development points in ``form`` are the trainee's own.
    ratings_by_trainee: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )
    # Content version: goes up when signed evidence is unlocked for changes.
    version: Mapped[int] = mapped_column(default=1)
    # Optimistic lock: every UPDATE checks and bumps it, so of two concurrent
    # decisions on one item exactly one can succeed.
    lock_version: Mapped[int] = mapped_column(default=1)
    submitted_to_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A reflection written on an assessed item (a DOPS, OCE, CBD or MSF).
    reflects_on_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("evidence.id", ondelete="SET NULL"), index=True
    )
    # Set for evidence that came in with a bundle from another installation.
    imported_from_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("bundle_import.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    submitted_to: Mapped[User | None] = relationship(
        foreign_keys=[submitted_to_id], lazy="joined"
    )
    imported_from: Mapped["BundleImport | None"] = relationship()
    reflects_on: Mapped["Evidence | None"] = relationship(
        remote_side="Evidence.id", foreign_keys=[reflects_on_id]
    )
    claims: Mapped[list["OutcomeClaim"]] = relationship(
        back_populates="evidence", lazy="selectin", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="evidence",
        lazy="selectin",
        order_by="Attachment.uploaded_at",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "returned")

    @property
    def otj_hours(self) -> Decimal | None:
        hours = (self.form or {}).get("hours")
        return Decimal(str(hours)) if hours is not None else None


class OutcomeClaim(Model):
    """Evidence claimed against one outcome of a curriculum the owner is enrolled on."""

    __tablename__ = "outcome_claim"
    __table_args__ = (
        sa.UniqueConstraint("evidence_id", "outcome_id", name="uq_outcome_claim"),
        sa.Index("ix_outcome_claim_outcome", "outcome_id"),
    )

    id: Mapped[str] = id_column()
    evidence_id: Mapped[str] = mapped_column(
        sa.ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    outcome_id: Mapped[str] = mapped_column(sa.ForeignKey("outcome.id"))
    # The claim as it was signed ("slug:version:code"), kept when a curriculum's
    # code mapping moved it to the same statement under a new code: what was
    # signed is still what the content hash covers. Cleared on unlock.
    signed_as: Mapped[str | None] = mapped_column(sa.String(300))

    evidence: Mapped[Evidence] = relationship(back_populates="claims")
    outcome: Mapped[Outcome] = relationship(lazy="joined")

    @property
    def key(self) -> str:
        """The claim as a stable string: ``slug:version:code``."""
        curriculum = self.outcome.curriculum
        return f"{curriculum.slug}:{curriculum.version}:{self.outcome.code}"


class Attachment(Model):
    """A file attached to evidence, stored under a random name outside static/."""

    __tablename__ = "attachment"

    id: Mapped[str] = id_column()
    evidence_id: Mapped[str] = mapped_column(
        sa.ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))

    evidence: Mapped[Evidence] = relationship(back_populates="attachments")
