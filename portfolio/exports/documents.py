"""Build the content of exported portfolios and registration packs (no rendering here).

Queries are eager and bounded: one for the evidence with claims, sign-offs and
attachments, one for the audit history, whatever the portfolio's size.
"""

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portfolio.audit.models import AuditEvent
from portfolio.curriculum.models import CrosswalkLink
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.kinds import ASSESSOR_TEXT_FIELDS
from portfolio.evidence.kinds import KIND_LABELS
from portfolio.evidence.kinds import OVERALL
from portfolio.evidence.kinds import PREVIOUS_FLOW_LABEL
from portfolio.evidence.kinds import RATINGS
from portfolio.evidence.kinds import WBA_DOMAINS
from portfolio.evidence.kinds import WBA_KINDS
from portfolio.evidence.kinds import text_fields
from portfolio.evidence.markdown import render
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.evidence.services import content_hash
from portfolio.extensions import db
from portfolio.progress import tracking
from portfolio.signoff.models import ExternalAssessor
from portfolio.signoff.models import ImportedSignOff
from portfolio.signoff.models import SignOff

# Which standards a registration pack is arranged by, per route.
REGISTRATION_STANDARDS = {
    "clinical_scientist": ("hcpc-sop-cs", "gsp"),
    "clinical_technologist": ("rct-scopes",),
}


@dataclass
class EvidenceEntry:
    evidence: Evidence
    claims: list[Outcome]
    answers: list[tuple[str, str]]
    ratings: list[tuple[str, str]]
    body_html: str
    signoff: SignOff | None
    content_hash: str
    hash_matches: bool
    # For a DOPS, OCE or CBD: who completed the ratings and comments, in words.
    rated_by: str = ""
    # Decisions another installation made, imported with the evidence (labelled,
    # never counted as sign-offs here).
    imported_signoffs: list[ImportedSignOff] = field(default_factory=list)


@dataclass
class PortfolioContent:
    enrolment: Enrolment
    generated_on: date
    standing: tracking.Standing
    entries: list[EvidenceEntry]
    history: list[AuditEvent]
    assessors: list[tuple[str, int]]
    coverage: list[dict] = field(default_factory=list)
    route: str | None = None

    @property
    def attachments(self):
        return [
            (entry.evidence, a)
            for entry in self.entries
            for a in entry.evidence.attachments
        ]

    def summary(self) -> dict:
        """What the verification page may show about the file (no evidence content)."""
        e = self.enrolment
        return {
            "trainee": e.trainee.name,
            "programme": e.curriculum.title,
            "curriculum": f"{e.curriculum.slug} {e.curriculum.version}",
            "organisation": e.organisation.name,
            "evidence_items": len(self.entries),
            "percent_complete": self.standing.progress.percent_complete,
            "generated_on": self.generated_on.isoformat(),
        }


def _answers(evidence: Evidence, signoff: SignOff | None) -> tuple[list, list, str]:
    """The answers, the ratings and, for a WBA, who completed the ratings.

    A DOPS, OCE or CBD's assessor completes its ratings and comments when signing
    it off (kept on the sign-off); one recorded under the previous flow carries
    the trainee's own, and says so.
    """
    form = evidence.form or {}
    answers = [
        (spec.label, form[spec.name])
        for spec in text_fields(evidence.kind)
        if form.get(spec.name)
    ]
    if evidence.kind == "otj" and form.get("hours") is not None:
        answers.insert(0, ("Hours", f"{form['hours']:g}"))
    if evidence.kind == "msf" and form.get("raters"):
        answers.insert(0, ("Number of raters", str(form["raters"])))
    domains = WBA_DOMAINS.get(evidence.kind, {})
    if evidence.kind not in WBA_KINDS:
        return answers, [], ""
    assessment = signoff.assessment if signoff is not None else None
    if signoff is not None and assessment:
        given = assessment.get("ratings", {})
        who = signoff.assessor
        by_link = (
            f" ({who.role}; {who.registration}; no account, by a single-use link "
            f"emailed to {who.email})"
            if isinstance(who, ExternalAssessor)
            else ""
        )
        rated_by = (
            f"Context recorded by the trainee, {evidence.owner.name}. Ratings, "
            f"overall judgement and comments completed by the assessor, "
            f"{who.name}{by_link}, on {signoff.decided_at:%d %B %Y}."
        )
        if signoff.countersigned_by is not None and signoff.countersigned_at:
            rated_by += (
                f" Countersigned by the training officer, "
                f"{signoff.countersigned_by.name}, on "
                f"{signoff.countersigned_at:%d %B %Y}."
            )
        answers.append(
            (
                "Overall judgement (assessor)",
                OVERALL.get(str(assessment.get("overall")), ""),
            )
        )
        for spec in ASSESSOR_TEXT_FIELDS:
            if assessment.get(spec.name):
                answers.append((f"{spec.label} (assessor)", assessment[spec.name]))
        answers.append(("Assessor declaration", assessment.get("declaration", "")))
    else:
        given = form.get("ratings", {})
        rated_by = (
            f"{PREVIOUS_FLOW_LABEL}: ratings and comments entered by the trainee, "
            f"{evidence.owner.name}."
        )
        for name, label in (
            ("strengths", "Strengths shown (trainee)"),
            ("development", "Points for development (trainee)"),
        ):
            if form.get(name):
                answers.append((label, form[name]))
        if form.get("assessor_declaration"):
            answers.append(("Assessor declaration", form["assessor_declaration"]))
    ratings = [
        (label, RATINGS.get(given.get(key), "Not rated"))
        for key, label in domains.items()
    ]
    return answers, ratings, rated_by


def signed_evidence(enrolment: Enrolment) -> list[Evidence]:
    """The trainee's signed-off evidence claimed against this enrolment's curriculum."""
    claimed_here = (
        sa.select(OutcomeClaim.evidence_id)
        .join(Outcome, Outcome.id == OutcomeClaim.outcome_id)
        .where(Outcome.curriculum_id == enrolment.curriculum_id)
    )
    return list(
        db.session.scalars(
            sa.select(Evidence)
            .options(selectinload(Evidence.claims), selectinload(Evidence.attachments))
            .where(
                Evidence.owner_id == enrolment.trainee_id,
                Evidence.status == "signed_off",
                Evidence.id.in_(claimed_here),
            )
            .order_by(Evidence.occurred_on, Evidence.created_at)
        )
    )


def build_portfolio(enrolment: Enrolment, route: str | None = None) -> PortfolioContent:
    today = date.today()
    items = signed_evidence(enrolment)
    ids = [e.id for e in items]
    signoffs: dict[str, SignOff] = {}
    signoff: SignOff | None
    for signoff in db.session.scalars(
        sa.select(SignOff)
        .where(
            SignOff.evidence_id.in_(ids),
            SignOff.decision == "approved",
            SignOff.superseded_at.is_(None),
        )
        .order_by(SignOff.decided_at)
    ):
        signoffs[signoff.evidence_id] = signoff
    imported: dict[str, list[ImportedSignOff]] = defaultdict(list)
    imported_ids = [e.id for e in items if e.imported_from_id]
    if imported_ids:
        for record in db.session.scalars(
            sa.select(ImportedSignOff)
            .where(ImportedSignOff.evidence_id.in_(imported_ids))
            .order_by(ImportedSignOff.decided_at)
        ):
            imported[record.evidence_id].append(record)
    entries = []
    assessor_counts: dict[str, int] = defaultdict(int)
    for evidence in items:
        signoff = signoffs.get(evidence.id)
        answers, ratings, rated_by = _answers(evidence, signoff)
        current = content_hash(evidence, signoff.assessment if signoff else None)
        if signoff:
            assessor_counts[signoff.assessor.name] += 1
        entries.append(
            EvidenceEntry(
                evidence=evidence,
                claims=sorted(
                    (c.outcome for c in evidence.claims),
                    key=lambda o: (o.curriculum.slug, o.code),
                ),
                answers=answers,
                ratings=ratings,
                rated_by=rated_by,
                body_html=render(evidence.body),
                signoff=signoff,
                content_hash=current,
                # The signed hash is re-checked at export: a mismatch means the row
                # changed after sign-off, and the PDF says so.
                hash_matches=signoff is not None and signoff.content_hash == current,
                imported_signoffs=imported.get(evidence.id, []),
            )
        )
    history = list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                sa.or_(
                    sa.and_(
                        AuditEvent.object_type == "evidence",
                        AuditEvent.object_id.in_(ids),
                    ),
                    sa.and_(
                        AuditEvent.object_type == "enrolment",
                        AuditEvent.object_id == enrolment.id,
                    ),
                )
            )
            .order_by(AuditEvent.seq)
        )
    )
    content = PortfolioContent(
        enrolment=enrolment,
        generated_on=today,
        standing=tracking.standing(enrolment, today),
        entries=entries,
        history=history,
        assessors=sorted(assessor_counts.items()),
        route=route,
    )
    if route:
        content.coverage = coverage(entries, REGISTRATION_STANDARDS[route])
    return content


def default_route(enrolment: Enrolment) -> str:
    return (
        "clinical_technologist"
        if enrolment.curriculum.kind == "clinical-technologist"
        else "clinical_scientist"
    )


def coverage(
    entries: list[EvidenceEntry], standard_slugs: tuple[str, ...]
) -> list[dict]:
    """For each standard: the evidence that supports it (through crosswalks), or a gap.

    Evidence supports a standard when one of its claimed outcomes maps to it in a
    crosswalk, or when it was claimed against the standard directly.
    """
    current = {
        c.slug: c
        for c in db.session.scalars(
            sa.select(Curriculum).where(
                Curriculum.slug.in_(standard_slugs), Curriculum.is_current.is_(True)
            )
        )
    }
    standards = {
        slug: list(
            db.session.scalars(
                sa.select(Outcome)
                .where(Outcome.curriculum_id == c.id, Outcome.retired.is_(False))
                .order_by(Outcome.position)
            )
        )
        for slug, c in current.items()
    }
    keys = {(o.origin_slug, o.code) for e in entries for o in e.claims} | {
        (o.curriculum.slug, o.code) for e in entries for o in e.claims
    }
    links = db.session.scalars(
        sa.select(CrosswalkLink).where(CrosswalkLink.to_slug.in_(standard_slugs))
    ).all()
    targets: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for link in links:
        if (link.from_slug, link.from_code) in keys:
            targets[(link.from_slug, link.from_code)].add((link.to_slug, link.to_code))
    supports: dict[tuple[str, str], list[EvidenceEntry]] = defaultdict(list)
    for entry in entries:
        hit = set()
        for outcome in entry.claims:
            for key in (
                (outcome.origin_slug, outcome.code),
                (outcome.curriculum.slug, outcome.code),
            ):
                hit |= targets.get(key, set())
            if outcome.curriculum.slug in standard_slugs:
                hit.add((outcome.curriculum.slug, outcome.code))
        for key in hit:
            supports[key].append(entry)
    sections = []
    for slug in standard_slugs:
        if slug not in current:
            continue
        rows = [
            {
                "code": s.code,
                "title": s.title,
                "evidence": supports.get((slug, s.code), []),
            }
            for s in standards[slug]
            if s.countable or s.type in ("domain", "standard", "scope")
        ]
        sections.append(
            {
                "slug": slug,
                "title": current[slug].title,
                "rows": rows,
                "gaps": [r for r in rows if not r["evidence"]],
            }
        )
    return sections


KIND_NAMES = KIND_LABELS
