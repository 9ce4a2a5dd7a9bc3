"""Enrolment, evidence, attachment, sign-off, queue and audit endpoints."""

from datetime import date

from flask import g
from flask import jsonify
from flask import request

from portfolio import policy
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import located
from portfolio.api.base import paginate
from portfolio.api.bodies import as_date
from portfolio.api.bodies import valid_body
from portfolio.api.serialise import enrolment_json
from portfolio.api.serialise import evidence_json
from portfolio.api.serialise import evidence_summary
from portfolio.api.serialise import ticket_json
from portfolio.audit import services as audit
from portfolio.enrolments import services as training
from portfolio.enrolments.services import SupervisorInput
from portfolio.evidence import attachments
from portfolio.evidence import services as evidence_services
from portfolio.evidence.services import ClaimRef
from portfolio.evidence.services import EvidenceInput
from portfolio.rules import RuleError
from portfolio.signoff import services as signoff


@bp.errorhandler(RuleError)
def _rule_error(error: RuleError):
    from portfolio.errors import problem

    extra = {"errors": error.errors} if error.errors else {}
    if error.status == 422 and not error.errors:
        extra = {"errors": [{"field": "", "message": error.message}]}
    return problem(error.status, error.message, None, **extra)


# ---- enrolments -----------------------------------------------------------------


@bp.post("/enrolments")
def create_enrolment():
    data = valid_body()
    supervisors = [
        SupervisorInput(person=item, role="training_officer")
        if isinstance(item, str)
        else SupervisorInput(
            person=item["person"],
            role=item.get("role", "training_officer"),
            start_date=as_date(item.get("start_date")),
            end_date=as_date(item.get("end_date")),
        )
        for item in data.get("supervisors", [])
    ]
    enrolment = training.create_enrolment(
        g.user,
        trainee=data["trainee"],
        curriculum=data["curriculum"],
        organisation=data["organisation"],
        start_date=as_date(data["start_date"]),
        expected_end_date=as_date(data["expected_end_date"]),
        supervisors=supervisors,
        contracted_hours_per_week=data.get("contracted_hours_per_week"),
        age_at_start=data.get("age_at_start"),
    )
    return located(
        enrolment_json(enrolment), 201, "api.get_enrolment", enrolment_id=enrolment.id
    )


@bp.get("/enrolments/<enrolment_id>")
def get_enrolment(enrolment_id: str):
    return jsonify(enrolment_json(training.get_enrolment(g.user, enrolment_id)))


# ---- evidence -----------------------------------------------------------------------


def _evidence_input(data: dict, creating: bool) -> EvidenceInput:
    """The fields of a body :func:`valid_body` has checked."""
    claims = data.get("claims")
    return EvidenceInput(
        title=data.get("title"),
        kind=data.get("kind"),
        occurred_on=data.get("occurred_on"),
        body=data.get("body"),
        form=data.get("form", {} if creating else None),
        claims=None
        if claims is None
        else [ClaimRef(c["curriculum"], c["code"]) for c in claims],
        reflects_on=data.get("reflects_on") if creating else None,
    )


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
        g.user, _evidence_input(valid_body(), True)
    )
    return located(_full(evidence), 201, "api.get_evidence", evidence_id=evidence.id)


@bp.get("/evidence/<evidence_id>")
def get_evidence(evidence_id: str):
    return jsonify(_full(evidence_services.load_visible(g.user, evidence_id)))


@bp.patch("/evidence/<evidence_id>")
def update_evidence(evidence_id: str):
    evidence = evidence_services.load_visible(g.user, evidence_id)
    data = _evidence_input(valid_body(), False)
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
    data = valid_body()
    evidence = evidence_services.load_visible(g.user, evidence_id)
    if ("assessor" in data) == ("external_assessor" in data):
        raise ApiProblem(
            422,
            "Give either assessor (a supervisor's email) or external_assessor "
            "({name, email}).",
        )
    evidence = signoff.submit(
        g.user, evidence, data.get("assessor"), data.get("external_assessor")
    )
    return jsonify(_status(evidence))


def _status(evidence) -> dict:
    answer = {"id": evidence.id, "status": evidence.status, "version": evidence.version}
    ticket = signoff.ticket_of(evidence)
    if ticket is not None:
        answer["ticket"] = ticket_json(ticket)
    return answer


@bp.post("/evidence/<evidence_id>/ticket/resend")
def resend_ticket(evidence_id: str):
    evidence = evidence_services.load_visible(g.user, evidence_id)
    signoff.resend_ticket(g.user, evidence)
    return jsonify(_status(evidence))


@bp.post("/evidence/<evidence_id>/ticket/revoke")
def revoke_ticket(evidence_id: str):
    evidence = evidence_services.load_visible(g.user, evidence_id)
    evidence = signoff.revoke_ticket(g.user, evidence)
    return jsonify(_status(evidence))


@bp.post("/evidence/<evidence_id>/withdraw")
def withdraw(evidence_id: str):
    evidence = evidence_services.load_visible(g.user, evidence_id)
    evidence = signoff.withdraw(g.user, evidence)
    return jsonify(
        {"id": evidence.id, "status": evidence.status, "version": evidence.version}
    )


@bp.post("/evidence/<evidence_id>/decision")
def decision(evidence_id: str):
    data = valid_body()
    evidence = evidence_services.load_visible(g.user, evidence_id)
    signoff.decide(
        g.user,
        evidence,
        data["decision"],
        data.get("comment", ""),
        data.get("form"),
    )
    return jsonify(
        {"id": evidence.id, "status": evidence.status, "version": evidence.version}
    )


@bp.post("/evidence/<evidence_id>/unlock")
def unlock(evidence_id: str):
    data = valid_body()
    evidence = evidence_services.load_visible(g.user, evidence_id)
    evidence = signoff.unlock(g.user, evidence, data["reason"])
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
