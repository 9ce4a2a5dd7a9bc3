"""A training lead's cohort: every enrolment at an organisation, with where it stands.

Built from a fixed number of queries whatever the cohort's size: enrolments,
outcomes, claimed evidence, last activity, pending requests, OTJ hours, reviews.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import subqueryload

from portfolio.accounts.models import User
from portfolio.csvsafe import safe_text
from portfolio.curriculum.models import Curriculum
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import ProgressReview
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.progress import apprenticeship
from portfolio.progress import stp_tracking
from portfolio.progress import tracking
from portfolio.progress.queries import last_activity

SORTS = ("name", "percent", "flags", "last_activity", "programme")


@dataclass
class CohortRow:
    enrolment: Enrolment
    trainee: User
    programme: str
    kind: str
    specialism: str
    percent: float
    flags: list[tracking.Flag]
    last_activity: date | None
    supervisor: str
    status: str
    # STP: the review of progression's point that matters now (stp_tracking).
    stp: stp_tracking.StpStanding | None = None

    def csv_row(self) -> list:
        return [
            self.trainee.name,
            self.trainee.email,
            self.programme,
            self.specialism,
            self.status,
            f"{self.percent:.1f}",
            "; ".join(f.message for f in self.flags),
            self.last_activity.isoformat() if self.last_activity else "",
            self.supervisor,
            stp_tracking.summary(self.stp),
        ]


CSV_HEADER = [
    "trainee",
    "email",
    "programme",
    "specialism",
    "status",
    "percent_complete",
    "flags",
    "last_activity",
    "training_officer",
    "stp_review",
]


def _otj_signed_hours(enrolment_ids: list[str]) -> dict[str, float]:
    """Signed-off OTJ hours per apprenticeship enrolment, summed in SQL.

    Hours count from the enrolment's start up to its gateway (none after it).
    """
    hours = sa.func.coalesce(sa.func.sum(Evidence.form["hours"].as_float()), 0)
    rows = db.session.execute(
        sa.select(Enrolment.id, hours)
        .join(Evidence, Evidence.owner_id == Enrolment.trainee_id)
        .where(
            Enrolment.id.in_(enrolment_ids),
            Evidence.kind == "otj",
            Evidence.status == "signed_off",
            Evidence.occurred_on >= Enrolment.start_date,
            sa.or_(
                Enrolment.gateway_date.is_(None),
                Evidence.occurred_on <= Enrolment.gateway_date,
            ),
        )
        .group_by(Enrolment.id)
    )
    return {row[0]: float(row[1]) for row in rows}


def _otj_flag_input(
    enrolment: Enrolment, signed: float, today: date
) -> tracking.OtjSummary | None:
    if not tracking.rules_apply(enrolment):
        return None
    ruleset = apprenticeship.rules_for(enrolment.start_date)
    target = tracking.otj_target_of(enrolment, today)
    expected, status = tracking.otj_expected_and_status(
        enrolment, target, signed, today
    )
    return tracking.OtjSummary(
        ruleset.id,
        target.hours,
        expected,
        round(signed, 2),
        0.0,
        status,
        target_basis=target.basis,
        target_needs=target.needs,
        ruleset_title=ruleset.title,
    )


def flag_filter(value: str | None) -> bool:
    """The ``flagged`` query parameter, the same on the page and in the API."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def cohort(
    organisation_ids: set[str] | None,
    today: date | None = None,
    programme: str | None = None,
    status: str | None = None,
    flagged_only: bool = False,
    sort: str = "name",
) -> list[CohortRow]:
    """The enrolments at these organisations (None: every organisation, for admins)."""
    today = today or date.today()
    query = (
        sa.select(Enrolment)
        # subqueryload, not selectinload: selectin sends ids in batches of 500, so
        # a big trust's page would take more queries than a small one's. Roles are
        # not shown here, so they are loaded only if something asks.
        .options(
            subqueryload(Enrolment.breaks),
            subqueryload(Enrolment.supervisors)
            .joinedload(SupervisionAssignment.supervisor)
            .lazyload(User.roles),
            joinedload(Enrolment.trainee).lazyload(User.roles),
        )
        .where(
            Enrolment.status != "withdrawn"
            if status is None
            else Enrolment.status == status
        )
    )
    if organisation_ids is not None:
        query = query.where(Enrolment.organisation_id.in_(organisation_ids or {""}))
    enrolments = list(db.session.scalars(query))
    if programme:
        enrolments = [e for e in enrolments if e.curriculum.slug == programme]
    percents = tracking.percent_many(enrolments)
    stp = stp_tracking.for_cohort(enrolments, today)
    trainee_ids = sorted({e.trainee_id for e in enrolments})
    activity = last_activity(trainee_ids)
    oldest_requests = dict(
        db.session.execute(
            sa.select(Evidence.owner_id, sa.func.min(Evidence.submitted_at))
            .where(Evidence.owner_id.in_(trainee_ids), Evidence.status == "submitted")
            .group_by(Evidence.owner_id)
        ).all()
    )
    otj = _otj_signed_hours([e.id for e in enrolments if tracking.is_apprenticeship(e)])
    last_reviews = dict(
        db.session.execute(
            sa.select(ProgressReview.enrolment_id, sa.func.max(ProgressReview.held_on))
            .where(
                ProgressReview.enrolment_id.in_([e.id for e in enrolments]),
                ProgressReview.trainee_signed_at.is_not(None),
                ProgressReview.employer_signed_at.is_not(None),
                ProgressReview.provider_signed_at.is_not(None),
            )
            .group_by(ProgressReview.enrolment_id)
        ).all()
    )
    rows = []
    for enrolment in enrolments:
        last = activity.get(enrolment.trainee_id)
        last_day = last.date() if last else None
        oldest = oldest_requests.get(enrolment.trainee_id)
        otj_summary = _otj_flag_input(enrolment, otj.get(enrolment.id, 0.0), today)
        if tracking.is_apprenticeship(enrolment):
            due = apprenticeship.next_review_due(
                apprenticeship.rules_for(enrolment.start_date),
                enrolment.start_date,
                last_reviews.get(enrolment.id),
                today,
                tracking.breaks_of(enrolment, today),
            )
        else:
            due = tracking.stp_review_due(
                enrolment.start_date, last_reviews.get(enrolment.id)
            )
        flags = tracking.risk_flags(
            enrolment,
            percents[enrolment.id],
            today,
            last_day,
            oldest.date() if oldest else None,
            otj_summary,
            due,
        )
        stp_standing = stp.get(enrolment.id)
        if stp_standing is not None:
            flags += [tracking.Flag(f.code, f.message) for f in stp_standing.flags]
        officer = next(
            (
                a.supervisor.name
                for a in enrolment.supervisors
                if a.role == "training_officer" and a.active_on(today)
            ),
            next(
                (
                    a.supervisor.name
                    for a in enrolment.supervisors
                    if a.active_on(today)
                ),
                "",
            ),
        )
        rows.append(
            CohortRow(
                enrolment=enrolment,
                trainee=enrolment.trainee,
                programme=enrolment.curriculum.title,
                kind=enrolment.curriculum.kind,
                specialism=enrolment.curriculum.specialism or "",
                percent=percents[enrolment.id],
                flags=flags,
                last_activity=last_day,
                supervisor=officer,
                status=enrolment.status,
                stp=stp_standing,
            )
        )
    if flagged_only:
        rows = [r for r in rows if r.flags]
    keys = {
        "name": lambda r: (r.trainee.name.lower(), r.programme),
        "percent": lambda r: (r.percent, r.trainee.name.lower()),
        "flags": lambda r: (-len(r.flags), r.trainee.name.lower()),
        "last_activity": lambda r: (
            r.last_activity or date.min,
            r.trainee.name.lower(),
        ),
        "programme": lambda r: (r.kind, r.programme, r.trainee.name.lower()),
    }
    return sorted(rows, key=keys.get(sort, keys["name"]))


def programmes(organisation_ids: set[str] | None) -> list[tuple[str, str]]:
    """The programmes (curriculum slug, title) enrolled on at these organisations."""
    query = (
        sa.select(Curriculum.slug, Curriculum.title)
        .join(Enrolment, Enrolment.curriculum_id == Curriculum.id)
        .where(Enrolment.status != "withdrawn")
        .distinct()
        .order_by(Curriculum.title)
    )
    if organisation_ids is not None:
        query = query.where(Enrolment.organisation_id.in_(organisation_ids or {""}))
    return [(slug, title) for slug, title in db.session.execute(query)]


def to_csv(rows: list[CohortRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([safe_text(str(value)) for value in row.csv_row()])
    return buffer.getvalue()


@dataclass
class SupervisorLoad:
    supervisor: User
    trainees: int
    pending: int
    over_cap: bool


def supervisor_load(
    organisation_ids: set[str] | None, today: date | None = None
) -> list[SupervisorLoad]:
    """Trainees and waiting sign-off requests per supervisor, against the soft cap."""
    today = today or date.today()
    query = (
        sa.select(
            SupervisionAssignment.supervisor_id,
            sa.func.count(sa.distinct(SupervisionAssignment.trainee_id)),
        )
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
        .where(SupervisionAssignment.in_force_on(today), Enrolment.in_training())
        .group_by(SupervisionAssignment.supervisor_id)
    )
    if organisation_ids is not None:
        query = query.where(Enrolment.organisation_id.in_(organisation_ids or {""}))
    trainees = dict(db.session.execute(query).all())
    pending = dict(
        db.session.execute(
            sa.select(Evidence.submitted_to_id, sa.func.count())
            .where(
                Evidence.status == "submitted",
                Evidence.submitted_to_id.in_(list(trainees)),
            )
            .group_by(Evidence.submitted_to_id)
        ).all()
    )
    people = {
        u.id: u
        for u in db.session.scalars(sa.select(User).where(User.id.in_(list(trainees))))
    }
    cap = tracking.setting("SUPERVISOR_SOFT_CAP")
    loads = [
        SupervisorLoad(people[sid], count, pending.get(sid, 0), count > cap)
        for sid, count in trainees.items()
        if sid in people
    ]
    return sorted(loads, key=lambda load: (-load.trainees, load.supervisor.name))
