"""JSON shapes of the API's objects (one place, so every endpoint agrees)."""

from portfolio.audit.models import AuditEvent
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.models import Attachment
from portfolio.evidence.models import Evidence
from portfolio.signoff.models import SignOff


def iso(value):
    return value.isoformat() if value is not None else None


def person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "email": user.email}


def enrolment_json(enrolment: Enrolment) -> dict:
    return {
        "id": enrolment.id,
        "trainee": person(enrolment.trainee),
        "curriculum": {
            "id": enrolment.curriculum.slug,
            "version": enrolment.curriculum.version,
            "title": enrolment.curriculum.title,
        },
        "organisation": enrolment.organisation.code,
        "start_date": iso(enrolment.start_date),
        "expected_end_date": iso(enrolment.expected_end_date),
        "status": enrolment.status,
        "contracted_hours_per_week": enrolment.contracted_hours_per_week,
        "age_at_start": enrolment.age_at_start,
        "standard_version": enrolment.standard_version,
        "supervisors": [
            {
                "id": a.id,
                "supervisor": person(a.supervisor),
                "role": a.role,
                "start_date": iso(a.start_date),
                "end_date": iso(a.end_date),
            }
            for a in enrolment.supervisors
        ],
    }


def attachment_json(attachment: Attachment) -> dict:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "media_type": attachment.media_type,
        "uploaded_at": iso(attachment.uploaded_at),
    }


def signer_json(assessor) -> dict:
    """Who decided: an account, or an assessor by emailed link (no account; the
    name, role and registration they confirmed)."""
    return {
        "id": assessor.id,
        "name": assessor.name,
        "email": assessor.email,
        "external": bool(getattr(assessor, "external", False)),
        "role": getattr(assessor, "role", None) or None,
        "registration": assessor.registration_text() or None,
        "inactive_since": None
        if getattr(assessor, "active", True)
        else iso(getattr(assessor, "deactivated_at", None)),
    }


def ticket_json(ticket) -> dict:
    return {
        "name": ticket.name,
        "email": ticket.email,
        "state": ticket.state(),
        "expires_at": iso(ticket.expires_at),
        "sent_count": ticket.sent_count,
        "opened_at": iso(ticket.opened_at),
    }


def signoff_json(signoff: SignOff) -> dict:
    return {
        "id": signoff.id,
        "decision": signoff.decision,
        "assessor": signer_json(signoff.assessor),
        "countersigned_by": person(signoff.countersigned_by),
        "countersigned_at": iso(signoff.countersigned_at),
        "awaiting_countersignature": signoff.awaiting_countersignature,
        "comment": signoff.comment,
        "evidence_version": signoff.evidence_version,
        "content_hash": signoff.content_hash,
        "claims": signoff.claims,
        "decided_at": iso(signoff.decided_at),
        "superseded_at": iso(signoff.superseded_at),
        "superseded_reason": signoff.superseded_reason,
        "assessment": signoff.assessment or None,
    }


def import_json(source) -> dict | None:
    """Where imported history came from; None for evidence recorded here."""
    if source is None:
        return None
    return {
        "installation": source.installation,
        "verified": source.trusted,
        "imported_at": iso(source.imported_at),
        "label": source.label,
    }


def imported_signoff_json(signoff) -> dict:
    """A decision made by another installation: history, not a sign-off here."""
    return {
        "decision": signoff.decision,
        "assessor": {"name": signoff.assessor_name, "email": signoff.assessor_email},
        "comment": signoff.comment,
        "evidence_version": signoff.evidence_version,
        "content_hash": signoff.content_hash,
        "claims": signoff.claims,
        "decided_at": iso(signoff.decided_at),
        "superseded_at": iso(signoff.superseded_at),
        "superseded_reason": signoff.superseded_reason,
        "imported_from": import_json(signoff.source),
    }


def event_json(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "at": iso(event.occurred_at),
        "actor": event.actor_name,
        "action": event.action,
        "data": event.data,
        "hash": event.hash,
    }


def evidence_summary(evidence: Evidence) -> dict:
    return {
        "id": evidence.id,
        "owner": person(evidence.owner),
        "kind": evidence.kind,
        "title": evidence.title,
        "occurred_on": iso(evidence.occurred_on),
        "status": evidence.status,
        "version": evidence.version,
        "submitted_to": person(evidence.submitted_to),
        "submitted_at": iso(evidence.submitted_at),
        "updated_at": iso(evidence.updated_at),
    }


def evidence_json(evidence: Evidence, signoffs=(), history=(), imported=()) -> dict:
    return {
        **evidence_summary(evidence),
        "body": evidence.body,
        "form": evidence.form,
        "ratings_by_trainee": evidence.ratings_by_trainee,
        "claims": [
            {
                "curriculum": c.outcome.curriculum.slug,
                "version": c.outcome.curriculum.version,
                "code": c.outcome.code,
                "title": c.outcome.title,
            }
            for c in evidence.claims
        ],
        "attachments": [attachment_json(a) for a in evidence.attachments],
        "signoffs": [signoff_json(s) for s in signoffs],
        "imported_from": import_json(evidence.imported_from),
        "imported_signoffs": [imported_signoff_json(s) for s in imported],
        "history": [event_json(e) for e in history],
    }
