"""User, RoleAssignment and ApiToken."""

import hashlib
import secrets
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model
from portfolio.organisations.models import Organisation

ROLES = ("trainee", "supervisor", "training_lead", "admin")
EMAIL_MAX = 254
NAME_MAX = 120
TOKEN_PREFIX = "mpce_"
REASON_MAX = 500
REGISTRATION_MAX = 20
# Professional registers whose numbers are shown on sign-offs: the HCPC, the
# Register of Clinical Technologists, the GMC and the NMC.
REGISTERS = ("hcpc", "rct", "gmc", "nmc")
REGISTER_LABELS = {"hcpc": "HCPC", "rct": "RCT", "gmc": "GMC", "nmc": "NMC"}


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(Model):
    """A person who signs in. Emails are stored lower-cased, so unique ignoring case."""

    __tablename__ = "user_account"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # Flask-Login stores this, not the id, in the session: rotating it on password
    # change or "sign out everywhere" invalidates every copied session cookie.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A leaver: set with ``active`` false; their sign-offs stay valid.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX))
    # Professional registration numbers, shown on the person's sign-offs.
    hcpc_number: Mapped[str | None] = mapped_column(sa.String(REGISTRATION_MAX))
    rct_number: Mapped[str | None] = mapped_column(sa.String(REGISTRATION_MAX))
    gmc_number: Mapped[str | None] = mapped_column(sa.String(REGISTRATION_MAX))
    nmc_number: Mapped[str | None] = mapped_column(sa.String(REGISTRATION_MAX))
    # A second factor (TOTP, RFC 6238) for password sign-in; see accounts/totp.py.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time step accepted, so a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    @property
    def current_roles(self) -> list["RoleAssignment"]:
        """The roles in force today (``roles`` also holds those ended or to come)."""
        today = date.today()
        return [r for r in self.roles if r.in_force_on(today)]

    def has_role(self, role: str, organisation_id: str | None = None) -> bool:
        """Tell whether the user holds ``role`` today (at ``organisation_id`` if given)."""
        return any(
            r.role == role
            and (organisation_id is None or r.organisation_id == organisation_id)
            for r in self.current_roles
        )

    def organisation_ids(self, role: str) -> set[str]:
        """Return the organisations where the user holds ``role`` today."""
        return {
            r.organisation_id
            for r in self.current_roles
            if r.role == role and r.organisation_id is not None
        }

    @property
    def role_names(self) -> list[str]:
        return sorted({r.role for r in self.current_roles}, key=ROLES.index)

    def registrations(self) -> dict[str, str | None]:
        return {name: getattr(self, f"{name}_number") for name in REGISTERS}

    def registration_text(self) -> str:
        """'HCPC CS12345, RCT 123' for the numbers held; '' when none."""
        return ", ".join(
            f"{REGISTER_LABELS[name]} {number}"
            for name, number in self.registrations().items()
            if number
        )

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RoleAssignment(Model):
    """A role held by a user at an organisation (admins may be national)."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),
        sa.UniqueConstraint(
            "user_id", "role", "organisation_id", name="uq_role_assignment"
        ),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20))
    organisation_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    # Held from start_date to end_date, both inclusive; None: open-ended. A person
    # moving trust keeps their account: the old role ends, the new one starts.
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)

    user: Mapped[User] = relationship(back_populates="roles")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    def in_force_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date >= day
        )


class ApiToken(Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Recorded at most once an hour (see portfolio.api.authenticate).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: the token never expires.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Invitation(Model):
    """An invitation to sign up: a link (only its SHA-256 kept) that sets a password.

    The role is given when the person is invited (so a lead can enrol them at once);
    the link lets a new account choose its password, and lasts INVITATION_DAYS.
    """

    __tablename__ = "invitation"
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    role: Mapped[str] = mapped_column(sa.String(20))
    organisation_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("organisation.id")
    )
    invited_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @staticmethod
    def token_hash_of(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def status(self, now: datetime) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"


class RecoveryCode(Model):
    """A one-use recovery code for the second factor; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
