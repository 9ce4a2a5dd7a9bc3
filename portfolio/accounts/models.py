"""User, RoleAssignment and ApiToken."""

import hashlib
import secrets
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

    def has_role(self, role: str, organisation_id: str | None = None) -> bool:
        """Tell whether the user holds ``role`` (at ``organisation_id`` if given)."""
        return any(
            r.role == role
            and (organisation_id is None or r.organisation_id == organisation_id)
            for r in self.roles
        )

    def organisation_ids(self, role: str) -> set[str]:
        """Return the organisations where the user holds ``role``."""
        return {
            r.organisation_id
            for r in self.roles
            if r.role == role and r.organisation_id is not None
        }

    @property
    def role_names(self) -> list[str]:
        return sorted({r.role for r in self.roles}, key=ROLES.index)

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

    user: Mapped[User] = relationship(back_populates="roles")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


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
