"""A training lead's cohort: every enrolment at an organisation, with where it stands.

Built from a fixed number of queries whatever the cohort's size, each returning plain
columns (no User, Enrolment or Curriculum objects): the curricula, then one query of
the enrolments with everything the rules read of them (``queries.cohort_enrolments``:
trainee, maintained percent complete and oldest waiting request, last activity, and
per row its breaks, supervision in force, reviews, OTJ hours and the STP figures of
the progress read model, ``progress_summary`` and ``progress_outcome``), and the
supervisor load. Filters, sorting and paging run in SQL. Nothing here writes.

Each enrolment's row is kept per process under its revisions (``cohort_rows``): one
query reads every row's keys, and only the rows whose keys moved are read as above.
"""

import csv
import io
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from datetime import datetime
from typing import Any
from typing import NamedTuple
from typing import cast

import sqlalchemy as sa
from flask import current_app

from portfolio.accounts.models import User
from portfolio.csvsafe import safe_text
from portfolio.curriculum import spec_cache
from portfolio.curriculum.models import Curriculum
from portfolio.db import json_values
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.progress import apprenticeship
from portfolio.progress import queries
from portfolio.progress import stp_tracking
from portfolio.progress import tracking
from portfolio.progress.engine import ModuleProgress
from portfolio.progress.engine import OutcomeSpec
from portfolio.progress.engine import OutcomeTally
from portfolio.progress.engine import Progress
from portfolio.progress.engine import outcome_progress
from portfolio.progress.engine import percent

# The sort orders, in words (the page shows the words, the URL carries the key).
SORT_LABELS = {
    "name": "Name, A to Z",
    "percent": "Progress, lowest first",
    "flags": "Most flags first",
    "last_activity": "Longest since last activity first",
    "programme": "Programme",
}
SORTS = tuple(SORT_LABELS)
# Each flag's short name, for the filter and the heat-map's columns.
FLAG_LABELS = {
    "no_training_officer": "No training officer",
    "review_overdue": "Review overdue",
    "review_unsigned": "Review not signed",
    "no_evidence": "No recent evidence",
    "signoff_waiting": "Sign-off waiting",
    "otj_behind": "Off-the-job hours behind",
    "end_near": "End near",
    "stp_review_missed": "STP review point missed",
    "stp_review_due": "STP review point due",
    "stp_exception": "Exception reported",
}
PER_PAGE = 25
# Programmes run with a named training officer (the STP's; an apprenticeship's
# provider-side supervisor; a clinical technologist's): one missing is flagged. A
# framework or standard someone works through on their own is not.
OFFICER_KINDS = ("stp", "apprenticeship", "clinical-technologist")
# Parties who sign a progress review, in the words the progress page uses.
REVIEW_PARTIES = (
    ("trainee_signed_at", "the trainee"),
    ("employer_signed_at", "the employer"),
    ("provider_signed_at", "the provider"),
)


@dataclass
class Person:
    id: str
    name: str
    email: str = ""


@dataclass
class Programme:
    id: str
    slug: str
    title: str
    kind: str
    specialism: str | None
    programme: dict
    content_hash: str | None = None  # with loaded_at: the version (spec_cache)
    loaded_at: datetime | None = None
    # STP: the first multi-source feedback round's code and its spec as the rules
    # place it, standing alone (``_msf_rounds``).
    msf_round: tuple[str, OutcomeSpec | None] | None = None


@dataclass
class Place:
    nation: str


@dataclass
class EnrolmentFacts:
    """What the cohort reads about an enrolment, from columns: the attributes the
    rules in ``tracking`` and ``stp_tracking`` read of an Enrolment, and no more."""

    id: str
    trainee_id: str
    curriculum_id: str
    organisation_id: str
    status: str
    start_date: date
    expected_end_date: date
    gateway_date: date | None
    contracted_hours_per_week: float | None
    trainee: Person
    curriculum: Programme
    organisation: Place
    percent_complete: float | None  # None: no maintained summary yet
    last_activity_at: datetime | None
    oldest_submitted_at: datetime | None  # the trainee's oldest waiting request
    breaks: list["Span"] = field(default_factory=list)  # in start order
    # Supervision in force today, in the order it started.
    supervisors: list["Supervision"] = field(default_factory=list)
    reviews: list["ReviewFact"] = field(default_factory=list)  # oldest first
    otj_signed_hours: float = 0.0  # apprenticeships: signed off, start to gateway
    # STP: the maintained module figures, code -> (done units, total units), and the
    # stored counts of the programme's first multi-source feedback round.
    module_figures: dict[str, tuple[int, int]] = field(default_factory=dict)
    msf_tally: OutcomeTally | None = None
    # STP: which of stp_tracking.RECORDS it has rows of.
    stp_records: frozenset[type] = frozenset()
    # What its cohort row is kept under (``cohort_rows``): the enrolment's revision
    # (``progress.revisions``) and its summary's (None: no summary yet).
    revision: str | None = None
    summary_revision: str | None = None


class Span(NamedTuple):
    start_date: date
    end_date: date | None


class Supervision(NamedTuple):
    role: str
    name: str


@dataclass(frozen=True)
class ReviewFact:
    """A progress review as the cohort reads it: whether each party signed (the
    names are ``REVIEW_PARTIES``'), not when."""

    kind: str
    held_on: date
    trainee_signed_at: bool
    employer_signed_at: bool
    provider_signed_at: bool


def _as_enrolment(facts: EnrolmentFacts) -> Enrolment:
    """The rules take an Enrolment; the facts carry every attribute they read."""
    return cast(Enrolment, facts)


def load(
    where: list[sa.ColumnElement[bool]],
    today: date,
    page: sa.CTE | None = None,
    _again: bool = False,
) -> tuple[list[EnrolmentFacts], int]:
    """The enrolments matching ``where`` as facts, with the number matching in all,
    in two queries for any number (``page``: only those of this CTE of ids, places
    and the total, in its order; see ``queries.cohort_enrolments``)."""
    # The curricula first: which outcomes hold a programme's MSF round is read from
    # them, and the one query of enrolments brings those outcomes' counts.
    curricula = {
        c.id: Programme(
            c.id,
            c.slug,
            c.title,
            c.kind,
            c.specialism,
            c.programme or {},
            c.content_hash,
            c.loaded_at,
        )
        for c in queries.curricula_of(where)
    }
    _msf_rounds(curricula)
    msf_codes = sorted({p.msf_round[0] for p in curricula.values() if p.msf_round})
    rows = queries.cohort_enrolments(where, today, msf_codes, page)
    if {r.curriculum_id for r in rows} - set(curricula) and not _again:
        # Enrolled on a programme between the two queries: read both again.
        return load(where, today, page, _again=True)
    people: dict[str, Person] = {}
    found = []
    for r in rows:
        if r.curriculum_id not in curricula:  # made during the second reading too
            continue
        trainee = people.get(r.trainee_id)
        if trainee is None:
            trainee = people[r.trainee_id] = Person(
                r.trainee_id, r.trainee_name, r.trainee_email
            )
        programme = curricula[r.curriculum_id]
        found.append(
            EnrolmentFacts(
                id=r.id,
                trainee_id=r.trainee_id,
                curriculum_id=r.curriculum_id,
                organisation_id=r.organisation_id,
                status=r.status,
                start_date=r.start_date,
                expected_end_date=r.expected_end_date,
                gateway_date=r.gateway_date,
                contracted_hours_per_week=r.contracted_hours_per_week,
                trainee=trainee,
                curriculum=programme,
                organisation=Place(r.nation),
                percent_complete=r.percent_complete,
                last_activity_at=r.last_activity_at,
                oldest_submitted_at=r.oldest_submitted_at,
                breaks=[
                    Span(_day(start), _day(end) if end else None)
                    for start, end in sorted(json_values(r.breaks), key=lambda b: b[0])
                ],
                supervisors=[
                    Supervision(role, name)
                    for role, name, *_ in sorted(
                        json_values(r.supervision), key=lambda a: (a[2], a[3])
                    )
                ],
                reviews=[
                    ReviewFact(kind, _day(held), bool(t), bool(e), bool(p))
                    for kind, held, t, e, p, _ in sorted(
                        json_values(r.reviews), key=lambda v: (v[1], v[5])
                    )
                ],
                otj_signed_hours=float(r.otj_signed_hours or 0),
                module_figures={
                    code: (done, total) for code, done, total in json_values(r.modules)
                },
                msf_tally=_msf_tally(programme, json_values(r.tallies)),
                stp_records=frozenset(
                    model
                    for model in stp_tracking.RECORDS
                    if getattr(r, f"has_{model.__tablename__}")
                ),
                revision=r.revision,
                summary_revision=r.summary_revision,
            )
        )
    if page is None:
        return found, len(found)
    return found, rows[0].total if rows else 0


def _day(value: str | date) -> date:
    """A date as a JSON array holds it (ISO text)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _msf_tally(programme: Programme, rows: list[list]) -> OutcomeTally | None:
    """The stored counts of the programme's MSF round among an enrolment's rows."""
    code = programme.msf_round[0] if programme.msf_round else None
    found = next((row for row in rows if row[0] == code), None)
    return None if found is None else queries.tally_of(found[1:])


def _msf_rounds(curricula: dict[str, Programme]) -> None:
    """Each STP programme's first multi-source feedback round (the code as
    ``stp_tracking`` finds it) with its spec standing alone, kept on the programme.
    The outcomes come from the per-version cache (the outcomes of a national STP
    curriculum are thousands)."""
    stp = {cid: p for cid, p in curricula.items() if p.kind == "stp"}
    if not stp:
        return
    codes = stp_tracking.msf_round_codes(stp)
    specs: dict[str, list[OutcomeSpec]] = spec_cache.cached(
        "msf_round_specs", stp, queries.msf_round_specs, list
    )
    for curriculum_id, code in codes.items():
        mine = specs.get(curriculum_id, [])
        spec = next((o for o in mine if o.code == code), None)
        if spec is not None:
            stp[curriculum_id].msf_round = (code, _on_its_own(mine, spec))


@dataclass
class CohortRow:
    enrolment: EnrolmentFacts
    trainee: Person
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
    has_training_officer: bool = True

    @property
    def year(self) -> int:
        """The year of training today is in (1 in the first twelve months)."""
        return training_year(self.enrolment.start_date, date.today())

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


def training_year(start: date, today: date) -> int:
    years = 0
    while apprenticeship.add_months(start, 12 * (years + 1)) <= today:
        years += 1
    return years + 1


@dataclass(frozen=True)
class HeldReview:
    """A review as the STP rules read it (``stp_tracking.standings``)."""

    kind: str
    held_on: date
    complete: bool


@dataclass
class ReviewState:
    last_complete: date | None
    # held after the last complete one, not signed by everyone
    unsigned: ReviewFact | None
    held: list[HeldReview] = field(default_factory=list)  # oldest first

    @property
    def unsigned_by(self) -> list[str]:
        if self.unsigned is None:
            return []
        return [who for name, who in REVIEW_PARTIES if not getattr(self.unsigned, name)]


def review_state(reviews: list[ReviewFact]) -> ReviewState | None:
    """The last review everyone signed, and a later one held but not yet signed by
    everyone (it stands in for "overdue" until it is signed); ``reviews`` oldest
    first."""
    if not reviews:
        return None
    state = ReviewState(None, None)
    for review in reviews:
        complete = all(getattr(review, name) for name, _ in REVIEW_PARTIES)
        state.held.append(HeldReview(review.kind, review.held_on, complete))
        if complete:
            state.last_complete = review.held_on
            state.unsigned = None
        else:
            state.unsigned = review
    return state


def review_flag(state: ReviewState | None) -> tracking.Flag | None:
    if state is None or state.unsigned is None:
        return None
    return tracking.Flag(
        "review_unsigned",
        f"Review held {state.unsigned.held_on:%d %b %Y}, waiting to be signed by "
        + ", ".join(state.unsigned_by),
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
    flag: str | None = None,
    **narrower: str | None,
) -> list[CohortRow]:
    """The enrolments at these organisations (None: every organisation, for admins),
    one row each (the CSV and the API); ``narrower``: the page's other filters
    (specialism, year, name, supervisor)."""
    return cohort_slice(
        organisation_ids,
        today,
        programme,
        status,
        flagged_only,
        sort,
        flag,
        specialism=narrower.get("specialism"),
        year=narrower.get("year"),
        name=narrower.get("name"),
        supervisor=narrower.get("supervisor"),
    )[0]


def cohort_slice(
    organisation_ids: set[str] | None,
    today: date | None = None,
    programme: str | None = None,
    status: str | None = None,
    flagged_only: bool = False,
    sort: str = "name",
    flag: str | None = None,
    page: int | None = None,
    per_page: int = PER_PAGE,
    specialism: str | None = None,
    year: str | None = None,
    name: str | None = None,
    supervisor: str | None = None,
) -> tuple[list[CohortRow], int]:
    """As ``cohort``, and the number of rows in all; with ``page``, that page of
    ``per_page`` enrolment rows, ordered and paged in SQL (a flag filter or the flag
    sort needs every row's flags, worked out for every matching enrolment)."""
    today = today or date.today()
    where = filters(
        organisation_ids,
        today,
        programme=programme,
        status=status,
        specialism=specialism,
        year=year,
        name=name,
        supervisor=supervisor,
    )
    sort = sort if sort in SORT_KEYS else "name"
    if page is not None and not (flagged_only or flag or sort == "flags"):
        base, order = _enrolment_order(
            sa.select(Enrolment.id)
            .join(User, User.id == Enrolment.trainee_id)
            .join(Curriculum, Curriculum.id == Enrolment.curriculum_id)
            .where(*where),
            sort,
        )
        on_page = (
            base.add_columns(
                sa.func.row_number().over(order_by=order).label("n"),
                sa.func.count().over().label("total"),
            )
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
            .cte("on_page")
        )
        return cohort_rows(where, today, on_page)
    rows = cohort_rows(where, today)[0]
    if flagged_only or flag == "any":
        rows = [r for r in rows if r.flags]
    elif flag:
        rows = [r for r in rows if any(f.code == flag for f in r.flags)]
    rows.sort(key=SORT_KEYS[sort])
    if page is not None:
        return rows[(page - 1) * per_page : page * per_page], len(rows)
    return rows, len(rows)


def _enrolment_order(base: sa.Select, sort: str) -> tuple[sa.Select, list[Any]]:
    """Enrolment rows in the order of ``SORT_KEYS`` (every sort but flags), in SQL:
    ``base`` with what the order reads joined, and the order."""
    from portfolio.enrolments.models import ProgressSummary

    name = sa.func.lower(User.name)
    if sort == "percent":
        percent = sa.func.coalesce(ProgressSummary.percent_complete, 0)
        return base.outerjoin(
            ProgressSummary, ProgressSummary.enrolment_id == Enrolment.id
        ), [percent, name, Enrolment.id]
    if sort == "last_activity":
        last = (
            sa.select(sa.func.max(Evidence.updated_at))
            .where(Evidence.owner_id == Enrolment.trainee_id)
            .scalar_subquery()
        )
        return base, [last.asc().nulls_first(), name, Enrolment.id]
    if sort == "programme":
        return base, [Curriculum.kind, Curriculum.title, name, Enrolment.id]
    return base, [name, Curriculum.title, Enrolment.id]


YEARS = {"1": "Year 1", "2": "Year 2", "3": "Year 3", "4": "Year 4 or later"}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def filters(
    organisation_ids: set[str] | None,
    today: date,
    programme: str | None = None,
    status: str | None = None,
    specialism: str | None = None,
    year: str | None = None,
    name: str | None = None,
    supervisor: str | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The SQL conditions on enrolments for the cohort's filters."""
    where: list[sa.ColumnElement[bool]] = [
        Enrolment.status != "withdrawn"
        if status is None
        else Enrolment.status == status
    ]
    if organisation_ids is not None:
        where.append(Enrolment.organisation_id.in_(organisation_ids or {""}))
    if programme or specialism:
        curricula = sa.select(Curriculum.id)
        if programme:
            curricula = curricula.where(Curriculum.slug == programme)
        if specialism:
            curricula = curricula.where(Curriculum.specialism == specialism)
        where.append(Enrolment.curriculum_id.in_(curricula))
    if year in YEARS:
        n = int(year)
        # Year n: started between n and n-1 years ago (year 4: 3 or more years ago).
        where.append(
            Enrolment.start_date <= apprenticeship.add_months(today, -12 * (n - 1))
        )
        if n < 4:
            where.append(
                Enrolment.start_date > apprenticeship.add_months(today, -12 * n)
            )
    if name and name.strip():
        pattern = _like(name.strip()[:100])
        where.append(
            Enrolment.trainee_id.in_(
                sa.select(User.id).where(
                    sa.or_(
                        sa.func.lower(User.name).like(pattern, escape="\\"),
                        sa.func.lower(User.email).like(pattern, escape="\\"),
                    )
                )
            )
        )
    if supervisor:
        where.append(
            Enrolment.id.in_(
                sa.select(SupervisionAssignment.enrolment_id).where(
                    SupervisionAssignment.supervisor_id == supervisor,
                    SupervisionAssignment.in_force_on(today),
                )
            )
        )
    return where


@dataclass
class TraineeRow:
    """One trainee, with the programmes they are on inside."""

    trainee: Person
    rows: list[CohortRow]

    @property
    def flags(self) -> list[tracking.Flag]:
        return [f for r in self.rows for f in r.flags]

    @property
    def flag_codes(self) -> set[str]:
        return {f.code for f in self.flags}

    @property
    def last_activity(self) -> date | None:
        return max(
            (r.last_activity for r in self.rows if r.last_activity), default=None
        )

    @property
    def percent(self) -> float:
        return min((r.percent for r in self.rows), default=0.0)


@dataclass
class Cell:
    """A heat-map cell: its words (never colour alone) and its RAG colour."""

    text: str
    rag: str  # green, amber, red, grey


@dataclass
class CohortPage:
    trainees: list[TraineeRow]
    total: int
    page: int
    pages: int
    # The heat-map: columns (code, label) and a cell per trainee and column.
    columns: list[tuple[str, str]]
    cells: dict[str, dict[str, Cell]]
    by_module: bool  # columns are the chosen programme's modules (else flags)


def _sql_sorted(base: sa.Select, sort: str) -> sa.Select:
    """A trainee-per-row query in the page's order (every sort but flags), in SQL."""
    from portfolio.enrolments.models import ProgressSummary

    name = sa.func.min(sa.func.lower(User.name))
    if sort == "percent":
        percent = sa.func.min(sa.func.coalesce(ProgressSummary.percent_complete, 0))
        return base.order_by(percent, name, Enrolment.trainee_id)
    if sort == "last_activity":
        last = (
            sa.select(
                Evidence.owner_id.label("owner_id"),
                sa.func.max(Evidence.updated_at).label("at"),
            )
            .group_by(Evidence.owner_id)
            .subquery()
        )
        # Never active first, then the longest since.
        return base.outerjoin(last, last.c.owner_id == Enrolment.trainee_id).order_by(
            sa.func.max(last.c.at).asc().nulls_first(), name, Enrolment.trainee_id
        )
    if sort == "programme":
        return base.order_by(sa.func.min(Curriculum.title), name, Enrolment.trainee_id)
    return base.order_by(name, Enrolment.trainee_id)


def cohort_page(
    organisation_ids: set[str] | None,
    today: date | None = None,
    programme: str | None = None,
    specialism: str | None = None,
    year: str | None = None,
    name: str | None = None,
    flag: str | None = None,
    status: str | None = None,
    supervisor: str | None = None,
    sort: str = "name",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> CohortPage:
    """One row per trainee (their programmes inside), filtered, sorted and paged.

    Filters, sorting and paging run in SQL; a flag filter or the flag sort needs the
    flags, which are worked out for every matching enrolment (still a fixed number of
    queries). No per-trainee queries and no writes.
    """
    from portfolio.enrolments.models import ProgressSummary

    today = today or date.today()
    where = filters(
        organisation_ids,
        today,
        programme=programme,
        status=status,
        specialism=specialism,
        year=year,
        name=name,
        supervisor=supervisor,
    )
    page = max(page, 1)
    if flag or sort == "flags":
        trainees = _group(cohort_rows(where, today)[0])
        if flag == "any":
            trainees = [t for t in trainees if t.flags]
        elif flag:
            trainees = [t for t in trainees if flag in t.flag_codes]
        trainees.sort(key=lambda t: t.trainee.name.lower())
        if sort == "flags":
            trainees.sort(key=lambda t: -len(t.flags))
        elif sort != "name":
            trainees.sort(key=_PY_SORTS.get(sort, _PY_SORTS["name"]))
        total = len(trainees)
        trainees = trainees[(page - 1) * per_page : page * per_page]
    else:
        base = (
            sa.select(Enrolment.trainee_id)
            .join(User, User.id == Enrolment.trainee_id)
            .join(Curriculum, Curriculum.id == Enrolment.curriculum_id)
            .outerjoin(ProgressSummary, ProgressSummary.enrolment_id == Enrolment.id)
            .where(*where)
            .group_by(Enrolment.trainee_id)
        )
        total = (
            db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
            or 0
        )
        ids = list(
            db.session.scalars(
                _sql_sorted(base, sort).limit(per_page).offset((page - 1) * per_page)
            )
        )
        position = {tid: i for i, tid in enumerate(ids)}
        on_page = [*where, Enrolment.trainee_id.in_(ids or [""])]
        trainees = sorted(
            _group(cohort_rows(on_page, today)[0]),
            key=lambda t: position[t.trainee.id],
        )
    pages = max((total + per_page - 1) // per_page, 1)
    columns, cells, by_module = _heat_map(trainees, programme)
    return CohortPage(trainees, total, page, pages, columns, cells, by_module)


_PY_SORTS = {
    "name": lambda t: t.trainee.name.lower(),
    "percent": lambda t: t.percent,
    "last_activity": lambda t: t.last_activity or date.min,
    "programme": lambda t: min(r.programme for r in t.rows),
}


def _group(rows: list[CohortRow]) -> list[TraineeRow]:
    people: dict[str, TraineeRow] = {}
    for row in sorted(rows, key=lambda r: (r.kind != "stp", r.programme)):
        people.setdefault(row.trainee.id, TraineeRow(row.trainee, [])).rows.append(row)
    return list(people.values())


def _heat_map(
    trainees: list[TraineeRow], programme: str | None
) -> tuple[list[tuple[str, str]], dict[str, dict[str, Cell]], bool]:
    """Trainees x modules of the chosen programme (done of total in each cell), or
    trainees x flags without one; words in every cell, so colour is never alone."""
    cells: dict[str, dict[str, Cell]] = {}
    if programme:
        enrolments = [r.enrolment for t in trainees for r in t.rows]
        # The stored module figures (the read model), not full progress.
        progress = tracking.module_progress_many([_as_enrolment(e) for e in enrolments])
        titles = _module_titles(sorted({e.curriculum_id for e in enrolments}))
        columns: dict[str, str] = {}
        for t in trainees:
            for r in t.rows:
                order = titles.get(r.enrolment.curriculum_id, {})
                modules = sorted(
                    progress[r.enrolment.id].modules,
                    key=lambda m, o=order: o.get(m.code, (len(o), ""))[0],  # type: ignore[misc]
                )
                for m in modules:
                    columns.setdefault(m.code, order.get(m.code, (0, m.title))[1])
                    if not m.total_units:
                        cells.setdefault(t.trainee.id, {})[m.code] = Cell(
                            "nothing to count yet", "grey"
                        )
                        continue
                    rag = (
                        "green"
                        if m.total_units and m.done_units >= m.total_units
                        else "amber"
                        if m.done_units
                        else "grey"
                    )
                    words = {
                        "green": "complete",
                        "amber": "under way",
                        "grey": "not started",
                    }[rag]
                    cells.setdefault(t.trainee.id, {})[m.code] = Cell(
                        f"{m.done_units} of {m.total_units}, {words}", rag
                    )
        return list(columns.items()), cells, True
    codes = [
        code for code in FLAG_LABELS if any(code in t.flag_codes for t in trainees)
    ]
    for t in trainees:
        mine = t.flag_codes
        cells[t.trainee.id] = {
            code: Cell("Yes", "red") if code in mine else Cell("No", "green")
            for code in codes
        }
    return [(c, FLAG_LABELS[c]) for c in codes], cells, False


def _module_titles(curriculum_ids: list[str]) -> dict[str, dict[str, tuple[int, str]]]:
    """Each curriculum's modules: code -> (place in the curriculum, title), one query."""
    from portfolio.curriculum.models import Outcome

    found: dict[str, dict[str, tuple[int, str]]] = {}
    for curriculum_id, code, title in db.session.execute(
        sa.select(Outcome.curriculum_id, Outcome.code, Outcome.title)
        .where(Outcome.curriculum_id.in_(curriculum_ids or [""]))
        .where(Outcome.type == "module")
        .order_by(Outcome.curriculum_id, Outcome.position)
    ):
        mine = found.setdefault(curriculum_id, {})
        mine.setdefault(code, (len(mine), title))
    return found


def specialisms(organisation_ids: set[str] | None) -> list[str]:
    """The specialisms of the programmes enrolled on at these organisations."""
    query = (
        sa.select(Curriculum.specialism)
        .join(Enrolment, Enrolment.curriculum_id == Curriculum.id)
        .where(Enrolment.status != "withdrawn", Curriculum.specialism.is_not(None))
        .distinct()
        .order_by(Curriculum.specialism)
    )
    if organisation_ids is not None:
        query = query.where(Enrolment.organisation_id.in_(organisation_ids or {""}))
    return [s for s in db.session.scalars(query) if s]


def _on_its_own(specs: list[OutcomeSpec], spec: OutcomeSpec) -> OutcomeSpec | None:
    """``spec`` as the rules would place it in its curriculum's tree, standing alone:
    retired if it or a heading above it is, and None when it has outcomes under it
    (a heading is never counted). ``engine.outcome_progress`` then gives the same
    answer over this one spec as over the whole tree, without laying the tree out
    for every enrolment."""
    by_code = {s.code: s for s in specs}
    if any(s.parent == spec.code for s in specs):
        return None
    retired, seen, above = spec.retired, {spec.code}, spec.parent
    while above is not None and above in by_code and above not in seen:
        seen.add(above)
        retired = retired or by_code[above].retired
        above = by_code[above].parent
    # Its parent stays named: outside the list, the rules take it for a root.
    return replace(spec, retired=retired)


def stp_standings(
    facts: list[EnrolmentFacts],
    percents: dict[str, float],
    today: date,
    reviews: dict[str, ReviewState | None] | None = None,
) -> dict[str, stp_tracking.StpStanding]:
    """The STP standings of the cohort's STP enrolments (``stp_tracking.standings``)
    from the read model the facts carry: each module's stored done and total units,
    and the first multi-source feedback round's stored counts; nothing is computed
    per outcome. An enrolment without maintained rows gets full progress
    (``tracking.progress_many``), as elsewhere."""
    stp = [e for e in facts if e.curriculum.kind == "stp"]
    if not stp:
        return {}
    missing = [_as_enrolment(e) for e in stp if e.percent_complete is None]
    progress = tracking.progress_many(missing) if missing else {}
    for e in stp:
        if e.percent_complete is None:
            continue
        outcomes = []
        code, alone = e.curriculum.msf_round or ("", None)
        if alone is not None:
            found = outcome_progress([alone], code, e.msf_tally)
            if found is not None:
                outcomes.append(found)
        progress[e.id] = Progress(
            percent_complete=percents[e.id],
            outcomes=outcomes,
            modules=[
                ModuleProgress(code, "", percent(done, total), done, total, [], [])
                for code, (done, total) in e.module_figures.items()
            ],
            next_actions=[],
        )
    held = (
        None
        if reviews is None
        else {e.id: state.held if (state := reviews.get(e.id)) else [] for e in stp}
    )
    return stp_tracking.standings(
        [_as_enrolment(e) for e in stp],
        progress,
        today,
        cast(Any, held),
        present={m: any(m in e.stp_records for e in stp) for m in stp_tracking.RECORDS},
    )


# Each enrolment's cohort row, kept per process (per Flask app) under what it is worked
# out from: the enrolment's revision (a new token with every change to what the row
# reads, ``progress.revisions``), its summary's revision (every change to its
# maintained progress), its curriculum version, the day and the at-risk settings.
# The row is the rules' answer for exactly those inputs, so a row kept under the same
# key is the row the rules would give again; a change anywhere moves the key.
COHORT_CACHE = "cohort_rows"
COHORT_CACHE_ENTRIES = 4096  # enrolments per process (about 6 KiB each)


def _row_cache() -> spec_cache.LruCache:
    return current_app.extensions.setdefault(
        COHORT_CACHE, spec_cache.LruCache(COHORT_CACHE_ENTRIES)
    )


def _row_key(
    enrolment_id: str,
    revision: str | None,
    summary_revision: str | None,
    curriculum: Any,
    today: date,
    settings: tuple,
) -> tuple | None:
    """What a row is kept under (None: not kept: no summary, or no revision, yet)."""
    version = spec_cache.stamp(curriculum)
    if not revision or not summary_revision or version is None:
        return None
    return (enrolment_id, revision, summary_revision, version, today, settings)


def cohort_rows(
    where: list[sa.ColumnElement[bool]], today: date, page: sa.CTE | None = None
) -> tuple[list[CohortRow], int]:
    """The rows of the enrolments matching ``where`` (or of ``page``, in its order,
    see ``load``) and the number matching in all.

    One query reads what each row is kept under (``queries.cohort_keys``); only the
    rows not kept are read in full and worked out (``load``, ``rows_for``), then
    kept. A session with outcome or curriculum changes not yet committed keeps and
    reads nothing."""
    if spec_cache.outcomes_changed_here():
        facts, total = load(where, today, page)
        return rows_for(facts, today), total
    cache = _row_cache()
    settings = tracking.risk_settings()
    keys = queries.cohort_keys(where, page)
    if page is None:
        total = len(keys)
    elif keys:
        total = keys[0].total
    else:  # past the end: only the count
        total = (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Enrolment).where(*where)
            )
            or 0
        )
    found: dict[str, CohortRow] = {}
    for k in keys:
        key = _row_key(k.id, k.revision, k.summary_revision, k, today, settings)
        hit = cache.get(key) if key is not None else None
        if hit is not None:
            found[k.id] = hit
    missing = [k.id for k in keys if k.id not in found]
    if missing:
        # Most of them: read as asked; a few: only those, by id.
        scope: tuple[list[sa.ColumnElement[bool]], sa.CTE | None] = (
            (where, page)
            if 2 * len(missing) > len(keys)
            else ([Enrolment.id.in_(missing)], None)
        )
        for row in rows_for(load(scope[0], today, scope[1])[0], today):
            fact = row.enrolment
            found[fact.id] = row
            key = _row_key(
                fact.id,
                fact.revision,
                fact.summary_revision,
                fact.curriculum,
                today,
                settings,
            )
            # An STP standing with records holds them as rows of its session: such
            # a row is worked out each time.
            if key is not None and not fact.stp_records:
                cache.put(key, row)
    return [found[k.id] for k in keys if k.id in found], total


def rows_for(facts: list[EnrolmentFacts], today: date) -> list[CohortRow]:
    """Where each enrolment stands, from its facts (``load``): no queries, but for
    an enrolment without a maintained summary yet, and the STP standings' own."""
    enrolments = [_as_enrolment(e) for e in facts]
    percents = {
        e.id: e.percent_complete for e in facts if e.percent_complete is not None
    }
    missing = [e for e in enrolments if e.id not in percents]
    oldest_requests = {e.id: e.oldest_submitted_at for e in facts}
    if missing:  # no maintained summary yet: computed in memory, never written
        percents.update(tracking.percent_many(missing))
        for enrolment_id, found in tracking.flag_dates_many(missing).items():
            oldest_requests[enrolment_id] = found.oldest_submitted_at
    reviews = {e.id: review_state(e.reviews) for e in facts}
    stp = stp_standings(facts, percents, today, reviews)
    rows = []
    for fact, enrolment in zip(facts, enrolments, strict=True):
        last, oldest = fact.last_activity_at, oldest_requests[fact.id]
        last_day = last.date() if last else None
        otj_summary = _otj_flag_input(enrolment, fact.otj_signed_hours, today)
        review = reviews[fact.id]
        last_review = review.last_complete if review else None
        if tracking.is_apprenticeship(enrolment):
            due = apprenticeship.next_review_due(
                apprenticeship.rules_for(enrolment.start_date),
                enrolment.start_date,
                last_review,
                today,
                tracking.breaks_of(enrolment, today),
            )
        else:
            due = tracking.stp_review_due(enrolment.start_date, last_review)
        unsigned = review_flag(review)
        flags = tracking.risk_flags(
            enrolment,
            percents[enrolment.id],
            today,
            last_day,
            oldest.date() if oldest else None,
            otj_summary,
            # A review held but not yet signed is shown as that, not as overdue.
            None if unsigned else due,
        )
        # fact.supervisors holds the supervision in force today (role, name).
        has_officer = any(a.role == "training_officer" for a in fact.supervisors)
        if enrolment.status == "active":
            if unsigned:
                flags.append(unsigned)
            if not has_officer and enrolment.curriculum.kind in OFFICER_KINDS:
                flags.insert(
                    0,
                    tracking.Flag(
                        "no_training_officer", "No training officer assigned"
                    ),
                )
        stp_standing = stp.get(enrolment.id)
        if stp_standing is not None:
            flags += [tracking.Flag(f.code, f.message) for f in stp_standing.flags]
        officer = next(
            (a.name for a in fact.supervisors if a.role == "training_officer"),
            next((a.name for a in fact.supervisors), ""),
        )
        rows.append(
            CohortRow(
                enrolment=fact,
                trainee=fact.trainee,
                programme=fact.curriculum.title,
                kind=fact.curriculum.kind,
                specialism=fact.curriculum.specialism or "",
                percent=percents[enrolment.id],
                flags=flags,
                last_activity=last_day,
                supervisor=officer,
                status=enrolment.status,
                stp=stp_standing,
                has_training_officer=has_officer,
            )
        )
    return rows


SORT_KEYS = {
    "name": lambda r: (r.trainee.name.lower(), r.programme),
    "percent": lambda r: (r.percent, r.trainee.name.lower()),
    "flags": lambda r: (-len(r.flags), r.trainee.name.lower()),
    "last_activity": lambda r: (
        r.last_activity or date.min,
        r.trainee.name.lower(),
    ),
    "programme": lambda r: (r.kind, r.programme, r.trainee.name.lower()),
}


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
    supervisor: Person
    trainees: int
    pending: int
    over_cap: bool


def supervisor_load(
    organisation_ids: set[str] | None, today: date | None = None
) -> list[SupervisorLoad]:
    """Trainees and waiting sign-off requests per supervisor, against the soft cap,
    in one query: the trainees counted per supervisor, joined to the supervisor's
    name, with their waiting requests counted by index (``ix_evidence_assessor_status``)."""
    today = today or date.today()
    values: dict[str, Any] = {"today": today}
    if organisation_ids is not None:
        values["organisations"] = sorted(organisation_ids or {""})
    statement = _LOAD_STATEMENTS.get(organisation_ids is None)
    if statement is None:
        statement = _LOAD_STATEMENTS[organisation_ids is None] = _load_statement(
            organisation_ids is None
        )
    cap = tracking.setting("SUPERVISOR_SOFT_CAP")
    return [
        SupervisorLoad(Person(row.id, row.name), row.n, row.pending, row.n > cap)
        for row in db.session.execute(statement, values)
    ]


# The supervisor load's statement, built once per process for each shape (every
# organisation, or those bound as ``organisations``), its values bound per request.
_LOAD_STATEMENTS: dict[bool, sa.Select] = {}


def _load_statement(everywhere: bool) -> sa.Select:
    # Each (supervisor, trainee) pair once, then counted: PostgreSQL hashes the
    # pairs, where count(DISTINCT) sorted every assignment first.
    today = cast(date, sa.bindparam("today", type_=sa.Date))
    pairs = (
        sa.select(
            SupervisionAssignment.supervisor_id.label("supervisor_id"),
            SupervisionAssignment.trainee_id,
        )
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
        .where(SupervisionAssignment.in_force_on(today), Enrolment.in_training())
        .distinct()
    )
    if not everywhere:
        pairs = pairs.where(
            Enrolment.organisation_id.in_(sa.bindparam("organisations", expanding=True))
        )
    paired = pairs.subquery()
    counted = (
        sa.select(paired.c.supervisor_id, sa.func.count().label("n"))
        .group_by(paired.c.supervisor_id)
        .subquery()
    )
    pending = (
        sa.select(sa.func.count())
        .where(Evidence.submitted_to_id == User.id, Evidence.status == "submitted")
        .scalar_subquery()
    )
    return (
        sa.select(User.id, User.name, counted.c.n, pending.label("pending"))
        .join(counted, counted.c.supervisor_id == User.id)
        .order_by(counted.c.n.desc(), User.name, User.id)
    )
