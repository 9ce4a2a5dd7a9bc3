"""Registration applications and the CPD record, read-only: a person's own
applications with every standard and its evidence or gap, and their CPD log."""

import sqlalchemy as sa
from flask import g
from flask import jsonify

from portfolio import policy
from portfolio.api.base import bp
from portfolio.api.base import paginate
from portfolio.api.docs_core import DATE
from portfolio.api.docs_core import NS
from portfolio.api.docs_core import TIME
from portfolio.api.docs_core import S
from portfolio.api.docs_core import array
from portfolio.api.docs_core import page_of
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.registration import services
from portfolio.registration.models import CpdActivity
from portfolio.registration.models import RegistrationApplication
from portfolio.rules import Forbidden


def _allowed() -> None:
    if not policy.can_apply_for_registration(g.user):
        raise Forbidden("Sign in to see your registration applications.")


def application_json(application: RegistrationApplication, detail: bool) -> dict:
    route = services.route_of(application)
    body: dict[str, object] = {
        "id": application.id,
        "route": application.route,
        "route_title": route.title,
        "register": route.register,
        "choice": application.choice,
        "stage": route.stages[application.stage] if route.stages else None,
        "created_at": application.created_at.isoformat(),
    }
    if detail:
        body["sections"] = [
            {
                "curriculum": section.slug,
                "title": section.title,
                "loaded": not section.missing,
                "standards": [
                    {
                        "code": row.code,
                        "title": row.title,
                        "evidence": [e.id for e in row.evidence],
                        "heading_evidence": [e.id for e in row.heading_evidence],
                        "gap": row.gap(),
                    }
                    for row in section.rows
                ],
            }
            for section in services.standards_map(application)
        ]
        body["nominees"] = [
            {
                "role": nominee.role,
                "name": nominee.name,
                "state": services.nominee_state(nominee),
            }
            for nominee in application.nominees
        ]
    return body


def activity_json(activity: CpdActivity) -> dict:
    return {
        "id": activity.id,
        "title": activity.title,
        "activity_type": activity.activity_type,
        "occurred_on": activity.occurred_on.isoformat(),
        "hours": activity.hours,
        "learning": activity.learning,
        "benefit": activity.benefit,
        "standards": list(activity.standards or []),
        "evidence": activity.evidence_id,
    }


@bp.get("/registration/applications")
def registration_applications():
    _allowed()
    query = policy.visible_registration_applications(g.user).order_by(
        RegistrationApplication.created_at.desc()
    )
    return jsonify(paginate(query, lambda a: application_json(a, False)))


@bp.get("/registration/applications/<application_id>")
def registration_application(application_id: str):
    _allowed()
    return jsonify(application_json(services.load(g.user, application_id), True))


@bp.get("/cpd/activities")
def cpd_activities():
    _allowed()
    query = (
        sa.select(CpdActivity)
        .where(CpdActivity.owner_id == g.user.id)
        .order_by(CpdActivity.occurred_on.desc(), CpdActivity.created_at)
    )
    return jsonify(paginate(query, activity_json))


APPLICATION_FIELDS = {
    "id": S,
    "route": {
        "enum": [
            "rct_primary",
            "rct_equivalence",
            "ahcs_stp_equivalence",
            "hcpc_international",
        ]
    },
    "route_title": S,
    "register": S,
    "choice": NS,
    "stage": NS,
    "created_at": TIME,
}
STANDARD = schema(
    {
        "code": S,
        "title": S,
        "evidence": array(S),
        "heading_evidence": array(S),
        "gap": NS,
    }
)
APPLICATION = schema(
    {
        **APPLICATION_FIELDS,
        "sections": array(
            schema(
                {
                    "curriculum": S,
                    "title": S,
                    "loaded": {"type": "boolean"},
                    "standards": array(STANDARD),
                }
            )
        ),
        "nominees": array(
            schema(
                {
                    "role": {"enum": ["proposer", "referee"]},
                    "name": S,
                    "state": {
                        "enum": [
                            "confirmed",
                            "declined",
                            "waiting",
                            "expired",
                            "cancelled",
                        ]
                    },
                }
            )
        ),
    }
)
document(
    "/registration/applications",
    "get",
    "Your registration applications, newest first",
    response=page_of(schema(APPLICATION_FIELDS)),
    errors=(400, 401),
)
document(
    "/registration/applications/{application_id}",
    "get",
    "One of your applications: every standard of its route with the evidence "
    "mapped to it (evidence ids) or the gap in words, and its proposers or referees",
    response=APPLICATION,
    errors=(401, 404),
)
document(
    "/cpd/activities",
    "get",
    "Your CPD record, newest first",
    response=page_of(
        schema(
            {
                "id": S,
                "title": S,
                "activity_type": {
                    "enum": [
                        "work_based",
                        "professional",
                        "formal",
                        "self_directed",
                        "other",
                    ]
                },
                "occurred_on": DATE,
                "hours": {"type": "number"},
                "learning": S,
                "benefit": S,
                "standards": array(S),
                "evidence": NS,
            }
        )
    ),
    errors=(400, 401),
)
