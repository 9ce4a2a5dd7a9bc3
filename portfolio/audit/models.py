"""AuditEvent: one link of the hash chain."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.extensions import db

GENESIS = "0" * 64


class AuditEvent(db.Model):
    """``hash = sha256(prev_hash + canonical JSON of the event)``.

    ``seq`` and ``prev_hash`` are unique, so two writers can never both extend the
    chain from the same event: the chain stays a line, whatever the concurrency.
    """

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str | None] = mapped_column(sa.String(22))
    actor_name: Mapped[str] = mapped_column(sa.String(120), default="")
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
