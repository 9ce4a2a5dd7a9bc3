"""``flask export import``: load a checked bundle into this installation, or nothing.

What a bundle can and cannot do here (docs/exports.md has the admin's view):

- Its history stays imported history. Evidence arrives as drafts that point at the
  ``BundleImport`` they came with; the bundle's sign-offs become ``ImportedSignOff``
  rows that name the bundle's assessor as text, never a local account. Nothing that
  counts approvals (progress, exports, verification, the sign-off queue) reads
  them: imported evidence counts once a supervisor here signs it off.
- It cannot add to an existing account unless the admin says so for that account
  (``--link-existing EMAIL`` or ``--link-existing-all``).
- Its curricula never replace an installed one or become current: the same id and
  version is reused as installed; a version not installed is added as a non-current
  version marked with the installation it came from.
- It cannot be loaded twice, nor duplicate an enrolment (same trainee, curriculum
  and start date).

Everything is written in one transaction; attachment files written before a failure
are removed again.
"""

import os
import secrets
from collections.abc import Iterable
from datetime import date
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import SQLAlchemyError

from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.curriculum import services as curricula
from portfolio.curriculum.case import CaseImportError
from portfolio.curriculum.files import CurriculumFileError
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.enrolments.models import Enrolment
from portfolio.evidence import attachments as files
from portfolio.evidence.kinds import WBA_KINDS
from portfolio.evidence.kinds import context_answers
from portfolio.evidence.kinds import previous_flow_answers
from portfolio.evidence.kinds import validate_form
from portfolio.evidence.models import Attachment
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.exports.bundle import BundleError
from portfolio.exports.bundle_read import PORTFOLIO
from portfolio.exports.bundle_read import OpenedBundle
from portfolio.exports.bundle_read import open_bundle
from portfolio.exports.models import BundleImport
from portfolio.exports.models import ImportedHistory
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.progress.tracking import refresh_progress
from portfolio.rules import FieldErrors
from portfolio.signoff.models import ImportedSignOff


def import_bundle(
    path: Path,
    link_existing: Iterable[str] = (),
    link_all: bool = False,
    allow_untrusted: bool = False,
) -> str:
    """Check and load one bundle; return a one-line summary, or raise BundleError."""
    bundle = open_bundle(path, allow_untrusted)
    problems = document_problems(bundle)
    if problems:
        raise BundleError(
            f"{PORTFOLIO} cannot be imported ({len(problems)} problem(s))", problems
        )
    links = {email.strip().lower() for email in link_existing}
    written: list[Path] = []
    try:
        summary = _load(bundle, links, link_all, written)
        db.session.commit()
    except BaseException as error:
        db.session.rollback()
        for target in written:
            target.unlink(missing_ok=True)
        if isinstance(error, IntegrityError) and _already_imported(bundle.sha256):
            raise BundleError("this bundle has already been imported") from error
        if isinstance(error, SQLAlchemyError):
            raise BundleError(
                f"the database refused the bundle's data: {getattr(error, 'orig', error)}"
            ) from error
        raise
    return summary


# ---- checks that need no database ------------------------------------------------------


def document_problems(bundle: OpenedBundle) -> list[str]:
    """What is wrong with portfolio.json beyond its schema, each naming its path."""
    document = bundle.document
    problems = []
    enrolment = document["enrolment"]
    if date.fromisoformat(enrolment["expected_end_date"]) <= date.fromisoformat(
        enrolment["start_date"]
    ):
        problems.append(
            f"{PORTFOLIO}: $.enrolment.expected_end_date: must be after the start date"
        )
    seqs = set()
    for index, event in enumerate(document["audit_events"]):
        where = f"{PORTFOLIO}: $.audit_events[{index}]"
        if event["seq"] in seqs:
            problems.append(f"{where}.seq: event {event['seq']} appears twice")
        seqs.add(event["seq"])
        if event["hash"] != audit.event_hash(event["prev_hash"], event):
            problems.append(
                f"{where}: audit event {event['seq']} does not match its hash: "
                "the bundle was altered"
            )
    listed = bundle.manifest["files"]
    used = set()
    limit = files.max_bytes()
    for index, item in enumerate(document["evidence"]):
        where = f"{PORTFOLIO}: $.evidence[{index}]"
        errors = FieldErrors()
        validate_form(item["kind"], context_answers(item["form"]), errors)
        problems += [f"{where}.{e['field']}: {e['message']}" for e in errors.errors]
        for number, a in enumerate(item["attachments"]):
            at = f"{where}.attachments[{number}]"
            name = a["path"]
            if name not in listed:
                problems.append(f"{at}.path: {name} is not in the signed manifest")
                continue
            if name in used:
                problems.append(f"{at}.path: {name} is attached twice")
            used.add(name)
            if a["sha256"] != listed[name]:
                problems.append(f"{at}.sha256: does not match {name}")
            if a["size"] != bundle.sizes[name]:
                problems.append(f"{at}.size: {name} is {bundle.sizes[name]} bytes")
            if a["media_type"] not in files.ALLOWED:
                problems.append(
                    f"{at}.media_type: {a['media_type']!r} is not a type attachments "
                    f"may have ({', '.join(files.ALLOWED)})"
                )
            if bundle.sizes[name] > limit:
                problems.append(
                    f"{at}: {name} is larger than the {files.max_bytes() // 2**20} MB "
                    "upload limit (MAX_UPLOAD_MB)"
                )
    return problems


# ---- loading ------------------------------------------------------------------------------


def _already_imported(bundle_sha: str) -> BundleImport | bool | None:
    found = db.session.scalar(
        sa.select(BundleImport).where(BundleImport.bundle_sha256 == bundle_sha)
    )
    if found is not None:
        return found
    # Bundles imported before BundleImport existed left only their audit history.
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ImportedHistory)
            .where(ImportedHistory.bundle_sha256 == bundle_sha)
        )
    )


def _load(
    bundle: OpenedBundle, links: set[str], link_all: bool, written: list[Path]
) -> str:
    document = bundle.document
    data = document["enrolment"]
    previous = _already_imported(bundle.sha256)
    if previous:
        when = (
            f" on {previous.imported_at:%d %B %Y}"
            if isinstance(previous, BundleImport)
            else ""
        )
        raise BundleError(f"this bundle has already been imported{when}")
    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.code == data["organisation"])
    )
    if organisation is None:
        raise BundleError(
            f"organisation {data['organisation']} is not in this installation; "
            "import organisations first"
        )
    trainee, linked = _trainee(bundle, links, link_all)
    installed, added = _curricula(bundle)
    curriculum = installed[(data["curriculum"], data["curriculum_version"])]
    if not curriculum.enrollable:
        raise BundleError(
            f"{PORTFOLIO}: $.enrolment.curriculum: {curriculum.slug} is part of other "
            "curricula, not a programme"
        )
    start = date.fromisoformat(data["start_date"])
    if linked:
        _refuse_duplicate_enrolment(trainee, curriculum, start)
    else:
        db.session.add(trainee)
    if not trainee.has_role("trainee", organisation.id):
        from portfolio.accounts.services import add_role

        add_role(trainee, "trainee", organisation.code)
    outcomes = _outcomes(document, installed)
    db.session.flush()
    source = BundleImport(
        bundle_sha256=bundle.sha256,
        installation=bundle.installation,
        public_key=bundle.public_key,
        trusted=bundle.trusted,
    )
    enrolment = Enrolment(
        trainee_id=trainee.id,
        curriculum_id=curriculum.id,
        organisation_id=organisation.id,
        start_date=start,
        expected_end_date=date.fromisoformat(data["expected_end_date"]),
        status=data["status"],
        contracted_hours_per_week=data.get("contracted_hours_per_week"),
    )
    db.session.add_all([source, enrolment])
    db.session.flush()
    source.enrolment_id = enrolment.id
    signoffs = 0
    for index, item in enumerate(document["evidence"]):
        evidence = Evidence(
            owner_id=trainee.id,
            kind=item["kind"],
            title=item["title"],
            occurred_on=date.fromisoformat(item["occurred_on"]),
            body=item["body"],
            form=_answers(item),
            # A WBA rated by its trainee there (the previous flow) keeps those
            # ratings, marked as the trainee's own.
            ratings_by_trainee=bool(_previous_flow(item)),
            # A draft here, whatever it was there: only a sign-off in this
            # installation makes it count.
            status="draft",
            version=item["version"],
            imported_from_id=source.id,
        )
        claimed = {
            outcomes[(c["curriculum"], c["version"], c["code"])].id: None
            for c in item["claims"]
        }
        evidence.claims = [OutcomeClaim(outcome_id=oid) for oid in claimed]
        db.session.add(evidence)
        db.session.flush()
        for number, attachment in enumerate(item["attachments"]):
            where = f"$.evidence[{index}].attachments[{number}]"
            _attach(bundle, evidence, attachment, where, written)
        for s in item["signoffs"]:
            db.session.add(_imported_signoff(source, evidence, s))
            signoffs += 1
    for event in document["audit_events"]:
        db.session.add(
            ImportedHistory(
                bundle_sha256=bundle.sha256,
                enrolment_id=enrolment.id,
                seq=event["seq"],
                event=event,
                prev_hash=event["prev_hash"],
                hash=event["hash"],
            )
        )
    refresh_progress(trainee.id)
    events = len(document["audit_events"])
    audit.record(
        None,
        "bundle.imported",
        "enrolment",
        enrolment.id,
        bundle_sha256=bundle.sha256,
        installation=bundle.installation,
        key=bundle.key_fingerprint,
        trusted=bundle.trusted,
        linked_account=trainee.email if linked else None,
        curricula_added=added,
        evidence=len(document["evidence"]),
        signoffs=signoffs,
        events=events,
        created_at=bundle.manifest["created_at"],
    )
    return (
        f"imported {trainee.email}"
        + (" (linked to the existing account)" if linked else "")
        + f": enrolment {enrolment.id} on {curriculum.slug} {curriculum.version}, "
        f"{len(document['evidence'])} evidence item(s) as drafts, {signoffs} "
        f"sign-off(s) and {events} audit event(s) kept as history {source.label}"
        + (
            f"; curricula added as non-current versions: {', '.join(added)}"
            if added
            else ""
        )
    )


def _trainee(
    bundle: OpenedBundle, links: set[str], link_all: bool
) -> tuple[User, bool]:
    """The bundle's trainee here: a new account, or an existing one the admin linked."""
    person = bundle.document["trainee"]
    email = person["email"].strip().lower()
    unknown = sorted(links - {email})
    if unknown:
        raise BundleError(
            f"--link-existing {unknown[0]}: nobody in the bundle has that email "
            f"(its trainee is {email})"
        )
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is None:
        return User(email=email, name=person["name"]), False
    if not (link_all or email in links):
        raise BundleError(
            "people in the bundle who already have an account in this installation: "
            f"{email} ({existing.name}). To add the bundle's "
            f"enrolment and evidence to that account, run again with --link-existing "
            f"{email} (or --link-existing-all); the bundle's sign-offs stay history "
            f"imported from {bundle.installation} either way"
        )
    return existing, True


def _refuse_duplicate_enrolment(trainee: User, curriculum: Curriculum, start: date):
    duplicate = db.session.scalar(
        sa.select(Enrolment)
        .join(Curriculum, Curriculum.id == Enrolment.curriculum_id)
        .where(
            Enrolment.trainee_id == trainee.id,
            Curriculum.slug == curriculum.slug,
            Enrolment.start_date == start,
        )
    )
    if duplicate is not None:
        raise BundleError(
            f"{trainee.email} already has an enrolment on {curriculum.slug} starting "
            f"{start:%d %B %Y} (enrolment {duplicate.id})"
        )


def _curricula(
    bundle: OpenedBundle,
) -> tuple[dict[tuple[str, str], Curriculum], list[str]]:
    """Every curriculum version the bundle refers to: installed, or added non-current."""
    document = bundle.document
    needed = {
        (
            document["enrolment"]["curriculum"],
            document["enrolment"]["curriculum_version"],
        )
    } | {
        (c["curriculum"], c["version"])
        for item in document["evidence"]
        for c in item["claims"]
    }
    carried = {}
    for name, package in bundle.case_packages.items():
        head = package["CFDocument"]
        carried[(head["extensions"]["mpce"]["slug"], head["version"])] = (name, package)
    source = bundle.installation + ("" if bundle.trusted else " (unverified source)")
    installed, added = {}, []
    for slug, version in sorted(needed):
        curriculum = curricula.get_curriculum(slug, version)
        if curriculum is None:
            if (slug, version) not in carried:
                raise BundleError(
                    f"curriculum {slug} {version} is not installed here and the "
                    "bundle does not carry it"
                )
            name, package = carried[(slug, version)]
            try:
                curriculum = curricula.install_imported_version(package, name, source)
            except CaseImportError as error:
                raise BundleError(f"{name}: {error}") from error
            except CurriculumFileError as error:
                raise BundleError(
                    f"{name}: not a usable curriculum ({len(error.errors)} problem(s))",
                    [f"{name}: {problem}" for problem in error.errors],
                ) from error
            except RecursionError as error:
                raise BundleError(
                    f"{name}: its outcomes are nested too deeply"
                ) from error
            added.append(f"{slug} {version}")
        installed[(slug, version)] = curriculum
    return installed, added


def _outcomes(document: dict, installed: dict) -> dict[tuple[str, str, str], Outcome]:
    """The outcome of every claim, or a BundleError naming each claim that has none."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for item in document["evidence"]:
        for c in item["claims"]:
            wanted.setdefault((c["curriculum"], c["version"]), set()).add(c["code"])
    found = {}
    for key, codes in wanted.items():
        for outcome in db.session.scalars(
            sa.select(Outcome).where(
                Outcome.curriculum_id == installed[key].id, Outcome.code.in_(codes)
            )
        ):
            found[(*key, outcome.code)] = outcome
    problems = [
        f"{PORTFOLIO}: $.evidence[{index}].claims[{number}]: outcome "
        f"{c['code']} is not in {c['curriculum']} {c['version']}"
        for index, item in enumerate(document["evidence"])
        for number, c in enumerate(item["claims"])
        if (c["curriculum"], c["version"], c["code"]) not in found
    ]
    if problems:
        raise BundleError(
            f"{len(problems)} claim(s) name outcomes this installation lacks", problems
        )
    return found


def _previous_flow(item: dict) -> dict:
    """A WBA's ratings and comments entered by its trainee (the previous flow); the
    assessor's declaration belongs to a sign-off here, theirs is in the history."""
    if item["kind"] not in WBA_KINDS:
        return {}
    answers = previous_flow_answers(item["form"])
    answers.pop("assessor_declaration", None)
    return answers


def _answers(item: dict) -> dict:
    return {
        **validate_form(item["kind"], context_answers(item["form"]), FieldErrors()),
        **_previous_flow(item),
    }


def _attach(
    bundle: OpenedBundle,
    evidence: Evidence,
    attachment: dict,
    where: str,
    written: list[Path],
) -> None:
    """Store one attachment under the upload rules: type sniffed, name made safe."""
    name = attachment["path"]
    directory = files.storage_dir()
    temporary = directory / f".import-{secrets.token_hex(16)}"
    written.append(temporary)
    bundle.copy_member(name, temporary)
    try:
        media_type = files._sniff(temporary)  # the upload rule, unchanged
    except files.UnsupportedType as error:
        raise BundleError(
            f"{PORTFOLIO}: {where}: {name} is not a PDF, PNG, JPEG or Word file"
        ) from error
    if media_type != attachment["media_type"]:
        raise BundleError(
            f"{PORTFOLIO}: {where}.media_type: {name} is {media_type}, "
            f"not {attachment['media_type']}"
        )
    stored = secrets.token_hex(16)
    final = directory / stored
    os.replace(temporary, final)
    written.append(final)
    db.session.add(
        Attachment(
            evidence_id=evidence.id,
            filename=files.display_name(
                attachment["filename"], files.ALLOWED[media_type]
            ),
            stored_name=stored,
            media_type=media_type,
            size=bundle.sizes[name],
            sha256=attachment["sha256"],
            uploaded_by_id=evidence.owner_id,
        )
    )


def _imported_signoff(source: BundleImport, evidence: Evidence, s: dict):
    return ImportedSignOff(
        import_id=source.id,
        evidence_id=evidence.id,
        assessor_name=s["assessor"]["name"],
        assessor_email=s["assessor"]["email"].strip().lower(),
        evidence_version=s["evidence_version"],
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
