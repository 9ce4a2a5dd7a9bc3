"""OpenAPI descriptions of the core endpoints.

Response schemas list every field the serialisers in :mod:`portfolio.api.serialise`
always send; request bodies are what :mod:`portfolio.api.bodies` validates against.
"""

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.api.openapi import CHOICE_MAX
from portfolio.api.openapi import DATE_IN
from portfolio.api.openapi import body_object
from portfolio.api.openapi import choice
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.api.openapi import text
from portfolio.curriculum.models import CODE_MAX
from portfolio.curriculum.models import SLUG_MAX
from portfolio.evidence.models import BODY_MAX
from portfolio.evidence.models import TITLE_MAX
from portfolio.signoff.services import COMMENT_MAX
from portfolio.signoff.services import UNLOCK_REASON_MAX

S = {"type": "string"}
NS = {"type": ["string", "null"]}
INT = {"type": "integer"}
DATE = {"type": "string", "format": "date"}
NDATE = {"type": ["string", "null"], "format": "date"}
TIME = {"type": "string", "format": "date-time"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
OBJECT = {"type": "object"}
EVIDENCE_STATUS = {"enum": ["draft", "submitted", "returned", "signed_off"]}


def nullable(of: dict) -> dict:
    return {"oneOf": [of, {"type": "null"}]}


def array(of: dict) -> dict:
    return {"type": "array", "items": of}


def page_of(item: dict) -> dict:
    """The list envelope of :func:`portfolio.api.base.paginate`."""
    return schema({"items": array(item), "page": INT, "per_page": INT, "total": INT})


PERSON = schema({"id": S, "name": S, "email": S})
SIGNER = schema(
    {
        "id": NS,
        "name": S,
        "email": S,
        "external": {"type": "boolean"},
        "role": NS,
        "registration": NS,
        # A deactivated account (a leaver): when; their sign-offs stay valid.
        "inactive_since": NTIME,
    }
)
TICKET = schema(
    {
        "name": S,
        "email": S,
        "state": {"enum": ["open", "expired", "used", "revoked"]},
        "expires_at": TIME,
        "sent_count": INT,
        "opened_at": NTIME,
    }
)
ENROLMENT = schema(
    {
        "id": S,
        "trainee": PERSON,
        "curriculum": schema({"id": S, "version": S, "title": S}),
        "organisation": S,
        "start_date": DATE,
        "expected_end_date": DATE,
        "status": {"enum": ["active", "break_in_learning", "completed", "withdrawn"]},
        "contracted_hours_per_week": {"type": ["number", "null"]},
        "age_at_start": {"type": ["integer", "null"]},
        # Apprenticeships: the version of the standard the apprentice started on.
        "standard_version": {"type": ["string", "null"]},
        "supervisors": array(
            schema(
                {
                    "id": S,
                    "supervisor": PERSON,
                    "role": S,
                    "start_date": NDATE,
                    "end_date": NDATE,
                }
            )
        ),
    }
)
ATTACHMENT = schema(
    {
        "id": S,
        "filename": S,
        "size": INT,
        "sha256": S,
        "media_type": S,
        "uploaded_at": NTIME,
    }
)
DECISION = {
    "decision": S,
    "comment": S,
    "evidence_version": INT,
    "content_hash": S,
    "claims": array(OBJECT),
    "decided_at": NTIME,
    "superseded_at": NTIME,
    "superseded_reason": NS,
}
SOURCE = schema(
    {
        "installation": S,
        "verified": {"type": "boolean"},
        "imported_at": NTIME,
        "label": NS,
    }
)
SUMMARY_FIELDS = {
    "id": S,
    "owner": PERSON,
    "kind": S,
    "title": S,
    "occurred_on": DATE,
    "status": EVIDENCE_STATUS,
    "version": INT,
    "submitted_to": nullable(PERSON),
    "submitted_at": NTIME,
    "updated_at": NTIME,
}
EVIDENCE_SUMMARY = schema(SUMMARY_FIELDS)
EVIDENCE = schema(
    {
        **SUMMARY_FIELDS,
        "body": S,
        "form": OBJECT,
        "claims": array(schema({"curriculum": S, "version": S, "code": S, "title": S})),
        "attachments": array(ATTACHMENT),
        "signoffs": array(
            schema(
                {
                    "id": S,
                    # An account, or an assessor by emailed link (id null).
                    "assessor": SIGNER,
                    "countersigned_by": nullable(PERSON),
                    "countersigned_at": NTIME,
                    "awaiting_countersignature": {"type": "boolean"},
                    **DECISION,
                    # What the assessor completed when approving a DOPS, OCE or CBD.
                    "assessment": nullable(OBJECT),
                }
            )
        ),
        # A DOPS, OCE or CBD recorded when trainees rated themselves: its ratings in
        # ``form`` are the trainee's own.
        "ratings_by_trainee": {"type": "boolean"},
        # Evidence brought in with a bundle: where from, and that source's decisions
        # (history, never sign-offs here).
        "imported_from": nullable(SOURCE),
        "imported_signoffs": array(
            schema(
                {
                    "assessor": schema({"name": S, "email": S}),
                    **DECISION,
                    "imported_from": nullable(SOURCE),
                }
            )
        ),
        "history": array(
            schema(
                {
                    "seq": INT,
                    "at": NTIME,
                    "actor": S,
                    "action": S,
                    "data": OBJECT,
                    "hash": S,
                }
            )
        ),
    }
)
STATUS = schema(
    {"id": S, "status": EVIDENCE_STATUS, "version": INT, "ticket": TICKET},
    # ticket: when the item waits on an assessor without an account.
    ("id", "status", "version"),
)
CLAIM_IN = body_object(
    {"curriculum": text(SLUG_MAX), "code": text(CODE_MAX)}, ("curriculum", "code")
)
EVIDENCE_IN = {
    "title": text(TITLE_MAX),
    "occurred_on": DATE_IN,
    "body": text(BODY_MAX),
    "form": {
        "type": "object",
        "description": "The answers of the kind's form, checked by the kind",
    },
    "claims": array(CLAIM_IN),
}

document(
    "/enrolments",
    "post",
    "Enrol a trainee (training lead of the organisation, or admin)",
    status=201,
    response=ENROLMENT,
    errors=(400, 401, 403, 422),
    body=body_object(
        {
            "trainee": text(EMAIL_MAX),
            "curriculum": text(SLUG_MAX),
            "organisation": text(
                CHOICE_MAX,
                description="The employing organisation's code; a commissioner "
                "(kind commissioner) is refused with 422",
            ),
            "start_date": DATE_IN,
            "expected_end_date": DATE_IN,
            "contracted_hours_per_week": {"type": "number"},
            "age_at_start": {"type": "integer", "minimum": 16, "maximum": 99},
            "supervisors": array(
                {
                    "oneOf": [
                        text(EMAIL_MAX, description="A training officer's email/id"),
                        body_object(
                            {
                                "person": text(EMAIL_MAX),
                                "role": text(CHOICE_MAX, default="training_officer"),
                                "start_date": DATE_IN,
                                "end_date": DATE_IN,
                            },
                            ("person",),
                        ),
                    ]
                }
            ),
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
    response=page_of(EVIDENCE_SUMMARY),
    errors=(400,),
)
document(
    "/evidence",
    "post",
    "Record evidence (a draft)",
    status=201,
    response=EVIDENCE,
    errors=(400, 401, 403, 422),
    body=body_object(
        {
            **EVIDENCE_IN,
            "kind": text(CHOICE_MAX),
            # A reflection on one of your signed-off DOPS, OCE, CBD or MSF (its id).
            "reflects_on": text(CHOICE_MAX),
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
    body=body_object(EVIDENCE_IN),
)
document(
    "/evidence/{evidence_id}/attachments",
    "post",
    "Attach a file (multipart field 'file': PDF, PNG, JPEG or DOCX)",
    status=201,
    response=ATTACHMENT,
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
    # Either a supervisor (by email or id), or for a DOPS, OCE or CBD an assessor
    # without an account, who is emailed a single-use link (a ticket).
    body=body_object(
        {
            "assessor": text(EMAIL_MAX),
            "external_assessor": body_object(
                {"name": text(NAME_MAX), "email": text(EMAIL_MAX)}, ("name", "email")
            ),
        }
    ),
)
document(
    "/evidence/{evidence_id}/ticket/resend",
    "post",
    "Send the assessor without an account a fresh link (new expiry)",
    response=STATUS,
    errors=(401, 403, 404, 409),
)
document(
    "/evidence/{evidence_id}/ticket/revoke",
    "post",
    "Cancel the assessor's link; the evidence is a draft again",
    response=STATUS,
    errors=(401, 403, 404, 409),
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
    body=body_object(
        {
            "decision": choice("approve", "return"),
            "comment": text(COMMENT_MAX),
            # A DOPS, OCE or CBD's assessor's part, needed to approve one: checked
            # by the sign-off service, which names each missing or wrong field.
            "form": {
                "type": "object",
                "properties": {
                    "ratings": OBJECT,
                    "overall": S,
                    "strengths": S,
                    "development": S,
                    "declaration": {"type": "boolean"},
                },
                # Each part is required only to approve, which the service checks.
                "required": [],
            },
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
    body=body_object({"reason": text(UNLOCK_REASON_MAX)}, ("reason",)),
)
document(
    "/signoff/queue",
    "get",
    "Evidence waiting for you, oldest first, with age in days",
    response=page_of(schema({**SUMMARY_FIELDS, "age_days": INT})),
    errors=(400, 401, 403),
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
            "last_checkpoint": nullable(
                schema(
                    {
                        "id": INT,
                        "created_at": TIME,
                        "events": INT,
                        "head_seq": INT,
                        "head_hash": S,
                    }
                )
            ),
        }
    ),
    errors=(401, 403),
)
