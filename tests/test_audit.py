"""The audit trail: a hash chain that detects any changed, removed or forked row."""

import sqlalchemy as sa

from portfolio.audit import services as audit
from portfolio.audit.models import GENESIS
from portfolio.audit.models import AuditEvent
from portfolio.extensions import db
from tests.world import REFLECTION
from tests.world import As


def make_events(client, world):
    caller = As(client, world, "trainee")
    evidence = caller.post("/api/v1/evidence", json=REFLECTION).get_json()
    caller.patch(f"/api/v1/evidence/{evidence['id']}", json={"title": "Edited"})
    caller.post(
        f"/api/v1/evidence/{evidence['id']}/submit", json={"assessor": world.supervisor}
    )
    return evidence["id"]


def test_chain_links_each_event_to_the_last(app, client, world):
    make_events(client, world)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).order_by(AuditEvent.seq)
        ).all()
        assert len(events) > 1 and events[0].prev_hash == GENESIS
        for before, after in zip(events, events[1:], strict=False):
            assert after.prev_hash == before.hash and after.seq == before.seq + 1
        assert audit.verify().ok


def test_changed_row_is_detected_and_named(app, client, world, runner):
    make_events(client, world)
    with app.app_context():
        total = audit.verify().events
        target = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "evidence.edited")
        )
        # Tamper directly in the table, as someone with database access might.
        db.session.execute(
            sa.update(AuditEvent)
            .where(AuditEvent.seq == target.seq)
            .values(actor_name="Someone Else")
        )
        db.session.commit()
        result = audit.verify()
        assert not result.ok and result.first_bad_event == target.seq
        assert "content does not match" in result.problem
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1 and f"broken at event {target.seq}" in cli.output
    api = As(client, world, "admin").get("/api/v1/audit/verify").get_json()
    assert (
        api["ok"] is False
        and api["first_bad_event"] == target.seq
        and api["events"] <= total
    )


def test_deleted_row_is_detected(app, client, world):
    make_events(client, world)
    with app.app_context():
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == 3))
        db.session.commit()
        result = audit.verify()
        assert (
            not result.ok
            and result.first_bad_event == 3
            and "missing" in result.problem
        )


def test_verify_cli_and_api_when_intact(client, world, runner):
    make_events(client, world)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit chain ok" in result.output
    body = As(client, world, "admin").get("/api/v1/audit/verify").get_json()
    assert body["ok"] is True and body["first_bad_event"] is None and body["events"] > 3
    assert As(client, world, "lead").get("/api/v1/audit/verify").status_code == 403


def test_a_fork_is_impossible(app, client, world):
    make_events(client, world)
    with app.app_context():
        last = db.session.scalar(
            sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)
        )
        fork = AuditEvent(
            seq=last.seq + 1,
            occurred_at=last.occurred_at,
            actor_id=None,
            actor_name="x",
            action="x",
            object_type="x",
            object_id="x",
            data={},
            prev_hash=last.prev_hash,
            hash="f" * 64,
        )
        db.session.add(fork)
        try:
            db.session.commit()
            raised = False
        except sa.exc.IntegrityError:
            db.session.rollback()
            raised = True
        assert raised, "two events must not share a predecessor"


def test_every_edit_is_in_the_same_transaction_as_its_change(app, client, world):
    evidence_id = make_events(client, world)
    with app.app_context():
        actions = [e.action for e in audit.history("evidence", evidence_id)]
        assert actions == ["evidence.created", "evidence.edited", "evidence.submitted"]
