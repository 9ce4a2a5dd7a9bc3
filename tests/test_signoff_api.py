"""The core loop over the API: enrolments, evidence, every sign-off transition."""

import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.notifications.models import Notification
from portfolio.notifications.models import OutboxEmail
from tests.world import REFLECTION

DOPS = {
    "title": "Linac output check DOPS",
    "kind": "dops",
    "occurred_on": "2026-03-20",
    "body": "",
    # The trainee records the context only; the assessor completes the rest.
    "form": {"activity": "Daily output check", "setting": "Linac 3"},
    "claims": [{"curriculum": "stp-rp", "code": "P-RP-S2-TA01"}],
}
ASSESSMENT = {
    "ratings": {
        "preparation": "meets",
        "technical_skill": "meets",
        "safety": "above",
        "communication": "meets",
        "documentation": "not_observed",
    },
    "overall": "meets",
    "strengths": "Careful set-up",
    "development": "Speed",
    "declaration": True,
}


def create(as_, payload=REFLECTION, who="trainee"):
    response = as_(who).post("/api/v1/evidence", json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def status_of(as_, evidence_id):
    return as_("trainee").get(f"/api/v1/evidence/{evidence_id}").get_json()["status"]


# ---- enrolments ----------------------------------------------------------------------


def test_lead_enrols_with_supervisors(as_, world):
    response = as_("lead").post(
        "/api/v1/enrolments",
        json={
            "trainee": world.other_trainee,
            "curriculum": "app-hcsa-st0218",
            "organisation": "RBV",
            "start_date": "2026-01-05",
            "expected_end_date": "2027-03-05",
            "contracted_hours_per_week": 37.5,
            "supervisors": [
                world.supervisor,
                {
                    "person": world.assessor,
                    "role": "assessor",
                    "end_date": "2026-12-31",
                },
            ],
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "active" and body["curriculum"]["id"] == "app-hcsa-st0218"
    roles = {s["role"] for s in body["supervisors"]}
    assert roles == {"training_officer", "assessor"}
    fetched = as_("other_trainee").get(f"/api/v1/enrolments/{body['id']}")
    assert fetched.status_code == 200


@pytest.mark.parametrize("who", ["leeds_lead", "trainee", "supervisor"])
def test_only_that_organisations_lead_or_admin_enrols(as_, world, who):
    response = as_(who).post(
        "/api/v1/enrolments",
        json={
            "trainee": world.other_trainee,
            "curriculum": "gsp",
            "organisation": "RBV",
            "start_date": "2026-01-05",
            "expected_end_date": "2027-01-05",
        },
    )
    assert response.status_code == 403


def test_enrolment_validation_reports_every_field(as_, world):
    response = as_("lead").post(
        "/api/v1/enrolments",
        json={
            "trainee": "nobody@example.org",
            "curriculum": "nope",
            "organisation": "RBV",
            "start_date": "2026-01-05",
            "expected_end_date": "2025-01-05",
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"trainee", "curriculum", "expected_end_date"}


def test_enrolment_visibility(as_, world):
    path = f"/api/v1/enrolments/{world.enrolment_id}"
    for who in ("trainee", "supervisor", "assessor", "lead", "admin"):
        assert as_(who).get(path).status_code == 200, who
    for who in ("other_trainee", "other_supervisor", "leeds_lead", "leeds_trainee"):
        assert as_(who).get(path).status_code == 404, who


# ---- evidence -----------------------------------------------------------------------------


def test_create_claims_across_curricula(as_):
    body = create(as_)
    assert body["status"] == "draft" and body["version"] == 1
    assert {(c["curriculum"], c["code"]) for c in body["claims"]} == {
        ("stp-rp", "P-RP-S2-TA01"),
        ("ai-dht", "AIDHT-1-01"),
    }
    assert [e["action"] for e in body["history"]] == ["evidence.created"]


def test_create_validation(as_):
    response = as_("trainee").post(
        "/api/v1/evidence",
        json={
            "title": "",
            "kind": "poem",
            "occurred_on": "2999-01-01",
            "claims": [
                {"curriculum": "app-cs-st0893", "code": "P-K1"},
                {"curriculum": "stp-rp", "code": "NOPE"},
            ],
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {
        "title",
        "kind",
        "occurred_on",
        "claims[0].curriculum",
        "claims[1].code",
    } <= fields


def test_wba_form_is_checked(as_):
    bad = {**DOPS, "form": {**DOPS["form"], "activity": 5, "extra": 1}}
    response = as_("trainee").post("/api/v1/evidence", json=bad)
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"form.activity", "form.extra"} <= fields


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ratings", ASSESSMENT["ratings"], "The assessor completes the ratings"),
        ("overall", "meets", "The assessor completes the overall judgement"),
        ("strengths", "Careful", "The assessor completes the strengths shown"),
        ("development", "Speed", "The assessor completes the points for development"),
        ("declaration", True, "The assessor makes the declaration when signing off"),
    ],
)
def test_a_trainee_cannot_set_the_assessors_fields(as_, field, value, message):
    payload = {**DOPS, "form": {**DOPS["form"], field: value}}
    created = as_("trainee").post("/api/v1/evidence", json=payload)
    assert created.status_code == 422
    assert {"field": f"form.{field}", "message": message} in created.get_json()[
        "errors"
    ]
    evidence = create(as_, DOPS)
    patched = as_("trainee").patch(
        f"/api/v1/evidence/{evidence['id']}",
        json={"form": {**DOPS["form"], field: value}},
    )
    assert patched.status_code == 422
    assert {"field": f"form.{field}", "message": message} in patched.get_json()[
        "errors"
    ]
    stored = as_("trainee").get(f"/api/v1/evidence/{evidence['id']}").get_json()
    assert stored["form"] == DOPS["form"] and stored["ratings_by_trainee"] is False


def test_only_trainees_record_evidence(as_):
    assert (
        as_("supervisor").post("/api/v1/evidence", json=REFLECTION).status_code == 403
    )


def test_malformed_json_is_400(as_):
    response = as_("trainee").client.post(
        "/api/v1/evidence",
        data="{",
        headers={**as_("trainee").headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("trainee", 200),
        ("supervisor", 200),
        ("assessor", 200),
        ("lead", 200),
        ("admin", 200),
        ("other_trainee", 404),
        ("other_supervisor", 404),
        ("leeds_lead", 404),
        ("leeds_trainee", 404),
    ],
)
def test_evidence_visibility(as_, world, who, status):
    """Submitted evidence: the trainee's supervisors, their trust's lead, an admin."""
    evidence = create(as_)
    path = f"/api/v1/evidence/{evidence['id']}"
    as_("trainee").post(f"{path}/submit", json={"assessor": world.assessor})
    assert as_(who).get(path).status_code == status


@pytest.mark.parametrize(
    "who", ["supervisor", "assessor", "lead", "admin", "other_supervisor", "leeds_lead"]
)
def test_drafts_are_private_to_their_owner(as_, who):
    evidence = create(as_)
    path = f"/api/v1/evidence/{evidence['id']}"
    assert as_("trainee").get(path).status_code == 200
    assert as_(who).get(path).status_code == 404
    listed = as_(who).get("/api/v1/evidence").get_json()
    assert evidence["id"] not in [item["id"] for item in listed["items"]]


def test_list_is_scoped_and_filtered(as_, world):
    create(as_)
    other = create(
        as_,
        {**REFLECTION, "title": "Other's", "claims": REFLECTION["claims"][:1]},
        who="other_trainee",
    )
    as_("other_trainee").post(
        f"/api/v1/evidence/{other['id']}/submit",
        json={"assessor": world.other_supervisor},
    )
    mine = as_("trainee").get("/api/v1/evidence").get_json()
    assert mine["total"] == 1
    assert as_("other_supervisor").get("/api/v1/evidence").get_json()["total"] == 1
    # The trainee's own item is a draft: private to her.
    assert as_("lead").get("/api/v1/evidence").get_json()["total"] == 1
    assert as_("leeds_lead").get("/api/v1/evidence").get_json()["total"] == 0
    drafts = as_("trainee").get("/api/v1/evidence?status=signed_off").get_json()
    assert drafts["total"] == 0
    by_curriculum = as_("trainee").get("/api/v1/evidence?curriculum=ai-dht").get_json()
    assert by_curriculum["total"] == 1


def test_patch_edits_and_audits(as_):
    evidence = create(as_)
    response = as_("trainee").patch(
        f"/api/v1/evidence/{evidence['id']}", json={"title": "New title", "claims": []}
    )
    body = response.get_json()
    assert (
        response.status_code == 200
        and body["title"] == "New title"
        and body["claims"] == []
    )
    assert body["history"][-1]["data"]["changed"] == ["claims", "title"]
    assert (
        as_("supervisor")
        .patch(f"/api/v1/evidence/{evidence['id']}", json={"title": "x"})
        .status_code
        == 404  # a draft is private to its owner
    )


# ---- the workflow ---------------------------------------------------------------------------


def test_full_round_trip(app, as_, world, work_jobs):
    evidence = create(as_)
    path = f"/api/v1/evidence/{evidence['id']}"
    submitted = as_("trainee").post(
        f"{path}/submit", json={"assessor": world.supervisor}
    )
    assert (
        submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    )
    queue = as_("supervisor").get("/api/v1/signoff/queue").get_json()
    assert [i["id"] for i in queue["items"]] == [evidence["id"]]
    assert queue["items"][0]["age_days"] == 0
    returned = as_("supervisor").post(
        f"{path}/decision",
        json={"decision": "return", "comment": "Add what you would do next"},
    )
    assert returned.get_json()["status"] == "returned"
    assert as_("supervisor").get("/api/v1/signoff/queue").get_json()["total"] == 0
    edited = as_("trainee").patch(path, json={"body": "Now with a plan."})
    assert edited.get_json()["status"] == "draft"
    as_("trainee").post(f"{path}/submit", json={"assessor": world.supervisor})
    approved = as_("supervisor").post(
        f"{path}/decision", json={"decision": "approve", "comment": "Good"}
    )
    assert approved.get_json()["status"] == "signed_off"
    body = as_("trainee").get(path).get_json()
    decisions = [(s["decision"], s["comment"]) for s in body["signoffs"]]
    assert decisions == [
        ("returned", "Add what you would do next"),
        ("approved", "Good"),
    ]
    assert len(body["signoffs"][-1]["content_hash"]) == 64
    assert "stp-rp:2022.1:P-RP-S2-TA01" in body["signoffs"][-1]["claims"]
    actions = [e["action"] for e in body["history"]]
    assert actions == [
        "evidence.created",
        "evidence.submitted",
        "evidence.returned",
        "evidence.edited",
        "evidence.submitted",
        "evidence.signed_off",
    ]
    work_jobs()
    with app.app_context():
        notes = db.session.scalars(sa.select(Notification.message)).all()
        assert any("asked you to sign off" in n for n in notes)
        assert any("returned" in n for n in notes) and any(
            "signed off" in n for n in notes
        )
        sent = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.sent_at.is_not(None))
        )
        assert sent >= 4


def test_signed_evidence_is_locked_until_unlocked(as_, world):
    evidence = create(as_)
    path = f"/api/v1/evidence/{evidence['id']}"
    as_("trainee").post(f"{path}/submit", json={"assessor": world.assessor})
    as_("assessor").post(f"{path}/decision", json={"decision": "approve"})
    locked = as_("trainee").patch(path, json={"title": "sneaky"})
    assert locked.status_code == 409 and "unlock" in locked.get_json()["detail"]
    assert (
        as_("supervisor").post(f"{path}/unlock", json={"reason": "x"}).status_code
        == 403
    )
    assert (
        as_("leeds_lead").post(f"{path}/unlock", json={"reason": "x"}).status_code
        == 404
    )
    assert as_("lead").post(f"{path}/unlock", json={"reason": ""}).status_code == 422
    unlocked = as_("lead").post(
        f"{path}/unlock", json={"reason": "Wrong date recorded"}
    )
    assert unlocked.get_json() == {
        "id": evidence["id"],
        "status": "draft",
        "version": 2,
    }
    body = as_("trainee").get(path).get_json()
    old = body["signoffs"][0]
    assert old["superseded_reason"] == "Wrong date recorded" and old["superseded_at"]
    assert (
        as_("trainee").patch(path, json={"occurred_on": "2026-03-15"}).status_code
        == 200
    )
    assert (
        as_("lead").post(f"{path}/unlock", json={"reason": "again"}).status_code == 409
    )


def test_withdraw(as_, world):
    evidence = create(as_)
    path = f"/api/v1/evidence/{evidence['id']}"
    assert as_("trainee").post(f"{path}/withdraw").status_code == 409
    as_("trainee").post(f"{path}/submit", json={"assessor": world.supervisor})
    assert as_("trainee").patch(path, json={"title": "x"}).status_code == 409
    assert as_("supervisor").post(f"{path}/withdraw").status_code == 403
    response = as_("trainee").post(f"{path}/withdraw")
    assert response.get_json()["status"] == "draft"
    assert as_("supervisor").get("/api/v1/signoff/queue").get_json()["total"] == 0


def test_submit_rules(as_, world):
    evidence = create(as_)
    path = f"/api/v1/evidence/{evidence['id']}/submit"
    not_mine = as_("trainee").post(path, json={"assessor": world.other_supervisor})
    assert (
        not_mine.status_code == 422
        and "No supervisor with that email can sign off"
        in not_mine.get_json()["detail"]
    )
    assert (
        as_("trainee").post(path, json={"assessor": world.trainee}).status_code == 422
    )
    assert (
        as_("supervisor").post(path, json={"assessor": world.supervisor}).status_code
        == 404  # a draft is private to its owner
    )
    assert as_("trainee").post(path, json={}).status_code == 422
    unclaimed = create(as_, {**REFLECTION, "claims": []})
    response = as_("trainee").post(
        f"/api/v1/evidence/{unclaimed['id']}/submit",
        json={"assessor": world.supervisor},
    )
    assert response.status_code == 422 and any(
        e["field"] == "claims" for e in response.get_json()["errors"]
    )
    by_id = as_("trainee").post(
        path, json={"assessor": as_("supervisor").get("/api/v1/me").get_json()["id"]}
    )
    assert by_id.status_code == 200
    assert (
        as_("trainee").post(path, json={"assessor": world.supervisor}).status_code
        == 409
    )


def test_incomplete_wba_cannot_be_submitted(as_, world):
    partial = {**DOPS, "form": {"activity": "Daily output check"}}
    evidence = create(as_, partial)
    response = as_("trainee").post(
        f"/api/v1/evidence/{evidence['id']}/submit", json={"assessor": world.supervisor}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert "form.setting" in fields
    # The ratings are the assessor's, so a trainee's request never lacks them.
    assert not any(f.startswith("form.ratings") for f in fields)


def test_decision_rules(as_, world):
    evidence = create(as_, DOPS)
    path = f"/api/v1/evidence/{evidence['id']}"
    # Nobody has been asked yet: the draft is private, so absent for them.
    assert (
        as_("supervisor")
        .post(f"{path}/decision", json={"decision": "approve"})
        .status_code
        == 404
    )
    as_("trainee").post(f"{path}/submit", json={"assessor": world.assessor})
    assert (
        as_("supervisor")
        .post(f"{path}/decision", json={"decision": "approve"})
        .status_code
        == 403
    )
    assert (
        as_("lead").post(f"{path}/decision", json={"decision": "approve"}).status_code
        == 403
    )
    assert (
        as_("other_supervisor")
        .post(f"{path}/decision", json={"decision": "approve"})
        .status_code
        == 404
    )
    assert (
        as_("trainee")
        .post(f"{path}/decision", json={"decision": "approve"})
        .status_code
        == 403
    )
    no_feedback = as_("assessor").post(
        f"{path}/decision", json={"decision": "return", "comment": " "}
    )
    assert no_feedback.status_code == 422
    # Approving a DOPS needs the assessor's part: each missing field is named.
    no_assessment = as_("assessor").post(
        f"{path}/decision", json={"decision": "approve"}
    )
    assert no_assessment.status_code == 422
    fields = {e["field"] for e in no_assessment.get_json()["errors"]}
    assert {
        *(f"form.ratings.{d}" for d in ASSESSMENT["ratings"]),
        "form.overall",
        "form.strengths",
        "form.development",
        "form.declaration",
    } <= fields
    partly = as_("assessor").post(
        f"{path}/decision",
        json={
            "decision": "approve",
            "form": {**ASSESSMENT, "overall": "superb", "declaration": False},
        },
    )
    assert {e["field"] for e in partly.get_json()["errors"]} == {
        "form.overall",
        "form.declaration",
    }
    assert (
        as_("assessor").post(f"{path}/decision", json={"decision": "maybe"}).status_code
        == 422
    )
    assert as_("trainee").get(path).get_json()["status"] == "submitted"
    ok = as_("assessor").post(
        f"{path}/decision", json={"decision": "approve", "form": ASSESSMENT}
    )
    assert ok.get_json()["status"] == "signed_off"
    signed = as_("trainee").get(path).get_json()
    assessment = signed["signoffs"][-1]["assessment"]
    assert assessment["ratings"] == ASSESSMENT["ratings"]
    assert assessment["overall"] == "meets" and assessment["development"] == "Speed"
    assert assessment["assessor_id"] == signed["signoffs"][-1]["assessor"]["id"]
    assert assessment["declaration"].startswith("I observed or discussed")
    assert signed["form"] == DOPS["form"]
    again = as_("assessor").post(
        f"{path}/decision", json={"decision": "return", "comment": "x"}
    )
    assert again.status_code == 409
    body = as_("trainee").get(path).get_json()
    assert (
        body["signoffs"][-1]["assessment"]["declaration"] == (assessment["declaration"])
    )


def test_ended_supervision_cannot_decide(app, as_, world):
    from datetime import date
    from datetime import timedelta

    from portfolio.enrolments.models import SupervisionAssignment

    evidence = create(as_)
    path = f"/api/v1/evidence/{evidence['id']}"
    as_("trainee").post(f"{path}/submit", json={"assessor": world.supervisor})
    with app.app_context():
        for row in db.session.scalars(sa.select(SupervisionAssignment)):
            row.end_date = date.today() - timedelta(days=1)
            row.start_date = date.today() - timedelta(days=30)
        db.session.commit()
    response = as_("supervisor").post(f"{path}/decision", json={"decision": "approve"})
    assert response.status_code == 404  # no longer visible to them


def test_queue_is_oldest_first_and_per_trainee(app, as_, world):
    from datetime import timedelta

    from portfolio.db import utcnow
    from portfolio.evidence.models import Evidence

    ids = []
    for title in ("First", "Second"):
        evidence = create(as_, {**REFLECTION, "title": title})
        as_("trainee").post(
            f"/api/v1/evidence/{evidence['id']}/submit",
            json={"assessor": world.supervisor},
        )
        ids.append(evidence["id"])
    with app.app_context():
        first = db.session.get(Evidence, ids[0])
        first.submitted_at = utcnow() - timedelta(days=9)
        db.session.commit()
    queue = as_("supervisor").get("/api/v1/signoff/queue").get_json()["items"]
    assert [i["title"] for i in queue] == ["First", "Second"]
    assert queue[0]["age_days"] == 9
    trainee_id = as_("trainee").get("/api/v1/me").get_json()["id"]
    assert (
        as_("supervisor")
        .get(f"/api/v1/signoff/queue?trainee={trainee_id}")
        .get_json()["total"]
        == 2
    )
    assert (
        as_("supervisor")
        .get("/api/v1/signoff/queue?trainee=someone-else")
        .get_json()["total"]
        == 0
    )
    assert as_("trainee").get("/api/v1/signoff/queue").status_code == 403


def test_remind_command_sends_one_digest_per_supervisor(app, as_, world, runner):
    from datetime import timedelta

    from portfolio.db import utcnow
    from portfolio.evidence.models import Evidence

    evidence = create(as_)
    as_("trainee").post(
        f"/api/v1/evidence/{evidence['id']}/submit", json={"assessor": world.supervisor}
    )
    none_yet = runner.invoke(args=["signoff", "remind", "--days", "5"])
    assert "0 reminder email(s)" in none_yet.output
    with app.app_context():
        db.session.get(Evidence, evidence["id"]).submitted_at = utcnow() - timedelta(
            days=8
        )
        db.session.commit()
    result = runner.invoke(args=["signoff", "remind", "--days", "5"])
    assert (
        result.exit_code == 0 and f"{world.supervisor}: 1 request(s)" in result.output
    )
    with app.app_context():
        digest = db.session.scalar(
            sa.select(OutboxEmail).where(
                OutboxEmail.subject.like("%waiting over 5 days%")
            )
        )
        assert (
            "waiting 8 days" in digest.body
            and "Shadowed a linac QA session" in digest.body
        )


def test_withdrawn_enrolment_ends_supervision(app, as_, world):
    from portfolio.enrolments.models import Enrolment

    evidence = create(
        as_,
        {**REFLECTION, "claims": [{"curriculum": "stp-rp", "code": "P-RP-S2-TA01"}]},
    )
    path = f"/api/v1/evidence/{evidence['id']}"
    as_("trainee").post(f"{path}/submit", json={"assessor": world.supervisor})
    assert as_("supervisor").get("/api/v1/signoff/queue").get_json()["total"] == 1
    with app.app_context():
        db.session.get(Enrolment, world.enrolment_id).status = "withdrawn"
        db.session.commit()
    assert as_("supervisor").get("/api/v1/signoff/queue").get_json()["total"] == 0
    assert as_("supervisor").get(path).status_code == 404
    # No longer visible to them at all, so not theirs to decide either.
    decided = as_("supervisor").post(f"{path}/decision", json={"decision": "approve"})
    assert decided.status_code == 404
