"""Enrolment, evidence, attachment, sign-off, queue and audit endpoints."""

from datetime import date

from flask import g
from flask import jsonify
from flask import request

from portfolio import policy
from portfolio.accounts.models import EMAIL_MAX
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import json_body
from portfolio.api.base import paginate
from portfolio.api.serialise import enrolment_json
from portfolio.api.serialise import evidence_json
from portfolio.api.serialise import evidence_summary
from portfolio.audit import services as audit
from portfolio.curriculum.models import CODE_MAX
from portfolio.curriculum.models import SLUG_MAX
from portfolio.evidence import attachments
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import BODY_MAX
from portfolio.evidence.models import TITLE_MAX
from portfolio.evidence.services import ClaimRef
from portfolio.evidence.services import EvidenceInput
from portfolio.rules import FieldErrors
from portfolio.rules import RuleError
from portfolio.signoff import services as signoff
from portfolio.training import services as training
from portfolio.training.services import SupervisorInput

# A value picked from a fixed list or naming a row (a kind, a decision, an id, a
# date): longer than this it cannot match anything, so it is refused unread.
CHOICE_MAX = 100


@bp.errorhandler(RuleError)
def _rule_error(error: RuleError):
    from portfolio.errors import problem

    extra = {"errors": error.errors} if error.errors else {}
    if error.status == 422 and not error.errors:
        extra = {"errors": [{"field": "", "message": error.message}]}
    return problem(error.status, error.message, None, **extra)


def _date(value, field: str, errors: FieldErrors) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.add(field, "Use a date like 2026-09-01")
        return None


def _text(
    data: dict,
    field: str,
    errors: FieldErrors,
    required: bool = False,
    *,
    max_length: int,
    name: str | None = None,
) -> str | None:
    """``data[field]`` if it is a string of at most ``max_length`` characters.

    ``max_length`` is the limit the page applies to the same field, imported from
    the module that owns the rule (never a copy), so the API accepts exactly what
    the pages accept; ``CHOICE_MAX`` for a value only matched against a list or a
    row. Required, so no text field is parsed without one. ``name`` is the field
    as errors report it (default ``field``).
    """
    name = name or field
    value = data.get(field)
    if value is None:
        if required:
            errors.add(name, f"{name} is required")
        return None
    if not isinstance(value, str):
        errors.add(name, f"{name} must be a string")
        return None
    if len(value) > max_length:
        errors.add(name, f"{name} must be {max_length:,} characters or fewer")
        return None
    return value


def _unknown(data: dict, allowed: set[str], errors: FieldErrors) -> None:
    for key in data:
        if key not in allowed:
            errors.add(key, f"Unknown field {key!r}")


# ---- enrolments -----------------------------------------------------------------


@bp.post("/enrolments")
def create_enrolment():
    data = json_body()
    errors = FieldErrors()
    _unknown(
        data,
        {
            "trainee",
            "curriculum",
            "organisation",
            "start_date",
            "expected_end_date",
            "supervisors",
            "contracted_hours_per_week",
        },
        errors,
    )
    supervisors = []
    raw = data.get("supervisors") or []
    if not isinstance(raw, list):
        errors.add("supervisors", "supervisors must be a list")
        raw = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"person": item, "role": "training_officer"}
        if not isinstance(item, dict):
            errors.add(
                f"supervisors[{index}]",
                "Each supervisor is an email/id or {person, role}",
            )
            continue
        where = f"supervisors[{index}]"
        person_field = "person" if "person" in item else "supervisor"
        person = _text(
            item,
            person_field,
            errors,
            max_length=EMAIL_MAX,
            name=f"{where}.{person_field}",
        )
        role = _text(item, "role", errors, max_length=CHOICE_MAX, name=f"{where}.role")
        supervisors.append(
            SupervisorInput(
                person=person or "",
                role=role or "training_officer",
                start_date=_date(
                    item.get("start_date"), f"supervisors[{index}].start_date", errors
                ),
                end_date=_date(
                    item.get("end_date"), f"supervisors[{index}].end_date", errors
                ),
            )
        )
    hours = data.get("contracted_hours_per_week")
    if hours is not None and (
        isinstance(hours, bool) or not isinstance(hours, int | float)
    ):
        errors.add(
            "contracted_hours_per_week", "contracted_hours_per_week must be a number"
        )
        hours = None
    start = _date(data.get("start_date"), "start_date", errors)
    end = _date(data.get("expected_end_date"), "expected_end_date", errors)
    trainee = _text(data, "trainee", errors, max_length=EMAIL_MAX)
    curriculum = _text(data, "curriculum", errors, max_length=SLUG_MAX)
    organisation = _text(data, "organisation", errors, max_length=CHOICE_MAX)
    errors.raise_if_any()
    enrolment = training.create_enrolment(
        g.user,
        trainee=trainee or "",
        curriculum=curriculum or "",
        organisation=organisation or "",
        start_date=start,
        expected_end_date=end,
        supervisors=supervisors,
        contracted_hours_per_week=hours,
    )
    response = jsonify(enrolment_json(enrolment))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/enrolments/{enrolment.id}"
    return response


@bp.get("/enrolments/<enrolment_id>")
def get_enrolment(enrolment_id: str):
    return jsonify(enrolment_json(training.get_enrolment(g.user, enrolment_id)))


# ---- evidence -----------------------------------------------------------------------


def _claims(data: dict, errors: FieldErrors) -> list[ClaimRef] | None:
    raw = data.get("claims")
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors.add("claims", "claims must be a list of {curriculum, code}")
        return None
    claims = []
    for index, item in enumerate(raw):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("curriculum"), str)
            or not isinstance(item.get("code"), str)
        ):
            errors.add(f"claims[{index}]", "Each claim is {curriculum, code}")
            continue
        where = f"claims[{index}]"
        curriculum = _text(
            item, "curriculum", errors, max_length=SLUG_MAX, name=f"{where}.curriculum"
        )
        code = _text(item, "code", errors, max_length=CODE_MAX, name=f"{where}.code")
        if curriculum is not None and code is not None:
            claims.append(ClaimRef(curriculum, code))
    return claims


def _evidence_input(data: dict, creating: bool) -> EvidenceInput:
    errors = FieldErrors()
    allowed = {"title", "occurred_on", "body", "form", "claims"} | (
        {"kind"} if creating else set()
    )
    _unknown(data, allowed, errors)
    form = data.get("form")
    if form is not None and not isinstance(form, dict):
        errors.add("form", "form must be an object")
        form = None
    result = EvidenceInput(
        title=_text(data, "title", errors, creating, max_length=TITLE_MAX),
        kind=_text(data, "kind", errors, True, max_length=CHOICE_MAX)
        if creating
        else None,
        occurred_on=_text(data, "occurred_on", errors, creating, max_length=CHOICE_MAX),
        body=_text(data, "body", errors, max_length=BODY_MAX),
        form=form if form is not None or not creating else {},
        claims=_claims(data, errors),
    )
    errors.raise_if_any()
    return result


def _full(evidence) -> dict:
    return evidence_json(
        evidence,
        signoff.signoffs_of(evidence),
        audit.history("evidence", evidence.id),
        signoff.imported_signoffs_of(evidence),
    )


@bp.get("/evidence")
def list_evidence():
    query = evidence_services.list_evidence(
        g.user,
        owner_id=request.args.get("owner"),
        status=request.args.get("status"),
        kind=request.args.get("kind"),
        curriculum=request.args.get("curriculum"),
    )
    return jsonify(paginate(query, evidence_summary))


@bp.post("/evidence")
def create_evidence():
    evidence = evidence_services.create_evidence(
        g.user, _evidence_input(json_body(), True)
    )
    response = jsonify(_full(evidence))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/evidence/{evidence.id}"
    return response


@bp.get("/evidence/<evidence_id>")
def get_evidence(evidence_id: str):
    return jsonify(_full(evidence_services.load_visible(g.user, evidence_id)))


@bp.patch("/evidence/<evidence_id>")
def update_evidence(evidence_id: str):
    evidence = evidence_services.load_visible(g.user, evidence_id)
    data = _evidence_input(json_body(), False)
    return jsonify(_full(evidence_services.update_evidence(g.user, evidence, data)))


@bp.post("/evidence/<evidence_id>/attachments")
def add_attachment(evidence_id: str):
    from portfolio.api.serialise import attachment_json

    evidence = evidence_services.load_visible(g.user, evidence_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiProblem(
            422,
            "Send the file as multipart/form-data in a field named 'file'.",
            [{"field": "file", "message": "Choose a file"}],
        )
    attachment = attachments.add_attachment(
        g.user, evidence, upload.stream, upload.filename
    )
    response = jsonify(attachment_json(attachment))
    response.status_code = 201
    return response


@bp.get("/evidence/<evidence_id>/attachments/<attachment_id>")
def download_attachment(evidence_id: str, attachment_id: str):
    from portfolio.downloads import send_stored

    evidence = evidence_services.load_visible(g.user, evidence_id)
    attachment = next((a for a in evidence.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise ApiProblem(404, "No such file on this evidence.")
    response = send_stored(
        attachments.file_path(attachment),
        f"attachment {attachment.id}",
        mimetype=attachment.media_type,
        as_attachment=True,
        download_name=attachment.filename,
    )
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


@bp.post("/evidence/<evidence_id>/submit")
def submit(evidence_id: str):
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"assessor"}, errors)
    assessor = _text(data, "assessor", errors, required=True, max_length=EMAIL_MAX)
    errors.raise_if_any()
    evidence = evidence_services.load_visible(g.user, evidence_id)
    evidence = signoff.submit(g.user, evidence, assessor)
    return jsonify(
        {"id": evidence.id, "status": evidence.status, "version": evidence.version}
    )


@bp.post("/evidence/<evidence_id>/withdraw")
def withdraw(evidence_id: str):
    evidence = evidence_services.load_visible(g.user, evidence_id)
    evidence = signoff.withdraw(g.user, evidence)
    return jsonify(
        {"id": evidence.id, "status": evidence.status, "version": evidence.version}
    )


@bp.post("/evidence/<evidence_id>/decision")
def decision(evidence_id: str):
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"decision", "comment", "declaration"}, errors)
    choice = _text(data, "decision", errors, required=True, max_length=CHOICE_MAX)
    comment = _text(data, "comment", errors, max_length=signoff.COMMENT_MAX) or ""
    declaration = data.get("declaration", False)
    if not isinstance(declaration, bool):
        errors.add("declaration", "declaration must be true or false")
    errors.raise_if_any()
    evidence = evidence_services.load_visible(g.user, evidence_id)
    signoff.decide(g.user, evidence, choice, comment, declaration)
    return jsonify(
        {"id": evidence.id, "status": evidence.status, "version": evidence.version}
    )


@bp.post("/evidence/<evidence_id>/unlock")
def unlock(evidence_id: str):
    data = json_body()
    errors = FieldErrors()
    _unknown(data, {"reason"}, errors)
    reason = _text(data, "reason", errors, max_length=signoff.UNLOCK_REASON_MAX) or ""
    errors.raise_if_any()
    evidence = evidence_services.load_visible(g.user, evidence_id)
    evidence = signoff.unlock(g.user, evidence, reason)
    return jsonify(
        {"id": evidence.id, "status": evidence.status, "version": evidence.version}
    )


@bp.get("/signoff/queue")
def queue():
    if not policy.can_sign_off(g.user):
        raise ApiProblem(403, "The sign-off queue is for supervisors.")
    today = date.today()

    def row(evidence):
        return {
            **evidence_summary(evidence),
            "age_days": signoff.age_in_days(evidence, today),
        }

    return jsonify(paginate(signoff.queue(g.user, request.args.get("trainee")), row))


@bp.get("/audit/verify")
def audit_verify():
    if not policy.is_admin(g.user):
        raise ApiProblem(403, "Only admins can verify the audit trail.")
    return jsonify(audit.verify().to_dict())
