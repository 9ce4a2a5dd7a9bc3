"""The registration route's pack and the CPD profile as PDFs, built by the exports
machinery (its job, storage, verification code, QR code and signed verification
data embedded in an archival PDF), in the structure each register asks for."""

from datetime import date

from flask import render_template

from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.evidence.kinds import KIND_LABELS
from portfolio.exports import signing
from portfolio.exports.models import Export
from portfolio.exports.services import VERIFICATION_FILE
from portfolio.exports.services import public_url
from portfolio.exports.services import qr_data_url
from portfolio.exports.services import verification_document
from portfolio.extensions import db
from portfolio.registration import cpd
from portfolio.registration import services
from portfolio.registration.models import CPD_TYPES
from portfolio.registration.models import RegistrationApplication
from portfolio.rules import NotFound


def _pdf(export: Export, template: str, summary: dict, **context) -> bytes:
    from portfolio.exports.pdf import ARCHIVAL
    from portfolio.exports.pdf import Associated
    from portfolio.exports.pdf import asset_url
    from portfolio.exports.pdf import render_pdf

    verify_url = public_url(f"/verify/{export.verification_code}")
    html = render_template(
        template,
        export=export,
        generated_at=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        generated_label=utcnow().strftime("%d %B %Y %H:%M UTC"),
        verify_url=verify_url,
        qr_src=qr_data_url(verify_url),
        audit_checkpoint=audit.latest_checkpoint(),
        asset_url=asset_url,
        kind_labels=KIND_LABELS,
        **context,
    )
    pdf, _blocked = render_pdf(
        html,
        variant=ARCHIVAL,
        attachments=[
            Associated(
                name=VERIFICATION_FILE,
                data=signing.signed_json(verification_document(export, summary)),
                description="Verification data for this document, signed by the "
                "installation that issued it (Ed25519)",
            )
        ],
    )
    return pdf


def render_route_pack(export: Export) -> tuple[bytes, str, str, dict]:
    application = db.session.get(
        RegistrationApplication, (export.params or {}).get("application_id", "")
    )
    if application is None:
        raise NotFound("This pack's application no longer exists.")
    route = services.route_of(application)
    items = services.evidence_of(application.owner_id)
    standards = services.standards_map(application, items)
    cited = {e.id for s in standards for r in s.rows for e in r.evidence}
    cited |= {e.id for s in standards for r in s.rows for e in r.heading_evidence}
    evidence = [e for e in items if e.id in cited]
    today = date.today()
    summary = {
        "kind": "Registration application pack",
        "trainee": application.owner.name,
        "programme": route.title,
        "organisation": route.register,
        "evidence_items": len(evidence),
        "generated_on": today.isoformat(),
    }
    title = f"Registration application: {route.title}"
    pdf = _pdf(
        export,
        "registration/pdf_pack.jinja",
        summary,
        doc_title=title,
        doc_author=application.owner.name,
        doc_description=f"{title} for {application.owner.name}",
        application=application,
        route=route,
        choice_label=services.choice_label(application),
        standards=standards,
        evidence=evidence,
        numbers={e.id: i for i, e in enumerate(evidence, 1)},
        signoffs=services.signoffs_for(evidence),
        nominees=[(n, services.nominee_state(n)) for n in application.nominees],
        word_count=services.word_count,
        generated_on=today,
    )
    filename = (
        f"registration-{application.route.replace('_', '-')}-{today.isoformat()}.pdf"
    )
    return pdf, filename, "application/pdf", summary


def render_cpd_profile(export: Export) -> tuple[bytes, str, str, dict]:
    person = db.session.get(User, export.requested_by_id)
    if person is None:
        raise NotFound("This profile's owner no longer exists.")
    today_text = (export.params or {}).get("today")
    try:
        today = date.fromisoformat(today_text) if today_text else date.today()
    except ValueError:
        today = date.today()
    content = cpd.profile_content(person, today)
    summary = {
        "kind": "CPD profile",
        "trainee": person.name,
        "programme": f"CPD {content.start:%d %B %Y} to {content.end:%d %B %Y}",
        "organisation": ", ".join(
            cpd.REGISTER_LABELS[r.register] for r in cpd.registers_of(person)
        ),
        "evidence_items": len(content.activities),
        "generated_on": today.isoformat(),
    }
    title = "Continuing professional development profile"
    pdf = _pdf(
        export,
        "cpd/pdf_profile.jinja",
        summary,
        doc_title=title,
        doc_author=person.name,
        doc_description=f"{title} for {person.name}",
        content=content,
        standards=cpd.HCPC_STANDARDS,
        rct=cpd.RCT_REQUIREMENTS,
        statement_standards=cpd.STATEMENT_STANDARDS,
        types=CPD_TYPES,
        numbers={a.id: i for i, a in enumerate(content.activities, 1)},
        registers=[(r, cpd.renewal_of(r, today)) for r in cpd.registers_of(person)],
        register_labels=cpd.REGISTER_LABELS,
    )
    return pdf, f"cpd-profile-{today.isoformat()}.pdf", "application/pdf", summary
