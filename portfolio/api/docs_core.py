"""OpenAPI descriptions of the core endpoints."""

from portfolio.api.openapi import document
from portfolio.api.openapi import schema

S = {"type": "string"}
NS = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date"}
PERSON = schema({"id": S, "name": S, "email": S})
CLAIM = schema({"curriculum": S, "code": S}, ("curriculum", "code"))
ENROLMENT = schema(
    {
        "id": S,
        "trainee": PERSON,
        "curriculum": schema({"id": S, "version": S, "title": S}),
        "organisation": S,
        "start_date": DATE,
        "expected_end_date": DATE,
        "status": {"enum": ["active", "break_in_learning", "completed", "withdrawn"]},
        "supervisors": {"type": "array", "items": {"type": "object"}},
    }
)
EVIDENCE = schema(
    {
        "id": S,
        "kind": S,
        "title": S,
        "occurred_on": DATE,
        "status": {"enum": ["draft", "submitted", "returned", "signed_off"]},
        "version": {"type": "integer"},
        "body": S,
        "form": {"type": "object"},
        "claims": {"type": "array", "items": CLAIM},
        "attachments": {"type": "array", "items": {"type": "object"}},
        "signoffs": {"type": "array", "items": {"type": "object"}},
        # Evidence brought in with a bundle: where from, and that source's decisions
        # (history, never sign-offs here).
        "imported_from": {"type": ["object", "null"]},
        "imported_signoffs": {"type": "array", "items": {"type": "object"}},
        "history": {"type": "array", "items": {"type": "object"}},
    }
)
STATUS = schema({"id": S, "status": S, "version": {"type": "integer"}})
LIST = schema(
    {
        "items": {"type": "array"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
    }
)

document(
    "/enrolments",
    "post",
    "Enrol a trainee (training lead of the organisation, or admin)",
    status=201,
    response=ENROLMENT,
    errors=(400, 401, 403, 422),
    body=schema(
        {
            "trainee": S,
            "curriculum": S,
            "organisation": S,
            "start_date": DATE,
            "expected_end_date": DATE,
            "contracted_hours_per_week": {"type": "number"},
            "supervisors": {
                "type": "array",
                "items": {
                    "oneOf": [
                        S,
                        schema(
                            {
                                "person": S,
                                "role": S,
                                "start_date": DATE,
                                "end_date": DATE,
                            }
                        ),
                    ]
                },
            },
        },
        ("trainee", "curriculum", "organisation", "start_date", "expected_end_date"),
    ),
)
document(
    "/enrolments/{enrolment_id}",
    "get",
    "One enrolment",
    response=ENROLMENT,
    errors=(401, 404),
)
document(
    "/evidence",
    "get",
    "Evidence visible to you (?owner, status, kind, curriculum; paginated)",
    response=LIST,
)
document(
    "/evidence",
    "post",
    "Record evidence (a draft)",
    status=201,
    response=EVIDENCE,
    errors=(400, 401, 403, 422),
    body=schema(
        {
            "title": S,
            "kind": S,
            "occurred_on": DATE,
            "body": S,
            "form": {"type": "object"},
            "claims": {"type": "array", "items": CLAIM},
        },
        ("title", "kind", "occurred_on"),
    ),
)
document(
    "/evidence/{evidence_id}",
    "get",
    "Evidence with claims, attachments, sign-offs and history",
    response=EVIDENCE,
    errors=(401, 404),
)
document(
    "/evidence/{evidence_id}",
    "patch",
    "Edit a draft or returned item",
    response=EVIDENCE,
    errors=(400, 401, 403, 404, 409, 422),
    body=schema(
        {
            "title": S,
            "occurred_on": DATE,
            "body": S,
            "form": {"type": "object"},
            "claims": {"type": "array", "items": CLAIM},
        }
    ),
)
document(
    "/evidence/{evidence_id}/attachments",
    "post",
    "Attach a file (multipart field 'file': PDF, PNG, JPEG or DOCX)",
    status=201,
    response=schema(
        {
            "id": S,
            "filename": S,
            "size": {"type": "integer"},
            "sha256": S,
            "media_type": S,
        }
    ),
    errors=(401, 403, 404, 409, 413, 415, 422),
)
document(
    "/evidence/{evidence_id}/attachments/{attachment_id}",
    "get",
    "Download an attachment",
    errors=(401, 404),
)
document(
    "/evidence/{evidence_id}/submit",
    "post",
    "Ask a supervisor for sign-off",
    response=STATUS,
    errors=(400, 401, 403, 404, 409, 422),
    body=schema({"assessor": S}, ("assessor",)),
)
document(
    "/evidence/{evidence_id}/withdraw",
    "post",
    "Withdraw a sign-off request",
    response=STATUS,
    errors=(401, 403, 404, 409),
)
document(
    "/evidence/{evidence_id}/decision",
    "post",
    "Approve or return (the assessor asked)",
    response=STATUS,
    errors=(400, 401, 403, 404, 409, 422),
    body=schema(
        {
            "decision": {"enum": ["approve", "return"]},
            "comment": S,
            "declaration": {"type": "boolean"},
        },
        ("decision",),
    ),
)
document(
    "/evidence/{evidence_id}/unlock",
    "post",
    "Unlock signed-off evidence (lead or admin)",
    response=STATUS,
    errors=(400, 401, 403, 404, 409, 422),
    body=schema({"reason": S}, ("reason",)),
)
document(
    "/signoff/queue",
    "get",
    "Evidence waiting for you, oldest first, with age in days",
    response=LIST,
    errors=(401, 403),
)
document(
    "/audit/verify",
    "get",
    "Recompute the audit hash chain and check its signed checkpoints (admin)",
    response=schema(
        {
            "ok": {"type": "boolean"},
            "events": {"type": "integer"},
            "first_bad_event": {"type": ["integer", "null"]},
            "problem": {"type": ["string", "null"]},
            "keyed_events": {"type": "integer"},
            "checkpoints": {"type": "integer"},
            "last_checkpoint": {
                "type": ["object", "null"],
                "properties": {
                    "id": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "events": {"type": "integer"},
                    "head_seq": {"type": "integer"},
                    "head_hash": {"type": "string"},
                },
            },
        }
    ),
    errors=(401, 403),
)
