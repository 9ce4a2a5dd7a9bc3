"""UserIdentity: an account's link to a person at an OpenID Connect provider.

A person is found by the provider's issuer and subject identifier (``iss`` and
``sub``), which OpenID Connect Core 1.0 section 5.7 says are the only claims that
identify the person stably; an email address is used once, at the first sign-in,
to find the account to link, and never again.
https://openid.net/specs/openid-connect-core-1_0.html#ClaimStability
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import User
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model

ISSUER_MAX = 500
# OpenID Connect Core 1.0 section 2: "It MUST NOT exceed 255 ASCII characters".
SUBJECT_MAX = 255
PROVIDER_MAX = 40


class UserIdentity(Model):
    """The person with subject ``subject`` at ``issuer`` signs in as ``user``."""

    __tablename__ = "user_identity"
    __table_args__ = (
        sa.UniqueConstraint("issuer", "subject", name="uq_user_identity_subject"),
        # One identity per account at each provider: a second subject claiming the
        # same account is refused rather than silently added.
        sa.UniqueConstraint("user_id", "issuer", name="uq_user_identity_user"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(sa.String(ISSUER_MAX))
    subject: Mapped[str] = mapped_column(sa.String(SUBJECT_MAX))
    # The settings key of the provider that made the link (for the account page).
    provider: Mapped[str] = mapped_column(sa.String(PROVIDER_MAX))
    # The verified email address the link was made by, kept for the record only.
    email_at_link: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
