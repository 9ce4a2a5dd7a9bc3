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
from portfolio.enrolments.models import ScheduledReview
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.extensions import db
from portfolio.organisations.models import EMPLOYING_KINDS
from portfolio.organisations.models import Organisation
from portfolio.organisations.services import not_an_employer
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


def enrolling_organisations(actor: User) -> list[Organisation]:
    """The organisations ``actor`` may enrol a trainee at, by name: an admin's every
    employing organisation, a lead's own. Commissioners are never among them
    (``EMPLOYING_KINDS``): they commission training and employ no trainee."""
    query = (
        sa.select(Organisation)
        .where(Organisation.kind.in_(EMPLOYING_KINDS))
        .order_by(Organisation.name)
    )
    if not policy.is_admin(actor):
        lead_of = policy.lead_organisation_ids(actor) or {""}
        query = query.where(Organisation.id.in_(lead_of))
    return list(db.session.scalars(query))


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
    elif problem := not_an_employer(org):
        errors.add("organisation", problem)
        org = None  # no trainee is checked against a commissioner
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
    planned = next(iter(scheduled_reviews(enrolment)), None)
    if planned is not None:
        planned.review_id = review.id  # the review booked is the one now held
    audit.record(
        actor,
        "review.recorded",
        "enrolment",
        enrolment.id,
        review=review.id,
        held_on=held_on,
    )
    _ask_to_sign(review, enrolment, actor)
    db.session.commit()
    return review


# Who gives each party's signature, in the order they are asked.
PARTY_LABELS = {
    "trainee": "the trainee or apprentice",
    "employer": "the employer (workplace supervisor or training lead)",
    "provider": "the training provider (training officer or assessor)",
}
SCHEDULE_NOTE_MAX = 300
SCHEDULE_AHEAD_DAYS = 731  # a review is booked at most two years ahead


def signers_for(enrolment: Enrolment, party: str, today: date) -> list[User]:
    """The people who can give ``party``'s signature on this enrolment's reviews
    (those :func:`party_for` gives that party), the nearest first: for the
    employer the workplace supervisors, else the organisation's training leads; for
    the provider the training officers, else the assessors."""
    if party == "trainee":
        return [enrolment.trainee]
    active = [a for a in enrolment.supervisors if a.active_on(today)]

    def people(role: str) -> list[User]:
        return [a.supervisor for a in active if a.role == role]

    if party == "employer":
        found = people("workplace_supervisor")
        if not found:
            from portfolio.accounts.models import RoleAssignment

            leads = db.session.scalars(
                sa.select(User)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(
                    RoleAssignment.role == "training_lead",
                    RoleAssignment.organisation_id == enrolment.organisation_id,
                )
            ).unique()
            found = [
                u
                for u in leads
                if u.has_role("training_lead", enrolment.organisation_id)
            ]
    else:
        found = people("training_officer") or people("assessor")
    unique: dict[str, User] = {}
    for user in found:
        if user.active:
            unique.setdefault(user.id, user)
    return list(unique.values())


def unsigned_parties(review: ProgressReview) -> list[str]:
    return [
        party
        for party, signed in (
            ("trainee", review.trainee_signed_at),
            ("employer", review.employer_signed_at),
            ("provider", review.provider_signed_at),
        )
        if signed is None
    ]


def _notify_parties(
    enrolment: Enrolment,
    parties: list[str],
    actor: User | None,
    about_you: str,
    about_them: str,
    today: date,
) -> int:
    """Tell each person who gives one of ``parties``' signatures (not ``actor``),
    in the app and by email; ``about_them`` names the trainee for the others."""
    from portfolio.notifications.services import notify

    link = f"/progress/{enrolment.id}#reviews"
    told: set[str] = set()
    for party in parties:
        for user in signers_for(enrolment, party, today):
            if user.id in told or (actor is not None and user.id == actor.id):
                continue
            told.add(user.id)
            notify(
                user, about_you if user.id == enrolment.trainee_id else about_them, link
            )
    return len(told)


def _ask_to_sign(
    review: ProgressReview, enrolment: Enrolment, actor: User | None
) -> int:
    held = f"{review.held_on:%d %B %Y}"
    return _notify_parties(
        enrolment,
        unsigned_parties(review),
        actor,
        f"Your progress review of {held} needs your signature. Read it and sign it.",
        f"The progress review of {held} for {enrolment.trainee.name}, "
        f"{enrolment.curriculum.title}, needs your signature.",
        date.today(),
    )


def scheduled_reviews(enrolment: Enrolment) -> list[ScheduledReview]:
    """Reviews booked and not yet held, the soonest first."""
    return list(
        db.session.scalars(
            sa.select(ScheduledReview)
            .where(
                ScheduledReview.enrolment_id == enrolment.id,
                ScheduledReview.review_id.is_(None),
            )
            .order_by(ScheduledReview.scheduled_on, ScheduledReview.created_at)
        )
    )


def schedule_review(
    actor: User, enrolment: Enrolment, scheduled_on: date | None, note: str = ""
) -> ScheduledReview:
    """Book a review on a day to come; everyone who signs it is told."""
    today = date.today()
    if not party_for(actor, enrolment, today) - {"trainee"}:
        raise Forbidden("Reviews are booked by the employer or the training provider.")
    errors = FieldErrors()
    if scheduled_on is None:
        errors.add("scheduled_on", "Enter the date of the review")
    elif scheduled_on <= today:
        errors.add("scheduled_on", "The date of the review must be in the future")
    elif (scheduled_on - today).days > SCHEDULE_AHEAD_DAYS:
        errors.add("scheduled_on", "The date of the review must be within 2 years")
    note = (note or "").strip()
    if len(note) > SCHEDULE_NOTE_MAX:
        errors.add("note", f"The note must be {SCHEDULE_NOTE_MAX} characters or fewer")
    errors.raise_if_any()
    assert scheduled_on is not None
    planned = ScheduledReview(
        enrolment_id=enrolment.id,
        scheduled_on=scheduled_on,
        note=note,
        created_by_id=actor.id,
    )
    db.session.add(planned)
    db.session.flush()
    audit.record(
        actor,
        "review.scheduled",
        "enrolment",
        enrolment.id,
        scheduled=planned.id,
        scheduled_on=scheduled_on,
    )
    day = f"{scheduled_on:%A %d %B %Y}"
    extra = f" Note: {note}" if note else ""
    _notify_parties(
        enrolment,
        ["trainee", "employer", "provider"],
        actor,
        f"Your progress review is booked for {day}.{extra}",
        f"A progress review for {enrolment.trainee.name}, "
        f"{enrolment.curriculum.title}, is booked for {day}.{extra}",
        today,
    )
    db.session.commit()
    return planned


def remind_reviews(
    today: date | None = None, days_before: int = 7, every_days: int = 7
) -> tuple[int, int]:
    """Remind the parties of reviews booked within ``days_before`` days (once per
    booking), and the people still to sign a recorded review (at most once every
    ``every_days`` days). Returns (bookings reminded, reviews reminded)."""
    from datetime import timedelta

    from portfolio.db import utcnow

    today = today or date.today()
    now = utcnow()
    running = ("active", "break_in_learning")
    booked = 0
    for planned in db.session.scalars(
        sa.select(ScheduledReview)
        .join(Enrolment, Enrolment.id == ScheduledReview.enrolment_id)
        .where(
            ScheduledReview.review_id.is_(None),
            ScheduledReview.reminded_at.is_(None),
            ScheduledReview.scheduled_on >= today,
            ScheduledReview.scheduled_on <= today + timedelta(days=days_before),
            Enrolment.status.in_(running),
        )
    ):
        enrolment = db.session.get(Enrolment, planned.enrolment_id)
        assert enrolment is not None
        day = f"{planned.scheduled_on:%A %d %B %Y}"
        _notify_parties(
            enrolment,
            ["trainee", "employer", "provider"],
            None,
            f"Reminder: your progress review is on {day}.",
            f"Reminder: the progress review for {enrolment.trainee.name}, "
            f"{enrolment.curriculum.title}, is on {day}.",
            today,
        )
        planned.reminded_at = now
        audit.record(
            None, "review.reminded", "enrolment", enrolment.id, scheduled=planned.id
        )
        booked += 1
    unsigned = 0
    due = now - timedelta(days=every_days)
    for review in db.session.scalars(
        sa.select(ProgressReview)
        .join(Enrolment, Enrolment.id == ProgressReview.enrolment_id)
        .where(
            Enrolment.status.in_(running),
            sa.or_(
                ProgressReview.trainee_signed_at.is_(None),
                ProgressReview.employer_signed_at.is_(None),
                ProgressReview.provider_signed_at.is_(None),
            ),
            sa.or_(
                ProgressReview.signatures_reminded_at.is_(None),
                ProgressReview.signatures_reminded_at <= due,
            ),
            ProgressReview.created_at <= due,
        )
    ):
        enrolment = db.session.get(Enrolment, review.enrolment_id)
        assert enrolment is not None
        if _ask_to_sign(review, enrolment, None):
            review.signatures_reminded_at = now
            audit.record(
                None,
                "review.signatures_reminded",
                "enrolment",
                enrolment.id,
                review=review.id,
            )
            unsigned += 1
    db.session.commit()
    return booked, unsigned


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
