"""What the home page shows each role: a trainee's dashboard and a supervisor's
workspace. Read only (no writes on the way to a page).

The trainee's dashboard: progress per enrolment (overall, per phase and per module),
items returned with feedback (first), items waiting on someone (an assessor with an
account, or an emailed assessor link) and for how long, drafts, the next steps with
their outcomes' titles and links that open the right evidence form with the outcome
already chosen, the reviews and deadlines coming up, and MSF rounds in progress.

The supervisor's workspace: their trainees (progress, waiting requests, last
activity, reviews due) and the queue with each request's age.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for

from portfolio.accounts.models import User
from portfolio.curriculum import spec_cache
from portfolio.curriculum.models import Outcome
from portfolio.db import utcnow
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import ProgressReview
from portfolio.evidence.models import Evidence
from portfolio.evidence.types import RECORDABLE
from portfolio.extensions import db
from portfolio.progress import supervision
from portfolio.progress import tracking
from portfolio.progress.engine import SIGNED_OFF
from portfolio.progress.engine import Progress
from portfolio.signoff import services as signoff

MAX_NEXT_STEPS = 5
MAX_LISTED = 10  # of each list on the home page; the full lists are a click away
# A supervisor with more trainees than this sees a caseload summary above the list.
CASELOAD_SUMMARY_FROM = 6


def percent_text(value: float) -> str:
    """A percentage as people write it: 0%, 12.5%, 100% (never 0.0%)."""
    value = round(float(value), 1)
    return f"{value:g}%"


# ---- the trainee's dashboard ----------------------------------------------------------


@dataclass
class Bar:
    """A progress bar: a label, done of total units, its percentage."""

    label: str
    done: int
    total: int
    percent: float
    code: str = ""
    phase: int | None = None
    # What is still needed, in plain words (never "Nothing" while units remain).
    still_needed: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass
class NextStep:
    code: str
    title: str
    needs: str
    href: str
    action: str  # the link's words, e.g. "Add a reflection"


@dataclass
class Deadline:
    on: date
    what: str
    href: str
    overdue: bool = False


@dataclass
class Programme:
    enrolment: Enrolment
    standing: tracking.Standing
    overall: Bar
    phases: list[Bar]
    modules: list[Bar]
    next_steps: list[NextStep]


@dataclass(frozen=True)
class OpenItem:
    """A returned, waiting or draft item as the home page lists it (columns, not an
    ORM object: a trainee has up to 30 of them there)."""

    id: str
    title: str
    kind: str
    status: str
    updated_at: datetime
    submitted_at: datetime | None
    submitted_to_id: str | None
    submitted_to_name: str | None


@dataclass
class Waiting:
    evidence: OpenItem
    waiting_on: str  # who it waits for, in words
    since: datetime | None
    days: int
    by_link: bool = False
    link_expired: bool = False


@dataclass
class MsfInProgress:
    round_id: str
    title: str
    answered: int
    invited: int
    minimum: int
    started: datetime


@dataclass
class TraineeHome:
    """The lists that follow the portfolio hold at most MAX_LISTED items each (the
    oldest waiting, the latest returned and drafts); the counts are of them all."""

    programmes: list[Programme]
    returned: list[Waiting]
    waiting: list[Waiting]
    drafts: list[OpenItem]
    draft_count: int
    deadlines: list[Deadline]
    msf: list[MsfInProgress]
    returned_count: int = 0
    waiting_count: int = 0


PHASE_LABELS = {1: "Phase 1: rotations", 2: "Phase 2", 3: "Phase 3"}


def _phase_label(phase: int | None) -> str:
    return PHASE_LABELS.get(phase, f"Phase {phase}") if phase else "Not in a phase"


def _module_phases(
    enrolments: list[Enrolment],
) -> dict[tuple[str, str], int | None]:
    """Each module's phase (rotation modules are phase 1), per curriculum version
    from the cache (``portfolio.curriculum.spec_cache``; one query for the rest)."""

    def load(curriculum_ids: list[str]) -> dict[str, dict[str, int | None]]:
        found: dict[str, dict[str, int | None]] = defaultdict(dict)
        for cid, code, phase, module_type in db.session.execute(
            sa.select(
                Outcome.curriculum_id, Outcome.code, Outcome.phase, Outcome.module_type
            ).where(Outcome.curriculum_id.in_(curriculum_ids), Outcome.type == "module")
        ):
            found[cid][code] = 1 if module_type == "rotation" and not phase else phase
        return found

    by_curriculum: dict[str, dict[str, int | None]] = spec_cache.cached(
        "module_phases",
        {e.curriculum_id: e.curriculum for e in enrolments},
        load,
        dict,
    )
    return {
        (cid, code): phase
        for cid, phases in by_curriculum.items()
        for code, phase in phases.items()
    }


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def module_still_needed(module, outcomes_by_code: dict) -> list[str]:
    """What a module still needs: its unfinished outcomes and its assessments.

    A module at 0 of 8 never reads "nothing": the outcomes not signed off are
    counted, with how many have evidence under way.
    """
    open_outcomes = [
        outcomes_by_code[c]
        for c in module.outcome_codes
        if c in outcomes_by_code and outcomes_by_code[c].status != SIGNED_OFF
    ]
    lines = []
    if open_outcomes:
        started = sum(1 for o in open_outcomes if o.status == "in_progress")
        line = f"{_plural(len(open_outcomes), 'outcome', 'outcomes')} to be signed off"
        if started:
            line += f" ({started} under way)"
        elif len(open_outcomes) == len(module.outcome_codes):
            line += " (none started yet)"
        lines.append(line)
    lines += [m[0].upper() + m[1:] for m in module.missing]
    return lines


def outcomes_by_code(progress: Progress) -> dict[str, object]:
    """A progress's outcomes by code (what ``module_still_needed`` reads)."""
    return {o.code: o for o in progress.outcomes}


def outcomes_under_way(progress: Progress) -> list:
    """The outcomes with evidence under way, in curriculum order."""
    return [o for o in progress.outcomes if o.status == "in_progress"]


def _evidence_link(kind: str, claim: str) -> str:
    return url_for("evidence.create", kind=kind, claim=claim)


def _kind_for(outcome, rules: Mapping) -> str:
    """The evidence kind that moves an outcome on: one its rules ask for, else a
    reflection when reflections are short, else a training activity record."""
    for kind in rules.get("kinds") or ():
        if kind in RECORDABLE:
            return kind
    if any("reflection" in line for line in outcome.missing):
        return "reflection"
    return "training_activity"


ACTION_WORDS = {
    "reflection": "Write a reflection",
    "training_activity": "Record a training activity",
    "dops": "Record a DOPS",
    "oce": "Record an OCE",
    "cbd": "Record a CBD",
    "document": "Add a document",
    "certificate": "Add a certificate",
    "otj": "Log off-the-job hours",
}


def _assessment_kind(line: str) -> str:
    """The kind a module's "needs 2 more CBDs signed off" line asks for (a DOPS
    for "DOPS or OCE")."""
    for word, kind in (
        ("DOPS", "dops"),
        ("OCE", "oce"),
        ("CBD", "cbd"),
        ("MSF", "msf"),
    ):
        if word in line:
            return kind
    return "dops"


def next_steps(
    enrolment: Enrolment, progress: Progress, rules: Mapping[str, Mapping]
) -> list[NextStep]:
    """The steps that move this programme on, each with a link that opens the
    evidence form with its outcome chosen (engine.py rule 8, as links)."""
    slug = enrolment.curriculum.slug
    steps: list[NextStep] = []
    started = sorted(
        (o for o in progress.outcomes if o.status == "in_progress"),
        key=lambda o: o.shortfall,
    )
    chosen = started[:3]
    if not chosen:
        chosen = [o for o in progress.outcomes if o.status == "not_started"][:1]
    for outcome in chosen:
        kind = _kind_for(outcome, rules.get(outcome.code, {}))
        needs = [line for line in outcome.missing if line.startswith("needs ")]
        steps.append(
            NextStep(
                outcome.code,
                outcome.title,
                "; ".join(needs) if needs else "not started yet",
                _evidence_link(kind, f"{slug}:{outcome.code}"),
                ACTION_WORDS.get(kind, "Add evidence"),
            )
        )
    for module in progress.modules:
        if len(steps) >= MAX_NEXT_STEPS:
            break
        needs = [line for line in module.missing if line.startswith("needs ")]
        if not needs:
            continue
        kind = _assessment_kind(needs[0])
        href = (
            url_for("msf.index")
            if kind == "msf"
            else _evidence_link(kind, f"{slug}:{module.code}")
        )
        steps.append(
            NextStep(
                module.code,
                module.title,
                "; ".join(needs),
                href,
                "Start an MSF round" if kind == "msf" else ACTION_WORDS[kind],
            )
        )
    return steps[:MAX_NEXT_STEPS]


def _rules(enrolments: list[Enrolment]) -> dict[str, dict[str, Mapping]]:
    """Each curriculum's outcome evidence rules by code (the cached outcome specs)."""
    return {
        cid: {spec.code: spec.evidence for spec in specs}
        for cid, specs in tracking.specs_of(enrolments).items()
    }


def programme_of(
    standing: tracking.Standing,
    phases: dict[tuple[str, str], int | None],
    rules: Mapping[str, Mapping],
) -> Programme:
    enrolment, progress = standing.enrolment, standing.progress
    by_code = {o.code: o for o in progress.outcomes}
    modules = [
        Bar(
            m.title,
            m.done_units,
            m.total_units,
            m.percent_complete,
            code=m.code,
            phase=phases.get((enrolment.curriculum_id, m.code)),
            still_needed=module_still_needed(m, by_code),
        )
        for m in progress.modules
    ]
    grouped: dict[int | None, list[Bar]] = defaultdict(list)
    for bar in modules:
        grouped[bar.phase].append(bar)
    phase_bars = []
    if len(grouped) > 1 or None not in grouped:
        for phase in sorted(grouped, key=lambda p: (p is None, p or 0)):
            done = sum(b.done for b in grouped[phase])
            total = sum(b.total for b in grouped[phase])
            phase_bars.append(
                Bar(
                    _phase_label(phase),
                    done,
                    total,
                    round(100.0 * done / total, 1) if total else 0.0,
                    phase=phase,
                )
            )
    overall = Bar(
        enrolment.curriculum.title,
        progress.done_units,
        progress.total_units,
        progress.percent_complete,
    )
    return Programme(
        enrolment,
        standing,
        overall,
        phase_bars,
        modules,
        next_steps(enrolment, progress, rules),
    )


def _waiting_on(item: OpenItem, now: datetime, ticket=None) -> Waiting:
    """Who an item waits for: ``ticket`` is its live emailed link, if any
    (``_live_tickets``, as ``signoff.ticket_of``)."""
    days = (now.date() - item.submitted_at.date()).days if item.submitted_at else 0
    if item.submitted_to_id is not None:
        return Waiting(item, item.submitted_to_name or "", item.submitted_at, days)
    if ticket is not None:
        return Waiting(
            item,
            f"{ticket.name}, by emailed link",
            item.submitted_at,
            days,
            by_link=True,
            link_expired=ticket.expires_at < now,
        )
    return Waiting(item, "shared without a named assessor", item.submitted_at, days)


def _deadlines(standings: list[tracking.Standing], today: date) -> list[Deadline]:
    found: list[Deadline] = []
    for s in standings:
        e = s.enrolment
        href = url_for("progress.enrolment", enrolment_id=e.id)
        title = e.curriculum.title
        for review in s.reviews:
            if not review.trainee_signed_at:
                found.append(
                    Deadline(
                        review.held_on,
                        f"Sign your review of {review.held_on.day} {review.held_on:%B %Y} "
                        f"({title})",
                        href,
                    )
                )
        if s.review_due and s.stp is None:  # an STP's review point follows
            found.append(
                Deadline(
                    s.review_due,
                    f"Progress review due ({title})",
                    href,
                    s.review_due < today,
                )
            )
        current = getattr(s.stp, "current", None) if s.stp else None
        if current is not None and getattr(current, "due", None):
            found.append(
                Deadline(
                    current.due,
                    f"{current.title} ({title})",
                    href,
                    current.due < today,
                )
            )
        found.append(Deadline(s.adjusted_end, f"Expected end of {title}", href))
    return sorted(found, key=lambda d: d.on)


def _msf_in_progress(trainee_id: str) -> list[MsfInProgress]:
    """MSF rounds still collecting answers, with their counts, in one query."""
    from portfolio.msf.models import MsfRater
    from portfolio.msf.models import MsfResponse
    from portfolio.msf.models import MsfRound

    answered = (
        sa.select(sa.func.count())
        .where(MsfResponse.round_id == MsfRound.id)
        .scalar_subquery()
    )
    invited = (
        sa.select(sa.func.count()).where(MsfRater.round_id == MsfRound.id)
    ).scalar_subquery()
    rows = db.session.execute(
        sa.select(
            MsfRound.id,
            MsfRound.min_raters,
            MsfRound.created_at,
            answered.label("answered"),
            invited.label("invited"),
        )
        .where(MsfRound.trainee_id == trainee_id, MsfRound.status == "collecting")
        .order_by(MsfRound.created_at)
    )
    return [
        MsfInProgress(
            r.id,
            "Multi-source feedback round",
            r.answered or 0,
            r.invited or 0,
            r.min_raters,
            r.created_at,
        )
        for r in rows
    ]


OPEN_STATUSES = ("returned", "submitted", "draft")


def _open_items(trainee_id: str) -> tuple[dict[str, list[OpenItem]], dict[str, int]]:
    """The trainee's returned, waiting and draft items, at most MAX_LISTED of each
    (the latest returned and drafts, the longest waiting), and how many of each
    there are (a window count beside each listed item): one query of columns,
    whatever the size of the portfolio."""
    counts: dict[str, int] = {}
    lists: dict[str, list[OpenItem]] = {status: [] for status in OPEN_STATUSES}
    waiting_first = sa.case(
        (Evidence.status == "submitted", Evidence.submitted_at), else_=None
    )
    ranked = (
        sa.select(
            Evidence.id,
            sa.func.row_number()
            .over(
                partition_by=Evidence.status,
                order_by=(waiting_first.asc(), Evidence.updated_at.desc(), Evidence.id),
            )
            .label("n"),
            sa.func.count().over(partition_by=Evidence.status).label("of"),
        )
        .where(Evidence.owner_id == trainee_id, Evidence.status.in_(OPEN_STATUSES))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Evidence.id,
            Evidence.title,
            Evidence.kind,
            Evidence.status,
            Evidence.updated_at,
            Evidence.submitted_at,
            Evidence.submitted_to_id,
            User.name,
            ranked.c.of,
        )
        .join(ranked, ranked.c.id == Evidence.id)
        .outerjoin(User, User.id == Evidence.submitted_to_id)
        .where(ranked.c.n <= MAX_LISTED)
        .order_by(Evidence.updated_at.desc(), Evidence.id)
    ).all()
    for row in rows:
        item = OpenItem(
            row.id,
            row.title,
            row.kind,
            row.status,
            row.updated_at,
            row.submitted_at,
            row.submitted_to_id,
            row.name,
        )
        lists[item.status].append(item)
        counts[item.status] = row.of
    return lists, counts


def _live_tickets(items: list[OpenItem]) -> dict[str, object]:
    """The live emailed link of each item waiting on one (``signoff.ticket_of``:
    the latest ticket neither used nor revoked), in one query."""
    from portfolio.tickets.models import Ticket

    ids = [e.id for e in items if e.status == "submitted" and e.submitted_to_id is None]
    if not ids:
        return {}
    found: dict[str, object] = {}
    for ticket in db.session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.purpose == "wba",
            Ticket.subject_id.in_(ids),
            Ticket.used_at.is_(None),
            Ticket.revoked_at.is_(None),
        )
        .order_by(Ticket.created_at)
    ):
        found[ticket.subject_id] = ticket  # the latest wins
    return found


def trainee_home(trainee: User, today: date | None = None) -> TraineeHome:
    """Everything the trainee's home page shows."""
    today = today or date.today()
    now = utcnow()
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.trainee_id == trainee.id, Enrolment.status != "withdrawn")
            # Neither the supervisors nor the trainee's roles are on this page (the
            # signed-in user's roles are loaded with them).
            .options(
                sa.orm.lazyload(Enrolment.supervisors),
                sa.orm.joinedload(Enrolment.trainee).lazyload(User.roles),
            )
            .order_by(Enrolment.start_date)
        )
    )
    standings = tracking.standings(enrolments, today)
    phases = _module_phases(enrolments)
    rules = _rules(enrolments)
    programmes = [
        programme_of(s, phases, rules.get(s.enrolment.curriculum_id, {}))
        for s in standings
    ]
    lists, counts = _open_items(trainee.id)
    returned = [
        Waiting(e, "you", e.updated_at, (now.date() - e.updated_at.date()).days)
        for e in lists["returned"]
    ]
    tickets = _live_tickets(lists["submitted"])
    waiting = sorted(
        (_waiting_on(e, now, tickets.get(e.id)) for e in lists["submitted"]),
        key=lambda w: -w.days,
    )
    return TraineeHome(
        programmes=programmes,
        returned=returned,
        waiting=waiting,
        drafts=lists["draft"],
        draft_count=counts.get("draft", 0),
        deadlines=_deadlines(standings, today),
        msf=_msf_in_progress(trainee.id),
        returned_count=counts.get("returned", 0),
        waiting_count=counts.get("submitted", 0),
    )


# ---- the supervisor's workspace -------------------------------------------------------


@dataclass
class QueueItem:
    evidence: Evidence
    days: int


@dataclass
class ReviewDue:
    enrolment: Enrolment
    due: date | None
    overdue: bool
    unsigned: ProgressReview | None  # held, not signed by everyone yet


@dataclass
class SupervisorHome:
    trainees: list[supervision.SupervisedTrainee]
    reviews: dict[str, list[ReviewDue]]  # by trainee id
    queue: list[QueueItem]
    queue_count: int
    oldest_days: int | None
    caseload: bool  # show the caseload summary (many trainees)
    overdue_reviews: int
    inactive: int  # trainees with nothing recorded in RISK_NO_EVIDENCE_WEEKS


def review_states(enrolments: list[Enrolment], today: date) -> dict[str, ReviewDue]:
    """Each enrolment's next review and any review held but not yet signed by
    everyone, from one query for all of them."""
    reviews: dict[str, list[ProgressReview]] = defaultdict(list)
    for review in db.session.scalars(
        sa.select(ProgressReview)
        .where(ProgressReview.enrolment_id.in_([e.id for e in enrolments] or [""]))
        .order_by(ProgressReview.held_on)
    ):
        reviews[review.enrolment_id].append(review)
    states = {}
    for e in enrolments:
        mine = reviews.get(e.id, [])
        due = tracking.next_review_due(e, mine, today)
        last_complete = max((r.held_on for r in mine if r.complete), default=None)
        unsigned = next(
            (
                r
                for r in reversed(mine)
                if not r.complete
                and (last_complete is None or r.held_on > last_complete)
            ),
            None,
        )
        states[e.id] = ReviewDue(e, due, due is not None and due < today, unsigned)
    return states


def supervisor_home(supervisor: User, today: date | None = None) -> SupervisorHome:
    today = today or date.today()
    trainees = supervision.my_trainees(supervisor, today)
    enrolments = [p.enrolment for t in trainees for p in t.programmes]
    states = review_states(enrolments, today)
    by_trainee: dict[str, list[ReviewDue]] = defaultdict(list)
    for e in enrolments:
        by_trainee[e.trainee_id].append(states[e.id])
    query = signoff.queue(supervisor)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    items = [
        QueueItem(e, signoff.age_in_days(e, today))
        for e in db.session.scalars(query.limit(MAX_LISTED))
    ]
    weeks = tracking.setting("RISK_NO_EVIDENCE_WEEKS")
    inactive = sum(
        1
        for t in trainees
        if (
            t.last_activity.date()
            if t.last_activity
            else min(p.enrolment.start_date for p in t.programmes)
        )
        < today - timedelta(weeks=weeks)
    )
    return SupervisorHome(
        trainees=trainees,
        reviews=dict(by_trainee),
        queue=items,
        queue_count=count or 0,
        oldest_days=items[0].days if items else None,
        caseload=len(trainees) >= CASELOAD_SUMMARY_FROM,
        overdue_reviews=sum(
            1 for s in states.values() if s.overdue and s.unsigned is None
        ),
        inactive=inactive,
    )


# ---- the training lead's cohort at a glance -------------------------------------------


@dataclass
class LeadHome:
    trainees: int
    flagged: int
    flags: list[tuple[str, str, int]]  # (code, label, trainees with it)


def lead_home(organisation_ids: set[str] | None, today: date | None = None) -> LeadHome:
    """How many trainees, how many flagged and for what (the cohort's queries)."""
    from portfolio.progress import cohort

    rows = cohort.cohort(organisation_ids, today)
    people: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        people[row.trainee.id].update(f.code for f in row.flags)
    counts = {
        code: sum(1 for codes in people.values() if code in codes)
        for code in cohort.FLAG_LABELS
    }
    return LeadHome(
        trainees=len(people),
        flagged=sum(1 for codes in people.values() if codes),
        flags=[
            (code, label, counts[code])
            for code, label in cohort.FLAG_LABELS.items()
            if counts[code]
        ],
    )
