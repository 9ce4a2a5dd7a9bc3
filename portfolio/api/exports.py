"""Export and verification endpoints."""

from flask import g
from flask import jsonify

from portfolio.api.base import PUBLIC_ENDPOINTS
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import located
from portfolio.api.bodies import valid_body
from portfolio.api.openapi import CHOICE_MAX
from portfolio.api.openapi import body_object
from portfolio.api.openapi import choice
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.api.openapi import text
from portfolio.downloads import send_stored
from portfolio.exports import services as exports
from portfolio.extensions import limiter


def export_json(export) -> dict:
    body = {
        "id": export.id,
        "kind": export.kind,
        "status": export.status,
        "progress": export.progress,
        "sha256": export.sha256,
        "verification_code": export.verification_code,
        "download_url": f"/api/v1/exports/{export.id}/file"
        if export.status == "done"
        else None,
        "enrolment": export.enrolment_id,
        "created_at": export.created_at.isoformat(),
        "finished_at": export.finished_at.isoformat() if export.finished_at else None,
    }
    if export.status == "failed":
        body["error"] = export.error
        body["retry_url"] = f"/api/v1/exports/{export.id}/retry"
    return body


@bp.post("/exports")
def create_export():
    data = valid_body()
    export = exports.request_export(g.user, data["kind"], data["enrolment"])
    return located(export_json(export), 202, "api.get_export", export_id=export.id)


@bp.get("/exports/<export_id>")
def get_export(export_id: str):
    return jsonify(export_json(exports.load_export(g.user, export_id)))


@bp.post("/exports/<export_id>/retry")
def retry_export(export_id: str):
    export = exports.retry_export(g.user, exports.load_export(g.user, export_id))
    return located(export_json(export), 202, "api.get_export", export_id=export.id)


@bp.get("/exports/<export_id>/file")
def export_file(export_id: str):
    export = exports.load_export(g.user, export_id)
    if export.status != "done":
        raise ApiProblem(409, f"The export is {export.status}, not ready to download.")
    return send_stored(
        exports.export_path(export),
        f"export {export.id}",
        mimetype=export.media_type,
        as_attachment=True,
        download_name=export.filename,
    )


@bp.post("/verify")
@limiter.limit("60 per minute")
def verify():
    data = valid_body()
    export = exports.find_by_code(data["code"])
    since = exports.supersession(export)
    return jsonify(
        {
            "valid": exports.verify_digest(export, data["sha256"]),
            # Genuine when issued; then sign-offs inside may have been withdrawn.
            "superseded": since.superseded,
            "superseded_signoffs": since.count,
            "superseded_on": since.last_on.isoformat() if since.last_on else None,
            "superseded_reasons": since.reasons,
            "export": exports.verification_json(export),
        }
    )


PUBLIC_ENDPOINTS.add("api.verify")

S = {"type": "string"}
NS = {"type": ["string", "null"]}
NTIME = {"type": ["string", "null"], "format": "date-time"}
EXPORT = schema(
    {
        "id": S,
        "kind": S,
        "status": {"enum": ["queued", "running", "done", "failed"]},
        "progress": {"type": "integer"},
        "sha256": NS,
        "verification_code": NS,
        "download_url": NS,
        "enrolment": NS,
        "created_at": {"type": "string", "format": "date-time"},
        "finished_at": NTIME,
        "error": {"type": ["string", "null"], "description": "When failed: why"},
        "retry_url": {"type": "string", "description": "When failed: try again"},
    },
    (
        "id",
        "kind",
        "status",
        "progress",
        "sha256",
        "verification_code",
        "download_url",
        "enrolment",
        "created_at",
        "finished_at",
    ),
)
document(
    "/exports",
    "post",
    "Ask for a portfolio PDF, registration pack or bundle (rendered by a worker)",
    status=202,
    response=EXPORT,
    errors=(400, 401, 403, 404, 422),
    body=body_object(
        {
            "kind": choice("portfolio", "registration", "bundle"),
            "enrolment": text(CHOICE_MAX),
        },
        ("kind", "enrolment"),
    ),
)
document(
    "/exports/{export_id}",
    "get",
    "An export's status, progress and result",
    response=EXPORT,
    errors=(401, 404),
)
document(
    "/exports/{export_id}/retry",
    "post",
    "Try a failed export again, for example one that could not be queued",
    status=202,
    response=EXPORT,
    errors=(401, 403, 404, 409),
)
document(
    "/exports/{export_id}/file",
    "get",
    "Download the exported file",
    errors=(401, 404, 409),
)
document(
    "/verify",
    "post",
    "Check a copy of an exported file by its SHA-256 (no account needed)",
    response=schema(
        {
            "valid": {"type": "boolean"},
            "superseded": {"type": "boolean"},
            "superseded_signoffs": {"type": "integer"},
            "superseded_on": {"type": ["string", "null"], "format": "date"},
            "superseded_reasons": {"type": "array", "items": S},
            "export": {
                "oneOf": [
                    schema(
                        {
                            "kind": S,
                            "summary": {"type": "object"},
                            "created_at": NTIME,
                            "sha256": NS,
                            "verification_code": NS,
                        }
                    ),
                    {"type": "null"},
                ]
            },
        }
    ),
    body=body_object(
        {"code": text(CHOICE_MAX), "sha256": text(CHOICE_MAX)}, ("code", "sha256")
    ),
    errors=(400, 422, 429),
    public=True,
)
