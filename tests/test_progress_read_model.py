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
from portfolio.progress.engine import progress_from_tally
from tests.world import REFLECTION

COUNTABLE = ("ETA", "DTA", "OTA", "assessment", "statement", "competency")


def _stored_equals_recomputed(app) -> list[tuple]:
    """Every enrolment's maintained rows against a full recomputation; [] when equal.

    Compares the summary, every per-outcome and per-module count (the tally), the
    progress the pages show from them (statuses, missing lines, modules, next
    actions) and the dates the risk flags read.
    """
    with app.app_context():
        enrolments = list(db.session.scalars(sa.select(Enrolment)))
        assert enrolments
        fresh = tracking.recompute_many(enrolments)
        stored_counts = tracking.stored_tallies([e.id for e in enrolments])
        shown = tracking.progress_many(enrolments)
        dates = tracking._trainee_dates(sorted({e.trainee_id for e in enrolments}))
        stored = {
            row.enrolment_id: row
            for row in db.session.scalars(sa.select(ProgressSummary))
        }
        wrong = []
        for enrolment in enrolments:
            specs, counts = fresh[enrolment.id]
            want = progress_from_tally(specs, counts)
            row = stored.get(enrolment.id)
            got = (
                (row.percent_complete, row.done_units, row.total_units) if row else None
            )
            if got != (want.percent_complete, want.done_units, want.total_units):
                wrong.append((enrolment.id, "summary", got, want.percent_complete))
            if stored_counts.get(enrolment.id) != counts:
                wrong.append((enrolment.id, "tally", stored_counts.get(enrolment.id)))
            if shown[enrolment.id] != want:
                wrong.append((enrolment.id, "progress"))
            flag = dates[enrolment.trainee_id]
            if row and (row.last_evidence_on, row.oldest_submitted_at) != (
                flag.last_evidence_on,
                flag.oldest_submitted_at,
            ):
                wrong.append((enrolment.id, "flag dates"))
        return wrong


def _codes(as_, slug) -> list[str]:
    body = as_("trainee").get(f"/api/v1/curricula/{slug}").get_json()
    codes = [o["code"] for o in body["outcomes"] if o["type"] in COUNTABLE]
    assert codes
    return codes


DATES = ("2026-03-14", "2026-03-15", "2026-04-02")


def test_summaries_always_equal_a_full_recomputation(app, as_, world):
    """Random sequences of record, edit claims and dates, submit, withdraw, approve,
    return and unlock (seeded): after every step the maintained rows equal a full
    recomputation by the engine."""
    rng = random.Random(20261201)
    stp, ai = _codes(as_, "stp-rp"), _codes(as_, "ai-dht")
    trainee, supervisor, lead = as_("trainee"), as_("supervisor"), as_("lead")
    items: dict[str, str] = {}  # evidence id -> status as we drove it

    def claims():
        chosen = [{"curriculum": "stp-rp", "code": rng.choice(stp)}]
        if rng.random() < 0.5:
            chosen.append({"curriculum": "ai-dht", "code": rng.choice(ai)})
        if rng.random() < 0.3:
            chosen.append({"curriculum": "stp-rp", "code": rng.choice(stp[:3])})
        return chosen

    assert _stored_equals_recomputed(app) == []
    seen = set()
    for step in range(60):
        action = rng.choice(
            ["record", "edit", "submit", "withdraw", "approve", "return", "unlock"]
        )
        by_status = {
            status: [i for i, s in items.items() if s == status]
            for status in ("draft", "submitted", "signed_off")
        }
        if action == "record" or not items:
            created = trainee.post(
                "/api/v1/evidence",
                json={
                    **REFLECTION,
                    "title": f"Step {step}",
                    "occurred_on": rng.choice(DATES),
                    "claims": claims(),
                },
            )
            assert created.status_code == 201, created.get_json()
            items[created.get_json()["id"]] = "draft"
            action = "record"
        elif action == "edit" and by_status["draft"]:
            chosen = rng.choice(by_status["draft"])
            done = trainee.patch(
                f"/api/v1/evidence/{chosen}",
                json={
                    "occurred_on": rng.choice(DATES),
                    "claims": claims(),
                },
            )
            assert done.status_code == 200, done.get_json()
        elif action == "submit" and by_status["draft"]:
            chosen = rng.choice(by_status["draft"])
            done = trainee.post(
                f"/api/v1/evidence/{chosen}/submit",
                json={"assessor": world.supervisor},
            )
            assert done.status_code == 200, done.get_json()
            items[chosen] = "submitted"
        elif action == "withdraw" and by_status["submitted"]:
            chosen = rng.choice(by_status["submitted"])
            done = trainee.post(f"/api/v1/evidence/{chosen}/withdraw")
            assert done.status_code == 200, done.get_json()
            items[chosen] = "draft"
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
        else:
            continue
        seen.add(action)
        assert _stored_equals_recomputed(app) == [], (step, action)
    assert {"record", "edit", "submit", "approve", "unlock"} <= seen, seen


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


def test_a_dops_completed_by_ticket_keeps_the_rows_equal(app, client, people, as_user):
    """A workplace assessment sent to an assessor without an account and completed by
    the emailed link: the module's assessment counts follow, in that transaction."""
    from tests.test_tickets import ASSESSMENT
    from tests.test_tickets import IDENTITY
    from tests.test_tickets import link_in_outbox
    from tests.test_tickets import send_to_visitor

    send_to_visitor(app, client, people, as_user)
    assert _stored_equals_recomputed(app) == []
    path = link_in_outbox(app, "vera@elekta.example")
    client.delete_cookie("session")
    done = client.post(path, data={"decision": "approve", **IDENTITY, **ASSESSMENT})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert _stored_equals_recomputed(app) == []
    with app.app_context():
        from portfolio.progress.models import ProgressOutcome

        modules = db.session.scalars(
            sa.select(ProgressOutcome).where(ProgressOutcome.scope == "module")
        ).all()
        assert any(row.counts.get("dops:signed_off") for row in modules), modules


def test_module_figures_give_the_cohort_the_same_stp_standings(app, as_, world):
    """The cohort's STP standings read the stored module figures; they equal the
    standings computed from full progress, and each module's figures equal the rules'."""
    from datetime import date

    from portfolio.progress import stp_tracking
    from tests.helpers.api import sign_off

    sign_off(as_, world, REFLECTION)
    sign_off(as_, world, {**REFLECTION, "occurred_on": "2026-04-02"})
    with app.app_context():
        enrolments = list(db.session.scalars(sa.select(Enrolment)))
        full = tracking.recomputed_progress(enrolments)
        light = tracking.module_progress_many(enrolments)
        for e in enrolments:
            assert light[e.id].percent_complete == full[e.id].percent_complete
            assert sorted(
                (m.code, m.done_units, m.total_units) for m in light[e.id].modules
            ) == sorted(
                (m.code, m.done_units, m.total_units) for m in full[e.id].modules
            )
        stp = [e for e in enrolments if stp_tracking.is_stp(e)]
        assert stp and all(light[e.id].modules for e in stp)
        today = date(2027, 10, 1)
        assert stp_tracking.for_cohort(enrolments, today) == stp_tracking.standings(
            stp, full, today
        )


def test_progress_kept_per_process_follows_a_change_to_outcome_rows_alone(
    app, as_, world
):
    """A draft's claim moved from one outcome to another changes two outcome rows and
    nothing of the summary's figures: the summary's revision still changes, so the
    progress kept under it is not shown again."""
    x, y = _codes(as_, "stp-rp")[:2]
    trainee = as_("trainee")
    created = trainee.post(
        "/api/v1/evidence",
        json={**REFLECTION, "claims": [{"curriculum": "stp-rp", "code": x}]},
    )
    assert created.status_code == 201, created.get_json()

    def shown():
        with app.app_context():
            enrolment = db.session.get(Enrolment, world.enrolment_id)
            progress = tracking.progress_many([enrolment])[enrolment.id]
            summary = db.session.get(ProgressSummary, enrolment.id)
            figures = (
                summary.percent_complete,
                summary.done_units,
                summary.returned_items,
                summary.draft_items,
                summary.last_evidence_on,
                summary.oldest_submitted_at,
            )
            drafts = {o.code: o.draft_count for o in progress.outcomes}
            return drafts, figures, summary.revision, progress

    before, figures_before, revision_before, first = shown()
    again = shown()[3]
    assert again is first  # kept: the same object, not computed again
    assert before[x] == 1 and before.get(y, 0) == 0
    moved = trainee.patch(
        f"/api/v1/evidence/{created.get_json()['id']}",
        json={"claims": [{"curriculum": "stp-rp", "code": y}]},
    )
    assert moved.status_code == 200, moved.get_json()
    after, figures_after, revision_after, _ = shown()
    assert figures_after == figures_before  # the summary's figures did not move
    assert revision_after != revision_before
    assert after.get(x, 0) == 0 and after[y] == 1
    assert _stored_equals_recomputed(app) == []
