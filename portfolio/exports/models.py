"""Export and ShareLink."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import Session
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.accounts.models import User
from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import Model

EXPORT_KINDS = (
    "portfolio",
    "registration",
    "bundle",
    "capacity",
    "registration_route",
    "cpd_profile",
)
EXPORT_STATUSES = ("queued", "running", "done", "failed")
# Crockford's base32 without look-alikes: easy to read aloud and type from paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class Export(Model):
    """A requested file. The row is the truth: status, progress, errors, the result."""

    __tablename__ = "export"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {EXPORT_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {EXPORT_STATUSES!r}", name="status"),
        sa.Index("ix_export_status_started", "status", "started_at"),
    )

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    enrolment_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id"), index=True
    )
    params: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    # What the file holds, for the public verification page (no evidence content).
    summary: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    stored_name: Mapped[str | None] = mapped_column(sa.String(64))
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    media_type: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    verification_code: Mapped[str] = mapped_column(
        sa.String(19), unique=True, default=new_verification_code
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrolment: Mapped[Enrolment | None] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(lazy="joined")

    @property
    def job_id(self) -> str:
        return f"export-{self.id}"


class ShareLink(Model):
    """A read-only link for an external assessor with no account. Only a hash is kept."""

    __tablename__ = "share_link"

    id: Mapped[str] = id_column()
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    created_by_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    views: Mapped[int] = mapped_column(default=0)

    enrolment: Mapped[Enrolment] = relationship(lazy="joined")

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ImportedHistory(Model):
    """The audit chain of a bundle imported from another installation, kept verbatim."""

    __tablename__ = "imported_history"
    __table_args__ = (
        sa.UniqueConstraint("bundle_sha256", "seq", name="uq_imported_history"),
    )

    id: Mapped[str] = id_column()
    bundle_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    enrolment_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int]
    event: Mapped[dict] = mapped_column(JSONDocument())
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class BundleImport(Model):
    """One bundle loaded from another installation: where it came from, and how sure.

    ``trusted`` is true when the bundle's signature verified with a key this
    installation trusts (``BUNDLE_TRUSTED_KEYS``, ``instance/trusted-keys/``); false
    when an admin imported it anyway with ``--allow-untrusted``. The evidence and
    sign-offs that came in with it point here, so they are always shown as imported.
    """

    __tablename__ = "bundle_import"

    id: Mapped[str] = id_column()
    bundle_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    installation: Mapped[str] = mapped_column(sa.String(120))
    public_key: Mapped[str] = mapped_column(sa.String(64))
    trusted: Mapped[bool]
    enrolment_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="SET NULL"), index=True
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        """How imported history is labelled wherever it is shown."""
        text = f"imported from {self.installation}"
        return text if self.trusted else f"{text} (unverified source)"


# One bit per credential in a list of at least 16 KB (131,072 bits), the minimum the
# W3C Bitstring Status List v1.0 sets so one credential hides among many
# (https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-encoding).
STATUS_LIST_BITS = 131_072


class BadgeStatus(Model):
    """A badge's place in a revocation status list, and whether its bit is set.

    One row per issued Open Badges credential (its id is stable: re-exporting the
    same sign-off's badge reuses the row). ``revoked_at`` is the bit: it is set, in
    the same transaction, when the sign-off the badge rests on is superseded (see
    the flush listener below).
    """

    __tablename__ = "badge_status"
    __table_args__ = (
        sa.UniqueConstraint("list_number", "list_index", name="uq_badge_status_slot"),
        sa.CheckConstraint(
            f"list_index >= 0 AND list_index < {STATUS_LIST_BITS}", name="list_index"
        ),
    )

    id: Mapped[str] = id_column()
    credential_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    signoff_id: Mapped[str] = mapped_column(
        sa.ForeignKey("signoff.id", ondelete="CASCADE"), index=True
    )
    list_number: Mapped[int] = mapped_column(default=1)
    list_index: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.Text)


@sa.event.listens_for(Session, "before_flush")
def _revoke_badges_of_superseded_signoffs(session, _flush_context, _instances):
    """A sign-off superseded (evidence unlocked) revokes the badges resting on it.

    Runs inside the flush of whatever transaction supersedes the sign-off, so the
    status bit and the supersession commit (or roll back) together, whichever
    service made the change.
    """
    from portfolio.signoff.models import SignOff

    superseded = {
        obj.id: obj
        for obj in session.dirty
        if isinstance(obj, SignOff)
        and obj.superseded_at is not None
        and sa.inspect(obj).attrs.superseded_at.history.added
    }
    if not superseded:
        return
    # No autoflush here: the session is flushing, so this reads committed and
    # already-flushed rows, which is where issued badges are.
    for status in session.scalars(
        sa.select(BadgeStatus).where(
            BadgeStatus.signoff_id.in_(superseded), BadgeStatus.revoked_at.is_(None)
        )
    ):
        signoff = superseded[status.signoff_id]
        status.revoked_at = signoff.superseded_at
        status.revoked_reason = signoff.superseded_reason
