"""Export and verification endpoints."""

from flask import g
from flask import jsonify

from portfolio.api.base import PUBLIC_ENDPOINTS
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import json_body
from portfolio.api.core import CHOICE_MAX
from portfolio.api.core import _text
from portfolio.api.core import _unknown
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.downloads import send_stored
from portfolio.exports import services as exports
from portfolio.extensions import limiter
from portfolio.rules import FieldErrors


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
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"kind", "enrolment"}, errors)
    kind = _text(data, "kind", errors, required=True, max_length=CHOICE_MAX)
    enrolment = _text(data, "enrolment", errors, required=True, max_length=CHOICE_MAX)
    errors.raise_if_any()
    export = exports.request_export(g.user, kind, enrolment)
    response = jsonify(export_json(export))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/exports/{export.id}"
    return response


@bp.get("/exports/<export_id>")
def get_export(export_id: str):
    return jsonify(export_json(exports.load_export(g.user, export_id)))


@bp.post("/exports/<export_id>/retry")
def retry_export(export_id: str):
    export = exports.retry_export(g.user, exports.load_export(g.user, export_id))
    response = jsonify(export_json(export))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/exports/{export.id}"
    return response


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
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"code", "sha256"}, errors)
    code = _text(data, "code", errors, required=True, max_length=CHOICE_MAX)
    digest = _text(data, "sha256", errors, required=True, max_length=CHOICE_MAX)
    errors.raise_if_any()
    export = exports.find_by_code(code)
    return jsonify(
        {
            "valid": exports.verify_digest(export, digest),
            "export": exports.verification_json(export),
        }
    )


PUBLIC_ENDPOINTS.add("api.verify")

S = {"type": "string"}
EXPORT = schema(
    {
        "id": S,
        "kind": S,
        "status": {"enum": ["queued", "running", "done", "failed"]},
        "progress": {"type": "integer"},
        "sha256": {"type": ["string", "null"]},
        "verification_code": S,
        "download_url": {"type": ["string", "null"]},
        "error": S,
        "retry_url": S,
    }
)
document(
    "/exports",
    "post",
    "Ask for a portfolio PDF, registration pack or bundle (rendered by a worker)",
    status=202,
    response=EXPORT,
    errors=(400, 401, 403, 404, 422),
    body=schema(
        {"kind": {"enum": ["portfolio", "registration", "bundle"]}, "enrolment": S},
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
        {"valid": {"type": "boolean"}, "export": {"type": ["object", "null"]}}
    ),
    body=schema({"code": S, "sha256": S}, ("code", "sha256")),
    errors=(400, 422, 429),
    public=True,
)
