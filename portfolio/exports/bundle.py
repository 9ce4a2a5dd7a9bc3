"""The portable bundle: a zip another installation (or another tool) can load.

Contents: ``portfolio.pdf``; ``portfolio.json`` (enrolment, evidence, claims,
sign-offs, audit events); ``curricula/<id>.case.json`` (1EdTech CASE 1.1);
``badges/<curriculum>/<code>.json`` (Open Badges 3.0 credentials, one per signed-off
outcome, the achievement aligned to its CASE item); ``attachments/``; and
``manifest.json`` with the SHA-256 of every other file. Badges are unsigned
OpenBadgeCredentials: the manifest and the verification page vouch for them.
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

from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.audit.models import AuditEvent
from portfolio.curriculum import services as curricula
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.curriculum.models import case_uuid
from portfolio.evidence.attachments import file_path
from portfolio.evidence.attachments import storage_dir
from portfolio.evidence.models import Attachment
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.exports.documents import build_portfolio
from portfolio.exports.models import Export
from portfolio.exports.models import ImportedHistory
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.signoff.models import SignOff
from portfolio.training.models import Enrolment

FORMAT = "mpce-portfolio-bundle/1"
MAX_BUNDLE_BYTES = 2 * 1024**3
OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


class BundleError(ValueError):
    """The bundle cannot be loaded; nothing was imported."""


def _iso(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def _event_json(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
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
    issuer_url: str,
) -> dict:
    """An Open Badges 3.0 credential for one signed-off outcome."""
    salt = hashlib.sha256(f"{signoff.id}:{outcome.code}".encode()).hexdigest()[:16]
    identity = hashlib.sha256((enrolment.trainee.email + salt).encode()).hexdigest()
    item_id = case_uuid(outcome.origin_slug, outcome.code)
    return {
        "@context": OB_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid5(uuid.UUID(item_id), signoff.id)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer_url,
            "type": ["Profile"],
            "name": enrolment.organisation.name,
        },
        "validFrom": signoff.decided_at.isoformat(),
        "name": f"{outcome.code}: {outcome.title}",
        "credentialSubject": {
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
                    "narrative": f"Signed off by {signoff.assessor.name} on evidence '{evidence.title}'."
                },
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": outcome.title,
                        "targetCode": outcome.code,
                        "targetFramework": outcome.curriculum.title,
                        "targetType": "CFItem",
                        "targetUrl": f"{issuer_url.rstrip('/')}/api/v1/case/CFItems/{item_id}",
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
        package = curricula.case_package(curriculum, base)
        members[f"curricula/{slug}-{version}.case.json"] = json.dumps(
            package, indent=2, ensure_ascii=False
        ).encode()
    for entry in content.entries:
        if entry.signoff is None:
            continue
        for outcome in entry.claims:
            credential = badge(enrolment, outcome, entry.signoff, entry.evidence, base)
            name = f"badges/{outcome.curriculum.slug}/{outcome.code}-{entry.evidence.id}.json"
            members[name] = json.dumps(
                credential, indent=2, ensure_ascii=False
            ).encode()
    for name, path in files.items():
        members[name] = path.read_bytes()
    manifest = {
        "format": FORMAT,
        "created_at": document["exported_at"],
        "files": {
            name: hashlib.sha256(data).hexdigest()
            for name, data in sorted(members.items())
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    filename = f"portfolio-bundle-{enrolment.curriculum.slug}-{content.generated_on.isoformat()}.zip"
    summary = {**content.summary(), "kind": "Portable portfolio bundle"}
    return buffer.getvalue(), filename, "application/zip", summary


# ---- import -----------------------------------------------------------------------------


def _read(path: Path) -> tuple[dict, dict[str, bytes]]:
    if path.stat().st_size > MAX_BUNDLE_BYTES:
        raise BundleError("the bundle is too large")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise BundleError("not a zip file") from error
    with archive:
        names = archive.namelist()
        for name in names:
            if name.startswith("/") or ".." in Path(name).parts:
                raise BundleError(f"unsafe path in bundle: {name}")
        if "manifest.json" not in names:
            raise BundleError("manifest.json is missing")
        manifest = json.loads(archive.read("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise BundleError(f"unknown bundle format {manifest.get('format')!r}")
        members = {}
        for name, digest in manifest.get("files", {}).items():
            if name not in names:
                raise BundleError(f"{name} is listed in the manifest but missing")
            data = archive.read(name)
            if hashlib.sha256(data).hexdigest() != digest:
                raise BundleError(f"{name} does not match its SHA-256 in the manifest")
            members[name] = data
    return manifest, members


def _person(name: str, email: str) -> User:
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name)  # no password: they can reset it if needed
        db.session.add(user)
        db.session.flush()
    return user


def import_bundle(path: Path) -> str:
    """Load a bundle: new ids, the same content, the original audit chain kept as history."""
    from portfolio.accounts.services import add_role

    bundle_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest, members = _read(path)
    try:
        document = json.loads(members["portfolio.json"])
    except (KeyError, ValueError) as error:
        raise BundleError("portfolio.json is missing or not JSON") from error
    if db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ImportedHistory)
        .where(ImportedHistory.bundle_sha256 == bundle_sha)
    ):
        raise BundleError("this bundle has already been imported")
    for event in document.get("audit_events", []):
        if event["hash"] != _event_hash(event):
            raise BundleError(
                f"audit event {event['seq']} does not match its hash: the bundle was altered"
            )
    enrolment_data = document["enrolment"]
    organisation = db.session.scalar(
        sa.select(Organisation).where(
            Organisation.code == enrolment_data["organisation"]
        )
    )
    if organisation is None:
        raise BundleError(
            f"organisation {enrolment_data['organisation']} is not in this installation; import organisations first"
        )
    # Curricula the bundle refers to: load any this installation lacks from the CASE files.
    for name, data in members.items():
        if name.startswith("curricula/") and name.endswith(".case.json"):
            package = json.loads(data)
            ours = package["CFDocument"].get("extensions", {}).get("mpce", {})
            slug, version = ours.get("slug"), package["CFDocument"].get("version")
            if slug and curricula.get_curriculum(slug, version) is None:
                curricula.import_case_package(package, name, slug, ours.get("kind"))
    curriculum = curricula.get_curriculum(
        enrolment_data["curriculum"], enrolment_data["curriculum_version"]
    )
    if curriculum is None:
        raise BundleError(
            f"curriculum {enrolment_data['curriculum']} {enrolment_data['curriculum_version']} is not available"
        )
    trainee = _person(document["trainee"]["name"], document["trainee"]["email"])
    if not trainee.has_role("trainee", organisation.id):
        add_role(trainee, "trainee", organisation.code)
    enrolment = Enrolment(
        trainee_id=trainee.id,
        curriculum_id=curriculum.id,
        organisation_id=organisation.id,
        start_date=date.fromisoformat(enrolment_data["start_date"]),
        expected_end_date=date.fromisoformat(enrolment_data["expected_end_date"]),
        status=enrolment_data["status"],
        contracted_hours_per_week=enrolment_data.get("contracted_hours_per_week"),
    )
    db.session.add(enrolment)
    db.session.flush()
    outcome_cache: dict[tuple, Outcome] = {}

    def outcome_for(claim) -> Outcome:
        key = (claim["curriculum"], claim["version"], claim["code"])
        if key not in outcome_cache:
            found = db.session.scalar(
                sa.select(Outcome)
                .join(Curriculum, Curriculum.id == Outcome.curriculum_id)
                .where(
                    Curriculum.slug == key[0],
                    Curriculum.version == key[1],
                    Outcome.code == key[2],
                )
            )
            if found is None:
                raise BundleError(
                    f"outcome {key[0]} {key[1]} {key[2]} is not available"
                )
            outcome_cache[key] = found
        return outcome_cache[key]

    written: list[Path] = []
    try:
        for item in document["evidence"]:
            evidence = Evidence(
                owner_id=trainee.id,
                kind=item["kind"],
                title=item["title"],
                occurred_on=date.fromisoformat(item["occurred_on"]),
                body=item["body"],
                form=item["form"],
                status=item["status"],
                version=item["version"],
            )
            evidence.claims = [
                OutcomeClaim(outcome=outcome_for(c)) for c in item["claims"]
            ]
            db.session.add(evidence)
            db.session.flush()
            for a in item["attachments"]:
                data = members[a["path"]]
                stored = hashlib.sha256(
                    f"{bundle_sha}:{a['path']}".encode()
                ).hexdigest()[:32]
                target = storage_dir() / stored
                target.write_bytes(data)
                written.append(target)
                db.session.add(
                    Attachment(
                        evidence_id=evidence.id,
                        filename=a["filename"],
                        stored_name=stored,
                        media_type=a["media_type"],
                        size=len(data),
                        sha256=a["sha256"],
                        uploaded_by_id=trainee.id,
                    )
                )
            for s in item["signoffs"]:
                assessor = _person(s["assessor"]["name"], s["assessor"]["email"])
                db.session.add(
                    SignOff(
                        evidence_id=evidence.id,
                        evidence_version=s["evidence_version"],
                        assessor_id=assessor.id,
                        decision=s["decision"],
                        comment=s["comment"],
                        content_hash=s["content_hash"],
                        claims=s["claims"],
                        decided_at=datetime.fromisoformat(s["decided_at"]),
                        superseded_at=datetime.fromisoformat(s["superseded_at"])
                        if s["superseded_at"]
                        else None,
                        superseded_reason=s["superseded_reason"],
                    )
                )
        for event in document.get("audit_events", []):
            db.session.add(
                ImportedHistory(
                    bundle_sha256=bundle_sha,
                    enrolment_id=enrolment.id,
                    seq=event["seq"],
                    event=event,
                    prev_hash=event["prev_hash"],
                    hash=event["hash"],
                )
            )
        audit.record(
            None,
            "bundle.imported",
            "enrolment",
            enrolment.id,
            bundle_sha256=bundle_sha,
            evidence=len(document["evidence"]),
            events=len(document.get("audit_events", [])),
            created_at=manifest.get("created_at"),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for target in written:
            target.unlink(missing_ok=True)
        raise
    return (
        f"imported {trainee.email}: enrolment {enrolment.id} on {curriculum.slug} {curriculum.version}, "
        f"{len(document['evidence'])} evidence item(s), {len(document.get('audit_events', []))} audit event(s) kept as history"
    )


def _event_hash(event: dict) -> str:
    canonical = json.dumps(
        {
            k: event[k]
            for k in (
                "seq",
                "occurred_at",
                "actor_id",
                "actor_name",
                "action",
                "object_type",
                "object_id",
                "data",
            )
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((event["prev_hash"] + canonical).encode()).hexdigest()
