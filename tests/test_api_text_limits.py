"""Every API text field has the size limit its web form has: 422 naming the field.

The limits are imported from where the rules keep them (the same constants the
forms and services use), so this test cannot drift from them either.
"""

import pytest

from portfolio.accounts.models import EMAIL_MAX
from portfolio.api.openapi import CHOICE_MAX
from portfolio.curriculum.models import CODE_MAX
from portfolio.curriculum.models import SLUG_MAX
from portfolio.enrolments.services import BREAK_REASON_MAX
from portfolio.enrolments.services import REVIEW_ACTIONS_MAX
from portfolio.enrolments.services import REVIEW_SUMMARY_MAX
from portfolio.evidence.kinds import REFLECTION_FIELDS
from portfolio.evidence.models import BODY_MAX
from portfolio.evidence.models import TITLE_MAX
from portfolio.signoff.services import COMMENT_MAX
from portfolio.signoff.services import UNLOCK_REASON_MAX
from tests.helpers.api import As
from tests.helpers.world import REFLECTION

ANSWER_MAX = REFLECTION_FIELDS[0].max_length


def too_long(limit: int) -> str:
    return "x" * (limit + 1)


def enrolment(world, **fields) -> dict:
    return {
        "trainee": world.other_trainee,
        "curriculum": "ai-dht",
        "organisation": "RBV",
        "start_date": "2025-09-01",
        "expected_end_date": "2028-08-31",
        **fields,
    }


# (who, method, path, body for a value, the field errors name, its limit)
FIELDS = {
    "enrolment trainee": (
        "lead",
        "post",
        "/api/v1/enrolments",
        lambda w, v: enrolment(w, trainee=v),
        "trainee",
        EMAIL_MAX,
    ),
    "enrolment curriculum": (
        "lead",
        "post",
        "/api/v1/enrolments",
        lambda w, v: enrolment(w, curriculum=v),
        "curriculum",
        SLUG_MAX,
    ),
    "enrolment organisation": (
        "lead",
        "post",
        "/api/v1/enrolments",
        lambda w, v: enrolment(w, organisation=v),
        "organisation",
        CHOICE_MAX,
    ),
    "enrolment supervisor": (
        "lead",
        "post",
        "/api/v1/enrolments",
        lambda w, v: enrolment(w, supervisors=[{"person": v, "role": "assessor"}]),
        "supervisors[0].person",
        EMAIL_MAX,
    ),
    "enrolment supervisor role": (
        "lead",
        "post",
        "/api/v1/enrolments",
        lambda w, v: enrolment(w, supervisors=[{"person": w.supervisor, "role": v}]),
        "supervisors[0].role",
        CHOICE_MAX,
    ),
    "evidence title": (
        "trainee",
        "post",
        "/api/v1/evidence",
        lambda w, v: {**REFLECTION, "title": v},
        "title",
        TITLE_MAX,
    ),
    "evidence kind": (
        "trainee",
        "post",
        "/api/v1/evidence",
        lambda w, v: {**REFLECTION, "kind": v},
        "kind",
        CHOICE_MAX,
    ),
    "evidence date": (
        "trainee",
        "post",
        "/api/v1/evidence",
        lambda w, v: {**REFLECTION, "occurred_on": v},
        "occurred_on",
        CHOICE_MAX,
    ),
    "evidence body": (
        "trainee",
        "post",
        "/api/v1/evidence",
        lambda w, v: {**REFLECTION, "body": v},
        "body",
        BODY_MAX,
    ),
    "evidence answer": (
        "trainee",
        "post",
        "/api/v1/evidence",
        lambda w, v: {**REFLECTION, "form": {**REFLECTION["form"], "so_what": v}},
        "form.so_what",
        ANSWER_MAX,
    ),
    "claim curriculum": (
        "trainee",
        "post",
        "/api/v1/evidence",
        lambda w, v: {**REFLECTION, "claims": [{"curriculum": v, "code": "X"}]},
        "claims[0].curriculum",
        SLUG_MAX,
    ),
    "claim code": (
        "trainee",
        "post",
        "/api/v1/evidence",
        lambda w, v: {**REFLECTION, "claims": [{"curriculum": "stp-rp", "code": v}]},
        "claims[0].code",
        CODE_MAX,
    ),
    "edited title": (
        "trainee",
        "patch",
        "/api/v1/evidence/{evidence}",
        lambda w, v: {"title": v},
        "title",
        TITLE_MAX,
    ),
    "edited body": (
        "trainee",
        "patch",
        "/api/v1/evidence/{evidence}",
        lambda w, v: {"body": v},
        "body",
        BODY_MAX,
    ),
    "assessor": (
        "trainee",
        "post",
        "/api/v1/evidence/{evidence}/submit",
        lambda w, v: {"assessor": v},
        "assessor",
        EMAIL_MAX,
    ),
    "decision": (
        "supervisor",
        "post",
        "/api/v1/evidence/{evidence}/decision",
        lambda w, v: {"decision": v},
        "decision",
        CHOICE_MAX,
    ),
    "sign-off comment": (
        "supervisor",
        "post",
        "/api/v1/evidence/{evidence}/decision",
        lambda w, v: {"decision": "return", "comment": v},
        "comment",
        COMMENT_MAX,
    ),
    "unlock reason": (
        "lead",
        "post",
        "/api/v1/evidence/{evidence}/unlock",
        lambda w, v: {"reason": v},
        "reason",
        UNLOCK_REASON_MAX,
    ),
    "break reason": (
        "lead",
        "post",
        "/api/v1/enrolments/{enrolment}/breaks",
        lambda w, v: {"start_date": "2026-01-05", "reason": v},
        "reason",
        BREAK_REASON_MAX,
    ),
    "review summary": (
        "lead",
        "post",
        "/api/v1/enrolments/{enrolment}/reviews",
        lambda w, v: {"held_on": "2026-01-05", "summary": v},
        "summary",
        REVIEW_SUMMARY_MAX,
    ),
    "review actions": (
        "lead",
        "post",
        "/api/v1/enrolments/{enrolment}/reviews",
        lambda w, v: {
            "held_on": "2026-01-05",
            "summary": "Good progress",
            "actions": [v[: len(v) // 2], v[len(v) // 2 :]],
        },
        "actions",
        # the web form's one textarea holds the actions a line each
        REVIEW_ACTIONS_MAX - 1,
    ),
    "gateway party": (
        "lead",
        "post",
        "/api/v1/enrolments/{enrolment}/gateway",
        lambda w, v: {"party": v},
        "party",
        CHOICE_MAX,
    ),
    "export kind": (
        "trainee",
        "post",
        "/api/v1/exports",
        lambda w, v: {"kind": v, "enrolment": w.enrolment_id},
        "kind",
        CHOICE_MAX,
    ),
    "export enrolment": (
        "trainee",
        "post",
        "/api/v1/exports",
        lambda w, v: {"kind": "portfolio", "enrolment": v},
        "enrolment",
        CHOICE_MAX,
    ),
    "verification code": (
        None,
        "post",
        "/api/v1/verify",
        lambda w, v: {"code": v, "sha256": "0" * 64},
        "code",
        CHOICE_MAX,
    ),
    "verification digest": (
        None,
        "post",
        "/api/v1/verify",
        lambda w, v: {"code": "ABCD", "sha256": v},
        "sha256",
        CHOICE_MAX,
    ),
}


def call(client, world, spec, value):
    who, method, path, body, _, _ = spec
    caller = As(client, world, who) if who else client
    if "{evidence}" in path:
        made = As(client, world, "trainee").post("/api/v1/evidence", json=REFLECTION)
        assert made.status_code == 201, made.get_json()
        path = path.format(evidence=made.get_json()["id"])
    path = path.replace("{enrolment}", world.enrolment_id)
    return getattr(caller, method)(path, json=body(world, value))


def length_errors(response, field) -> list[dict]:
    body = response.get_json() or {}
    return [
        e
        for e in body.get("errors") or []
        if e["field"] == field and "characters or fewer" in e["message"]
    ]


@pytest.mark.parametrize("name", FIELDS)
def test_api_text_over_the_limit_is_422_naming_the_field(client, world, name):
    spec = FIELDS[name]
    field, limit = spec[4], spec[5]
    over = call(client, world, spec, too_long(limit))
    assert over.status_code == 422, over.get_json()
    assert over.mimetype == "application/problem+json"
    assert length_errors(over, field), over.get_json()


@pytest.mark.parametrize("name", FIELDS)
def test_api_text_at_the_limit_is_not_refused_for_length(client, world, name):
    spec = FIELDS[name]
    at = call(client, world, spec, "x" * spec[5])
    assert at.status_code != 500
    assert not length_errors(at, spec[4]), at.get_json()
