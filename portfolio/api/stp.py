"""An STP enrolment's review of progression and completion (read-only)."""

from datetime import date

from flask import g
from flask import jsonify

from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.enrolments import completion
from portfolio.enrolments import services as training
from portfolio.progress import stp_review
from portfolio.progress import stp_tracking
from portfolio.progress import tracking

S = {"type": "string"}
NS = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date"}
NDATE = {"type": ["string", "null"], "format": "date"}
BOOL = {"type": "boolean"}


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def stp_json(standing: stp_tracking.StpStanding) -> dict:
    row = standing.completion
    return {
        "process": standing.process,
        "source": standing.process_source,
        "points": [
            {
                "code": p.code,
                "title": p.title,
                "opens": p.opens.isoformat(),
                "due": p.due.isoformat(),
                "status": p.status,
                "met": p.met,
                "source": p.source,
                "not_confirmed": list(p.not_confirmed),
                "requirements": [
                    {
                        "label": r.label,
                        "state": r.state,
                        "detail": r.detail,
                        "route": r.route,
                    }
                    for r in p.requirements
                ],
            }
            for p in standing.points
        ],
        "flags": [{"code": f.code, "message": f.message} for f in standing.flags],
        "records": [
            {
                "kind": r.kind,
                "on": r.held_on.isoformat(),
                "reporter": r.reporter or None,
                "topics": list(r.topics or []),
                "text": r.text,
            }
            for r in standing.records
        ],
        "completion": {
            "complete": completion.is_complete(standing.completion_checks),
            "checks": [
                {"label": c.label, "met": c.met, "detail": c.detail, "source": c.source}
                for c in standing.completion_checks
            ],
            "portfolio_signed_off_on": _iso(
                row.portfolio_signed_off_on if row else None
            ),
            "msc_status": row.msc_status if row else None,
            "msc_awarded_on": _iso(row.msc_awarded_on if row else None),
        },
        "fya_sittings": [
            {
                "id": s.id,
                "attempt": s.attempt,
                "sat_on": s.sat_on.isoformat(),
                "outcome": s.outcome,
            }
            for s in standing.sittings
        ],
        "extensions": [
            {
                "kind": x.kind,
                "reason": x.reason,
                "start_date": x.start_date.isoformat(),
                "end_date": _iso(x.end_date),
                "new_end_date": _iso(x.new_end_date),
            }
            for x in standing.extensions
        ],
    }


@bp.get("/enrolments/<enrolment_id>/stp")
def enrolment_stp(enrolment_id: str):
    enrolment = training.get_enrolment(g.user, enrolment_id)
    if not stp_tracking.is_stp(enrolment):
        raise ApiProblem(404, "This enrolment is not on the STP.")
    progress = tracking.progress_of(enrolment)
    standing = stp_tracking.standing_of(enrolment, progress, date.today())
    assert standing is not None  # an STP enrolment always has one
    return jsonify(stp_json(standing))


REQUIREMENT = schema(
    {
        "label": S,
        "state": {"enum": [stp_review.MET, stp_review.NOT_MET, stp_review.NOT_LOADED]},
        "detail": S,
        "route": {"enum": ["a", "b", None]},
    }
)
document(
    "/enrolments/{enrolment_id}/stp",
    "get",
    "An STP enrolment's review of progression (NSHCS review points, each with its rule's "
    "source and what is not confirmed) and completion (e-portfolio, MSc, Final Year "
    "Assessment sittings, extensions)",
    response=schema(
        {
            "process": S,
            "source": S,
            "points": {
                "type": "array",
                "items": schema(
                    {
                        "code": S,
                        "title": S,
                        "opens": DATE,
                        "due": DATE,
                        "status": {"enum": list(stp_review.STATUS_LABELS)},
                        "met": BOOL,
                        "source": S,
                        "not_confirmed": {"type": "array", "items": S},
                        "requirements": {"type": "array", "items": REQUIREMENT},
                    }
                ),
            },
            "flags": {"type": "array", "items": schema({"code": S, "message": S})},
            "records": {
                "type": "array",
                "items": schema(
                    {
                        "kind": {"enum": list(stp_review.RECORD_KINDS)},
                        "on": DATE,
                        "reporter": NS,
                        "topics": {"type": "array", "items": S},
                        "text": S,
                    }
                ),
            },
            "completion": schema(
                {
                    "complete": BOOL,
                    "checks": {
                        "type": "array",
                        "items": schema(
                            {"label": S, "met": BOOL, "detail": S, "source": S}
                        ),
                    },
                    "portfolio_signed_off_on": NDATE,
                    "msc_status": NS,
                    "msc_awarded_on": NDATE,
                }
            ),
            "fya_sittings": {
                "type": "array",
                "items": schema(
                    {
                        "id": S,
                        "attempt": {"type": "integer"},
                        "sat_on": DATE,
                        "outcome": {"enum": list(completion.FYA_OUTCOME_LABELS)},
                    }
                ),
            },
            "extensions": {
                "type": "array",
                "items": schema(
                    {
                        "kind": S,
                        "reason": S,
                        "start_date": DATE,
                        "end_date": NDATE,
                        "new_end_date": NDATE,
                    }
                ),
            },
        }
    ),
    errors=(404,),
)
