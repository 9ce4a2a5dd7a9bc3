"""Progress, breaks, reviews, gateway and cohort endpoints."""

from datetime import date

from flask import g
from flask import jsonify
from flask import request

from portfolio import policy
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import page_args
from portfolio.api.bodies import as_date
from portfolio.api.bodies import valid_body
from portfolio.api.openapi import DATE_IN
from portfolio.api.openapi import body_object
from portfolio.api.openapi import choice
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.api.openapi import text
from portfolio.enrolments import services as training
from portfolio.enrolments.models import BREAK_REQUESTERS
from portfolio.progress import cohort as cohorts
from portfolio.progress import tracking
from portfolio.rules import FieldErrors


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
    data = valid_body()
    start = as_date(data.get("start_date")) or date.today()
    enrolment = training.get_enrolment(g.user, enrolment_id)
    training.start_break(
        g.user,
        enrolment,
        start,
        data.get("reason", ""),
        requested_by=data.get("requested_by"),
    )
    return jsonify({"id": enrolment.id, "status": enrolment.status})


@bp.post("/enrolments/<enrolment_id>/breaks/end")
def end_break(enrolment_id: str):
    end = as_date(valid_body().get("end_date")) or date.today()
    enrolment = training.get_enrolment(g.user, enrolment_id)
    training.end_break(g.user, enrolment, end)
    return jsonify({"id": enrolment.id, "status": enrolment.status})


@bp.post("/enrolments/<enrolment_id>/reviews")
def record_review(enrolment_id: str):
    data = valid_body()
    actions = data.get("actions", [])
    if len("\n".join(actions)) > training.REVIEW_ACTIONS_MAX:
        # One limit on the actions together (the page's one textarea, a line
        # each), which a JSON Schema cannot say.
        errors = FieldErrors()
        errors.add(
            "actions",
            f"actions must be {training.REVIEW_ACTIONS_MAX:,} characters or fewer "
            "in all",
        )
        errors.raise_if_any()
    enrolment = training.get_enrolment(g.user, enrolment_id)
    review = training.record_review(
        g.user,
        enrolment,
        as_date(data.get("held_on")),
        data.get("summary", ""),
        actions,
        data.get("done_carried", []),
    )
    response = jsonify(review_json(review))
    response.status_code = 201
    return response


@bp.post("/enrolments/<enrolment_id>/reviews/<review_id>/sign")
def sign_review(enrolment_id: str, review_id: str):
    enrolment = training.get_enrolment(g.user, enrolment_id)
    return jsonify(review_json(training.sign_review(g.user, enrolment, review_id)))


@bp.post("/enrolments/<enrolment_id>/gateway")
def confirm_gateway(enrolment_id: str):
    party = valid_body()["party"]
    enrolment = training.get_enrolment(g.user, enrolment_id)
    training.confirm_gateway(g.user, enrolment, party)
    standing = tracking.standing(enrolment)
    return jsonify({"gateway": standing_json(standing)["gateway"]})


@bp.get("/cohort")
def cohort():
    if not policy.can_manage_enrolments(g.user):
        raise ApiProblem(403, "The cohort view is for training leads and admins.")
    org_ids = policy.cohort_organisation_ids(g.user)
    page, per_page = page_args()
    rows, total = cohorts.cohort_slice(
        org_ids,
        programme=request.args.get("programme"),
        status=request.args.get("status"),
        flagged_only=cohorts.flag_filter(request.args.get("flagged")),
        sort=request.args.get("sort", "name"),
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {
            "total": total,
            "page": page,
            "per_page": per_page,
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
NUMBER = {"type": "number"}
DATE = {"type": "string", "format": "date"}
NDATE = {"type": ["string", "null"], "format": "date"}
STRINGS = {"type": "array", "items": S}
ENROLMENT_STATUS = schema({"id": S, "status": S})
REVIEW = schema(
    {
        "id": S,
        "kind": S,
        "due_on": NDATE,
        "held_on": DATE,
        "summary": S,
        "actions": {"type": "array", "items": {}},
        "complete": {"type": "boolean"},
        "signed": schema(
            {
                "trainee": {"type": "boolean"},
                "employer": {"type": "boolean"},
                "provider": {"type": "boolean"},
            }
        ),
    }
)
GATEWAY = {
    "oneOf": [
        {
            "type": "array",
            "items": schema({"check": S, "met": {"type": "boolean"}, "detail": S}),
        },
        {"type": "null"},
    ]
}
NNUMBER = {"type": ["number", "null"]}
OTJ = schema(
    {
        "ruleset": S,
        "ruleset_title": S,
        "target_hours": NNUMBER,
        "target_confirmed": {"type": "boolean"},
        "target_basis": S,
        "target_needs": S,
        "not_confirmed": STRINGS,
        "expected_to_date": NNUMBER,
        "signed_off_hours": NUMBER,
        "pending_hours": NUMBER,
        "status": {"enum": ["green", "amber", "red", "not_confirmed"]},
        "entries": {
            "type": "array",
            "items": schema(
                {
                    "evidence_id": S,
                    "occurred_on": DATE,
                    "activity": S,
                    "hours": NUMBER,
                    "status": S,
                    "counted": {"type": "boolean"},
                    "note": S,
                }
            ),
        },
    }
)
document(
    "/enrolments/{enrolment_id}/progress",
    "get",
    "Progress from the curriculum's own rules, with what is missing and why, flags, OTJ, reviews, gateway",
    response=schema(
        {
            "percent_complete": NUMBER,
            "outcomes": {
                "type": "array",
                "items": schema(
                    {
                        "code": S,
                        "status": {
                            "enum": ["not_started", "in_progress", "signed_off"]
                        },
                        "evidence_count": {"type": "integer"},
                        "missing": STRINGS,
                    }
                ),
            },
            "modules": {
                "type": "array",
                "items": schema(
                    {
                        "code": S,
                        "title": S,
                        "percent_complete": NUMBER,
                        "done_units": NUMBER,
                        "total_units": NUMBER,
                        "missing": STRINGS,
                        "outcome_codes": STRINGS,
                    }
                ),
            },
            "flags": {"type": "array", "items": schema({"code": S, "message": S})},
            "next_actions": STRINGS,
            "expected_end_date": DATE,
            "next_review_due": NDATE,
            "reviews": {"type": "array", "items": REVIEW},
            "otj": {"oneOf": [OTJ, {"type": "null"}]},
            "gateway": GATEWAY,
        }
    ),
    errors=(401, 404),
)
document(
    "/enrolments/{enrolment_id}/breaks",
    "post",
    "Start a break in learning (lead, admin); from today unless start_date is given; "
    "requested_by records who asked for it",
    response=ENROLMENT_STATUS,
    body=body_object(
        {
            "start_date": DATE_IN,
            "reason": text(training.BREAK_REASON_MAX),
            "requested_by": choice(*BREAK_REQUESTERS),
        }
    ),
    errors=(400, 401, 403, 404, 409, 422),
)
document(
    "/enrolments/{enrolment_id}/breaks/end",
    "post",
    "End the current break (lead, admin); today unless end_date is given",
    response=ENROLMENT_STATUS,
    body=body_object({"end_date": DATE_IN}),
    errors=(400, 401, 403, 404, 409, 422),
)
document(
    "/enrolments/{enrolment_id}/reviews",
    "post",
    "Record a progress review (employer or provider signs as they record)",
    status=201,
    response=REVIEW,
    body=body_object(
        {
            "held_on": DATE_IN,
            "summary": text(training.REVIEW_SUMMARY_MAX),
            "actions": {
                "type": "array",
                "items": S,
                "description": "New actions, at most "
                f"{training.REVIEW_ACTIONS_MAX:,} characters in all",
            },
            "done_carried": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Numbers of the carried-over actions now done",
            },
        },
        ("held_on", "summary"),
    ),
    errors=(400, 401, 403, 404, 422),
)
document(
    "/enrolments/{enrolment_id}/reviews/{review_id}/sign",
    "post",
    "Sign a review as apprentice, employer or provider",
    response=REVIEW,
    errors=(401, 403, 404, 409),
)
document(
    "/enrolments/{enrolment_id}/gateway",
    "post",
    "Confirm gateway readiness as employer or provider",
    response=schema({"gateway": GATEWAY}),
    body=body_object({"party": choice("employer", "provider")}, ("party",)),
    errors=(400, 401, 403, 404, 422),
)
PERSON_REF = schema({"id": S, "name": S})
document(
    "/cohort",
    "get",
    "Your organisation's cohort with progress, flags and supervisor load (?programme, status, flagged=true, sort; paged like every list: page and per_page, 50 rows a page unless asked, at most 200, ordered and paged in SQL; total counts every matching row)",
    response=schema(
        {
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "items": {
                "type": "array",
                "items": schema(
                    {
                        "enrolment": S,
                        "trainee": schema({"id": S, "name": S, "email": S}),
                        "programme": S,
                        "specialism": {"type": ["string", "null"]},
                        "status": S,
                        "percent_complete": NUMBER,
                        "flags": {
                            "type": "array",
                            "items": schema({"code": S, "message": S}),
                        },
                        "last_activity": NDATE,
                        "training_officer": {"type": ["string", "null"]},
                    }
                ),
            },
            "supervisors": {
                "type": "array",
                "items": schema(
                    {
                        "supervisor": PERSON_REF,
                        "trainees": {"type": "integer"},
                        "pending_requests": {"type": "integer"},
                        "over_soft_cap": {"type": "boolean"},
                    }
                ),
            },
        },
        ("total", "items", "supervisors"),
    ),
    errors=(400, 401, 403),
)
