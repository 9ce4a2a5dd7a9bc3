"""Progress, breaks, reviews, gateway and cohort endpoints."""

from datetime import date

from flask import g
from flask import jsonify
from flask import request

from portfolio import policy
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import json_body
from portfolio.api.core import CHOICE_MAX
from portfolio.api.core import _date
from portfolio.api.core import _text
from portfolio.api.core import _unknown
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.rules import FieldErrors
from portfolio.training import cohort as cohorts
from portfolio.training import services as training
from portfolio.training import tracking


def review_json(review) -> dict:
    return {
        "id": review.id,
        "kind": review.kind,
        "due_on": review.due_on.isoformat() if review.due_on else None,
        "held_on": review.held_on.isoformat(),
        "summary": review.summary,
        "actions": review.actions,
        "complete": review.complete,
        "signed": {
            "trainee": review.trainee_signed_at is not None,
            "employer": review.employer_signed_at is not None,
            "provider": review.provider_signed_at is not None,
        },
    }


def standing_json(standing: tracking.Standing) -> dict:
    body = standing.progress.to_dict()
    body["flags"] = [f.to_dict() for f in standing.flags]
    body["next_actions"] = standing.progress.next_actions
    body["expected_end_date"] = standing.adjusted_end.isoformat()
    body["next_review_due"] = (
        standing.review_due.isoformat() if standing.review_due else None
    )
    body["reviews"] = [review_json(r) for r in standing.reviews]
    body["otj"] = standing.otj.to_dict() if standing.otj else None
    body["gateway"] = (
        [{"check": c.label, "met": c.met, "detail": c.detail} for c in standing.gateway]
        if standing.gateway is not None
        else None
    )
    return body


@bp.get("/enrolments/<enrolment_id>/progress")
def enrolment_progress(enrolment_id: str):
    enrolment = training.get_enrolment(g.user, enrolment_id)
    return jsonify(standing_json(tracking.standing(enrolment)))


@bp.post("/enrolments/<enrolment_id>/breaks")
def start_break(enrolment_id: str):
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"start_date", "reason"}, errors)
    start = _date(data.get("start_date"), "start_date", errors) or (
        None if data.get("start_date") else date.today()
    )
    reason = _text(data, "reason", errors, max_length=training.BREAK_REASON_MAX) or ""
    errors.raise_if_any()
    assert start is not None  # a bad date added a field error above
    enrolment = training.get_enrolment(g.user, enrolment_id)
    training.start_break(g.user, enrolment, start, reason)
    return jsonify({"id": enrolment.id, "status": enrolment.status})


@bp.post("/enrolments/<enrolment_id>/breaks/end")
def end_break(enrolment_id: str):
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"end_date"}, errors)
    end = _date(data.get("end_date"), "end_date", errors) or (
        None if data.get("end_date") else date.today()
    )
    errors.raise_if_any()
    assert end is not None  # a bad date added a field error above
    enrolment = training.get_enrolment(g.user, enrolment_id)
    training.end_break(g.user, enrolment, end)
    return jsonify({"id": enrolment.id, "status": enrolment.status})


@bp.post("/enrolments/<enrolment_id>/reviews")
def record_review(enrolment_id: str):
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"held_on", "summary", "actions", "done_carried"}, errors)
    held_on = _date(data.get("held_on"), "held_on", errors)
    summary = (
        _text(data, "summary", errors, max_length=training.REVIEW_SUMMARY_MAX) or ""
    )
    actions = data.get("actions") or []
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        errors.add("actions", "actions must be a list of strings")
        actions = []
    elif len("\n".join(actions)) > training.REVIEW_ACTIONS_MAX:
        errors.add(
            "actions",
            f"actions must be {training.REVIEW_ACTIONS_MAX:,} characters or fewer "
            "in all",
        )
    done = data.get("done_carried") or []
    if not isinstance(done, list) or not all(isinstance(i, int) for i in done):
        errors.add("done_carried", "done_carried must be a list of action numbers")
        done = []
    errors.raise_if_any()
    enrolment = training.get_enrolment(g.user, enrolment_id)
    review = training.record_review(g.user, enrolment, held_on, summary, actions, done)
    response = jsonify(review_json(review))
    response.status_code = 201
    return response


@bp.post("/enrolments/<enrolment_id>/reviews/<review_id>/sign")
def sign_review(enrolment_id: str, review_id: str):
    enrolment = training.get_enrolment(g.user, enrolment_id)
    return jsonify(review_json(training.sign_review(g.user, enrolment, review_id)))


@bp.post("/enrolments/<enrolment_id>/gateway")
def confirm_gateway(enrolment_id: str):
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"party"}, errors)
    party = _text(data, "party", errors, required=True, max_length=CHOICE_MAX)
    errors.raise_if_any()
    assert party is not None  # required=True added a field error if missing
    enrolment = training.get_enrolment(g.user, enrolment_id)
    training.confirm_gateway(g.user, enrolment, party)
    standing = tracking.standing(enrolment)
    return jsonify({"gateway": standing_json(standing)["gateway"]})


@bp.get("/cohort")
def cohort():
    if not policy.can_manage_enrolments(g.user):
        raise ApiProblem(403, "The cohort view is for training leads and admins.")
    org_ids = policy.cohort_organisation_ids(g.user)
    rows = cohorts.cohort(
        org_ids,
        programme=request.args.get("programme"),
        status=request.args.get("status"),
        flagged_only=cohorts.flag_filter(request.args.get("flagged")),
        sort=request.args.get("sort", "name"),
    )
    return jsonify(
        {
            "items": [
                {
                    "enrolment": r.enrolment.id,
                    "trainee": {
                        "id": r.trainee.id,
                        "name": r.trainee.name,
                        "email": r.trainee.email,
                    },
                    "programme": r.enrolment.curriculum.slug,
                    "specialism": r.specialism or None,
                    "status": r.status,
                    "percent_complete": r.percent,
                    "flags": [f.to_dict() for f in r.flags],
                    "last_activity": r.last_activity.isoformat()
                    if r.last_activity
                    else None,
                    "training_officer": r.supervisor or None,
                }
                for r in rows
            ],
            "supervisors": [
                {
                    "supervisor": {"id": s.supervisor.id, "name": s.supervisor.name},
                    "trainees": s.trainees,
                    "pending_requests": s.pending,
                    "over_soft_cap": s.over_cap,
                }
                for s in cohorts.supervisor_load(org_ids)
            ],
        }
    )


S = {"type": "string"}
DATE = {"type": "string", "format": "date"}
document(
    "/enrolments/{enrolment_id}/progress",
    "get",
    "Progress from the curriculum's own rules, with what is missing and why, flags, OTJ, reviews, gateway",
    response=schema(
        {
            "percent_complete": {"type": "number"},
            "outcomes": {
                "type": "array",
                "items": schema(
                    {
                        "code": S,
                        "status": {
                            "enum": ["not_started", "in_progress", "signed_off"]
                        },
                        "evidence_count": {"type": "integer"},
                        "missing": {"type": "array", "items": S},
                    }
                ),
            },
            "flags": {"type": "array", "items": schema({"code": S, "message": S})},
            "modules": {"type": "array"},
            "next_actions": {"type": "array", "items": S},
            "otj": {"type": ["object", "null"]},
            "gateway": {"type": ["array", "null"]},
        }
    ),
    errors=(401, 404),
)
document(
    "/enrolments/{enrolment_id}/breaks",
    "post",
    "Start a break in learning (lead, admin)",
    body=schema({"start_date": DATE, "reason": S}),
    errors=(400, 401, 403, 404, 409, 422),
)
document(
    "/enrolments/{enrolment_id}/breaks/end",
    "post",
    "End the current break (lead, admin)",
    body=schema({"end_date": DATE}),
    errors=(400, 401, 403, 404, 409, 422),
)
document(
    "/enrolments/{enrolment_id}/reviews",
    "post",
    "Record a progress review (employer or provider signs as they record)",
    status=201,
    body=schema(
        {
            "held_on": DATE,
            "summary": S,
            "actions": {"type": "array", "items": S},
            "done_carried": {"type": "array", "items": {"type": "integer"}},
        },
        ("held_on", "summary"),
    ),
    errors=(400, 401, 403, 404, 422),
)
document(
    "/enrolments/{enrolment_id}/reviews/{review_id}/sign",
    "post",
    "Sign a review as apprentice, employer or provider",
    errors=(401, 403, 404),
)
document(
    "/enrolments/{enrolment_id}/gateway",
    "post",
    "Confirm gateway readiness as employer or provider",
    body=schema({"party": {"enum": ["employer", "provider"]}}, ("party",)),
    errors=(400, 401, 403, 404, 422),
)
document(
    "/cohort",
    "get",
    "Your organisation's cohort with progress, flags and supervisor load (?programme, status, flagged=true, sort)",
    errors=(401, 403),
)
