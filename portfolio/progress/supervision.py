"""A supervisor's workspace: the trainees they supervise now, each with their
programmes and percent complete, what is waiting for this supervisor's decision
(and for how long), and when the trainee last did anything.

A fixed number of queries whatever the caseload: the enrolments, the maintained
progress summaries, one grouped count of waiting requests, one of last activity.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.progress import tracking
from portfolio.progress.queries import last_activity
from portfolio.signoff import services as signoff


@dataclass
class Programme:
    enrolment: Enrolment
    role: str  # this supervisor's role on it: training_officer, assessor, ...
    percent: float


@dataclass
class SupervisedTrainee:
    trainee: User
    programmes: list[Programme] = field(default_factory=list)
    waiting: int = 0  # requests waiting for this supervisor's decision
    oldest_waiting_days: int | None = None
    last_activity: datetime | None = None


def my_trainees(supervisor: User, today: date | None = None) -> list[SupervisedTrainee]:
    """The trainees ``supervisor`` supervises today, by name."""
    today = today or date.today()
    rows = db.session.execute(
        sa.select(Enrolment, SupervisionAssignment.role)
        .join(SupervisionAssignment, SupervisionAssignment.enrolment_id == Enrolment.id)
        .options(joinedload(Enrolment.trainee), joinedload(Enrolment.curriculum))
        .where(
            SupervisionAssignment.supervisor_id == supervisor.id,
            SupervisionAssignment.in_force_on(today),
            Enrolment.in_training(),
            Enrolment.trainee_id.in_(policy.supervised_trainee_ids(supervisor)),
        )
    ).all()
    enrolments = list({enrolment.id: enrolment for enrolment, _ in rows}.values())
    percents = tracking.percent_many(enrolments)
    people: dict[str, SupervisedTrainee] = {}
    seen: set[str] = set()
    for enrolment, role in rows:
        entry = people.setdefault(
            enrolment.trainee_id, SupervisedTrainee(trainee=enrolment.trainee)
        )
        if enrolment.id not in seen:  # two roles on one programme: listed once
            seen.add(enrolment.id)
            entry.programmes.append(Programme(enrolment, role, percents[enrolment.id]))
    # The same requests as this supervisor's queue, counted per trainee.
    waiting = signoff.queue(supervisor).order_by(None).with_only_columns(Evidence.id)
    for owner_id, count, oldest in db.session.execute(
        sa.select(
            Evidence.owner_id, sa.func.count(), sa.func.min(Evidence.submitted_at)
        )
        .where(Evidence.id.in_(waiting))
        .group_by(Evidence.owner_id)
    ):
        if owner_id in people:
            people[owner_id].waiting = count
            people[owner_id].oldest_waiting_days = (
                (today - oldest.date()).days if oldest else None
            )
    for trainee_id, when in last_activity(sorted(people)).items():
        people[trainee_id].last_activity = when
    for entry in people.values():
        entry.programmes.sort(key=lambda p: p.enrolment.curriculum.title)
    return sorted(people.values(), key=lambda e: (e.trainee.name.lower(), e.trainee.id))
