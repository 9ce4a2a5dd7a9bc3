"""OutboxEmail (every email is a row first) and in-app Notification."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model


class OutboxEmail(Model):
    __tablename__ = "outbox_email"

    id: Mapped[str] = id_column()
    to_address: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class Notification(Model):
    """A message shown to a user in the app (and usually emailed too)."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE")
    )
    message: Mapped[str] = mapped_column(sa.String(300))
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
