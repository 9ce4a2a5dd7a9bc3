"""Evidence rules: recording, editing, claims across curricula, and content hashes."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.enrolments.models import Enrolment
from portfolio.evidence import kinds
from portfolio.evidence.models import BODY_MAX
from portfolio.evidence.models import KINDS
from portfolio.evidence.models import TITLE_MAX
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.evidence.types import RECORDABLE
from portfolio.extensions import db
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import NotFound


def one_decision_wins(func):
    """Turn a lost optimistic-lock race (raised at flush or commit) into Conflict."""

    @wraps(func)
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except StaleDataError as error:
            db.session.rollback()
            raise Conflict(
                "Someone else changed this evidence at the same moment. Reload and try again."
            ) from error

    return wrapped


@dataclass
class ClaimRef:
    curriculum: str  # slug
    code: str


@dataclass
class EvidenceInput:
    """What a trainee may set on evidence. ``None`` means "leave as it is" on edits."""

    title: str | None = None
    kind: str | None = None
    occurred_on: date | str | None = None
    body: str | None = None
    form: dict | None = None
    claims: list[ClaimRef] | None = None
    # A reflection written on one of the trainee's assessed items (its id).
    reflects_on: str | None = None


def load_visible(actor: User, evidence_id: str, for_update: bool = False) -> Evidence:
    """Evidence ``actor`` may see, or NotFound (never revealing that it exists)."""
    query = policy.visible_evidence(actor).where(Evidence.id == evidence_id)
    evidence = db.session.scalar(query)
    if evidence is None:
        raise NotFound("No such evidence.")
    return evidence


def enrolled_curricula(owner_id: str) -> dict[str, Curriculum]:
    """The curriculum versions the owner is enrolled on (not withdrawn), by slug."""
    rows = db.session.scalars(
        sa.select(Curriculum)
        .join(Enrolment, Enrolment.curriculum_id == Curriculum.id)
        .where(Enrolment.trainee_id == owner_id, Enrolment.status != "withdrawn")
    )
    return {c.slug: c for c in rows}


def _parse_date(value, errors: FieldErrors) -> date | None:
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value))
        except ValueError:
            errors.add(
                "occurred_on", "Enter the date as YYYY-MM-DD, for example 2026-03-14"
            )
            return None
    if parsed > date.today() + timedelta(days=1):
        errors.add("occurred_on", "The date cannot be in the future")
    if parsed.year < 1990:
        errors.add("occurred_on", "The date must be in 1990 or later")
    return parsed


def _resolve_claims(
    owner_id: str, claims: list[ClaimRef], errors: FieldErrors
) -> list[Outcome]:
    """Outcomes for claims, which must be in curricula the owner is enrolled on."""
    enrolled = enrolled_curricula(owner_id)
    wanted: dict[tuple[str, str], int] = {}
    for index, claim in enumerate(claims):
        if claim.curriculum not in enrolled:
            errors.add(
                f"claims[{index}].curriculum",
                f"You are not enrolled on {claim.curriculum!r}",
            )
        else:
            wanted[(claim.curriculum, claim.code)] = index
    if not wanted:
        return []
    by_curriculum_id = {c.id: slug for slug, c in enrolled.items()}
    rows = db.session.scalars(
        sa.select(Outcome).where(
            Outcome.curriculum_id.in_(list(by_curriculum_id)),
            Outcome.code.in_({code for _, code in wanted}),
        )
    )
    found = {}
    for outcome in rows:
        key = (by_curriculum_id[outcome.curriculum_id], outcome.code)
        if key in wanted:
            found[key] = outcome
    for key, index in wanted.items():
        if key not in found:
            errors.add(
                f"claims[{index}].code", f"{key[1]!r} is not an outcome of {key[0]}"
            )
        elif found[key].retired:
            errors.add(
                f"claims[{index}].code", f"{key[1]} has been retired from {key[0]}"
            )
    return list(found.values())


def _check_otj_date(owner_id: str, occurred_on: date, errors: FieldErrors) -> None:
    """Off-the-job hours cannot be logged after the apprentice's gateway."""
    gateway = db.session.scalar(
        sa.select(sa.func.min(Enrolment.gateway_date)).where(
            Enrolment.trainee_id == owner_id,
            Enrolment.gateway_date.is_not(None),
            Enrolment.status != "withdrawn",
        )
    )
    if gateway is not None and occurred_on > gateway:
        errors.add(
            "occurred_on",
            f"Off-the-job training cannot be recorded after gateway ({gateway:%d %B %Y})",
        )


def _check_basics(data: EvidenceInput, errors: FieldErrors, creating: bool) -> None:
    if creating or data.title is not None:
        title = (data.title or "").strip()
        if not title:
            errors.add("title", "Enter a title")
        elif len(title) > TITLE_MAX:
            errors.add("title", f"The title must be {TITLE_MAX} characters or fewer")
    if creating and data.kind in KINDS and data.kind not in RECORDABLE:
        errors.add(
            "kind",
            "Multi-source feedback comes from a feedback round: start one on the "
            "Multi-source feedback page, and its collated results become the evidence",
        )
    elif creating and data.kind not in KINDS:
        errors.add("kind", f"Kind must be one of {', '.join(RECORDABLE)}")
    if data.body is not None and len(data.body) > BODY_MAX:
        errors.add("body", f"The text must be {BODY_MAX:,} characters or fewer")


def create_evidence(owner: User, data: EvidenceInput, commit: bool = True) -> Evidence:
    """Record a new draft. Only trainees record evidence (about themselves).

    ``commit=False`` leaves the transaction open for the caller to add to (the
    draft's files, ``attachments.save_with_files``) and commit once.
    """
    if not policy.can_record_evidence(owner):
        raise Forbidden("Only trainees record evidence.")
    errors = FieldErrors()
    _check_basics(data, errors, creating=True)
    occurred_on = _parse_date(data.occurred_on, errors) if data.occurred_on else None
    if data.occurred_on is None:
        errors.add("occurred_on", "Enter the date it happened")
    form = (
        kinds.validate_form(data.kind, data.form, errors) if data.kind in KINDS else {}
    )
    outcomes = _resolve_claims(owner.id, data.claims or [], errors)
    if data.kind == "otj" and occurred_on is not None:
        _check_otj_date(owner.id, occurred_on, errors)
    reflects_on = _reflection_target(owner, data, errors)
    errors.raise_if_any()
    assert data.title is not None  # _check_basics(creating=True) requires a title
    evidence = Evidence(
        owner_id=owner.id,
        kind=data.kind,
        title=data.title.strip(),
        occurred_on=occurred_on,
        body=data.body or "",
        form=form,
        reflects_on_id=reflects_on.id if reflects_on else None,
    )
    evidence.claims = [OutcomeClaim(outcome=o) for o in outcomes]
    db.session.add(evidence)
    db.session.flush()
    audit.record(
        owner,
        "evidence.created",
        "evidence",
        evidence.id,
        kind=evidence.kind,
        title=evidence.title,
        claims=claim_keys(evidence),
    )
    if commit:
        db.session.commit()
    return evidence


def _reflection_target(
    owner: User, data: EvidenceInput, errors: FieldErrors
) -> Evidence | None:
    if not data.reflects_on:
        return None
    target = db.session.get(Evidence, data.reflects_on)
    if target is None or target.owner_id != owner.id:
        errors.add("reflects_on", "No such assessment of yours")
        return None
    if data.kind != "reflection":
        errors.add("reflects_on", "Only a reflection can be linked to an assessment")
    elif not policy.can_reflect_on(owner, target):
        errors.add(
            "reflects_on",
            "You can link a reflection to a DOPS, OCE, CBD or MSF once it is signed off",
        )
    return target


def start_reflection(owner: User, target: Evidence) -> Evidence:
    """A reflection draft on a signed-off assessment, claiming the same outcomes."""
    if not policy.can_reflect_on(owner, target):
        raise Forbidden(
            "You can add a reflection to your own DOPS, OCE, CBD or MSF once it is "
            "signed off."
        )
    return create_evidence(
        owner,
        EvidenceInput(
            title=f"Reflection on: {target.title}"[:TITLE_MAX],
            kind="reflection",
            occurred_on=date.today(),
            claims=[
                ClaimRef(c.outcome.curriculum.slug, c.outcome.code)
                for c in target.claims
                if c.outcome.curriculum.slug in enrolled_curricula(owner.id)
            ],
            reflects_on=target.id,
        ),
    )


def reflections_on(evidence: Evidence) -> list[Evidence]:
    """The owner's reflections linked to this item (drafts only for the owner's
    eyes: the caller shows them on the owner's page)."""
    return list(
        db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.reflects_on_id == evidence.id)
            .order_by(Evidence.created_at)
        )
    )


@one_decision_wins
def update_evidence(
    actor: User, evidence: Evidence, data: EvidenceInput, commit: bool = True
) -> Evidence:
    """Edit a draft or returned item; editing returned evidence makes it a draft again.

    ``commit=False`` as for :func:`create_evidence`.
    """
    if evidence.owner_id != actor.id:
        raise Forbidden("Only the person who recorded this evidence can change it.")
    if not evidence.editable:
        raise Conflict(
            "Signed-off evidence cannot be changed; ask a training lead to unlock it."
            if evidence.status == "signed_off"
            else "This evidence is waiting for sign-off; withdraw it first to change it."
        )
    errors = FieldErrors()
    _check_basics(data, errors, creating=False)
    occurred_on = (
        _parse_date(data.occurred_on, errors) if data.occurred_on is not None else None
    )
    form = (
        kinds.validate_form(evidence.kind, data.form, errors)
        if data.form is not None
        else None
    )
    outcomes = (
        _resolve_claims(evidence.owner_id, data.claims, errors)
        if data.claims is not None
        else None
    )
    if evidence.kind == "otj" and occurred_on is not None:
        _check_otj_date(evidence.owner_id, occurred_on, errors)
    errors.raise_if_any()
    before = snapshot(evidence)
    if data.title is not None:
        evidence.title = data.title.strip()
    if occurred_on is not None:
        evidence.occurred_on = occurred_on
    if data.body is not None:
        evidence.body = data.body
    if form is not None:
        # What a trainee rated under the previous flow stays as it was recorded.
        evidence.form = {**kinds.previous_flow_answers(evidence.form), **form}
    if outcomes is not None:
        keep = {c.outcome_id: c for c in evidence.claims}
        evidence.claims = [keep.get(o.id) or OutcomeClaim(outcome=o) for o in outcomes]
    after = snapshot(evidence)
    changed = sorted(k for k in after if after[k] != before[k])
    if evidence.status == "returned":
        evidence.status = "draft"
        changed.append("status")
    if changed:
        audit.record(actor, "evidence.edited", "evidence", evidence.id, changed=changed)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return evidence


def claim_keys(evidence: Evidence) -> list[str]:
    """Claims as stable strings: ``slug:version:code``."""
    return sorted(c.key for c in evidence.claims)


def signed_claim_keys(evidence: Evidence) -> list[str]:
    """Claims as signed: a claim a code mapping moved keeps the key it had."""
    return sorted(c.signed_as or c.key for c in evidence.claims)


def snapshot(evidence: Evidence) -> dict:
    return {
        "title": evidence.title,
        "occurred_on": evidence.occurred_on.isoformat()
        if evidence.occurred_on
        else None,
        "body": evidence.body,
        "form": evidence.form,
        "claims": signed_claim_keys(evidence),
    }


def content_hash(evidence: Evidence, assessment: dict | None = None) -> str:
    """SHA-256 of exactly what an assessor signs: text, answers, claims, file hashes,
    and for a DOPS, OCE or CBD the assessor's own part (``assessment``)."""
    document = {
        "id": evidence.id,
        "version": evidence.version,
        "kind": evidence.kind,
        **snapshot(evidence),
        "attachments": sorted(a.sha256 for a in evidence.attachments),
    }
    if assessment is not None:
        document["assessment"] = assessment
    canonical = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_deletable(actor: User, evidence: Evidence) -> None:
    """Refuse, as :func:`delete_draft` would, unless ``actor`` may delete it now."""
    if evidence.owner_id != actor.id:
        raise Forbidden("Only the person who recorded this evidence can delete it.")
    if not policy.can_delete_draft(actor, evidence):
        raise Conflict("Only drafts that were never signed off can be deleted.")


def delete_draft(actor: User, evidence: Evidence) -> None:
    """Delete a draft that was never signed off (its files go with it)."""
    from portfolio.evidence.attachments import delete_files

    check_deletable(actor, evidence)
    stored = [a.stored_name for a in evidence.attachments]
    audit.record(
        actor, "evidence.deleted", "evidence", evidence.id, title=evidence.title
    )
    db.session.delete(evidence)
    db.session.commit()
    delete_files(stored)


def list_evidence(
    actor: User,
    owner_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    curriculum: str | None = None,
) -> sa.Select:
    """A query of evidence ``actor`` may see, filtered, newest event first."""
    query = policy.visible_evidence(actor)
    if owner_id:
        query = query.where(Evidence.owner_id == owner_id)
    if status:
        query = query.where(Evidence.status == status)
    if kind:
        query = query.where(Evidence.kind == kind)
    if curriculum:
        claimed = (
            sa.select(OutcomeClaim.evidence_id)
            .join(Outcome, Outcome.id == OutcomeClaim.outcome_id)
            .join(Curriculum, Curriculum.id == Outcome.curriculum_id)
            .where(Curriculum.slug == curriculum)
        )
        query = query.where(Evidence.id.in_(claimed))
    return query.order_by(Evidence.occurred_on.desc(), Evidence.created_at.desc())
