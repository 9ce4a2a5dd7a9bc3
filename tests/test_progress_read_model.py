"""Progress summaries are a maintained read model: kept up to date by every change
that moves progress, in that change's transaction, and never written by a read.

The pure engine (portfolio/progress/engine.py) stays the one definition of the
rules: the maintained rows must always equal a full recomputation by it.
"""

import random

import sqlalchemy as sa

from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import ProgressSummary
from portfolio.extensions import db
from portfolio.progress import tracking
from tests.world import REFLECTION

COUNTABLE = ("ETA", "DTA", "OTA", "assessment", "statement", "competency")


def _stored_equals_recomputed(app) -> list[tuple]:
    """Every enrolment's stored summary against the engine's answer; [] when equal."""
    with app.app_context():
        enrolments = list(db.session.scalars(sa.select(Enrolment)))
        assert enrolments
        fresh = tracking.progress_many(enrolments)
        stored = {
            row.enrolment_id: row
            for row in db.session.scalars(sa.select(ProgressSummary))
        }
        wrong = []
        for enrolment in enrolments:
            row = stored.get(enrolment.id)
            want = fresh[enrolment.id]
            got = (
                (row.percent_complete, row.done_units, row.total_units) if row else None
            )
            if got != (want.percent_complete, want.done_units, want.total_units):
                wrong.append((enrolment.id, got, want.percent_complete))
        return wrong


def _codes(as_, slug) -> list[str]:
    body = as_("trainee").get(f"/api/v1/curricula/{slug}").get_json()
    codes = [o["code"] for o in body["outcomes"] if o["type"] in COUNTABLE]
    assert codes
    return codes


def test_summaries_always_equal_a_full_recomputation(app, as_, world):
    """Random sequences of record, submit, approve, return and unlock (seeded)."""
    rng = random.Random(20261201)
    stp, ai = _codes(as_, "stp-rp"), _codes(as_, "ai-dht")
    trainee, supervisor, lead = as_("trainee"), as_("supervisor"), as_("lead")
    items: dict[str, str] = {}  # evidence id -> status as we drove it
    assert _stored_equals_recomputed(app) == []
    for step in range(24):
        action = rng.choice(["record", "submit", "approve", "return", "unlock"])
        by_status = {
            status: [i for i, s in items.items() if s == status]
            for status in ("draft", "submitted", "signed_off")
        }
        if action == "record" or not items:
            claims = [{"curriculum": "stp-rp", "code": rng.choice(stp)}]
            if rng.random() < 0.5:
                claims.append({"curriculum": "ai-dht", "code": rng.choice(ai)})
            created = trainee.post(
                "/api/v1/evidence",
                json={**REFLECTION, "title": f"Step {step}", "claims": claims},
            )
            assert created.status_code == 201, created.get_json()
            items[created.get_json()["id"]] = "draft"
        elif action == "submit" and by_status["draft"]:
            chosen = rng.choice(by_status["draft"])
            done = trainee.post(
                f"/api/v1/evidence/{chosen}/submit",
                json={"assessor": world.supervisor},
            )
            assert done.status_code == 200, done.get_json()
            items[chosen] = "submitted"
        elif action in ("approve", "return") and by_status["submitted"]:
            chosen = rng.choice(by_status["submitted"])
            done = supervisor.post(
                f"/api/v1/evidence/{chosen}/decision",
                json={"decision": action, "comment": "Noted"},
            )
            assert done.status_code == 200, done.get_json()
            items[chosen] = "signed_off" if action == "approve" else "draft"
        elif action == "unlock" and by_status["signed_off"]:
            chosen = rng.choice(by_status["signed_off"])
            done = lead.post(
                f"/api/v1/evidence/{chosen}/unlock", json={"reason": "Recheck"}
            )
            assert done.status_code == 200, done.get_json()
            items[chosen] = "draft"
        assert _stored_equals_recomputed(app) == [], (step, action)
    assert "signed_off" in items.values() or "draft" in items.values()


def _writes_during(app, func) -> list[str]:
    with app.app_context():
        engine = db.engine
    writes: list[str] = []

    def listener(conn, cursor, statement, *args):
        if statement.lstrip().split(" ", 1)[0].upper() in (
            "INSERT",
            "UPDATE",
            "DELETE",
        ):
            writes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        func()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return writes


def test_no_read_path_writes_even_right_after_a_sign_off(app, as_, world, login):
    from tests.helpers.api import sign_off

    lead = as_("lead")
    lead.get("/api/v1/cohort")  # the token's hourly last-use write happens here
    sign_off(as_, world, REFLECTION)
    assert _writes_during(app, lambda: lead.get("/api/v1/cohort")) == []
    path = f"/api/v1/enrolments/{world.enrolment_id}/progress"
    assert _writes_during(app, lambda: lead.get(path)) == []


def test_rebuild_fills_missing_summaries(app, runner, world):
    with app.app_context():
        db.session.execute(sa.delete(ProgressSummary))
        db.session.commit()
    assert _stored_equals_recomputed(app) != []
    result = runner.invoke(args=["progress", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt the progress of" in result.output
    assert _stored_equals_recomputed(app) == []
    missing = runner.invoke(args=["progress", "rebuild", "--enrolment", "nope"])
    assert missing.exit_code != 0 and "No enrolment nope" in missing.output
