"""The audit trail against someone who can write to the database but lacks AUDIT_KEY.

Each attack here is done the way such a person would: straight SQL on the tables,
re-hashing with the public SHA-256 formula, never through the audit services.
"""

import hashlib
import json
import os
import subprocess
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa

from portfolio.audit import services as audit
from portfolio.audit.models import GENESIS
from portfolio.audit.models import AuditCheckpoint
from portfolio.audit.models import AuditEvent
from portfolio.extensions import db
from tests.world import REFLECTION
from tests.world import As


def make_events(client, world, titles=("First",)):
    caller = As(client, world, "trainee")
    for title in titles:
        evidence = caller.post(
            "/api/v1/evidence", json={**REFLECTION, "title": title}
        ).get_json()
        caller.patch(f"/api/v1/evidence/{evidence['id']}", json={"title": "Edited"})


def plain_sha256(prev_hash: str, event: AuditEvent) -> str:
    """The public chain formula, as anyone reading the code could rebuild it."""
    canonical = json.dumps(
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
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def rechain(from_seq: int, change: dict, strip_macs: bool = False) -> None:
    """Rewrite event ``from_seq`` and re-hash every event after it, without the key."""
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.seq == from_seq).values(**change)
    )
    db.session.commit()
    db.session.expire_all()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    prev_hash = GENESIS
    for event in events:
        if event.seq >= from_seq:
            values = {"prev_hash": prev_hash, "hash": plain_sha256(prev_hash, event)}
            if strip_macs:
                values["mac"] = None
            db.session.execute(
                sa.update(AuditEvent).where(AuditEvent.seq == event.seq).values(values)
            )
            prev_hash = values["hash"]
        else:
            prev_hash = event.hash
    db.session.commit()
    db.session.expire_all()


def head() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEvent.seq)))


def test_truncating_the_newest_events_after_a_checkpoint_is_detected(
    app, client, world, runner
):
    make_events(client, world, ("First", "Second"))
    with app.app_context():
        audit.write_checkpoint("test")
        db.session.commit()
        last = head()
        assert audit.verify().ok
        # Delete the two newest events, as someone hiding what they did last would.
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.seq > last - 2))
        db.session.commit()
        result = audit.verify()
        assert not result.ok and result.first_bad_event == last - 1
        assert f"events {last - 1} to {last} are missing" in result.problem
        assert "the newest events were deleted" in result.problem
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1
    assert (
        f"audit chain broken at event {last - 1}: events {last - 1} to {last} are missing"
        in cli.output
    )
    api = As(client, world, "admin").get("/api/v1/audit/verify").get_json()
    assert api["ok"] is False and api["first_bad_event"] == last - 1
    assert "deleted" in api["problem"]


def test_rewriting_an_event_and_rehashing_the_rest_with_sha256_is_detected(
    app, client, world, runner
):
    make_events(client, world, ("First", "Second"))
    with app.app_context():
        rechain(2, {"actor_name": "Someone Else"})
        # The public chain is consistent again: only the key tells the rewrite apart.
        events = db.session.scalars(
            sa.select(AuditEvent).order_by(AuditEvent.seq)
        ).all()
        assert len(events) > 1
        prev_hash = GENESIS
        for event in events:
            assert event.prev_hash == prev_hash
            assert event.hash == plain_sha256(prev_hash, event)
            prev_hash = event.hash
        result = audit.verify()
        assert not result.ok and result.first_bad_event == 2
        assert "its HMAC does not match" in result.problem
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1
    assert "audit chain broken at event 2: its HMAC does not match" in cli.output


def test_stripping_the_hmacs_after_a_keyed_event_is_detected(app, client, world):
    make_events(client, world, ("First", "Second"))
    with app.app_context():
        rechain(3, {"actor_name": "Someone Else"}, strip_macs=True)
        result = audit.verify()
        assert not result.ok and result.first_bad_event == 3
        assert "it has no HMAC although event 1 before it has one" in result.problem


def test_stripping_every_hmac_is_caught_by_a_checkpoint(app, client, world):
    make_events(client, world, ("First", "Second"))
    with app.app_context():
        checkpoint = audit.write_checkpoint("test")
        db.session.commit()
        name = audit.describe(checkpoint)
        # Downgrade the whole chain to look like one written before keys existed.
        rechain(1, {"actor_name": "Someone Else"}, strip_macs=True)
        result = audit.verify()
        assert not result.ok and result.first_bad_event == checkpoint.head_seq
        assert f"it does not have the hash {name} recorded" in result.problem


def test_a_forged_checkpoint_is_detected(app, client, world, runner):
    make_events(client, world, ("First", "Second"))
    with app.app_context():
        checkpoint = audit.write_checkpoint("test")
        db.session.commit()
        checkpoint_id, last = checkpoint.id, head()
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.seq > last - 2))
        # Move the checkpoint back to the new head to hide the deletion.
        new_head = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.seq == last - 2)
        )
        db.session.execute(
            sa.update(AuditCheckpoint)
            .where(AuditCheckpoint.id == checkpoint_id)
            .values(events=last - 2, head_seq=last - 2, head_hash=new_head.hash)
        )
        db.session.commit()
        result = audit.verify()
        assert not result.ok and result.first_bad_event is None
        assert f"checkpoint {checkpoint_id} of" in result.problem
        assert "has a bad signature" in result.problem
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1
    assert f"audit chain broken: checkpoint {checkpoint_id} of" in cli.output
    assert "bad signature" in cli.output


def test_an_invented_checkpoint_is_detected(app, client, world):
    make_events(client, world)
    with app.app_context():
        db.session.add(
            AuditCheckpoint(
                created_at=datetime(2030, 1, 1, tzinfo=UTC),
                events=1,
                head_seq=1,
                head_hash=db.session.get(AuditEvent, 1).hash,
                note="flask audit checkpoint",
                signature=hashlib.sha256(b"a guess").hexdigest(),
            )
        )
        db.session.commit()
        result = audit.verify()
        assert not result.ok and "has a bad signature" in result.problem


def legacy_chain(count: int) -> None:
    """Events as the code before keyed hashes wrote them: SHA-256 only, no HMAC."""
    prev_hash = GENESIS
    for seq in range(1, count + 1):
        event = AuditEvent(
            seq=seq,
            occurred_at=datetime(2026, 1, seq, 9, 30, 0, 123000, tzinfo=UTC),
            actor_id=None,
            actor_name="Old System",
            action="legacy.event",
            object_type="enrolment",
            object_id=f"old-{seq}",
            data={"n": seq, "note": "é"},
            prev_hash=prev_hash,
            mac=None,
        )
        event.hash = plain_sha256(prev_hash, event)
        db.session.add(event)
        prev_hash = event.hash
    db.session.commit()


def new_events(count: int) -> None:
    for n in range(count):
        audit.record(None, "new.event", "enrolment", "new", n=n)
    db.session.commit()


def test_old_unkeyed_chains_still_verify_and_new_events_are_keyed(app, runner):
    with app.app_context():
        legacy_chain(3)
        result = audit.verify()
        assert result.ok and result.events == 3 and result.keyed_events == 0
        assert db.session.get(AuditEvent, 3).scheme == "sha256"
        audit.write_checkpoint("test")
        db.session.commit()
        new_events(2)
        result = audit.verify()
        assert result.ok and result.events == 5 and result.keyed_events == 2
        assert (
            db.session.get(AuditEvent, 4).prev_hash
            == db.session.get(AuditEvent, 3).hash
        )
        assert db.session.get(AuditEvent, 4).scheme == "hmac-sha256"
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 0
    assert "audit chain ok: 5 events (2 with an HMAC), 1 checkpoint(s)" in cli.output
    with app.app_context():
        # An old event changed without re-hashing is still caught by its SHA-256.
        db.session.execute(
            sa.update(AuditEvent).where(AuditEvent.seq == 2).values(actor_name="X")
        )
        db.session.commit()
        result = audit.verify()
        assert not result.ok and result.first_bad_event == 2
        assert "content does not match its hash" in result.problem


def test_unkeyed_events_newer_than_a_checkpoint_are_detected(app):
    with app.app_context():
        legacy_chain(3)
        checkpoint = audit.write_checkpoint("test")
        db.session.commit()
        name = audit.describe(checkpoint)
        new_events(2)
        # No keyed event comes before 4, but code that writes checkpoints keys all.
        rechain(4, {"actor_name": "Someone Else"}, strip_macs=True)
        result = audit.verify()
        assert not result.ok and result.first_bad_event == 4
        assert f"it has no HMAC although it is newer than {name}" in result.problem


def test_the_one_event_hash_checks_exported_events_anywhere(app, client, world):
    """Bundles carry events as dicts with their hashes; any installation can check them."""
    make_events(client, world)
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent)).all()
        assert events
        for event in events:
            exported = {
                **audit.event_fields(event),
                "prev_hash": event.prev_hash,
                "hash": event.hash,
            }
            assert audit.event_hash(event.prev_hash, exported) == event.hash
            assert event.hash == plain_sha256(event.prev_hash, event)
            keyed = audit.event_hash(event.prev_hash, exported, "hmac-sha256")
            assert keyed == event.mac and keyed != event.hash
        app.config["AUDIT_KEY"] = "another installation's key"
        assert audit.event_hash(event.prev_hash, exported) == event.hash
        assert audit.event_hash(event.prev_hash, exported, "hmac-sha256") != event.mac


def test_a_chain_only_verifies_with_the_key_it_was_written_with(app, client, world):
    make_events(client, world)
    with app.app_context():
        assert audit.verify().ok
        app.config["AUDIT_KEY"] = "a different key"
        result = audit.verify()
        assert not result.ok and result.first_bad_event == 1
        assert "AUDIT_KEY is not the key it was written with" in result.problem


def test_the_key_lives_outside_the_database(app, tmp_path, monkeypatch):
    from portfolio import create_app
    from tests.conftest import base_config

    key_file = tmp_path / "instance" / "audit_key"
    assert key_file.read_text().strip() == app.config["AUDIT_KEY"]
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    assert len(app.config["AUDIT_KEY"]) >= 32
    again = create_app(base_config(tmp_path))
    assert again.config["AUDIT_KEY"] == app.config["AUDIT_KEY"]
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(elsewhere))
    monkeypatch.setenv("AUDIT_KEY", "from-the-environment-" + "x" * 32)
    configured = create_app(base_config(tmp_path))
    assert configured.config["AUDIT_KEY"] == "from-the-environment-" + "x" * 32
    assert not (elsewhere / "audit_key").exists()


def test_checkpoint_command_signs_the_head_and_refuses_a_broken_chain(
    app, client, world, runner
):
    make_events(client, world)
    written = runner.invoke(args=["audit", "checkpoint"])
    assert written.exit_code == 0, written.output
    with app.app_context():
        checkpoint = audit.latest_checkpoint()
        assert checkpoint.note == "flask audit checkpoint"
        assert checkpoint.head_seq == head() and checkpoint.events == head()
        assert checkpoint.head_hash == db.session.get(AuditEvent, head()).hash
        assert f"checkpoint {checkpoint.id} of" in written.output
        kept = f"{checkpoint.head_seq}:{checkpoint.head_hash[:16]}"
        assert f"flask audit verify --expect {kept}" in written.output
        db.session.execute(
            sa.update(AuditEvent).where(AuditEvent.seq == 1).values(actor_name="X")
        )
        db.session.commit()
    refused = runner.invoke(args=["audit", "checkpoint"])
    assert refused.exit_code == 1
    assert "audit chain broken at event 1: its content does not match" in refused.output
    assert "no checkpoint written" in refused.output
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditCheckpoint))
            == 1
        )


def test_a_checkpoint_kept_outside_the_database_catches_deleted_checkpoints(
    app, client, world, runner
):
    make_events(client, world, ("First", "Second"))
    with app.app_context():
        checkpoint = audit.write_checkpoint("test")
        db.session.commit()
        last, kept = head(), f"{checkpoint.head_seq}:{checkpoint.head_hash[:16]}"
    held = runner.invoke(args=["audit", "verify", "--expect", kept])
    assert held.exit_code == 0 and "1 kept checkpoint(s) match" in held.output
    with app.app_context():
        # Delete the newest events and the checkpoint that recorded them.
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.seq > last - 2))
        db.session.execute(sa.delete(AuditCheckpoint))
        db.session.commit()
        assert audit.verify().ok
    caught = runner.invoke(args=["audit", "verify", "--expect", kept])
    assert caught.exit_code == 1
    assert (
        f"audit chain broken at event {last}: the kept checkpoint names event {last} "
        f"but the chain ends at event {last - 2}" in caught.output
    )
    with app.app_context():
        earlier = f"{last - 2}:{db.session.get(AuditEvent, last - 2).hash[:16]}"
        # With no checkpoint and every HMAC stripped, the chain passes for an old one.
        rechain(1, {"actor_name": "Someone Else"}, strip_macs=True)
        assert audit.verify().ok
    rewritten = runner.invoke(args=["audit", "verify", "--expect", earlier])
    assert rewritten.exit_code == 1
    assert "does not have the hash" in rewritten.output
    bad = runner.invoke(args=["audit", "verify", "--expect", "twelve:abc"])
    assert bad.exit_code == 2 and "is not SEQ:HASH" in bad.output


def test_every_export_writes_a_checkpoint_shown_in_the_pdf(
    app, client, world, work_jobs, tmp_path
):
    make_events(client, world)
    caller = As(client, world, "trainee")
    made = caller.post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    ).get_json()
    work_jobs()
    export = caller.get(f"/api/v1/exports/{made['id']}").get_json()
    assert export["status"] == "done", export
    with app.app_context():
        checkpoint = db.session.scalar(
            sa.select(AuditCheckpoint).where(
                AuditCheckpoint.note == f"export {made['id']}"
            )
        )
        assert checkpoint is not None
        # The request's own audit event is anchored too.
        assert checkpoint.head_seq == head()
        assert checkpoint.head_hash == db.session.get(AuditEvent, head()).hash
        result = audit.verify()
        assert result.ok and result.last_checkpoint["id"] == checkpoint.id
    download = caller.get(export["download_url"])
    pdf = tmp_path / "export.pdf"
    pdf.write_bytes(download.data)
    download.close()
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert (
        f"Audit trail checkpoint {checkpoint.id}: event {checkpoint.head_seq}, hash "
        f"{checkpoint.head_hash[:16]}" in text
    )
