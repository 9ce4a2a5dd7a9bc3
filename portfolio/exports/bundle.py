"""The portable bundle: a zip another installation (or another tool) can load.

Contents: ``portfolio.pdf``; ``portfolio.json`` (enrolment, evidence, claims,
sign-offs, audit events); ``curricula/<id>.case.json`` (1EdTech CASE 1.1);
``badges/<curriculum>/<code>-<evidence>.jwt`` (Open Badges 3.0 credentials, one per
signed-off outcome, the achievement aligned to its curriculum page, each signed as a
VC-JWT by ``badges.py``); ``attachments/``;
``manifest.json`` with the installation's name and Ed25519 public key and the SHA-256
of every other file; and ``manifest.json.sig``, the installation's signature of the
manifest. Importing is ``bundle_import``.
"""

import hashlib
import io
import json
import uuid
import zipfile
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from portfolio import urls
from portfolio.audit import services as audit
from portfolio.audit.models import AuditEvent
from portfolio.curriculum import services as curricula
from portfolio.curriculum.models import Outcome
from portfolio.curriculum.models import case_uuid
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.attachments import file_path
from portfolio.evidence.models import Evidence
from portfolio.exports import badges
from portfolio.exports import signing
from portfolio.exports import status_list
from portfolio.exports.documents import build_portfolio
from portfolio.exports.models import Export
from portfolio.extensions import db
from portfolio.rules import Invalid
from portfolio.rules import NotFound
from portfolio.signoff.models import SignOff

FORMAT = "mpce-portfolio-bundle/2"


class BundleError(Invalid, ValueError):
    """The bundle cannot be loaded; nothing was imported.

    ``problems`` lists each problem found (file, JSON path, reason) when there are
    several; the message then summarises them.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


def _iso(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def _event_json(event: AuditEvent) -> dict:
    """An audit event as exported: its hashed fields and its public chain hashes
    (never its HMAC, which no other installation can check)."""
    return {
        **audit.event_fields(event),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _signoff_json(signoff: SignOff) -> dict:
    return {
        "decision": signoff.decision,
        "assessor": {"name": signoff.assessor.name, "email": signoff.assessor.email},
        "comment": signoff.comment,
        "evidence_version": signoff.evidence_version,
        "content_hash": signoff.content_hash,
        "claims": signoff.claims,
        "decided_at": signoff.decided_at.isoformat(),
        "superseded_at": _iso(signoff.superseded_at),
        "superseded_reason": signoff.superseded_reason,
    }


def portfolio_document(enrolment: Enrolment, content) -> tuple[dict, dict[str, Path]]:
    """The JSON export, and the attachment files it refers to (path in zip -> file)."""
    ids = [entry.evidence.id for entry in content.entries]
    signoffs: dict[str, list] = {}
    for signoff in db.session.scalars(
        sa.select(SignOff)
        .where(SignOff.evidence_id.in_(ids))
        .order_by(SignOff.decided_at)
    ):
        signoffs.setdefault(signoff.evidence_id, []).append(_signoff_json(signoff))
    files: dict[str, Path] = {}
    evidence = []
    for entry in content.entries:
        item = entry.evidence
        attachments = []
        for a in item.attachments:
            name = f"attachments/{a.sha256[:16]}-{a.filename}"
            files[name] = file_path(a)
            attachments.append(
                {
                    "filename": a.filename,
                    "media_type": a.media_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "path": name,
                }
            )
        evidence.append(
            {
                "id": item.id,
                "kind": item.kind,
                "title": item.title,
                "occurred_on": item.occurred_on.isoformat(),
                "body": item.body,
                "form": item.form,
                "status": item.status,
                "version": item.version,
                "created_at": item.created_at.isoformat(),
                "claims": [
                    {
                        "curriculum": o.curriculum.slug,
                        "version": o.curriculum.version,
                        "code": o.code,
                    }
                    for o in entry.claims
                ],
                "attachments": attachments,
                "signoffs": signoffs.get(item.id, []),
            }
        )
    document = {
        "format": FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "trainee": {"name": enrolment.trainee.name, "email": enrolment.trainee.email},
        "enrolment": {
            "curriculum": enrolment.curriculum.slug,
            "curriculum_version": enrolment.curriculum.version,
            "organisation": enrolment.organisation.code,
            "start_date": enrolment.start_date.isoformat(),
            "expected_end_date": enrolment.expected_end_date.isoformat(),
            "status": enrolment.status,
            "contracted_hours_per_week": enrolment.contracted_hours_per_week,
        },
        "evidence": evidence,
        "audit_events": [_event_json(e) for e in content.history],
    }
    return document, files


def badge(
    enrolment: Enrolment,
    outcome: Outcome,
    signoff: SignOff,
    evidence: Evidence,
) -> dict:
    """An Open Badges 3.0 credential for one signed-off outcome (unsigned).

    The earner is named by a pseudonymous ``urn:uuid`` of the enrolment and a salted
    hash of their email, never the email itself.
    """
    salt = hashlib.sha256(f"{signoff.id}:{outcome.code}".encode()).hexdigest()[:16]
    identity = hashlib.sha256((enrolment.trainee.email + salt).encode()).hexdigest()
    item_id = case_uuid(outcome.origin_slug, outcome.code)
    target = urls.external_url(
        "curriculum.outcome",
        slug=outcome.curriculum.slug,
        code=outcome.code,
        version=outcome.curriculum.version,
    )
    return {
        "@context": badges.OB_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid5(uuid.UUID(item_id), signoff.id)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": badges.issuer_summary(),
        "validFrom": signoff.decided_at.isoformat(),
        "name": f"{outcome.code}: {outcome.title}",
        "credentialSubject": {
            "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'enrolment:' + enrolment.id)}",
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": f"sha256${identity}",
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"urn:uuid:{item_id}",
                "type": ["Achievement"],
                "name": outcome.title,
                "description": outcome.description or outcome.title,
                "criteria": {
                    "narrative": (
                        f"Signed off by {signoff.assessor.name} "
                        f"({enrolment.organisation.name}) on evidence '{evidence.title}'."
                    )
                },
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": outcome.title,
                        "targetCode": outcome.code,
                        "targetFramework": outcome.curriculum.title,
                        "targetType": "CFItem",
                        "targetUrl": target,
                    }
                ],
            },
        },
        "evidence": [
            {
                "id": f"urn:uuid:{uuid.uuid5(uuid.UUID(item_id), evidence.id)}",
                "type": ["Evidence"],
                "name": evidence.title,
            }
        ],
    }


def build_bundle(export: Export) -> tuple[bytes, str, str, dict]:
    from portfolio.exports.pdf import render_pdf
    from portfolio.exports.services import portfolio_html
    from portfolio.exports.services import public_url

    enrolment = export.enrolment
    if enrolment is None:
        raise NotFound("This export's enrolment no longer exists.")
    content = build_portfolio(enrolment)
    pdf, _ = render_pdf(portfolio_html(export, content))
    document, files = portfolio_document(enrolment, content)
    members: dict[str, bytes] = {
        "portfolio.pdf": pdf,
        "portfolio.json": json.dumps(document, indent=2, ensure_ascii=False).encode(),
    }
    base = public_url("/")
    slugs = {
        (o.curriculum.slug, o.curriculum.version)
        for entry in content.entries
        for o in entry.claims
    }
    slugs.add((enrolment.curriculum.slug, enrolment.curriculum.version))
    for slug, version in sorted(slugs):
        curriculum = curricula.get_curriculum(slug, version)
        if curriculum is None:
            raise NotFound(f"No curriculum {slug} {version}.")
        package = curricula.case_package(curriculum, base)
        members[f"curricula/{slug}-{version}.case.json"] = json.dumps(
            package, indent=2, ensure_ascii=False
        ).encode()
    for entry in content.entries:
        if entry.signoff is None:
            continue
        for outcome in entry.claims:
            credential = badge(enrolment, outcome, entry.signoff, entry.evidence)
            # Its revocation bit, set when the sign-off is superseded.
            credential["credentialStatus"] = status_list.entry(
                credential["id"], entry.signoff.id
            )
            name = f"badges/{outcome.curriculum.slug}/{outcome.code}-{entry.evidence.id}.jwt"
            # OB 3.0 "File Format": a VC-JWT file holds the Compact JWS string.
            members[name] = badges.sign_credential(credential).encode()
    for name, path in files.items():
        members[name] = path.read_bytes()
    manifest = {
        "format": FORMAT,
        "created_at": document["exported_at"],
        "installation": {
            "name": signing.installation_name(),
            "public_key": signing.own_public_key(),
            "url": base,
        },
        "files": {
            name: hashlib.sha256(data).hexdigest()
            for name, data in sorted(members.items())
        },
    }
    manifest_bytes = json.dumps(manifest, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr(signing.SIGNATURE_MEMBER, signing.sign(manifest_bytes))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    filename = f"portfolio-bundle-{enrolment.curriculum.slug}-{content.generated_on.isoformat()}.zip"
    summary = {**content.summary(), "kind": "Portable portfolio bundle"}
    return buffer.getvalue(), filename, "application/zip", summary


# ---- import (bundle_import.py) -------------------------------------------------------
