"""Enrolment rules: who may enrol whom, on what, with which supervisors."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.accounts.services import find_organisation
from portfolio.audit import services as audit
from portfolio.curriculum import services as curricula
from portfolio.extensions import db
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound
from portfolio.training.models import ENROLMENT_STATUSES
from portfolio.training.models import SUPERVISOR_ROLES
from portfolio.training.models import Enrolment
from portfolio.training.models import SupervisionAssignment


@dataclass
class SupervisorInput:
    person: str  # id or email
    role: str
    start_date: date | None = None
    end_date: date | None = None


def find_person(ref: str) -> User | None:
    """A person named by id or by email, as the API allows."""
    ref = (ref or "").strip()
    if "@" in ref:
        return db.session.scalar(sa.select(User).where(User.email == ref.lower()))
    return db.session.get(User, ref) if ref else None


def create_enrolment(
    actor: User,
    trainee: str,
    curriculum: str,
    organisation: str,
    start_date: date | None,
    expected_end_date: date | None,
    supervisors: list[SupervisorInput] = (),
    contracted_hours_per_week: float | None = None,
) -> Enrolment:
    """Enrol a trainee; only a lead of that organisation or an admin may."""
    errors = FieldErrors()
    org = find_organisation(organisation) if organisation else None
    if org is None:
        errors.add("organisation", f"No organisation with code {organisation!r}")
    elif not policy.can_enrol(actor, org.id):
        raise Forbidden(
            "Only a training lead of that organisation or an admin can enrol trainees."
        )
    person = find_person(trainee)
    if person is None:
        errors.add("trainee", "No user with that id or email")
    elif org is not None and not person.has_role("trainee", org.id):
        errors.add("trainee", f"{person.name} is not a trainee at {org.name}")
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
    if person is not None and programme is not None:
        duplicate = db.session.scalar(
            sa.select(Enrolment).where(
                Enrolment.trainee_id == person.id,
                Enrolment.curriculum_id == programme.id,
                Enrolment.status.in_(("active", "break_in_learning")),
            )
        )
        if duplicate is not None:
            raise Invalid.field(
                "curriculum", f"{person.name} is already enrolled on {programme.title}"
            )
    enrolment = Enrolment(
        trainee_id=person.id,
        curriculum_id=programme.id,
        organisation_id=org.id,
        start_date=start_date,
        expected_end_date=expected_end_date,
        contracted_hours_per_week=contracted_hours_per_week,
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
    db.session.commit()
    return enrolment


def _assignment(
    sup: SupervisorInput, field: str, default_start, errors: FieldErrors, org
) -> SupervisionAssignment:
    person = find_person(sup.person)
    if person is None:
        errors.add(f"{field}.person", f"No user {sup.person!r}")
    elif not person.has_role("supervisor") and not person.has_role("training_lead"):
        errors.add(
            f"{field}.person", f"{person.name} does not have the supervisor role"
        )
    if sup.role not in SUPERVISOR_ROLES:
        errors.add(
            f"{field}.role", f"Role must be one of {', '.join(SUPERVISOR_ROLES)}"
        )
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
        raise Invalid.field(
            "status", f"Status must be one of {', '.join(ENROLMENT_STATUSES)}"
        )
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
        query = query.where(Enrolment.status.in_(("active", "break_in_learning")))
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
