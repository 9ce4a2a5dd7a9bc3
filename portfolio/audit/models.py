"""AuditEvent: one link of the hash chain; AuditCheckpoint: a signed record of its head."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.extensions import Model

GENESIS = "0" * 64


class AuditEvent(Model):
    """``hash = sha256(prev_hash + canonical JSON of the event)``.

    ``seq`` and ``prev_hash`` are unique, so two writers can never both extend the
    chain from the same event: the chain stays a line, whatever the concurrency.

    ``mac = HMAC-SHA256(AUDIT_KEY, prev_hash + canonical JSON)``: the same input
    keyed, so a chain cannot be rewritten and re-hashed without the key. The public
    ``hash`` still links the chain, so a bundle's events can be checked by any
    installation. NULL on events written before the key existed (scheme sha256).
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
    mac: Mapped[str | None] = mapped_column(sa.String(64))

    @property
    def scheme(self) -> str:
        return "hmac-sha256" if self.mac else "sha256"


class AuditCheckpoint(Model):
    """The chain's head at a moment, signed with AUDIT_KEY.

    A later chain that ends before ``head_seq``, or whose event ``head_seq`` has
    another hash, was truncated or rewritten; a changed row fails its signature.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    events: Mapped[int]
    head_seq: Mapped[int]
    head_hash: Mapped[str] = mapped_column(sa.String(64))
    # Who wrote it: "flask audit checkpoint" or "export <id>".
    note: Mapped[str] = mapped_column(sa.String(80), default="")
    signature: Mapped[str] = mapped_column(sa.String(64))
