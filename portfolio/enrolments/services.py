"""Enrolment rules: who may enrol whom, on what, with which supervisors."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.accounts.services import find_organisation
from portfolio.audit import services as audit
from portfolio.curriculum import services as curricula
from portfolio.enrolments.models import BREAK_REQUESTERS
from portfolio.enrolments.models import ENROLMENT_STATUSES
from portfolio.enrolments.models import SUPERVISOR_ROLES
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import LearningBreak
from portfolio.enrolments.models import ProgressReview
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.extensions import db
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound

# Text limits, read by the web forms (progress_views) and the API parsers.
BREAK_REASON_MAX = 300  # LearningBreak.reason is a String(300)
# Apprentices are at least 16 (https://www.gov.uk/apprenticeships-guide).
AGE_MIN, AGE_MAX = 16, 99
REVIEW_SUMMARY_MAX = 10_000
REVIEW_ACTIONS_MAX = 5_000  # the new actions together, one a line


@dataclass
class SupervisorInput:
    person: str  # id or email
    role: str
    start_date: date | None = None
    end_date: date | None = None


NO_SUCH_SUPERVISOR = (
    "No supervisor or training lead with that email or id can be assigned"
)


def find_person(ref: str) -> User | None:
    """A person named by id or by email, as the API allows."""
    ref = (ref or "").strip()
    if "@" in ref:
        return db.session.scalar(sa.select(User).where(User.email == ref.lower()))
    return db.session.get(User, ref) if ref else None


def _funding_rules_apply(org) -> bool:
    """England's apprenticeship funding rules apply only to organisations in England."""
    from portfolio.progress import apprenticeship

    return apprenticeship.rules_apply_in(org.nation)


def create_enrolment(
    actor: User,
    trainee: str,
    curriculum: str,
    organisation: str,
    start_date: date | None,
    expected_end_date: date | None,
    supervisors: Sequence[SupervisorInput] = (),
    contracted_hours_per_week: float | None = None,
    age_at_start: int | None = None,
) -> Enrolment:
    """Enrol a trainee; only a lead of that organisation or an admin may.

    ``age_at_start`` (apprenticeships) is the apprentice's age on the start day: English
    and maths at gateway depend on it (``apprenticeship.english_maths_required``).
    """
    errors = FieldErrors()
    org = find_organisation(organisation) if organisation else None
    if org is None:
        errors.add("organisation", f"No organisation with code {organisation!r}")
    elif not policy.can_enrol(actor, org.id):
        raise Forbidden(
            "Only a training lead of that organisation or an admin can enrol trainees."
        )
    person = find_person(trainee)
    # One message whether no one has that email or they are not a trainee here, so
    # an error never names a person, nor says whether an email is registered. With
    # no organisation yet there is nothing to check the trainee against.
    if org is not None and (person is None or not person.has_role("trainee", org.id)):
        errors.add("trainee", f"No trainee at {org.name} has that email or id")
    programme = curricula.get_curriculum(curriculum) if curriculum else None
    if programme is None:
        errors.add("curriculum", f"No curriculum {curriculum!r}")
    elif not programme.enrollable:
        errors.add(
            "curriculum",
            f"{programme.title} is part of other curricula, not a programme",
        )
    if start_date is None:
        errors.add("start_date", "Enter the start date")
    if expected_end_date is None:
        errors.add("expected_end_date", "Enter the expected end date")
    elif start_date and expected_end_date <= start_date:
        errors.add(
            "expected_end_date", "The expected end date must be after the start date"
        )
    if (
        programme is not None
        and programme.kind == "apprenticeship"
        and (org is None or _funding_rules_apply(org))
        and start_date
        and expected_end_date
        and expected_end_date > start_date
    ):
        _check_minimum_duration(
            start_date, expected_end_date, contracted_hours_per_week, errors
        )
    if age_at_start is not None and (
        isinstance(age_at_start, bool)
        or not isinstance(age_at_start, int)
        or not AGE_MIN <= age_at_start <= AGE_MAX
    ):
        errors.add(
            "age_at_start",
            f"Enter the age at the start as a whole number from {AGE_MIN} to {AGE_MAX}",
        )
    if (
        contracted_hours_per_week is not None
        and not 0 < contracted_hours_per_week <= 48
    ):
        errors.add(
            "contracted_hours_per_week",
            "Contracted hours must be between 0 and 48 a week",
        )
    assignments = []
    for index, sup in enumerate(supervisors):
        assignments.append(
            _assignment(sup, f"supervisors[{index}]", start_date, errors, org)
        )
    errors.raise_if_any()
    # Each missing one added a field error above, so none is None here.
    assert org is not None and person is not None and programme is not None
    if person is not None and programme is not None:
        duplicate = db.session.scalar(
            sa.select(Enrolment).where(
                Enrolment.trainee_id == person.id,
                Enrolment.curriculum_id == programme.id,
                Enrolment.in_training(),
            )
        )
        if duplicate is not None:
            raise Invalid.field(
                "curriculum", f"{person.name} is already enrolled on {programme.title}"
            )
    enrolment = Enrolment(
        trainee_id=person.id,
        age_at_start=age_at_start,
        curriculum_id=programme.id,
        organisation_id=org.id,
        start_date=start_date,
        expected_end_date=expected_end_date,
        contracted_hours_per_week=contracted_hours_per_week,
        standard_version=standard_version_of(programme),
        created_by_id=actor.id,
    )
    db.session.add(enrolment)
    db.session.flush()
    for assignment in assignments:
        assignment.enrolment_id = enrolment.id
        assignment.trainee_id = person.id
        db.session.add(assignment)
    audit.record(
        actor,
        "enrolment.created",
        "enrolment",
        enrolment.id,
        trainee=person.email,
        curriculum=f"{programme.slug} {programme.version}",
        organisation=org.code,
        supervisors=[f"{a.role}:{a.supervisor_id}" for a in assignments],
    )
    # Evidence recorded before the enrolment may already count towards it.
    from portfolio.progress.tracking import refresh_progress

    refresh_progress(enrolment_ids=[enrolment.id])
    db.session.commit()
    return enrolment


def standard_version_of(programme) -> str | None:
    """The version of the published standard an apprenticeship curriculum is.

    Recorded on the enrolment when the apprentice starts, and kept: an apprentice
    stays on the version they started even when a newer one is published (each
    version is its own curriculum, for example ST0218 v1.0 and v1.1).
    """
    return programme.version if programme.kind == "apprenticeship" else None


def _check_minimum_duration(start, end, hours, errors: FieldErrors) -> None:
    """Apprenticeships must last at least the funding rules' minimum (by start date)."""
    from portfolio.progress import apprenticeship

    ruleset = apprenticeship.rules_for(start)
    if not apprenticeship.minimum_duration_ok(
        start, end, contracted_hours_per_week=hours, ruleset=ruleset
    ):
        earliest = apprenticeship.minimum_end_date(
            start, contracted_hours_per_week=hours, ruleset=ruleset
        )
        errors.add(
            "expected_end_date",
            f"An apprenticeship starting on {start:%d %B %Y} must last at least "
            f"{ruleset.min_duration_months} months under the {ruleset.title.lower()}: "
            f"end on or after {earliest:%d %B %Y}",
        )


def _assignment(
    sup: SupervisorInput, field: str, default_start, errors: FieldErrors, org
) -> SupervisionAssignment:
    person = find_person(sup.person)
    if person is not None and not policy.can_sign_off(person):
        person = None  # not allowed reads the same as not found
    if person is None:
        errors.add(f"{field}.person", NO_SUCH_SUPERVISOR)
    if sup.role not in SUPERVISOR_ROLES:
        errors.add(f"{field}.role", "Choose the supervisor's role")
    start = sup.start_date or default_start
    if sup.end_date and start and sup.end_date < start:
        errors.add(
            f"{field}.end_date", "The end date must not be before the start date"
        )
    return SupervisionAssignment(
        supervisor_id=person.id if person else None,
        role=sup.role,
        start_date=start,
        end_date=sup.end_date,
    )


def add_supervisor(
    actor: User, enrolment: Enrolment, sup: SupervisorInput
) -> SupervisionAssignment:
    if not policy.can_enrol(actor, enrolment.organisation_id):
        raise Forbidden(
            "Only a training lead of this organisation or an admin can assign supervisors."
        )
    errors = FieldErrors()
    assignment = _assignment(
        sup, "supervisor", date.today(), errors, enrolment.organisation
    )
    errors.raise_if_any()
    today = date.today()
    if any(
        a.supervisor_id == assignment.supervisor_id
        and a.role == assignment.role
        and a.active_on(today)
        for a in enrolment.supervisors
    ):
        raise Invalid.field(
            "supervisor.person", "This person already has that role for this trainee"
        )
    assignment.enrolment_id = enrolment.id
    assignment.trainee_id = enrolment.trainee_id
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        actor,
        "supervision.assigned",
        "enrolment",
        enrolment.id,
        supervisor=assignment.supervisor_id,
        role=assignment.role,
        start_date=assignment.start_date,
        end_date=assignment.end_date,
    )
    db.session.commit()
    return assignment


def set_status(actor: User, enrolment: Enrolment, status: str) -> None:
    if not policy.can_enrol(actor, enrolment.organisation_id):
        raise Forbidden(
            "Only a training lead of this organisation or an admin can change this."
        )
    if status not in ENROLMENT_STATUSES:
        raise Invalid.field("status", "Choose a status for the enrolment")
    old = enrolment.status
    enrolment.status = status
    audit.record(
        actor, "enrolment.status", "enrolment", enrolment.id, old=old, new=status
    )
    db.session.commit()


def get_enrolment(actor: User, enrolment_id: str) -> Enrolment:
    enrolment = db.session.scalar(
        policy.visible_enrolments(actor).where(Enrolment.id == enrolment_id)
    )
    if enrolment is None:
        raise NotFound("No such enrolment.")
    return enrolment


def enrolments_of(trainee_id: str, live_only: bool = False) -> list[Enrolment]:
    query = sa.select(Enrolment).where(Enrolment.trainee_id == trainee_id)
    if live_only:
        query = query.where(Enrolment.in_training())
    return list(db.session.scalars(query.order_by(Enrolment.start_date)))


def current_supervisors(trainee_id: str) -> list[SupervisionAssignment]:
    """Assignments in force today for a trainee, across their enrolments."""
    today = date.today()
    rows = db.session.scalars(
        sa.select(SupervisionAssignment).where(
            SupervisionAssignment.trainee_id == trainee_id
        )
    )
    seen, result = set(), []
    for row in rows:
        if row.active_on(today) and row.supervisor_id not in seen:
            seen.add(row.supervisor_id)
            result.append(row)
    return result


# ---- breaks in learning ---------------------------------------------------------------


def start_break(
    actor: User,
    enrolment: Enrolment,
    start: date,
    reason: str = "",
    requested_by: str | None = None,
) -> None:
    """Pause an enrolment: targets stop and the end date moves on until it resumes.

    ``requested_by`` records who asked for the break (apprentice, employer or
    provider). For an apprenticeship only a break of more than 4 weeks is a formal
    break in learning that moves the end date (``apprenticeship.formal_breaks``).
    """
    if not policy.can_enrol(actor, enrolment.organisation_id):
        raise Forbidden(
            "Only a training lead of this organisation or an admin can record a break."
        )
    if enrolment.status != "active":
        raise Conflict(
            f"The enrolment is {enrolment.status.replace('_', ' ')}, not active."
        )
    if start < enrolment.start_date:
        raise Invalid.field(
            "start_date", "A break cannot start before the enrolment does"
        )
    requested_by = requested_by or None
    if requested_by is not None and requested_by not in BREAK_REQUESTERS:
        raise Invalid.field(
            "requested_by",
            "Say who asked for the break: the apprentice, the employer or the provider",
        )
    enrolment.breaks.append(
        LearningBreak(
            start_date=start,
            reason=(reason or "")[:BREAK_REASON_MAX],
            requested_by=requested_by,
        )
    )
    enrolment.status = "break_in_learning"
    audit.record(
        actor,
        "enrolment.break_started",
        "enrolment",
        enrolment.id,
        start=start,
        reason=reason,
        requested_by=requested_by,
    )
    db.session.commit()


def end_break(actor: User, enrolment: Enrolment, end: date) -> None:
    if not policy.can_enrol(actor, enrolment.organisation_id):
        raise Forbidden(
            "Only a training lead of this organisation or an admin can end a break."
        )
    ongoing = [b for b in enrolment.breaks if b.end_date is None]
    if enrolment.status != "break_in_learning" or not ongoing:
        raise Conflict("The enrolment is not on a break.")
    current = ongoing[-1]
    if end < current.start_date:
        raise Invalid.field("end_date", "The break cannot end before it started")
    current.end_date = end
    enrolment.status = "active"
    audit.record(
        actor,
        "enrolment.break_ended",
        "enrolment",
        enrolment.id,
        start=current.start_date,
        end=end,
    )
    db.session.commit()


# ---- progress reviews ----------------------------------------------------------------------


def party_for(actor: User, enrolment: Enrolment, today: date) -> set[str]:
    """Which signatures ``actor`` may give on this enrolment's reviews."""
    parties = set()
    if actor.id == enrolment.trainee_id:
        parties.add("trainee")
    roles = {
        a.role
        for a in enrolment.supervisors
        if a.supervisor_id == actor.id and a.active_on(today)
    }
    if "workplace_supervisor" in roles or actor.has_role(
        "training_lead", enrolment.organisation_id
    ):
        parties.add("employer")
    if roles & {"training_officer", "assessor"} or policy.is_admin(actor):
        parties.add("provider")
    return parties


def record_review(
    actor: User,
    enrolment: Enrolment,
    held_on: date | None,
    summary: str,
    actions: list[str],
    done_carried: Sequence[int] = (),
) -> ProgressReview:
    """Record a review; actions still open from the last review are carried into it."""
    from portfolio.progress import tracking

    today = date.today()
    parties = party_for(actor, enrolment, today)
    if not parties - {"trainee"}:
        raise Forbidden(
            "Reviews are recorded by the employer or the training provider."
        )
    errors = FieldErrors()
    if held_on is None:
        errors.add("held_on", "Enter the date the review was held")
    elif held_on > today:
        errors.add("held_on", "A review cannot be held in the future")
    elif held_on < enrolment.start_date:
        errors.add("held_on", "The review cannot be before the enrolment started")
    if not (summary or "").strip():
        errors.add("summary", "Summarise the progress discussed")
    errors.raise_if_any()
    reviews = tracking.reviews_of(enrolment)
    carried = tracking.open_actions(reviews)
    for index in done_carried:
        if 0 <= index < len(carried):
            carried[index]["done"] = True
    new_actions = [
        {"text": text.strip()[:500], "done": False, "carried_from": None}
        for text in actions
        if text.strip()
    ]
    review = ProgressReview(
        enrolment_id=enrolment.id,
        kind="apprenticeship"
        if tracking.is_apprenticeship(enrolment)
        else "stp_end_of_year",
        due_on=tracking.next_review_due(enrolment, reviews, today),
        held_on=held_on,
        summary=summary.strip(),
        actions=carried + new_actions,
        created_by_id=actor.id,
    )
    db.session.add(review)
    db.session.flush()
    _sign(review, actor, parties - {"trainee"})
    audit.record(
        actor,
        "review.recorded",
        "enrolment",
        enrolment.id,
        review=review.id,
        held_on=held_on,
    )
    db.session.commit()
    return review


def _sign(review, actor: User, parties: set[str]) -> None:
    from portfolio.db import utcnow

    now = utcnow()
    if "trainee" in parties and review.trainee_signed_at is None:
        review.trainee_signed_at = now
    if "employer" in parties and review.employer_signed_at is None:
        review.employer_signed_at, review.employer_signed_by_id = now, actor.id
    if "provider" in parties and review.provider_signed_at is None:
        review.provider_signed_at, review.provider_signed_by_id = now, actor.id


def sign_review(actor: User, enrolment: Enrolment, review_id: str) -> ProgressReview:
    """Add the actor's signature(s): apprentice, employer and/or provider."""
    review = db.session.get(ProgressReview, review_id)
    if review is None or review.enrolment_id != enrolment.id:
        raise NotFound("No such review.")
    parties = party_for(actor, enrolment, date.today())
    if not parties:
        raise Forbidden("You are not a party to this review.")
    _sign(review, actor, parties)
    audit.record(
        actor,
        "review.signed",
        "enrolment",
        enrolment.id,
        review=review.id,
        parties=sorted(parties),
    )
    db.session.commit()
    return review


def confirm_gateway(actor: User, enrolment: Enrolment, party: str) -> None:
    """Employer or provider confirms an apprentice is ready for gateway."""
    from portfolio.db import utcnow

    parties = party_for(actor, enrolment, date.today())
    if party not in ("employer", "provider") or party not in parties:
        raise Forbidden(f"You cannot confirm gateway readiness as the {party}.")
    if party == "employer":
        enrolment.employer_confirmed_at, enrolment.employer_confirmed_by_id = (
            utcnow(),
            actor.id,
        )
    else:
        enrolment.provider_confirmed_at, enrolment.provider_confirmed_by_id = (
            utcnow(),
            actor.id,
        )
    audit.record(actor, "gateway.confirmed", "enrolment", enrolment.id, party=party)
    db.session.commit()
