"""The STP review of progression, as the National School of Healthcare Science runs it.

Plain functions over dataclasses (no database, no web), like ``engine.py``: the
progress page, the at-risk flags, the cohort view and the tests all read the same
answer. Each rule names the public page it comes from (``SOURCES``); anything the
pages do not settle is marked "not confirmed" where it is shown.

Trainees who started in 2023 or later (NSHCS, "STP progression monitoring"):

- a six-month check-in in March of year 1: the School writes to trainee and training
  officer, who discuss the support that should be in place (inductions, university
  enrolment, supernumerary status, a training plan, regular supervision, rotations
  planned, 20% study time);
- end of year 1: phase 1 (the rotations) complete, and the end-of-year review
  meeting between trainee and training officer;
- end of year 2: 50% of the core module S-C1 and the end-of-year review meeting,
  plus either 100% of the phase 2 modules, or 60% overall completion and 100% of S-C2;
- the requirements are met by 30 September; the end-of-year review meeting is
  recorded in the e-portfolio between 1 and 30 September; concerns are reported to
  the School by exception between 1 and 30 September; the School reviews in October
  and releases outcomes in November.

Trainees who started in 2022 or earlier: the summative Midterm Review of Progression
(MRP), usually in January or February of year 2, on five components (trainee and
training officer evaluations, the rotation modules' assessments and competencies
signed off, progress on the MSc, one multi-source feedback exercise).

A curriculum module the files do not hold (S-C2 is one: it is being added) is "not
yet loaded", never met.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta

from portfolio.progress.apprenticeship import add_months

_GUIDANCE = (
    "https://nshcs.hee.nhs.uk/programmes/stp/trainees/"
    "guidance-for-trainees-and-training-officers-on-stp-review-of-progression/"
)
SOURCES = {
    "monitoring": "https://nshcs.hee.nhs.uk/programmes/stp/trainees/stp-progression-monitoring/",
    "requirements": _GUIDANCE + "the-progression-requirements/",
    "responsibilities": "https://nshcs.hee.nhs.uk/programmes/stp/trainees/"
    "the-stp-review-of-progression/summary-of-progression-requirement-responsibilities",
    "timelines": _GUIDANCE + "stp-progression-monitoring-timelines",
    "faqs": "https://nshcs.hee.nhs.uk/programmes/stp/trainees/faqs-on-stp-review-of-progression/",
    "midterm": "https://nshcs.hee.nhs.uk/knowledgebase/"
    "guidance-for-the-midterm-review-of-progression-for-stp-trainees/",
    "midterm_components": "https://nshcs.hee.nhs.uk/knowledgebase/"
    "guidance-for-the-midterm-review-of-progression-for-stp-trainees/"
    "components-measuring-progression/",
    "scheduling": "https://nshcs.hee.nhs.uk/programmes/stp/trainers/"
    "guidance-for-working-with-the-2022-stp-curricula/scheduling-training/",
}

SOURCE_TITLES = {
    SOURCES["monitoring"]: "NSHCS: STP progression monitoring",
    SOURCES["requirements"]: "NSHCS: The progression requirements",
    SOURCES[
        "responsibilities"
    ]: "NSHCS: Summary of progression requirement responsibilities",
    SOURCES["timelines"]: "NSHCS: Progression monitoring timelines",
    SOURCES["faqs"]: "NSHCS: STP review of progression FAQs",
    SOURCES["midterm"]: "NSHCS: Guidance for the Midterm Review of Progression",
    SOURCES["midterm_components"]: "NSHCS: MRP components measuring progression",
    SOURCES["scheduling"]: "NSHCS: Scheduling training (2022 curricula)",
}


def source_title(url: str) -> str:
    return SOURCE_TITLES.get(url, url)


# Starters from this year on are under the review of progression; earlier ones the MRP.
FIRST_REVIEW_OF_PROGRESSION_YEAR = 2023
S_C1 = "S-C1"
S_C2 = "S-C2"
S_C1_PERCENT = 50.0
OVERALL_PERCENT = 60.0
DUE_DAY = (9, 30)  # 30 September
WINDOW_OPENS = (9, 1)  # 1 September

# The six-month check-in's topics (NSHCS, "The progression requirements").
CHECK_IN_TOPICS = {
    "inductions": "Employer and departmental inductions",
    "university": "University enrolment and induction",
    "supernumerary": "Supernumerary status observed",
    "training_plan": "A training plan in place",
    "supervision": "Regular supervision, including pastoral support",
    "rotations": "Rotations arranged, planned or under way",
    "study_time": "20% study time supported",
}

# Record kinds a trainee, their training officer or a lead may add.
RECORD_KINDS = {
    "check_in": "Six-month check-in discussion",
    "exception": "Exception reported to the School",
    "midterm_trainee": "Midterm review: trainee's evaluation submitted",
    "midterm_officer": "Midterm review: training officer's evaluation submitted",
}
# Who reports an exception (NSHCS timelines: trainee, training officer or university).
REPORTERS = {
    "trainee": "Trainee",
    "training_officer": "Training officer",
    "university": "University",
}

MET, NOT_MET, NOT_LOADED = "met", "not_met", "not_loaded"
UPCOMING, OPEN, DONE, MISSED = "upcoming", "open", "met", "missed"
STATUS_LABELS = {
    UPCOMING: "Upcoming",
    OPEN: "Due now",
    DONE: "Met",
    MISSED: "Not met by the date",
}
STATE_LABELS = {MET: "Met", NOT_MET: "Not yet", NOT_LOADED: "Not yet loaded"}


@dataclass(frozen=True)
class ModuleFact:
    """One curriculum module and how far the trainee is through it."""

    code: str
    title: str
    source_ref: str | None
    module_type: str | None
    phase: int | None
    done_units: int
    total_units: int

    @property
    def percent(self) -> float:
        return (
            round(100.0 * self.done_units / self.total_units, 1)
            if self.total_units
            else 0.0
        )

    @property
    def complete(self) -> bool:
        return self.total_units > 0 and self.done_units >= self.total_units


@dataclass(frozen=True)
class Meeting:
    """An STP end-of-year review meeting recorded in the portfolio."""

    held_on: date
    complete: bool  # signed by every party


@dataclass(frozen=True)
class Record:
    """A check-in, an exception or a midterm evaluation (``RECORD_KINDS``)."""

    kind: str
    on: date
    reporter: str = ""
    text: str = ""


@dataclass(frozen=True)
class Facts:
    """What the rules read about one STP enrolment."""

    start: date
    percent_complete: float
    modules: Sequence[ModuleFact]
    meetings: Sequence[Meeting] = ()
    records: Sequence[Record] = ()
    msf_signed_off: bool | None = None  # None: no MSF round in the curriculum
    msc_recorded: bool = False
    extension_in_force: bool = False


@dataclass(frozen=True)
class Requirement:
    label: str
    state: str  # MET, NOT_MET, NOT_LOADED
    detail: str = ""
    # None: required; otherwise the route it belongs to ("a" or "b"), one route needed
    route: str | None = None

    @property
    def met(self) -> bool:
        return self.state == MET


@dataclass(frozen=True)
class ReviewPoint:
    code: str
    title: str
    opens: date
    due: date
    status: str  # UPCOMING, OPEN, DONE, MISSED
    requirements: list[Requirement]
    source: str
    not_confirmed: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return requirements_met(self.requirements)

    @property
    def unmet(self) -> list[Requirement]:
        required = [r for r in self.requirements if r.route is None and not r.met]
        routes = _routes(self.requirements)
        if routes and not any(all(r.met for r in rs) for rs in routes.values()):
            required += [r for rs in routes.values() for r in rs if not r.met]
        return required


def _routes(requirements: Sequence[Requirement]) -> dict[str, list[Requirement]]:
    routes: dict[str, list[Requirement]] = {}
    for r in requirements:
        if r.route is not None:
            routes.setdefault(r.route, []).append(r)
    return routes


def requirements_met(requirements: Sequence[Requirement]) -> bool:
    """Every required item met, and every item of at least one route (if any)."""
    if not all(r.met for r in requirements if r.route is None):
        return False
    routes = _routes(requirements)
    return not routes or any(all(r.met for r in rs) for rs in routes.values())


# ---- which process and when ------------------------------------------------------------


def uses_review_of_progression(start: date) -> bool:
    """2023 and later starters: the review of progression; earlier: the MRP."""
    return start.year >= FIRST_REVIEW_OF_PROGRESSION_YEAR


def end_of_year_due(start: date, year: int) -> date:
    """30 September at the end of training year ``year`` (1, 2, ...).

    Year 1 ends on the first 30 September at least 11 months after the start, so a
    September starter's first review is a year later (as ``tracking.stp_review_due``).
    """
    earliest = add_months(start, 11)
    first = date(earliest.year, *DUE_DAY)
    if first < earliest:
        first = date(earliest.year + 1, *DUE_DAY)
    return date(first.year + year - 1, *DUE_DAY)


def window_opens(due: date) -> date:
    return date(due.year, *WINDOW_OPENS)


def in_window(day: date, due: date) -> bool:
    """Whether ``day`` is in the 1 to 30 September window that ends on ``due``."""
    return window_opens(due) <= day <= due


def check_in_month(start: date) -> tuple[date, date]:
    """March of year 1: from 1 March to 31 March before the first 30 September."""
    year = end_of_year_due(start, 1).year
    return date(year, 3, 1), date(year, 3, 31)


def midterm_window(start: date) -> tuple[date, date]:
    """January and February of year 2 ("usually"; the School set each year's dates)."""
    year = end_of_year_due(start, 1).year + 1
    return date(year, 1, 1), date(year, 3, 1) - timedelta(days=1)


def _status(opens: date, due: date, met: bool, today: date) -> str:
    if met and today >= opens:
        return DONE
    if today < opens:
        return UPCOMING
    return OPEN if today <= due else MISSED


def _timing_notes(start: date) -> list[str]:
    notes = []
    if start.month != 9:
        notes.append(
            "Dates for trainees who did not start in September are set by the School: "
            "the dates shown follow the September pattern (not confirmed)."
        )
    if start.year == FIRST_REVIEW_OF_PROGRESSION_YEAR and start.month < 9:
        notes.append(
            "The School says the new process applies from September 2023; for starters "
            "earlier in 2023 which process applies is not confirmed."
        )
    return notes


# ---- the requirements --------------------------------------------------------------------


def _module(facts: Facts, ref: str) -> ModuleFact | None:
    return next((m for m in facts.modules if m.source_ref == ref), None)


def _phase(facts: Facts, phase: int) -> list[ModuleFact]:
    if phase == 1:
        return [m for m in facts.modules if m.phase == 1 or m.module_type == "rotation"]
    return [m for m in facts.modules if m.phase == phase]


def _all_complete(label: str, modules: list[ModuleFact], what: str, route=None):
    if not modules:
        return Requirement(
            label, NOT_LOADED, f"No {what} in this curriculum's files yet", route
        )
    left = [m for m in modules if not m.complete]
    if not left:
        return Requirement(label, MET, f"All {len(modules)} complete", route)
    return Requirement(
        label,
        NOT_MET,
        f"{len(modules) - len(left)} of {len(modules)} complete; still to finish: "
        + ", ".join(f"{m.source_ref or m.code} ({m.percent:g}%)" for m in left),
        route,
    )


def _meeting(facts: Facts, due: date) -> Requirement:
    label = "End-of-year review meeting with the training officer, recorded 1 to 30 September"
    held = [m for m in facts.meetings if in_window(m.held_on, due)]
    if any(m.complete for m in held):
        day = min(m.held_on for m in held if m.complete)
        return Requirement(label, MET, f"Held on {day:%d %B %Y} and signed")
    if held:
        return Requirement(
            label, NOT_MET, "Recorded in the window but not yet signed by everyone"
        )
    outside = [m for m in facts.meetings if m.held_on.year == due.year]
    return Requirement(
        label,
        NOT_MET,
        "A review held outside 1 to 30 September does not count for this review"
        if outside
        else "Not recorded yet",
    )


def end_of_year_1(facts: Facts, today: date) -> ReviewPoint:
    due = end_of_year_due(facts.start, 1)
    requirements = [
        _all_complete(
            "Phase 1 rotations complete", _phase(facts, 1), "phase 1 rotations"
        ),
        _meeting(facts, due),
    ]
    return ReviewPoint(
        "end_of_year_1",
        "End of year 1 review",
        window_opens(due),
        due,
        _status(window_opens(due), due, requirements_met(requirements), today),
        requirements,
        SOURCES["responsibilities"],
        _timing_notes(facts.start),
    )


def _at_least(label: str, module: ModuleFact | None, ref: str, need: float, route=None):
    if module is None:
        return Requirement(
            label,
            NOT_LOADED,
            f"{ref} is not yet loaded in the curriculum files, so it cannot be checked",
            route,
        )
    if module.total_units == 0:
        return Requirement(
            label,
            NOT_LOADED,
            f"{ref} is in the curriculum files but has nothing to count yet "
            "(no training activities loaded)",
            route,
        )
    state = MET if module.percent >= need else NOT_MET
    return Requirement(
        label,
        state,
        f"{module.percent:g}% ({module.done_units} of {module.total_units} units)",
        route,
    )


def end_of_year_2(facts: Facts, today: date) -> ReviewPoint:
    due = end_of_year_due(facts.start, 2)
    overall = facts.percent_complete
    requirements = [
        _at_least(
            f"At least {S_C1_PERCENT:g}% of the core module {S_C1}",
            _module(facts, S_C1),
            S_C1,
            S_C1_PERCENT,
        ),
        _meeting(facts, due),
        _all_complete(
            "All phase 2 modules complete", _phase(facts, 2), "phase 2 modules", "a"
        ),
        Requirement(
            f"At least {OVERALL_PERCENT:g}% overall completion",
            MET if overall >= OVERALL_PERCENT else NOT_MET,
            f"{overall:g}% overall",
            "b",
        ),
        _at_least(f"All of {S_C2}", _module(facts, S_C2), S_C2, 100.0, "b"),
    ]
    return ReviewPoint(
        "end_of_year_2",
        "End of year 2 review",
        window_opens(due),
        due,
        _status(window_opens(due), due, requirements_met(requirements), today),
        requirements,
        SOURCES["responsibilities"],
        _timing_notes(facts.start),
    )


def six_month_check_in(facts: Facts, today: date) -> ReviewPoint:
    opens, due = check_in_month(facts.start)
    held = [r for r in facts.records if r.kind == "check_in"]
    requirement = Requirement(
        "Check-in discussion between trainee and training officer recorded",
        MET if held else NOT_MET,
        f"Recorded on {max(r.on for r in held):%d %B %Y}"
        if held
        else "Not recorded yet",
    )
    return ReviewPoint(
        "check_in",
        "Six-month check-in (March of year 1)",
        opens,
        due,
        _status(opens, due, requirement.met, today),
        [requirement],
        SOURCES["requirements"],
        [
            "The School runs the check-in by email; recording the discussion here is "
            "this portfolio's own practice (proposal), and the end of March as its "
            "date is not confirmed.",
            *_timing_notes(facts.start),
        ],
    )


def midterm_review(facts: Facts, today: date) -> ReviewPoint:
    opens, due = midterm_window(facts.start)
    kinds = {r.kind for r in facts.records}
    rotations = _all_complete(
        "Rotation modules' assessments and competencies signed off",
        _phase(facts, 1),
        "rotation modules",
    )
    if facts.msf_signed_off is None:
        msf = Requirement(
            "One multi-source feedback exercise complete",
            NOT_LOADED,
            "No multi-source feedback round in this curriculum's files",
        )
    else:
        msf = Requirement(
            "One multi-source feedback exercise complete",
            MET if facts.msf_signed_off else NOT_MET,
            "Signed off" if facts.msf_signed_off else "Not signed off yet",
        )
    requirements = [
        Requirement(
            "Trainee's evaluation of progress submitted",
            MET if "midterm_trainee" in kinds else NOT_MET,
        ),
        Requirement(
            "Training officer's evaluation of progress submitted",
            MET if "midterm_officer" in kinds else NOT_MET,
        ),
        rotations,
        Requirement(
            "Progress on the MSc recorded",
            MET if facts.msc_recorded else NOT_MET,
            "Recorded on the enrolment" if facts.msc_recorded else "Not recorded yet",
        ),
        msf,
    ]
    return ReviewPoint(
        "midterm",
        "Midterm review of progression (year 2)",
        opens,
        due,
        _status(opens, due, requirements_met(requirements), today),
        requirements,
        SOURCES["midterm_components"],
        [
            "The School set the midterm review's dates each year (usually January and "
            "February of year 2); the end of February used here is not confirmed.",
            "Trainees who started before the 2022 curricula followed earlier curricula: "
            "module phases may not match (not confirmed).",
        ],
    )


def review_points(facts: Facts, today: date) -> list[ReviewPoint]:
    """Every review point of the trainee's process, in date order."""
    if uses_review_of_progression(facts.start):
        return [
            six_month_check_in(facts, today),
            end_of_year_1(facts, today),
            end_of_year_2(facts, today),
        ]
    return [midterm_review(facts, today)]


def process_name(start: date) -> str:
    return (
        "Review of progression (2023 and later starters)"
        if uses_review_of_progression(start)
        else "Midterm review of progression (2022 and earlier starters)"
    )


def process_source(start: date) -> str:
    return (
        SOURCES["monitoring"]
        if uses_review_of_progression(start)
        else SOURCES["midterm"]
    )


def current_point(points: Sequence[ReviewPoint]) -> ReviewPoint | None:
    """The point to show in a one-line summary: the first one due now or missed,
    else the next upcoming one, else the last one."""
    for status in (MISSED, OPEN, UPCOMING):
        found = [p for p in points if p.status == status]
        if found:
            return found[0]
    return points[-1] if points else None


# ---- at-risk flags -------------------------------------------------------------------------


@dataclass(frozen=True)
class StpFlag:
    code: str
    message: str


def _short(point: ReviewPoint) -> str:
    return "; ".join(r.label.lower() for r in point.unmet[:3])


def flags(facts: Facts, points: Sequence[ReviewPoint], today: date) -> list[StpFlag]:
    """Reasons to worry, each naming the rule and its source."""
    found: list[StpFlag] = []
    if not facts.extension_in_force:
        for p in points:
            if p.status == MISSED:
                found.append(
                    StpFlag(
                        "stp_review_missed",
                        f"{p.title} not met by {p.due:%d %b %Y}: {_short(p)} "
                        f"(rule: {source_title(p.source)})",
                    )
                )
            elif p.status == OPEN and p.code != "check_in":
                found.append(
                    StpFlag(
                        "stp_review_due",
                        f"{p.title} due by {p.due:%d %b %Y}, not yet met: {_short(p)} "
                        f"(rule: {source_title(p.source)})",
                    )
                )
    year_ago = add_months(today, -12)  # reported in the last twelve months
    for r in facts.records:
        if r.kind == "exception" and year_ago < r.on <= today:
            who = REPORTERS.get(r.reporter, r.reporter or "someone")
            found.append(
                StpFlag(
                    "stp_exception",
                    f"Exception reported to the School on {r.on:%d %b %Y} by the "
                    f"{who.lower()} (rule: {source_title(SOURCES['timelines'])})",
                )
            )
    return found
