"""Multi-source feedback through the API: start a round, read it, release it."""

from flask import g
from flask import jsonify

from portfolio import policy
from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.api.base import bp
from portfolio.api.bodies import as_date
from portfolio.api.bodies import valid_body
from portfolio.api.openapi import CHOICE_MAX
from portfolio.api.openapi import body_object
from portfolio.api.openapi import choice
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.api.openapi import text
from portfolio.msf import questionnaire as q
from portfolio.msf import services

S = {"type": "string"}
INT = {"type": "integer"}
NS = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}


def round_json(msf_round) -> dict:
    """The round; the collated summary only for those who may see it (the
    supervisor; the trainee once released). Never who said what."""
    see = policy.can_see_msf_summary(g.user, msf_round)
    return {
        "id": msf_round.id,
        "trainee": msf_round.trainee.name,
        "enrolment": msf_round.enrolment_id,
        "status": msf_round.status,
        "min_raters": msf_round.min_raters,
        "invited": len(msf_round.raters),
        "responses_received": services.response_count(msf_round),
        "created_at": msf_round.created_at.isoformat(),
        "released_at": msf_round.released_at.isoformat()
        if msf_round.released_at
        else None,
        "evidence": msf_round.evidence_id,
        "summary": (msf_round.summary or services.collate(msf_round)) if see else None,
    }


def _ratings_in() -> dict:
    return body_object({d: choice(*q.SCALE) for d in q.DOMAINS}, tuple(q.DOMAINS))


RATER_IN = body_object(
    {
        "name": text(NAME_MAX),
        "email": text(EMAIL_MAX),
        "role": choice(*q.ROLES),
    },
    ("name", "email", "role"),
)
ROUND = schema(
    {
        "id": S,
        "trainee": S,
        "enrolment": S,
        "status": {"enum": ["collecting", "released"]},
        "min_raters": INT,
        "invited": INT,
        "responses_received": INT,
        "created_at": TIME,
        "released_at": {"type": ["string", "null"], "format": "date-time"},
        "evidence": NS,
        "summary": {"type": ["object", "null"]},
    }
)
document(
    "/msf",
    "post",
    "Start a multi-source feedback round: a self-assessment and raters emailed a link",
    response=ROUND,
    status=201,
    errors=(400, 401, 403, 422),
    body=body_object(
        {
            "enrolment": text(CHOICE_MAX),
            "raters": {"type": "array", "items": RATER_IN, "minItems": 1},
            "self_assessment": body_object(
                {
                    "ratings": _ratings_in(),
                    "comments": body_object(
                        {name: text(q.TEXT_MAX) for name, _, _ in q.FREE_TEXT}
                    ),
                },
                ("ratings",),
            ),
            "outcomes": {"type": "array", "items": text(CHOICE_MAX)},
        },
        ("enrolment", "raters", "self_assessment"),
    ),
)
document(
    "/msf/{round_id}",
    "get",
    "A feedback round: status, answers received, the summary once you may see it",
    response=ROUND,
    errors=(401, 404),
)
document(
    "/msf/{round_id}/release",
    "post",
    "Release the collated feedback after reviewing it with the trainee (supervisor)",
    response=ROUND,
    errors=(400, 401, 403, 404, 409, 422),
    body=body_object(
        {
            "reviewed_on": text(CHOICE_MAX, format="date"),
            "plan": text(services.PLAN_MAX),
        },
        ("reviewed_on", "plan"),
    ),
)


@bp.post("/msf")
def start_msf():
    data = valid_body()
    msf_round = services.start_round(
        g.user,
        data["enrolment"],
        data["raters"],
        data["self_assessment"],
        data.get("outcomes"),
    )
    return jsonify(round_json(msf_round)), 201


@bp.get("/msf/<round_id>")
def get_msf(round_id: str):
    return jsonify(round_json(services.load_visible(g.user, round_id)))


@bp.post("/msf/<round_id>/release")
def release_msf(round_id: str):
    data = valid_body()
    msf_round = services.load_visible(g.user, round_id)
    services.release(g.user, msf_round, as_date(data.get("reviewed_on")), data["plan"])
    return jsonify(round_json(msf_round))
