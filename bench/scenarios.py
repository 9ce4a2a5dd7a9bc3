"""The scenarios bench/run.py times, with their budgets (listed in bench/README.md).

Each scenario is timed twice: on its national-scale subject ("large": the trainee with
2,000 items, the supervisor with 40 waiting requests, the lead of a 500-trainee
organisation) and on a small twin, to show that the number of SQL queries does not
depend on the amount of data.

Adding a scenario: write a function that takes the Bench and a variant ("large" or
"small") and returns a Case, and register it with @scenario. A Case holds `call`, one
timed unit of work with no arguments, and `size`, a few words saying how much data it
covers. For an API endpoint use `bench.api_get(user_key, path)`, for a web page
`bench.web_get(user_key, path)` (signed in with a session); for anything that is not a
request (a report job, a query function) use `bench.in_app(function, *args)`, which
runs it inside an app context, as a worker would. Users are the keys of the
dataset's `special` record (bench/generate.py); add more there if a scenario needs
someone new. Each variant's query count is compared, so give it a small twin unless
the scenario is national by nature (then pass variants=("large",)).

    @scenario("capacity", "National capacity report", 2000, variants=("large",))
    def capacity(bench, variant):
        from portfolio.capacity import report
        scope = ...  # a national ReportScope
        return Case(bench.in_app(report.compute, scope, 2017, 2026), "all orgs, 10 y")

The national capacity report's timing lives in bench/capacity_report.py, with its own
dataset of training places and workforce records, which this dataset does not make.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Case:
    call: Callable[[], object]
    size: str
    # optional: checks the first answer looks right (raise AssertionError if not)
    check: Callable[[object], None] | None = None


@dataclass
class Scenario:
    name: str
    title: str
    budget_ms: float
    build: Callable[..., Case]
    variants: tuple[str, ...] = ("large", "small")


SCENARIOS: list[Scenario] = []


def scenario(name: str, title: str, budget_ms: float, variants=("large", "small")):
    def register(build):
        SCENARIOS.append(Scenario(name, title, budget_ms, build, tuple(variants)))
        return build

    return register


def _suffix(variant: str) -> str:
    return "" if variant == "large" else "_small"


@scenario(
    "dashboard",
    "Trainee dashboard: GET /api/v1/enrolments/{id}/progress",
    budget_ms=60,
)
def dashboard(bench, variant: str) -> Case:
    who = "dashboard" + _suffix(variant)
    enrolment = bench.special[who]["enrolment_id"]
    outcomes, items = bench.scalars(
        "SELECT (SELECT count(*) FROM outcome o WHERE o.curriculum_id = e.curriculum_id "
        "AND NOT EXISTS (SELECT 1 FROM outcome c WHERE c.curriculum_id = o.curriculum_id "
        "AND c.parent_code = o.code) AND NOT o.retired AND o.type IN ('ETA', 'DTA', "
        "'OTA', 'assessment', 'K', 'S', 'B', 'statement', 'competency', 'standard', "
        "'scope')), "
        "(SELECT count(*) FROM evidence v WHERE v.owner_id = e.trainee_id) "
        "FROM enrolment e WHERE e.id = %(id)s",
        id=enrolment,
    )

    def check(body):
        assert len(body["outcomes"]) == outcomes, "every outcome is in the answer"

    return Case(
        bench.api_get(who, f"/api/v1/enrolments/{enrolment}/progress"),
        f"{outcomes} outcomes, {items:,} evidence items",
        check,
    )


@scenario("dashboard_page", "Trainee dashboard page: GET /progress/{id}", 60)
def dashboard_page(bench, variant: str) -> Case:
    who = "dashboard" + _suffix(variant)
    enrolment = bench.special[who]["enrolment_id"]
    return Case(
        bench.web_get(who, f"/progress/{enrolment}"),
        dashboard(bench, variant).size + " (HTML)",
    )


@scenario("queue", "Supervisor sign-off queue: GET /api/v1/signoff/queue", 150)
def queue(bench, variant: str) -> Case:
    who = "supervisor" + _suffix(variant)
    waiting, decided = bench.scalars(
        "SELECT count(*) FILTER (WHERE status = 'submitted'), "
        "count(*) FILTER (WHERE status <> 'submitted') "
        "FROM evidence WHERE submitted_to_id = %(id)s",
        id=bench.special[who]["user_id"],
    )

    def check(body):
        assert body["total"] == waiting, "the queue holds every waiting request"

    return Case(
        bench.api_get(who, "/api/v1/signoff/queue"),
        f"{waiting} waiting, {decided:,} decided before",
        check,
    )


@scenario("queue_page", "Supervisor sign-off queue page: GET /signoff/queue", 150)
def queue_page(bench, variant: str) -> Case:
    who = "supervisor" + _suffix(variant)
    waiting = bench.scalars(
        "SELECT count(*) FROM evidence WHERE submitted_to_id = %(id)s "
        "AND status = 'submitted'",
        id=bench.special[who]["user_id"],
    )[0]

    def check(response):
        page = response.get_data(as_text=True)
        caption = f"{waiting} request{'s' if waiting != 1 else ''} waiting"
        assert caption in page, "the queue counts every waiting request"

    return Case(
        bench.web_get(who, "/signoff/queue"),
        f"{waiting} waiting, a row each, 50 a page (HTML)",
        check,
    )


@scenario("cohort", "Training lead cohort page: GET /api/v1/cohort", 150)
def cohort(bench, variant: str) -> Case:
    who = "lead" + _suffix(variant)
    trainees, rows, items = bench.scalars(
        "SELECT count(DISTINCT e.trainee_id), count(*), "
        "(SELECT count(*) FROM evidence v WHERE v.owner_id IN (SELECT trainee_id "
        "FROM enrolment WHERE organisation_id = o.id AND status <> 'withdrawn')) "
        "FROM enrolment e JOIN organisation o ON o.id = e.organisation_id "
        "WHERE o.code = %(code)s AND e.status <> 'withdrawn' GROUP BY o.id",
        code=bench.special[who]["organisation"],
    )

    def check(body):
        # Paged as every list of the API: the first 50 rows, the total of all.
        assert body["total"] == rows, "every enrolment counted"
        assert len(body["items"]) == min(rows, 50), "one row per enrolment, 50 a page"

    return Case(
        bench.api_get(who, "/api/v1/cohort"),
        f"{trainees} trainees ({rows} enrolments, first page of 50), "
        f"{items:,} evidence items",
        check,
    )


@scenario("cohort_page", "Training lead cohort page: GET /cohort/", 150)
def cohort_page(bench, variant: str) -> Case:
    who = "lead" + _suffix(variant)
    return Case(bench.web_get(who, "/cohort/"), cohort(bench, variant).size + " (HTML)")


@scenario(
    "capacity_page",
    "Workforce capacity totals page: GET /capacity/",
    300,
    variants=("large",),
)
def capacity_page(bench, variant: str) -> Case:
    # National by nature: a training lead sees the totals of every organisation (the
    # bench dataset has trainees and supervisors, not training places or workforce).
    # No published target: 300 ms is our own budget for a page of national totals.
    trainees = bench.scalars(
        "SELECT count(DISTINCT trainee_id) FROM enrolment WHERE status <> 'withdrawn'"
    )[0]
    return Case(
        bench.web_get("lead", "/capacity/"),
        f"national totals, {trainees:,} trainees (HTML)",
    )
