"""Record audit events in the caller's transaction, and verify the chain."""

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa

from portfolio.audit.models import GENESIS
from portfolio.audit.models import AuditEvent
from portfolio.db import utcnow
from portfolio.extensions import db

# Any constant will do: it names the one lock that serialises chain appends.
_CHAIN_LOCK_KEY = 815_201_001


def canonical(event: AuditEvent) -> str:
    """The event as canonical JSON: sorted keys, no spaces, UTC ISO times."""
    return json.dumps(
        {
            "seq": event.seq,
            "occurred_at": event.occurred_at.isoformat(),
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


def _plain(data: dict) -> dict:
    # Through JSON and back, so what is hashed is exactly what the database returns.
    return json.loads(json.dumps(data, default=str, sort_keys=True))


def record(actor, action: str, object_type: str, object_id: str, **data) -> AuditEvent:
    """Append an event to the chain inside the current transaction (caller commits)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Held until commit: writers append one at a time, so the chain stays linear.
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))
    last = session.execute(
        sa.select(AuditEvent.seq, AuditEvent.hash)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS)
    event = AuditEvent(
        seq=seq,
        occurred_at=utcnow().replace(microsecond=utcnow().microsecond // 1000 * 1000),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=_plain(data),
        prev_hash=prev_hash,
    )
    event.hash = chain_hash(prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass
class VerifyResult:
    ok: bool
    events: int
    first_bad_event: int | None
    problem: str | None

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "first_bad_event": self.first_bad_event,
            "problem": self.problem,
        }


def verify(batch: int = 5000) -> VerifyResult:
    """Recompute the whole chain; name the first event that does not fit."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last_seq = 0
    while True:
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not events:
            return VerifyResult(True, count, None, None)
        for event in events:
            count += 1
            problem = None
            if event.seq != expected_seq:
                problem = f"event {expected_seq} is missing"
            elif event.prev_hash != prev_hash:
                problem = "its prev_hash does not match the event before it"
            elif chain_hash(prev_hash, event) != event.hash:
                problem = "its content does not match its hash (the row was changed)"
            if problem:
                return VerifyResult(
                    False,
                    count,
                    event.seq if event.seq == expected_seq else expected_seq,
                    problem,
                )
            prev_hash, expected_seq, last_seq = event.hash, expected_seq + 1, event.seq
        db.session.expunge_all()


def history(object_type: str, object_id: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.object_type == object_type, AuditEvent.object_id == object_id
            )
            .order_by(AuditEvent.seq)
        )
    )
