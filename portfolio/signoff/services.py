"""The sign-off workflow, as a state machine:

    draft --submit(to assessor)--> submitted --approve--> signed_off (locked)
      ^                               |  \\--return(feedback)--> returned --edit--> draft
      |--withdraw (trainee)-----------/
    signed_off --unlock(lead or admin, reason)--> draft (version + 1; sign-off superseded)

Every transition checks who is acting and the current state, writes an audit event
in the same transaction and notifies the people concerned. Evidence rows carry an
optimistic lock, so of two concurrent decisions only the first commits; the other
gets Conflict (409).
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.enrolments.services import find_person
from portfolio.evidence.kinds import WBA_KINDS
from portfolio.evidence.kinds import context_answers
from portfolio.evidence.kinds import validate_assessment
from portfolio.evidence.models import Evidence
from portfolio.evidence.services import claim_keys
from portfolio.evidence.services import content_hash
from portfolio.evidence.services import one_decision_wins
from portfolio.extensions import db
from portfolio.notifications.services import notify
from portfolio.progress.tracking import refresh_progress
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.signoff.models import ImportedSignOff
from portfolio.signoff.models import SignOff

# Text limits: enforced here for the web pages, and read by the API parsers.
COMMENT_MAX = 5000
UNLOCK_REASON_MAX = 2000
NO_SUCH_ASSESSOR = (
    "No supervisor with that email can sign off your evidence. "
    "Choose one of your current supervisors."
)
DECLARATION = (
    "I observed or discussed this activity myself, and the ratings and comments are my "
    "own judgement of the trainee's performance."
)


def _link(evidence: Evidence) -> str:
    return f"/evidence/{evidence.id}"


def _commit() -> None:
    db.session.commit()


@one_decision_wins
def submit(actor: User, evidence: Evidence, assessor_ref: str) -> Evidence:
    """Ask a named supervisor of the owner to sign the evidence off."""
    if evidence.owner_id != actor.id:
        raise Forbidden("Only the person who recorded this evidence can submit it.")
    if evidence.status not in ("draft", "returned"):
        raise Conflict(
            f"This evidence is {evidence.status.replace('_', ' ')}, so it cannot be submitted."
        )
    errors = FieldErrors()
    assessor = find_person(assessor_ref)
    if not (assessor_ref or "").strip():
        errors.add("assessor", "Choose who should sign this off")
    elif assessor is not None and assessor.id == actor.id:
        errors.add("assessor", "You cannot sign off your own evidence")
    elif assessor is None or not policy.supervises(assessor.id, actor.id):
        # The same words whether the email is unknown or not a supervisor of the
        # trainee: an error never names a person or confirms an email exists.
        errors.add("assessor", NO_SUCH_ASSESSOR)
    if not evidence.claims:
        errors.add(
            "claims",
            "Map the evidence to at least one outcome before asking for sign-off",
        )
    from portfolio.evidence.kinds import validate_form

    # Ratings a trainee gave under the previous flow are kept, not asked for again.
    validate_form(
        evidence.kind, context_answers(evidence.form), errors, for_submission=True
    )
    errors.raise_if_any("The evidence is not ready for sign-off yet.")
    assert assessor is not None  # a missing assessor added a field error above
    evidence.status = "submitted"
    evidence.submitted_to_id = assessor.id
    evidence.submitted_at = utcnow()
    audit.record(
        actor,
        "evidence.submitted",
        "evidence",
        evidence.id,
        assessor=assessor.id,
        version=evidence.version,
        content_hash=content_hash(evidence),
    )
    notify(
        assessor,
        f"{actor.name} asked you to sign off “{evidence.title}”.",
        _link(evidence),
    )
    _commit()
    return evidence


@one_decision_wins
def withdraw(actor: User, evidence: Evidence) -> Evidence:
    if evidence.owner_id != actor.id:
        raise Forbidden("Only the person who recorded this evidence can withdraw it.")
    if evidence.status != "submitted":
        raise Conflict("Only evidence waiting for sign-off can be withdrawn.")
    assessor = evidence.submitted_to
    evidence.status = "draft"
    evidence.submitted_to_id = None
    evidence.submitted_at = None
    audit.record(actor, "evidence.withdrawn", "evidence", evidence.id)
    if assessor is not None:
        notify(
            assessor,
            f"{actor.name} withdrew “{evidence.title}” from sign-off.",
            _link(evidence),
            email=False,
        )
    _commit()
    return evidence


@one_decision_wins
def decide(
    actor: User,
    evidence: Evidence,
    decision: str,
    comment: str = "",
    assessment: dict | None = None,
) -> SignOff:
    """Approve (sign off) or return with feedback; only the assessor asked may.

    For a DOPS, OCE or CBD the assessor completes the form when approving:
    ``assessment`` holds the ratings per domain, the overall judgement, strengths,
    development points and the declaration (see ``kinds.validate_assessment``).
    It is kept on the sign-off with who completed it and when, and signed with the
    evidence (its content hash covers both). A return needs only the comment.
    """
    if evidence.submitted_to_id != actor.id:
        raise Forbidden(
            "Only the supervisor this evidence was submitted to can decide on it."
        )
    if evidence.status != "submitted":
        raise Conflict("A decision has already been made on this evidence.")
    comment = (comment or "").strip()
    errors = FieldErrors()
    if decision not in ("approve", "return"):
        errors.add("decision", "Choose whether to sign it off or return it")
    if decision == "return" and not comment:
        errors.add("comment", "Say what needs to change, so the trainee can act on it")
    if len(comment) > COMMENT_MAX:
        errors.add("comment", f"The comment must be {COMMENT_MAX} characters or fewer")
    is_wba = evidence.kind in WBA_KINDS
    completed: dict | None = None
    if decision == "approve" and is_wba:
        completed = validate_assessment(evidence.kind, assessment, errors)
    elif assessment and not is_wba:
        errors.add("form", "Only a DOPS, OCE or CBD has an assessor's form")
    errors.raise_if_any()
    if not policy.supervises(actor.id, evidence.owner_id):
        raise Forbidden(
            "You no longer supervise this trainee, so you cannot decide on this evidence."
        )
    approved = decision == "approve"
    now = utcnow()
    if completed is not None:
        completed = {
            **completed,
            "declaration": DECLARATION,
            "assessor_id": actor.id,
            "assessor_name": actor.name,
            "completed_at": now.isoformat(),
        }
    signoff = SignOff(
        evidence_id=evidence.id,
        evidence_version=evidence.version,
        assessor_id=actor.id,
        decision="approved" if approved else "returned",
        comment=comment,
        content_hash=content_hash(evidence, completed),
        claims=claim_keys(evidence),
        decided_at=now,
    )
    if completed is not None:  # left unset otherwise: SQL NULL, not JSON null
        signoff.assessment = completed
    db.session.add(signoff)
    evidence.status = "signed_off" if approved else "returned"
    if approved:
        refresh_progress(evidence.owner_id)
    audit.record(
        actor,
        "evidence.signed_off" if approved else "evidence.returned",
        "evidence",
        evidence.id,
        version=evidence.version,
        content_hash=signoff.content_hash,
        comment=comment,
        **({"assessed": sorted(completed["ratings"])} if completed else {}),
    )
    owner = evidence.owner
    message = (
        f"{actor.name} signed off “{evidence.title}”."
        if approved
        else f"{actor.name} returned “{evidence.title}” with feedback."
    )
    notify(owner, message, _link(evidence), comment=comment)
    _commit()
    return signoff


def latest_return(evidence: Evidence) -> SignOff | None:
    """The feedback the trainee is acting on: the last decision, if it was a return
    made on the current version (None once the item was approved since)."""
    last = db.session.scalar(
        sa.select(SignOff)
        .where(
            SignOff.evidence_id == evidence.id,
            SignOff.evidence_version == evidence.version,
        )
        .order_by(SignOff.decided_at.desc(), SignOff.id.desc())
        .limit(1)
    )
    return last if last is not None and last.decision == "returned" else None


def current_assessment(evidence: Evidence) -> SignOff | None:
    """The approval in force that carries the assessor's completed form, if any."""
    approvals = db.session.scalars(
        sa.select(SignOff)
        .where(
            SignOff.evidence_id == evidence.id,
            SignOff.decision == "approved",
            SignOff.superseded_at.is_(None),
        )
        .order_by(SignOff.decided_at.desc())
    )
    return next((s for s in approvals if s.assessment), None)


@one_decision_wins
def unlock(actor: User, evidence: Evidence, reason: str) -> Evidence:
    """Reopen signed-off evidence for changes; the old sign-off is kept as superseded."""
    if evidence.status != "signed_off":
        raise Conflict("Only signed-off evidence can be unlocked.")
    if not policy.can_unlock(actor, evidence):
        raise Forbidden(
            "Only a training lead of the trainee's organisation, for a sign-off made "
            "there, or an admin can unlock evidence."
        )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field(
            "reason", "Give the reason for unlocking; it is kept in the history"
        )
    if len(reason) > UNLOCK_REASON_MAX:
        raise Invalid.field(
            "reason", f"The reason must be {UNLOCK_REASON_MAX:,} characters or fewer"
        )
    now = utcnow()
    active = db.session.scalars(
        sa.select(SignOff).where(
            SignOff.evidence_id == evidence.id,
            SignOff.decision == "approved",
            SignOff.superseded_at.is_(None),
        )
    ).all()
    for signoff in active:
        signoff.superseded_at = now
        signoff.superseded_reason = reason
        signoff.superseded_by_id = actor.id
    old_version = evidence.version
    evidence.version += 1
    evidence.status = "draft"
    refresh_progress(evidence.owner_id)
    evidence.submitted_to_id = None
    evidence.submitted_at = None
    form = dict(evidence.form)
    form.pop("assessor_declaration", None)
    evidence.form = form
    audit.record(
        actor,
        "evidence.unlocked",
        "evidence",
        evidence.id,
        reason=reason,
        old_version=old_version,
        new_version=evidence.version,
    )
    notify(
        evidence.owner,
        f"{actor.name} unlocked “{evidence.title}”: {reason}",
        _link(evidence),
    )
    for signoff in active:
        notify(
            signoff.assessor,
            f"Your sign-off of “{evidence.title}” was superseded: {reason}",
            _link(evidence),
            email=False,
        )
    _tell_of_stale_exports(evidence, active)
    _commit()
    return evidence


def _tell_of_stale_exports(evidence: Evidence, withdrawn: Sequence[SignOff]) -> None:
    """Tell the trainee which of their exported files now hold a withdrawn sign-off."""
    from portfolio.enrolments.models import Enrolment
    from portfolio.exports.services import stale_exports_with

    enrolment_ids = list(
        db.session.scalars(
            sa.select(Enrolment.id).where(Enrolment.trainee_id == evidence.owner_id)
        )
    )
    stale = {
        export.id: export
        for signoff in withdrawn
        for export in stale_exports_with(signoff.id, enrolment_ids)
    }
    for export in stale.values():
        made = f" made on {export.finished_at:%d %B %Y}" if export.finished_at else ""
        notify(
            evidence.owner,
            f"Your {export.summary.get('kind', export.kind).lower()}{made} holds a "
            "sign-off that was withdrawn. Issue a fresh copy before you share it.",
            f"/exports/{export.id}",
        )


def signoffs_of(evidence: Evidence) -> list[SignOff]:
    return list(
        db.session.scalars(
            sa.select(SignOff)
            .where(SignOff.evidence_id == evidence.id)
            .order_by(SignOff.decided_at)
        )
    )


def imported_signoffs_of(evidence: Evidence) -> list[ImportedSignOff]:
    """Decisions another installation recorded, imported with the evidence: history
    to show (with its label), never a sign-off here."""
    if evidence.imported_from_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(ImportedSignOff)
            .where(ImportedSignOff.evidence_id == evidence.id)
            .order_by(ImportedSignOff.decided_at)
        )
    )


def queue(supervisor: User, trainee_id: str | None = None) -> sa.Select:
    """Evidence waiting for ``supervisor``, oldest request first.

    Requests from trainees they no longer supervise are left out: they cannot decide
    them, and the trainee sees them as waiting so they can withdraw and resubmit.
    """
    query = sa.select(Evidence).where(
        Evidence.submitted_to_id == supervisor.id,
        Evidence.status == "submitted",
        Evidence.owner_id.in_(policy.supervised_trainee_ids(supervisor)),
    )
    if trainee_id:
        query = query.where(Evidence.owner_id == trainee_id)
    return query.order_by(Evidence.submitted_at, Evidence.id)


def age_in_days(evidence: Evidence, today: date | None = None) -> int:
    today = today or utcnow().date()
    return (today - evidence.submitted_at.date()).days if evidence.submitted_at else 0


def remind(older_than_days: int) -> list[tuple[User, int]]:
    """Email each supervisor one digest of requests older than N days."""
    from datetime import timedelta

    from portfolio.notifications.services import queue_email

    cutoff = utcnow() - timedelta(days=older_than_days)
    rows = db.session.scalars(
        sa.select(Evidence)
        .where(Evidence.status == "submitted", Evidence.submitted_at <= cutoff)
        .order_by(Evidence.submitted_to_id, Evidence.submitted_at)
    ).all()
    by_supervisor: dict[str, list[Evidence]] = {}
    for item in rows:
        if item.submitted_to_id is None:  # submitted evidence always names one
            continue
        by_supervisor.setdefault(item.submitted_to_id, []).append(item)
    sent = []
    for items in by_supervisor.values():
        supervisor = items[0].submitted_to
        assert supervisor is not None  # submitted_to_id is set, and a foreign key
        lines = [
            f"- {item.owner.name}: “{item.title}”, waiting {age_in_days(item)} days"
            for item in items
        ]
        queue_email(
            supervisor.email,
            f"MPCE Portfolio: {len(items)} sign-off request(s) waiting over {older_than_days} days",
            f"Hello {supervisor.name},\n\nThese requests are waiting for you:\n\n"
            + "\n".join(lines)
            + "\n\nOpen your sign-off queue to approve or return them.\n",
        )
        sent.append((supervisor, len(items)))
    db.session.commit()
    return sent
