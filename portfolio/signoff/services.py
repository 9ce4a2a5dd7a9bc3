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
from portfolio.enrolments.services import current_supervisors
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
from portfolio.signoff import eligibility
from portfolio.signoff.models import ImportedSignOff
from portfolio.signoff.models import SignOff
from portfolio.tickets import services as tickets
from portfolio.tickets.models import Ticket

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


def _supervisor_roles(supervisor_id: str, trainee_id: str) -> set[str]:
    """The roles in which ``supervisor_id`` supervises the trainee today."""
    today = date.today()
    return {
        a.role
        for a in current_supervisors(trainee_id)
        if a.supervisor_id == supervisor_id and a.active_on(today)
    }


def training_officer_of(trainee_id: str) -> User | None:
    """The trainee's training officer in force today (the first, if several)."""
    officers = [
        a for a in current_supervisors(trainee_id) if a.role == "training_officer"
    ]
    return officers[0].supervisor if officers else None


def _ready_for_signoff(evidence: Evidence, errors: FieldErrors) -> None:
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


def _check_submittable(actor: User, evidence: Evidence) -> None:
    if evidence.owner_id != actor.id:
        raise Forbidden("Only the person who recorded this evidence can submit it.")
    if evidence.status not in ("draft", "returned"):
        raise Conflict(
            f"This evidence is {evidence.status.replace('_', ' ')}, so it cannot be submitted."
        )


@one_decision_wins
def submit(
    actor: User,
    evidence: Evidence,
    assessor_ref: str | None = None,
    external: dict | None = None,
) -> Evidence:
    """Ask a named supervisor of the owner to sign the evidence off, or (for a
    DOPS, OCE or CBD) an assessor without an account, by name and email: they get
    a single-use link (see ``portfolio.tickets``)."""
    _check_submittable(actor, evidence)
    if external is not None:
        return _submit_to_external(actor, evidence, external)
    errors = FieldErrors()
    assessor = find_person(assessor_ref or "")
    if not (assessor_ref or "").strip():
        errors.add("assessor", "Choose who should sign this off")
    elif assessor is not None and assessor.id == actor.id:
        errors.add("assessor", "You cannot sign off your own evidence")
    elif assessor is None or not policy.supervises(assessor.id, actor.id):
        # The same words whether the email is unknown or not a supervisor of the
        # trainee: an error never names a person or confirms an email exists.
        errors.add("assessor", NO_SUCH_ASSESSOR)
    else:
        refused = eligibility.refusal(
            evidence, _supervisor_roles(assessor.id, actor.id)
        )
        if refused:
            errors.add("assessor", refused)
    _ready_for_signoff(evidence, errors)
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


def _ticket_email(evidence: Evidence) -> tuple[str, str]:
    owner = evidence.owner
    label = evidence.kind.upper()
    return (
        f"MPCE Portfolio: {owner.name} asks you to complete a {label}",
        f"{owner.name} asks you to assess their {label}, “{evidence.title}”, "
        f"on {evidence.occurred_on:%d %B %Y}. You will see what they recorded, then "
        "rate each domain, give your overall judgement and your comments, and sign "
        "it off (or return it to them with feedback). It takes a few minutes and "
        "works on a phone.",
    )


def _submit_to_external(actor: User, evidence: Evidence, external) -> Evidence:
    errors = FieldErrors()
    if evidence.kind not in WBA_KINDS:
        errors.add(
            "external_assessor",
            "Only a DOPS, OCE or CBD can be sent to an assessor without an account",
        )
    if not isinstance(external, dict):
        errors.add("external_assessor", "Give the assessor's name and email")
        external = {}
    name, email = tickets.check_person(
        external.get("name", ""),
        external.get("email", ""),
        errors,
        "external_assessor.",
    )
    if email and email == actor.email:
        errors.add("external_assessor.email", "You cannot assess your own evidence")
    refused = eligibility.refusal(evidence, {eligibility.EXTERNAL})
    if refused:
        errors.add("external_assessor", refused)
    if eligibility.countersign_required(evidence) and not training_officer_of(actor.id):
        errors.add(
            "external_assessor",
            "Your curriculum asks your training officer to countersign assessments "
            "made by emailed link, and you have no training officer assigned. Ask "
            "your training lead to assign one first.",
        )
    _ready_for_signoff(evidence, errors)
    errors.raise_if_any("The evidence is not ready for sign-off yet.")
    subject, body = _ticket_email(evidence)
    ticket = tickets.issue(actor, "wba", evidence.id, name, email, subject, body)
    evidence.status = "submitted"
    evidence.submitted_to_id = None
    evidence.submitted_at = utcnow()
    audit.record(
        actor,
        "evidence.submitted",
        "evidence",
        evidence.id,
        ticket=ticket.id,
        external_assessor=email,
        version=evidence.version,
        content_hash=content_hash(evidence),
    )
    _commit()
    return evidence


def ticket_of(evidence: Evidence) -> Ticket | None:
    """The emailed link this item is waiting on, if it went to someone without an
    account (expired links included: they can be sent again)."""
    if evidence.status != "submitted" or evidence.submitted_to_id is not None:
        return None
    return tickets.live_for_subject("wba", evidence.id)


def tickets_of(evidence: Evidence) -> list[Ticket]:
    return tickets.for_subject("wba", evidence.id)


@one_decision_wins
def resend_ticket(actor: User, evidence: Evidence) -> Ticket:
    """Send the assessor a fresh link (a new expiry; the old link stops working)."""
    ticket = ticket_of(evidence)
    if evidence.owner_id != actor.id:
        raise Forbidden("Only the person who recorded this evidence can send the link.")
    if ticket is None:
        raise Conflict("This evidence is not waiting on an emailed link.")
    subject, body = _ticket_email(evidence)
    tickets.resend(actor, ticket, subject, body)
    _commit()
    return ticket


@one_decision_wins
def revoke_ticket(actor: User, evidence: Evidence) -> Evidence:
    """Cancel the link: the evidence is a draft again (as withdrawing it does)."""
    if evidence.owner_id != actor.id:
        raise Forbidden(
            "Only the person who recorded this evidence can cancel the link."
        )
    if ticket_of(evidence) is None:
        raise Conflict("This evidence is not waiting on an emailed link.")
    return withdraw(actor, evidence)


@one_decision_wins
def withdraw(actor: User, evidence: Evidence) -> Evidence:
    if evidence.owner_id != actor.id:
        raise Forbidden("Only the person who recorded this evidence can withdraw it.")
    if evidence.status != "submitted":
        raise Conflict("Only evidence waiting for sign-off can be withdrawn.")
    assessor = evidence.submitted_to
    pending = ticket_of(evidence)
    if pending is not None:
        tickets.revoke(actor, pending)
    if any(s.awaiting_countersignature for s in signoffs_of(evidence)):
        raise Conflict(
            "An assessor has signed this off and it is waiting for your training "
            "officer's countersignature, so it cannot be withdrawn."
        )
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


def _check_decision(
    evidence: Evidence,
    decision: str,
    comment: str,
    assessment: dict | None,
    errors: FieldErrors,
) -> tuple[str, dict | None]:
    """The decision's comment and, for a WBA being approved, the assessor's part."""
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if decision not in ("approve", "return"):
        errors.add("decision", "Choose whether to sign it off or return it")
    if decision == "return" and not comment:
        errors.add("comment", "Say what needs to change, so the trainee can act on it")
    if len(comment) > COMMENT_MAX:
        errors.add("comment", f"The comment must be {COMMENT_MAX} characters or fewer")
    completed: dict | None = None
    if decision == "approve" and evidence.kind in WBA_KINDS:
        completed = validate_assessment(evidence.kind, assessment, errors)
    elif assessment and evidence.kind not in WBA_KINDS:
        errors.add("form", "Only a DOPS, OCE or CBD has an assessor's form")
    return comment, completed


def _record_decision(
    actor,
    evidence: Evidence,
    approved: bool,
    comment: str,
    completed: dict | None,
    assessor_name: str,
    *,
    assessor_id: str | None = None,
    ticket_id: str | None = None,
    countersign_by: User | None = None,
) -> SignOff:
    """Write the sign-off, move the evidence on, audit and notify (caller commits).

    ``countersign_by``: the training officer who must countersign an approval made
    by emailed link before it counts; the item waits in their queue until then.
    """
    now = utcnow()
    if completed is not None:
        completed = {
            **completed,
            "declaration": DECLARATION,
            "assessor_id": assessor_id,
            "assessor_name": assessor_name,
            "completed_at": now.isoformat(),
        }
    signoff = SignOff(
        evidence_id=evidence.id,
        evidence_version=evidence.version,
        assessor_id=assessor_id,
        ticket_id=ticket_id,
        decision="approved" if approved else "returned",
        comment=comment,
        content_hash=content_hash(evidence, completed),
        claims=claim_keys(evidence),
        decided_at=now,
        countersign_required=approved and countersign_by is not None,
    )
    if completed is not None:  # left unset otherwise: SQL NULL, not JSON null
        signoff.assessment = completed
    db.session.add(signoff)
    owner = evidence.owner
    if approved and countersign_by is not None:
        evidence.submitted_to_id = countersign_by.id
        evidence.submitted_at = now
        notify(
            countersign_by,
            f"{assessor_name} signed off {owner.name}’s “{evidence.title}” by emailed "
            "link. Countersign it so that it counts.",
            _link(evidence),
        )
        message = (
            f"{assessor_name} signed off “{evidence.title}”. It counts once your "
            "training officer countersigns it."
        )
    else:
        evidence.status = "signed_off" if approved else "returned"
        message = (
            f"{assessor_name} signed off “{evidence.title}”."
            if approved
            else f"{assessor_name} returned “{evidence.title}” with feedback."
        )
    if evidence.status == "signed_off":
        refresh_progress(evidence.owner_id)
    audit.record(
        actor,
        "evidence.signed_off" if approved else "evidence.returned",
        "evidence",
        evidence.id,
        version=evidence.version,
        content_hash=signoff.content_hash,
        comment=comment,
        **({"ticket": ticket_id} if ticket_id else {}),
        **(
            {"countersign_by": countersign_by.id}
            if countersign_by is not None and signoff.countersign_required
            else {}
        ),
        **({"assessed": sorted(completed["ratings"])} if completed else {}),
    )
    notify(owner, message, _link(evidence), comment=comment)
    return signoff


def pending_countersignature(evidence: Evidence) -> SignOff | None:
    """An approval by emailed link waiting for the training officer to countersign."""
    return next((s for s in signoffs_of(evidence) if s.awaiting_countersignature), None)


def decision_kind(evidence: Evidence) -> str:
    """Which decision form fits: the item's kind, or a plain decision for the
    training officer countersigning (the assessor completed the form already)."""
    return "countersignature" if pending_countersignature(evidence) else evidence.kind


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

    When an assessor by emailed link signed it off and the curriculum wants it
    countersigned, the training officer's decision here is the countersignature.
    """
    if evidence.submitted_to_id != actor.id:
        raise Forbidden(
            "Only the supervisor this evidence was submitted to can decide on it."
        )
    if evidence.status != "submitted":
        raise Conflict("A decision has already been made on this evidence.")
    pending = pending_countersignature(evidence)
    if pending is not None:
        return _countersign(actor, evidence, pending, decision, comment, assessment)
    errors = FieldErrors()
    comment, completed = _check_decision(
        evidence, decision, comment, assessment, errors
    )
    errors.raise_if_any()
    if not policy.supervises(actor.id, evidence.owner_id):
        raise Forbidden(
            "You no longer supervise this trainee, so you cannot decide on this evidence."
        )
    if decision == "approve":
        refused = eligibility.refusal(
            evidence, _supervisor_roles(actor.id, evidence.owner_id)
        )
        if refused:
            raise Forbidden(refused)
    signoff = _record_decision(
        actor,
        evidence,
        decision == "approve",
        comment,
        completed,
        actor.name,
        assessor_id=actor.id,
    )
    _commit()
    return signoff


def _countersign(
    actor: User,
    evidence: Evidence,
    pending: SignOff,
    decision: str,
    comment: str,
    assessment: dict | None,
) -> SignOff:
    """The training officer countersigns an approval by emailed link (it then
    counts), or refuses it: the approval is superseded and the item returned."""
    errors = FieldErrors()
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if assessment:
        errors.add(
            "form",
            "The assessor completed the form; countersigning does not change it",
        )
    if decision not in ("approve", "return"):
        errors.add("decision", "Choose whether to countersign it or return it")
    if decision == "return" and not comment:
        errors.add("comment", "Say why, so the trainee can act on it")
    if len(comment) > COMMENT_MAX:
        errors.add("comment", f"The comment must be {COMMENT_MAX} characters or fewer")
    errors.raise_if_any()
    if not policy.supervises(actor.id, evidence.owner_id):
        raise Forbidden(
            "You no longer supervise this trainee, so you cannot countersign this."
        )
    now = utcnow()
    if decision == "approve":
        pending.countersigned_by_id = actor.id
        pending.countersigned_at = now
        evidence.status = "signed_off"
        refresh_progress(evidence.owner_id)
        audit.record(
            actor,
            "evidence.countersigned",
            "evidence",
            evidence.id,
            signoff=pending.id,
            comment=comment,
        )
        notify(
            evidence.owner,
            f"{actor.name} countersigned “{evidence.title}”: it now counts.",
            _link(evidence),
        )
        _commit()
        return pending
    pending.superseded_at = now
    pending.superseded_reason = f"Countersignature refused by {actor.name}: {comment}"
    pending.superseded_by_id = actor.id
    signoff = _record_decision(
        actor, evidence, False, comment, None, actor.name, assessor_id=actor.id
    )
    _commit()
    return signoff


def complete_by_ticket(
    ticket: Ticket,
    identity: dict,
    decision: str,
    comment: str = "",
    assessment: dict | None = None,
) -> SignOff:
    """An assessor without an account decides through their emailed link: they
    confirm their name, role and professional registration, then sign it off with
    the assessor's form, or return it with feedback. The link is spent in the same
    transaction, so it works once."""
    tickets.usable(ticket)
    evidence = db.session.get(Evidence, ticket.subject_id)
    if (
        evidence is None
        or evidence.status != "submitted"
        or evidence.submitted_to_id is not None
        or ticket_of(evidence) is not ticket
    ):
        raise Conflict("This assessment is no longer waiting for you.")
    errors = FieldErrors()
    identity = tickets.check_identity(identity or {}, errors)
    comment, completed = _check_decision(
        evidence, decision, comment, assessment, errors
    )
    errors.raise_if_any()
    holder = tickets.use(ticket, identity)
    officer = (
        training_officer_of(evidence.owner_id)
        if decision == "approve" and eligibility.countersign_required(evidence)
        else None
    )
    signoff = _record_decision(
        holder,
        evidence,
        decision == "approve",
        comment,
        completed,
        identity["name"],
        ticket_id=ticket.id,
        countersign_by=officer,
    )
    _commit()
    return signoff


BULK_MAX = 25


def bulk_reviewable(supervisor: User, evidence_ids: Sequence[str]) -> list[Evidence]:
    """Items the supervisor may approve together, each to be shown in full first:
    waiting for them, not a DOPS, OCE or CBD (each needs its own assessment) and
    not a countersignature. Anything else named is refused with its reason."""
    ids = list(dict.fromkeys(i for i in evidence_ids if i))
    if not ids:
        raise Invalid.field("items", "Choose at least one request to review")
    if len(ids) > BULK_MAX:
        raise Invalid.field("items", f"Review at most {BULK_MAX} requests at a time")
    found = {
        e.id: e
        for e in db.session.scalars(queue(supervisor).where(Evidence.id.in_(ids)))
    }
    errors = FieldErrors()
    for index, evidence_id in enumerate(ids):
        item = found.get(evidence_id)
        if item is None:
            errors.add(f"items[{index}]", "That request is no longer waiting for you")
        elif item.kind in WBA_KINDS:
            errors.add(
                f"items[{index}]",
                f"“{item.title}” is a {item.kind.upper()}: open it to complete the "
                "assessment on its own page",
            )
        elif pending_countersignature(item) is not None:
            errors.add(
                f"items[{index}]",
                f"“{item.title}” waits for your countersignature: open it on its own page",
            )
    errors.raise_if_any("Some of the chosen requests cannot be approved together.")
    return [found[i] for i in ids]


def approve_all(
    supervisor: User, evidence_ids: Sequence[str], read_each: bool, comment: str = ""
) -> list[SignOff]:
    """Sign off every item, after the supervisor has read each in full (the review
    page shows them); each is one decision, as if made on its own page."""
    items = bulk_reviewable(supervisor, evidence_ids)
    if not read_each:
        raise Invalid.field("read_each", "Confirm that you have read each item in full")
    return [decide(supervisor, item, "approve", comment) for item in items]


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
    for claim in evidence.claims:  # the next sign-off signs the claims as they are
        claim.signed_as = None
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
