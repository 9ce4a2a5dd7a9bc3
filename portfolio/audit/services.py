"""Record audit events in the caller's transaction, verify the chain, sign its head.

Each event has a public ``hash`` (SHA-256: it links the chain and lets any
installation check an exported event) and a ``mac`` (HMAC-SHA256 of the same input
under AUDIT_KEY, kept outside the database: nobody without the key can rewrite an
event and re-hash the rest). A checkpoint signs the head, so that deleting the
newest events shows. docs/audit.md says what this detects and what it cannot.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from portfolio.audit.models import GENESIS
from portfolio.audit.models import AuditCheckpoint
from portfolio.audit.models import AuditEvent
from portfolio.db import utcnow
from portfolio.extensions import db

# Any constant will do: it names the one lock that serialises chain appends.
_CHAIN_LOCK_KEY = 815_201_001

EVENT_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "data",
)
SCHEMES = ("sha256", "hmac-sha256")


def event_fields(event: AuditEvent) -> dict:
    """The hashed fields of an event as plain JSON values (times in UTC ISO 8601)."""
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }


def canonical_json(fields: dict) -> str:
    """The hashed fields as canonical JSON: sorted keys, no spaces; other keys ignored."""
    return json.dumps(
        {name: fields[name] for name in EVENT_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def event_hash(prev_hash: str, fields: dict, scheme: str = "sha256") -> str:
    """The one hash function of audit events, for the chain and for bundles.

    ``fields`` is ``event_fields(event)`` or an exported event dict (its ``hash`` and
    ``prev_hash`` keys are ignored). ``sha256`` gives ``AuditEvent.hash``, which
    anyone can recompute; ``hmac-sha256`` gives ``AuditEvent.mac``, keyed with this
    installation's AUDIT_KEY (https://www.rfc-editor.org/rfc/rfc2104).
    """
    message = (prev_hash + canonical_json(fields)).encode()
    if scheme == "sha256":
        return hashlib.sha256(message).hexdigest()
    if scheme == "hmac-sha256":
        return hmac.new(_key(), message, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown audit hash scheme {scheme!r}; expected one of {SCHEMES}")


def _key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


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
    fields = event_fields(event)
    event.hash = event_hash(prev_hash, fields)
    event.mac = event_hash(prev_hash, fields, "hmac-sha256")
    session.add(event)
    session.flush()
    return event


# ---- checkpoints ---------------------------------------------------------------------


def _signature(checkpoint: AuditCheckpoint) -> str:
    document = json.dumps(
        {
            "created_at": checkpoint.created_at.isoformat(),
            "events": checkpoint.events,
            "head_seq": checkpoint.head_seq,
            "head_hash": checkpoint.head_hash,
            "note": checkpoint.note,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    message = ("audit-checkpoint:" + document).encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _authentic(checkpoint: AuditCheckpoint) -> bool:
    return hmac.compare_digest(checkpoint.signature or "", _signature(checkpoint))


def write_checkpoint(note: str = "", commit: bool = False) -> AuditCheckpoint:
    """Sign the chain's head, as this transaction sees it, into audit_checkpoint.

    The caller commits, unless ``commit``. Checkpoints go in the same database as the chain: a copy kept
    elsewhere (see ``kept_copy_problem``) is what survives their deletion.
    """
    # One statement, so the count and the head come from the same snapshot.
    events, head_seq = db.session.execute(
        sa.select(
            sa.func.count(AuditEvent.seq),
            sa.func.coalesce(sa.func.max(AuditEvent.seq), 0),
        )
    ).one()
    head_hash = GENESIS
    if head_seq:
        head_hash = db.session.execute(
            sa.select(AuditEvent.hash).where(AuditEvent.seq == head_seq)
        ).scalar_one()
    checkpoint = AuditCheckpoint(
        created_at=utcnow().replace(microsecond=0),
        events=events,
        head_seq=head_seq,
        head_hash=head_hash,
        note=note[:80],
    )
    checkpoint.signature = _signature(checkpoint)
    db.session.add(checkpoint)
    db.session.flush()
    if commit:  # on its own (the CLI); an export job commits with its work
        db.session.commit()
    return checkpoint


def latest_checkpoint() -> AuditCheckpoint | None:
    return db.session.scalar(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    )


def describe(checkpoint: AuditCheckpoint) -> str:
    """``checkpoint 3 of 2026-01-02 03:04:05 UTC``: how messages name a checkpoint."""
    return (
        f"checkpoint {checkpoint.id} of {checkpoint.created_at:%Y-%m-%d %H:%M:%S} UTC"
    )


# ---- verification -----------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    events: int
    first_bad_event: int | None
    problem: str | None
    keyed_events: int = 0
    checkpoints: int = 0
    last_checkpoint: dict | None = None

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "first_bad_event": self.first_bad_event,
            "problem": self.problem,
            "keyed_events": self.keyed_events,
            "checkpoints": self.checkpoints,
            "last_checkpoint": self.last_checkpoint,
        }


def _oldest_authentic_checkpoint(batch: int = 100) -> tuple[int, str] | None:
    """(head_seq, name) of the authentic checkpoint with the lowest head, if any.

    Checkpoints are written only by code that keys every event, so every event
    after this head must have an HMAC. (Forged ones are skipped here and reported
    by the checkpoint pass.)
    """
    offset = 0
    while True:
        page = db.session.scalars(
            sa.select(AuditCheckpoint)
            .order_by(AuditCheckpoint.head_seq, AuditCheckpoint.id)
            .offset(offset)
            .limit(batch)
        ).all()
        for checkpoint in page:
            if _authentic(checkpoint):
                return checkpoint.head_seq, describe(checkpoint)
        if len(page) < batch:
            return None
        offset += batch


def _event_problem(
    event: AuditEvent,
    expected_seq: int,
    prev_hash: str,
    keyed_since: int | None,
    keyed_after: tuple[int, str] | None,
) -> str | None:
    if event.seq != expected_seq:
        return f"event {expected_seq} is missing"
    if event.prev_hash != prev_hash:
        return "its prev_hash does not match the event before it"
    fields = event_fields(event)
    if event_hash(prev_hash, fields) != event.hash:
        return "its content does not match its hash (the row was changed)"
    if event.mac:
        if not hmac.compare_digest(
            event.mac, event_hash(prev_hash, fields, "hmac-sha256")
        ):
            return (
                "its HMAC does not match: it was changed and re-hashed without the "
                "audit key, or AUDIT_KEY is not the key it was written with"
            )
        return None
    if keyed_since is not None:
        return (
            f"it has no HMAC although event {keyed_since} before it has one: "
            "events were re-hashed without the audit key"
        )
    if keyed_after is not None and event.seq > keyed_after[0]:
        return (
            f"it has no HMAC although it is newer than {keyed_after[1]}: "
            "events were re-hashed without the audit key"
        )
    return None


def _checkpoint_problem(
    checkpoint: AuditCheckpoint, actual_hash: str | None, head_seq: int
) -> tuple[int | None, str] | None:
    name = describe(checkpoint)
    if not _authentic(checkpoint):
        return None, (
            f"{name} has a bad signature: it was changed or forged without the audit "
            "key, or AUDIT_KEY is not the key it was signed with"
        )
    if checkpoint.head_seq > head_seq:
        first = head_seq + 1
        missing = (
            f"event {first} is missing"
            if first == checkpoint.head_seq
            else f"events {first} to {checkpoint.head_seq} are missing"
        )
        return first, (
            f"{missing}: {name} recorded {checkpoint.events} events up to event "
            f"{checkpoint.head_seq} but the chain ends at event {head_seq} "
            "(the newest events were deleted)"
        )
    if (actual_hash or GENESIS) != checkpoint.head_hash:
        return checkpoint.head_seq, (
            f"it does not have the hash {name} recorded for it "
            "(the chain up to it was rewritten)"
        )
    return None


def verify(batch: int = 5000) -> VerifyResult:
    """Recompute the chain, then hold every checkpoint against it; name the first problem."""
    keyed_after = _oldest_authentic_checkpoint()
    prev_hash, expected_seq, count, keyed = GENESIS, 1, 0, 0
    keyed_since: int | None = None
    while True:
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            count += 1
            problem = _event_problem(
                event, expected_seq, prev_hash, keyed_since, keyed_after
            )
            if problem:
                return VerifyResult(False, count, expected_seq, problem, keyed)
            if event.mac:
                keyed += 1
                keyed_since = keyed_since or event.seq
            prev_hash, expected_seq = event.hash, expected_seq + 1
        db.session.expunge_all()

    head_seq, checked, last, after_id = expected_seq - 1, 0, None, 0
    while True:
        rows = db.session.execute(
            sa.select(AuditCheckpoint, AuditEvent.hash)
            .outerjoin(AuditEvent, AuditEvent.seq == AuditCheckpoint.head_seq)
            .where(AuditCheckpoint.id > after_id)
            .order_by(AuditCheckpoint.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        for checkpoint, actual_hash in rows:
            checked += 1
            found = _checkpoint_problem(checkpoint, actual_hash, head_seq)
            if found:
                bad_event, problem = found
                return VerifyResult(
                    False, count, bad_event, problem, keyed, checked, last
                )
            last = {
                "id": checkpoint.id,
                "created_at": checkpoint.created_at.isoformat(),
                "events": checkpoint.events,
                "head_seq": checkpoint.head_seq,
                "head_hash": checkpoint.head_hash,
            }
            after_id = checkpoint.id
        db.session.expunge_all()
    return VerifyResult(True, count, None, None, keyed, checked, last)


def kept_copy_problem(seq: int, hash_prefix: str) -> str | None:
    """Hold a checkpoint kept outside the database (cron's output, a PDF) to the chain.

    Checkpoint rows can be deleted along with the events they recorded; a copy kept
    elsewhere cannot. ``hash_prefix`` is the start of the hash it recorded.
    """
    head_seq = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.max(AuditEvent.seq), 0))
    ).scalar_one()
    if seq > head_seq:
        return (
            f"the kept checkpoint names event {seq} but the chain ends at event "
            f"{head_seq} (the newest events were deleted)"
        )
    actual: str | None = GENESIS
    if seq:
        actual = db.session.scalar(
            sa.select(AuditEvent.hash).where(AuditEvent.seq == seq)
        )
    if actual is None:
        return f"event {seq} is missing"
    if not actual.startswith(hash_prefix.lower()):
        return (
            f"it does not have the hash {hash_prefix} the kept checkpoint recorded "
            "(the chain up to it was rewritten)"
        )
    return None


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
