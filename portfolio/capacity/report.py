"""The capacity report: one organisation, a region or the nation, as a PDF or a CSV file.

Requested through ``POST /api/v1/reports/capacity`` (``request_report``): the request
creates an Export row (kind ``capacity``, no enrolment), commits and queues the job on
the ``reports`` queue; the export job (``exports.services.render_export_job``) calls
``build_report`` here, which returns ``(bytes, filename, media_type, summary)``.

Who may ask: a training lead for their own organisation; an admin for any
organisation, any region and the nation. The report names organisations, never a
person: every figure is a count or a sum.

Every figure comes from SQL aggregates (``portfolio.capacity.queries``, plus the
supervisor count by specialism below, one GROUP BY query each); the Python here only
adds aggregate rows together (training places, completions and workforce figures are
additive) and runs the projection model. Counts of people (trainees, supervisors)
are never added up: each level has its own distinct count from SQL.

The figures (see docs/capacity.md, "The capacity report"):

- places commissioned and filled by intake year, from ``from_year`` to ``to_year``;
- people in training now and their expected completions by year;
- supervisors of those trainees now, and trainees per supervisor;
- the latest workforce figures on or before 31 December of ``to_year``:
  establishment, in post, vacancies (the gap to establishment), the vacancy rate and
  the people expected to retire within 5 and 15 years;
- the gap to close: vacancies plus people retiring within 5 years;
- a projection (``projection.project``, plain accumulation: no training lag,
  every place qualifies, no leavers, no demand growth) of the years that gap takes
  to close at the current intake (the places commissioned in the latest intake year
  of the report with places recorded) and with ``uplift`` more places a year.
  The uplift is for the whole report; each specialism, region and organisation gets
  a share in proportion to its part of the gap, so the shares add up to the uplift.
"""

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask import render_template

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.capacity import chart
from portfolio.capacity import presenters
from portfolio.capacity import queries
from portfolio.capacity.models import MAX_YEAR
from portfolio.capacity.models import MIN_YEAR
from portfolio.capacity.models import SPECIALISMS
from portfolio.capacity.projection import Projection
from portfolio.capacity.projection import Scenario
from portfolio.capacity.projection import ScheduleStep
from portfolio.capacity.projection import project
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.training.models import Enrolment
from portfolio.training.models import SupervisionAssignment

MAX_YEARS = 20
FORMATS = ("pdf", "csv")
MAX_UPLIFT = 100_000
# With no uplift given: the NHS Long Term Workforce Plan's 13% more healthcare
# science training places, as IPEM reads it for MPCE
# (https://www.ipem.ac.uk/news/thirty-years-to-reach-staff-levels-required-nhs-workforce-plan-fails-to-tackle-the-needs-of-medical-physics-and-clinical-engineering/),
# at least one a year.
DEFAULT_UPLIFT_SHARE = 0.13
MIN_DEFAULT_UPLIFT = 1.0
HORIZON_YEARS = 60
REQUEST_FIELDS = {
    "organisation",
    "region",
    "national",
    "scope",
    "from_year",
    "to_year",
    "format",
    "uplift",
}
CSV_HEADER = (
    "organisation",
    "organisation_name",
    "region",
    "nation",
    "specialism",
    "specialism_name",
    "year",
    "commissioned",
    "filled",
    "unfilled",
    "fill_rate",
    "expected_completions",
    "trainees",
    "supervisors",
    "trainees_per_supervisor",
    "workforce_as_of",
    "establishment_wte",
    "in_post_wte",
    "vacancies_wte",
    "vacancy_rate",
    "retiring_5y",
    "retiring_15y",
    "gap",
    "projection_start_year",
    "baseline_places_per_year",
    "uplift_places_per_year",
    "closes_in_year_current",
    "years_to_close_current",
    "closes_in_year_uplift",
    "years_to_close_uplift",
)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
PDF_MEDIA_TYPE = "application/pdf"


# ---- the request ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: ``kind`` is organisation, region or national."""

    kind: str
    label: str
    organisation_ids: tuple[str, ...] | None  # None: every organisation
    organisation_code: str | None = None
    region: str | None = None

    @property
    def slug(self) -> str:
        if self.kind == "organisation":
            assert self.organisation_code is not None  # an organisation scope has one
            return self.organisation_code
        if self.kind == "region":
            assert self.region is not None  # a region scope names its region
            return "-".join(
                "".join(c if c.isalnum() else " " for c in self.region).lower().split()
            )
        return "national"


def _whole(data: dict, name: str, errors: FieldErrors) -> int | None:
    value = data.get(name)
    if value is None:
        errors.add(name, f"{name} is required: a year such as 2026")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(name, f"{name} must be a whole number, a year such as 2026")
        return None
    if not MIN_YEAR <= value <= MAX_YEAR:
        errors.add(name, f"{name} must be between {MIN_YEAR} and {MAX_YEAR}")
        return None
    return value


def _scope_kind(data: dict, errors: FieldErrors) -> str | None:
    """organisation, region or national, from exactly one of the ways to say it."""
    national = data.get("national")
    if national is not None and not isinstance(national, bool):
        errors.add("national", "national must be true or false")
        return None
    chosen = []
    for name in ("organisation", "region"):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            errors.add(name, f"{name} must be a non-empty string")
            return None
        chosen.append(name)
    if national:
        chosen.append("national")
    scope = data.get("scope")
    if scope is not None:
        if scope not in ("organisation", "region", "national"):
            errors.add("scope", "scope must be organisation, region or national")
            return None
        if scope == "national" and "national" not in chosen:
            chosen.append("national")
        elif scope != "national" and scope not in chosen:
            errors.add(scope, f"Give the {scope} the report is for")
            return None
    if len(chosen) != 1:
        errors.add(
            "organisation",
            "Give exactly one of organisation (a code), region (a name) or "
            'national: true (or scope: "national")'
            if chosen
            else "Say what the report is for: organisation (a code), region "
            '(a name) or national: true (or scope: "national")',
        )
        return None
    return chosen[0]


def _find_organisation(code: str) -> Organisation | None:
    return db.session.scalar(
        sa.select(Organisation).where(
            sa.func.upper(Organisation.code) == code.strip().upper()
        )
    )


def _find_region(name: str) -> str | None:
    return db.session.scalar(
        sa.select(Organisation.region)
        .where(
            sa.func.lower(Organisation.region) == " ".join(name.split()).lower(),
            Organisation.region != "",
        )
        .group_by(Organisation.region)
        .order_by(sa.func.count().desc(), Organisation.region)
        .limit(1)
    )


def _regions() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Organisation.region)
            .where(Organisation.region != "")
            .distinct()
            .order_by(Organisation.region)
        )
    )


def _means_national(kind: str, value: str) -> bool:
    """``"organisation": "national"`` (or region) asks for the nation, unless an
    organisation or region really has that name."""
    if value.strip().lower() != "national":
        return False
    if kind == "organisation":
        return _find_organisation(value) is None
    return _find_region(value) is None


def parse_request(user: User, data: dict) -> dict:
    """Check a report request and who asks; return the Export's params.

    Raises Forbidden (403) when the user may not have this report, Invalid (422)
    with every field problem otherwise.
    """
    if not policy.can_request_capacity_report(user):
        raise Forbidden("Only training leads and admins can run capacity reports.")
    errors = FieldErrors()
    for key in data:
        if key not in REQUEST_FIELDS:
            errors.add(str(key), f"Unknown field {key!r}")
    kind = _scope_kind(data, errors)
    if kind in ("organisation", "region") and _means_national(kind, data[kind]):
        kind = "national"
    if kind in ("region", "national") and not policy.is_admin(user):
        raise Forbidden(
            "Regional and national capacity reports are for admins; a training "
            "lead can run the report for their own organisation."
        )
    first = _whole(data, "from_year", errors)
    last = _whole(data, "to_year", errors)
    if first is not None and last is not None:
        if last < first:
            errors.add(
                "to_year", f"to_year ({last}) must not be before from_year ({first})"
            )
        elif last - first + 1 > MAX_YEARS:
            errors.add(
                "to_year",
                f"A report covers at most {MAX_YEARS} years; {first} to {last} is "
                f"{last - first + 1}",
            )
    fmt = data.get("format", "pdf")
    if not isinstance(fmt, str) or fmt.strip().lower() not in FORMATS:
        errors.add("format", 'format must be "pdf" or "csv"')
        fmt = None
    else:
        fmt = fmt.strip().lower()
    uplift = data.get("uplift")
    if uplift is not None:
        if (
            isinstance(uplift, bool)
            or not isinstance(uplift, int | float)
            or not math.isfinite(uplift)
        ):
            errors.add("uplift", "uplift must be a number of places a year, like 5")
            uplift = None
        elif not 0 <= uplift <= MAX_UPLIFT:
            errors.add("uplift", f"uplift must be between 0 and {MAX_UPLIFT:,}")
            uplift = None
    params = {
        "scope": kind,
        "from_year": first,
        "to_year": last,
        "format": fmt,
        "uplift": uplift,
    }
    organisation = None
    if kind == "organisation":
        organisation = _find_organisation(data["organisation"])
        if organisation is None:
            errors.add(
                "organisation",
                f"There is no organisation with code {data['organisation'].strip()!r}",
            )
        else:
            params["organisation"] = organisation.code
            params["organisation_id"] = organisation.id
    elif kind == "region":
        region = _find_region(data["region"])
        if region is None:
            known = ", ".join(_regions()) or "none recorded"
            errors.add(
                "region",
                f"There is no region called {data['region'].strip()!r}; "
                f"regions: {known}",
            )
        else:
            params["region"] = region
    errors.raise_if_any()
    if organisation is not None and not policy.can_manage_capacity(
        user, organisation.id
    ):
        raise Forbidden(
            "A training lead can run the capacity report for their own organisation "
            "only."
        )
    return params


def request_report(user: User, data: dict):
    """Create the Export row, commit, and queue the report job (after the commit)."""
    from portfolio.exports.models import Export
    from portfolio.exports.services import queue_job

    params = parse_request(user, data)
    export = Export(
        kind="capacity", enrolment_id=None, requested_by_id=user.id, params=params
    )
    db.session.add(export)
    db.session.flush()
    audit.record(
        user,
        "export.requested",
        "export",
        export.id,
        kind="capacity",
        scope=params["scope"],
        organisation=params.get("organisation", ""),
        region=params.get("region", ""),
        from_year=params["from_year"],
        to_year=params["to_year"],
        format=params["format"],
    )
    queue_job(export)
    db.session.commit()
    return export


def scope_from_params(params: dict) -> ReportScope:
    """The scope an Export asked for, read again (the job runs later)."""
    kind = params.get("scope")
    if kind == "organisation":
        organisation = db.session.get(Organisation, params.get("organisation_id") or "")
        if organisation is None:
            organisation = _find_organisation(params.get("organisation") or "")
        if organisation is None:
            raise ValueError(
                f"the organisation {params.get('organisation')!r} no longer exists"
            )
        return ReportScope(
            "organisation",
            f"{organisation.name} ({organisation.code})",
            (organisation.id,),
            organisation_code=organisation.code,
        )
    if kind == "region":
        region = params.get("region") or ""
        ids = tuple(
            db.session.scalars(
                sa.select(Organisation.id)
                .where(Organisation.region == region)
                .order_by(Organisation.id)
            )
        )
        if not ids:
            raise ValueError(f"no organisation is in the region {region!r} any more")
        return ReportScope("region", f"{region} region", ids, region=region)
    if kind == "national":
        return ReportScope("national", "All organisations (national)", None)
    raise ValueError(f"unknown report scope {kind!r}")


# ---- the figures ------------------------------------------------------------------


@dataclass
class Workforce:
    establishment: Decimal = Decimal(0)
    in_post: Decimal = Decimal(0)
    vacancies: Decimal = Decimal(0)
    retiring_5y: int | None = None
    retiring_15y: int | None = None
    oldest: date | None = None
    newest: date | None = None

    def add(self, other: "Workforce") -> None:
        self.establishment += other.establishment
        self.in_post += other.in_post
        self.vacancies += other.vacancies
        self.retiring_5y = _add_known(self.retiring_5y, other.retiring_5y)
        self.retiring_15y = _add_known(self.retiring_15y, other.retiring_15y)
        self.oldest = _extreme(min, self.oldest, other.oldest)
        self.newest = _extreme(max, self.newest, other.newest)

    @property
    def vacancy_rate(self) -> float | None:
        if not self.establishment:
            return None
        return float(self.vacancies / self.establishment)

    @property
    def gap(self) -> float:
        """Vacancies plus people retiring within 5 years (unknown counts as 0)."""
        return float(self.vacancies) + (self.retiring_5y or 0)


def _add_known(a: int | None, b: int | None) -> int | None:
    """Totals add up only the figures that were given; None when none was."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _extreme(pick, a, b):
    if a is None:
        return b
    if b is None:
        return a
    return pick(a, b)


@dataclass
class Unit:
    """The figures of one part of the report: a specialism, an organisation, ..."""

    label: str
    years: list[int]
    commissioned: dict[int, int] = field(default_factory=dict)
    filled: dict[int, int] = field(default_factory=dict)
    completions: dict[int, int] = field(default_factory=dict)
    trainees: int = 0
    supervisors: int = 0
    workforce: Workforce | None = None
    specialism: str | None = None
    baseline: float = 0.0
    uplift: float = 0.0
    current: Projection | None = None
    with_uplift: Projection | None = None
    summary: str = ""

    def add_places(self, other: "Unit") -> None:
        for year, value in other.commissioned.items():
            self.commissioned[year] = self.commissioned.get(year, 0) + value
        for year, value in other.filled.items():
            self.filled[year] = self.filled.get(year, 0) + value
        for year, value in other.completions.items():
            self.completions[year] = self.completions.get(year, 0) + value
        if other.workforce is not None:
            if self.workforce is None:
                self.workforce = Workforce()
            self.workforce.add(other.workforce)

    @property
    def total_commissioned(self) -> int:
        return sum(self.commissioned.values())

    @property
    def total_filled(self) -> int:
        return sum(self.filled.values())

    @property
    def total_completions(self) -> int:
        return sum(self.completions.values())

    @property
    def fill_rate(self) -> float | None:
        total = self.total_commissioned
        return self.total_filled / total if total else None

    @property
    def trainees_per_supervisor(self) -> float | None:
        return self.trainees / self.supervisors if self.supervisors else None

    @property
    def gap(self) -> float | None:
        return None if self.workforce is None else self.workforce.gap


@dataclass
class OrganisationBlock:
    code: str
    name: str
    region: str
    nation: str
    total: Unit
    specialisms: list[Unit] = field(default_factory=list)
    summary: str = ""


@dataclass
class ReportData:
    scope: ReportScope
    from_year: int
    to_year: int
    years: list[int]
    as_of: date
    today: date
    total: Unit
    specialisms: list[Unit]
    organisations: list[OrganisationBlock]
    without_figures: list[str]  # "name (code)" in scope with nothing recorded
    regions: list[Unit]
    start_year: int
    baseline_year: int | None
    uplift: float
    uplift_given: bool
    summary: str = ""


def specialism_order(code: str) -> tuple:
    """The MPCE specialisms in their usual order, then others by name, none last."""
    known = list(SPECIALISMS)
    if code in known:
        return (0, known.index(code), "")
    if not code:
        return (2, 0, "")
    return (1, 0, code.lower())


def supervisor_totals_by_specialism(
    by: Iterable[str],
    organisation_ids: Iterable[str] | None = None,
    today: date | None = None,
    soft_cap: int = queries.DEFAULT_SOFT_CAP,
) -> list[dict]:
    """``queries.supervisor_totals``, able to group by specialism too (one query).

    A supervisor counts once in each specialism they supervise trainees in, so
    the specialisms' counts can add up to more than the organisation's.
    """
    today = today or date.today()
    columns = queries._columns(by, queries._enrolment_dimensions())
    loads = (
        sa.select(
            *columns,
            SupervisionAssignment.supervisor_id.label("supervisor_id"),
            sa.func.count(sa.distinct(SupervisionAssignment.trainee_id)).label("load"),
        )
        .select_from(SupervisionAssignment)
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
    )
    loads = queries._assignments_in_force(
        queries._in_training(loads, organisation_ids), today
    )
    inner = loads.group_by(*columns, SupervisionAssignment.supervisor_id).subquery()
    outer = [inner.c[column.name] for column in columns]
    query = sa.select(
        *outer,
        sa.func.count(sa.distinct(inner.c.supervisor_id)).label("supervisors"),
        sa.func.coalesce(sa.func.sum(inner.c.load), 0).label("supervised"),
        sa.func.coalesce(sa.func.max(inner.c.load), 0).label("max_load"),
        sa.func.coalesce(
            sa.func.sum(sa.case((inner.c.load > soft_cap, 1), else_=0)), 0
        ).label("over_soft_cap"),
    ).select_from(inner)
    return queries._rows(queries._grouped(query, outer))


def _people(unit: Unit, trainees: dict | None, supervisors: dict | None) -> None:
    if trainees:
        unit.trainees = int(trainees["trainees"])
    if supervisors:
        unit.supervisors = int(supervisors["supervisors"])


def compute(
    scope: ReportScope,
    from_year: int,
    to_year: int,
    uplift: float | None = None,
    *,
    detail: bool = False,
    today: date | None = None,
    soft_cap: int | None = None,
) -> ReportData:
    """Every figure of the report, from a fixed number of SQL aggregate queries.

    ``detail`` also projects each organisation's every specialism (the CSV rows);
    the PDF shows projections for the totals, specialisms, regions and
    organisations only.
    """
    today = today or date.today()
    as_of = date(to_year, 12, 31)
    soft_cap = soft_cap if soft_cap is not None else queries.DEFAULT_SOFT_CAP
    ids = scope.organisation_ids
    years = list(range(from_year, to_year + 1))
    org_query = sa.select(
        Organisation.code, Organisation.name, Organisation.region, Organisation.nation
    ).order_by(Organisation.region, Organisation.name, Organisation.code)
    if ids is not None:
        org_query = org_query.where(Organisation.id.in_(ids or ("",)))
    organisations = [tuple(row) for row in db.session.execute(org_query)]

    by_org_spec = ("organisation", "specialism")
    places = queries.place_totals(
        (*by_org_spec, "intake_year"), ids, from_year=from_year, to_year=to_year
    )
    completions = queries.completion_totals(
        (*by_org_spec, "year"), ids, from_year=from_year, to_year=to_year
    )
    workforce = queries.workforce_totals(by_org_spec, ids, as_of=as_of)
    people = {
        level: (
            queries.trainee_totals(level, ids),
            supervisor_totals_by_specialism(level, ids, today, soft_cap)
            if "specialism" in level
            else queries.supervisor_totals(level, ids, today, soft_cap),
        )
        for level in (by_org_spec, ("organisation",), ("specialism",), ())
    }
    if scope.kind == "national":
        people[("region",)] = (
            queries.trainee_totals(("region",), ids),
            queries.supervisor_totals(("region",), ids, today, soft_cap),
        )

    # The finest level: one organisation's one specialism.
    cells: dict[tuple[str, str], Unit] = {}

    def cell(code: str, specialism: str) -> Unit:
        key = (code, specialism)
        if key not in cells:
            cells[key] = Unit(
                presenters.specialism_label(specialism), years, specialism=specialism
            )
        return cells[key]

    for row in places:
        unit = cell(row["organisation_code"], row["specialism"])
        unit.commissioned[row["intake_year"]] = int(row["commissioned"])
        unit.filled[row["intake_year"]] = int(row["filled"])
    for row in completions:
        if row["year"] is None:
            continue
        unit = cell(row["organisation_code"], row["specialism"])
        unit.completions[int(row["year"])] = int(row["completions"])
    for row in workforce:
        cell(row["organisation_code"], row["specialism"]).workforce = Workforce(
            establishment=Decimal(row["establishment_wte"]),
            in_post=Decimal(row["in_post_wte"]),
            vacancies=Decimal(row["vacancies_wte"]),
            retiring_5y=_int_or_none(row["retiring_5y"]),
            retiring_15y=_int_or_none(row["retiring_15y"]),
            oldest=_as_date(row["oldest"]),
            newest=_as_date(row["newest"]),
        )
    trainee_rows, supervisor_rows = people[by_org_spec]
    trainees_at = {(r["organisation_code"], r["specialism"]): r for r in trainee_rows}
    supervisors_at = {
        (r["organisation_code"], r["specialism"]): r for r in supervisor_rows
    }
    for key in trainees_at.keys() | supervisors_at.keys():
        _people(cell(*key), trainees_at.get(key), supervisors_at.get(key))

    # Organisations, specialisms, regions and the total, added up from the cells.
    info = {
        code: (name, region, nation) for code, name, region, nation in organisations
    }
    total = Unit("All specialisms", years)
    by_specialism: dict[str, Unit] = {}
    by_organisation: dict[str, OrganisationBlock] = {}
    by_region: dict[str, Unit] = {}
    for (code, specialism), unit in sorted(
        cells.items(), key=lambda item: (item[0][0], specialism_order(item[0][1]))
    ):
        name, region, nation = info.get(code, (code, "", ""))
        block = by_organisation.get(code)
        if block is None:
            block = by_organisation[code] = OrganisationBlock(
                code, name, region, nation, Unit(f"{name} ({code})", years)
            )
        block.specialisms.append(unit)
        block.total.add_places(unit)
        if specialism not in by_specialism:
            by_specialism[specialism] = Unit(
                presenters.specialism_label(specialism), years, specialism=specialism
            )
        by_specialism[specialism].add_places(unit)
        if scope.kind == "national":
            if region not in by_region:
                by_region[region] = Unit(presenters.region_label(region), years)
            by_region[region].add_places(unit)
        total.add_places(unit)

    trainee_rows, supervisor_rows = people[("organisation",)]
    _people_by(by_organisation, "organisation_code", trainee_rows, supervisor_rows)
    trainee_rows, supervisor_rows = people[("specialism",)]
    for specialism, unit in by_specialism.items():
        _people(
            unit,
            next((r for r in trainee_rows if r["specialism"] == specialism), None),
            next((r for r in supervisor_rows if r["specialism"] == specialism), None),
        )
    trainee_rows, supervisor_rows = people[()]
    _people(
        total,
        trainee_rows[0] if trainee_rows else None,
        supervisor_rows[0] if supervisor_rows else None,
    )
    if scope.kind == "national":
        trainee_rows, supervisor_rows = people[("region",)]
        trainees = {r["region"]: r for r in trainee_rows}
        supervisors = {r["region"]: r for r in supervisor_rows}
        for region, unit in by_region.items():
            _people(unit, trainees.get(region), supervisors.get(region))

    # The projection: one start year and one uplift for the whole report.
    recorded = [row["intake_year"] for row in places]
    baseline_year = max(recorded) if recorded else None
    start_year = baseline_year or to_year
    given = uplift is not None
    if uplift is None:
        uplift = max(
            MIN_DEFAULT_UPLIFT,
            round(
                DEFAULT_UPLIFT_SHARE * total.commissioned.get(baseline_year or 0, 0), 1
            ),
        )
    total_gap = total.gap or 0.0

    def run(unit: Unit, share: float | None, full: bool = True) -> None:
        if unit.workforce is None:
            return
        gap = unit.workforce.gap
        unit.baseline = float(unit.commissioned.get(start_year, 0))
        if share is None:
            share = uplift * gap / total_gap if total_gap > 0 else 0.0
        unit.uplift = share
        unit.current = _project(start_year, gap, unit.baseline, 0.0, full)
        unit.with_uplift = _project(start_year, gap, unit.baseline, share, full)

    run(total, uplift)
    for unit in by_specialism.values():
        run(unit, None)
    # Only the totals and the specialisms are charted: the rest need no series.
    for block in by_organisation.values():
        run(block.total, None, full=False)
        if detail:
            for unit in block.specialisms:
                run(unit, None, full=False)
    for unit in by_region.values():
        run(unit, None, full=False)

    specialisms = [
        by_specialism[code] for code in sorted(by_specialism, key=specialism_order)
    ]
    blocks = sorted(
        by_organisation.values(), key=lambda b: (b.region, b.name.lower(), b.code)
    )
    without = [
        f"{name} ({code})"
        for code, name, _region, _nation in organisations
        if code not in by_organisation
    ]
    data = ReportData(
        scope=scope,
        from_year=from_year,
        to_year=to_year,
        years=years,
        as_of=as_of,
        today=today,
        total=total,
        specialisms=specialisms,
        organisations=blocks,
        without_figures=without,
        regions=[by_region[r] for r in sorted(by_region)],
        start_year=start_year,
        baseline_year=baseline_year,
        uplift=float(uplift),
        uplift_given=given,
    )
    for block in blocks:
        block.summary = unit_summary(block.total, data)
    for unit in specialisms:
        unit.summary = unit_summary(unit, data)
    data.summary = unit_summary(total, data, organisations=len(blocks))
    return data


def _people_by(blocks: dict, key: str, trainee_rows, supervisor_rows) -> None:
    trainees = {r[key]: r for r in trainee_rows}
    supervisors = {r[key]: r for r in supervisor_rows}
    for code, block in blocks.items():
        _people(block.total, trainees.get(code), supervisors.get(code))


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _project(
    start_year: int, gap: float, baseline: float, extra: float, full: bool = True
) -> Projection:
    """``projection.project`` with the report's assumptions (plain accumulation).

    ``full=False`` is for figures that are never charted (the CSV's every
    organisation and specialism): the series stops at the year the gap closes.
    With plain accumulation ``rate`` places a year close ``gap`` by year
    ``ceil(gap / rate)``, so projecting one year more than that (or the whole
    horizon when that is beyond it; one year when there are no places) gives the
    same closing year, in a fraction of the time (tested against the full horizon).
    """
    gap = max(gap, 0.0)
    horizon = HORIZON_YEARS
    if not full:
        rate = baseline + extra
        # No places: a gap never closes, and no gap is closed at once.
        horizon = 1
        if rate > 0:
            horizon = max(1, min(HORIZON_YEARS, math.ceil(gap / rate) + 1))
    schedule = (ScheduleStep(start_year, extra),) if extra > 0 else ()
    return project(
        Scenario(
            start_year=start_year,
            gap=gap,
            schedule=schedule,
            baseline_places_per_year=baseline,
            horizon_years=horizon,
        )
    )


# ---- words ---------------------------------------------------------------------------


def _places(value: float) -> str:
    text = presenters.figure(round(value, 1), 1)
    return f"{text} place{'' if text == '1' else 's'}"


def _more(value: float) -> str:
    """'3 more places', '1 more place'."""
    text = presenters.figure(round(value, 1), 1)
    return f"{text} more place{'' if text == '1' else 's'}"


def _closes(projection: Projection | None) -> str:
    if projection is None:
        return "not known"
    if projection.closes_in_year is None:
        return f"not within {HORIZON_YEARS} years"
    years = projection.years_to_close
    return f"{projection.closes_in_year} ({years} year{'s' if years != 1 else ''})"


def closes_short(projection: Projection | None) -> str:
    if projection is None:
        return "\u2013"
    if projection.closes_in_year is None:
        return f">{HORIZON_YEARS} y"
    return str(projection.closes_in_year)


def _years_phrase(data: ReportData) -> str:
    if data.from_year == data.to_year:
        return str(data.from_year)
    return f"{data.from_year} to {data.to_year}"


def unit_summary(unit: Unit, data: ReportData, organisations: int | None = None) -> str:
    """One paragraph of plain sentences with the unit's main figures."""
    figure = presenters.figure
    years = _years_phrase(data)
    parts = []
    if organisations is not None and data.scope.kind != "organisation":
        parts.append(
            f"Figures from {organisations} organisation"
            f"{'' if organisations == 1 else 's'}."
        )
    if unit.commissioned:
        rate = presenters.percent(unit.fill_rate)
        parts.append(
            f"{figure(unit.total_commissioned)} training places were commissioned "
            f"for the {years} intakes and {figure(unit.total_filled)} filled "
            f"({rate})."
        )
    else:
        parts.append(f"No training places are recorded for the {years} intakes.")
    noun = "person is" if unit.trainees == 1 else "people are"
    people = f"{figure(unit.trainees)} {noun} in training now"
    if unit.total_completions:
        people += f", {figure(unit.total_completions)} expected to complete in {years}"
    if unit.supervisors:
        assert unit.trainees_per_supervisor is not None  # there are supervisors
        ratio = figure(round(unit.trainees_per_supervisor, 1), 1)
        people += (
            f", with {figure(unit.supervisors)} supervisor"
            f"{'' if unit.supervisors == 1 else 's'} ({ratio} trainees per supervisor)"
        )
    parts.append(people + ".")
    workforce = unit.workforce
    if workforce is None:
        parts.append(
            "No workforce figures are recorded, so the gap and how long it takes "
            "to close are not worked out."
        )
        return " ".join(parts)
    retiring = (
        f"{figure(workforce.retiring_5y)} "
        f"{'person is' if workforce.retiring_5y == 1 else 'people are'} expected "
        "to retire within 5 years"
        if workforce.retiring_5y is not None
        else "retirements are not given"
    )
    parts.append(
        f"The workforce establishment is {figure(workforce.establishment)} WTE with "
        f"{figure(workforce.vacancies)} WTE vacant "
        f"({presenters.percent(workforce.vacancy_rate)}), and {retiring}: a gap of "
        f"{figure(round(workforce.gap, 2))} to close."
    )
    if unit.current is not None:
        parts.append(
            f"At the current intake of {_places(unit.baseline)} a year the gap "
            f"closes in {_closes(unit.current)}; with {_more(unit.uplift)} a "
            f"year, in {_closes(unit.with_uplift)}."
        )
    return " ".join(parts)


# ---- the CSV file -------------------------------------------------------------------------


def safe_cell(value) -> str:
    """Text that a spreadsheet could run as a formula is quoted (see training.cohort)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return f"{value + 0.0:.4f}".rstrip("0").rstrip(".")  # + 0.0: no "-0"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def csv_rows(data: ReportData):
    """One row per organisation x specialism x year (see docs/capacity.md), as text.

    The cells that are the same on every year of one organisation and specialism
    are made once for all its years.
    """
    cell = safe_cell
    for block in data.organisations:
        names = [cell(block.code), cell(block.name), cell(block.region)]
        names.append(cell(block.nation))
        for unit in block.specialisms:
            workforce = unit.workforce
            known = workforce is not None
            current, uplifted = unit.current, unit.with_uplift
            fixed = [
                unit.trainees,
                unit.supervisors,
                _rate(unit.trainees_per_supervisor),
                workforce.newest.isoformat()
                if workforce and workforce.newest
                else None,
                workforce.establishment if workforce else None,
                workforce.in_post if workforce else None,
                workforce.vacancies if workforce else None,
                _rate(workforce.vacancy_rate) if workforce else None,
                workforce.retiring_5y if workforce else None,
                workforce.retiring_15y if workforce else None,
                _rate(workforce.gap) if workforce else None,
                data.start_year if known else None,
                unit.baseline if known else None,
                _rate(unit.uplift) if known else None,
                current.closes_in_year if current else None,
                current.years_to_close if current else None,
                uplifted.closes_in_year if uplifted else None,
                uplifted.years_to_close if uplifted else None,
            ]
            head = [
                *names,
                cell(unit.specialism),
                cell(presenters.specialism_label(unit.specialism)),
            ]
            tail = [cell(value) for value in fixed]
            for year in data.years:
                commissioned = unit.commissioned.get(year, 0)
                filled = unit.filled.get(year, 0)
                yield [
                    *head,
                    str(year),
                    str(commissioned),
                    str(filled),
                    str(commissioned - filled),
                    cell(_rate(filled / commissioned)) if commissioned else "",
                    str(unit.completions.get(year, 0)),
                    *tail,
                ]


def to_csv(data: ReportData) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(data))
    return buffer.getvalue().encode("utf-8")


# ---- the PDF ----------------------------------------------------------------------------------

PLACES_TITLE = "Training places commissioned and filled by intake year"
PROJECTION_TITLE = "Workforce gap projection: current intake and with uplift"


@dataclass
class Chart:
    title: str
    src: str  # a data: URL of the SVG
    alt: str  # what the chart shows, in words


def _projection_span(unit: Unit) -> int:
    """Years to draw: to a few years past the later close, 10 at least."""
    closing = [
        p.years_to_close
        for p in (unit.current, unit.with_uplift)
        if p is not None and p.years_to_close is not None
    ]
    if len(closing) < 2:
        return HORIZON_YEARS
    return min(HORIZON_YEARS, max(10, max(closing) + 3))


def _short(value: float) -> str:
    """Places for a chart legend: one decimal place below 100, whole above."""
    return presenters.figure(round(value, 1) if value < 100 else round(value), 1)


def charts_for(unit: Unit, data: ReportData, height: float = 2.5) -> list["Chart"]:
    """The charts of one unit: places by year, and the gap projection (if known)."""
    label = unit.label
    places_description = "; ".join(
        f"{year}: {unit.commissioned.get(year, 0)} commissioned, "
        f"{unit.filled.get(year, 0)} filled"
        for year in data.years
    )
    charts = []
    if unit.commissioned:  # no chart of nothing (e.g. programmes with no specialism)
        charts.append(
            places_chart(
                data.years,
                [unit.commissioned.get(y, 0) for y in data.years],
                [unit.filled.get(y, 0) for y in data.years],
                title=PLACES_TITLE,
                caption=f"{PLACES_TITLE}: {label}",
                description=f"{PLACES_TITLE}, {label}. {places_description}.",
                height=height,
            )
        )
    if unit.current is not None:
        # run() sets both projections, and only for a unit with workforce figures.
        assert unit.with_uplift is not None and unit.gap is not None
        span = _projection_span(unit)
        baseline = _short(unit.baseline)
        raised = _short(unit.baseline + unit.uplift)
        extra = _short(unit.uplift)
        current_label = f"Current intake, {baseline} a year"
        uplift_label = f"Uplift, {raised} a year (+{extra})"
        charts.append(
            projection_chart(
                [
                    (current_label, unit.current.series[:span], unit.current),
                    (uplift_label, unit.with_uplift.series[:span], unit.with_uplift),
                ],
                title=PROJECTION_TITLE,
                caption=f"{PROJECTION_TITLE}: {label}",
                description=(
                    f"{PROJECTION_TITLE}, {label}. A gap of "
                    f"{presenters.figure(round(unit.gap, 2))} in {data.start_year}. "
                    f"{current_label}: closes {_closes(unit.current)}. "
                    f"{uplift_label}: closes {_closes(unit.with_uplift)}."
                ),
                height=height,
            )
        )
    return charts


# ---- the charts -------------------------------------------------------------------------------
#
# Drawn like the scenarios page's chart (``chart.py``: the same settings, colours
# told apart by fill pattern and line style too, SVG text kept as text), sized for
# an A4 page: a chart 9 inches wide is shown about 7 inches wide, so 12-point text
# prints at about 9. The PDF shows each as an <img> with the figures in its alt
# text and a caption under it.


def _figure(height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(9, height), layout="constrained")


def _finish(figure, caption: str, description: str) -> "Chart":
    """The figure as an SVG data URL: as an image, its nodes stay out of the
    page's CSS cascade, which makes the PDF several times faster to render."""
    import base64

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue().encode()
    return Chart(
        caption,
        "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        description,
    )


def _year_ticks(axes, years: list[int]) -> None:
    """Every year labelled when there are few, else whole years chosen by matplotlib."""
    from matplotlib.ticker import MaxNLocator

    if 0 < len(years) <= 12:
        axes.set_xticks(years)
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def places_chart(
    years: list[int],
    commissioned: list[int],
    filled: list[int],
    *,
    title: str,
    caption: str,
    description: str,
    height: float = 3.4,
) -> "Chart":
    """Grouped bars: places commissioned and filled for each intake year."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator
    from matplotlib.ticker import StrMethodFormatter

    first, second = chart.STYLES[0], chart.STYLES[1]
    with chart._LOCK, matplotlib.rc_context(chart.RC):
        figure = _figure(height)
        axes = figure.add_subplot()
        width = 0.4
        axes.bar(
            [y - width / 2 for y in years],
            commissioned,
            width,
            label="Commissioned",
            color=first["color"],
            edgecolor=first["color"],
        )
        axes.bar(
            [y + width / 2 for y in years],
            filled,
            width,
            label="Filled",
            color="white",
            edgecolor=second["color"],
            hatch="///",
            linewidth=1.5,
        )
        axes.set_title(chart._plain(title), loc="left")
        axes.set_xlabel("Intake year")
        axes.set_ylabel("Training places")
        _year_ticks(axes, years)
        axes.yaxis.set_major_locator(
            MaxNLocator(nbins=4 if height < 3 else 6, integer=True)
        )
        axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.set_xlim(years[0] - 0.7, years[-1] + 0.7)
        top = max([*commissioned, *filled, 0])
        axes.set_ylim(0, max(1, top) * 1.08)
        axes.grid(True, axis="y", color="#d8dde0", linewidth=0.8)
        axes.set_axisbelow(True)
        figure.legend(loc="outside lower center", frameon=False, ncols=2)
        return _finish(figure, caption, description)


def projection_chart(
    lines: list[tuple[str, list, Projection]],
    *,
    title: str,
    caption: str,
    description: str,
    height: float = 3.4,
) -> "Chart":
    """Lines: the gap by year for each projection, with where it first closes."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator
    from matplotlib.ticker import StrMethodFormatter

    with chart._LOCK, matplotlib.rc_context(chart.RC):
        figure = _figure(height)
        axes = figure.add_subplot()
        for index, (label, series, result) in enumerate(lines):
            style = chart.STYLES[index % len(chart.STYLES)]
            years = [point.year for point in series]
            gaps = [point.gap for point in series]
            closes = result.closes_in_year
            ending = (
                f"closes {closes}"
                if closes is not None
                else f"not closed within {HORIZON_YEARS} years"
            )
            axes.plot(
                years,
                gaps,
                label=f"{chart._plain(label)}: {ending}",
                linewidth=2.5,
                markersize=5,
                markevery=max(1, len(years) // 12),
                **style,
            )
            point = next((p for p in series if p.year == closes), None)
            if point is not None:
                axes.plot(
                    [closes],
                    [point.gap],
                    marker=style["marker"],
                    markersize=11,
                    markerfacecolor="white",
                    markeredgewidth=2,
                    color=style["color"],
                    linestyle="none",
                )
        axes.axhline(0, color="#425563", linewidth=1)
        axes.set_title(chart._plain(title), loc="left")
        axes.set_xlabel("Year")
        axes.set_ylabel("Gap to close (WTE)")
        _year_ticks(axes, [point.year for point in lines[0][1]])
        axes.yaxis.set_major_locator(MaxNLocator(nbins=4 if height < 3 else 6))
        axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.grid(True, color="#d8dde0", linewidth=0.8)
        # Two legend entries side by side when they fit the width, else one above
        # the other (about 90 characters, markers included, fit in 9 inches).
        labels = axes.get_legend_handles_labels()[1]
        width = sum(len(label) + 6 for label in labels)
        figure.legend(
            loc="outside lower center", frameon=False, ncols=2 if width <= 92 else 1
        )
        return _finish(figure, caption, description)


def to_html(data: ReportData, export) -> str:
    from portfolio.exports.pdf import asset_url
    from portfolio.exports.services import public_url

    verify_url = public_url(f"/verify/{export.verification_code}")
    total_charts = charts_for(data.total, data, height=4)
    specialism_charts = [charts_for(unit, data) for unit in data.specialisms]
    by_region: dict[str, list[OrganisationBlock]] = defaultdict(list)
    for block in data.organisations:
        by_region[block.region].append(block)
    now = utcnow()
    title = "Workforce capacity report"
    return render_template(
        "pdf/capacity.jinja",
        r=data,
        export=export,
        doc_title=title,
        doc_author="MPCE Portfolio",
        doc_description=f"{title}: {data.scope.label}, {_years_phrase(data)}",
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        generated_label=now.strftime("%d %B %Y %H:%M UTC"),
        verify_url=verify_url,
        years_phrase=_years_phrase(data),
        total_charts=total_charts,
        specialism_charts=specialism_charts,
        organisations_by_region=sorted(by_region.items()),
        figure=presenters.figure,
        percent=presenters.percent,
        region_label=presenters.region_label,
        closes=_closes,
        closes_short=closes_short,
        places=_places,
        more=_more,
        horizon=HORIZON_YEARS,
        default_uplift_share=DEFAULT_UPLIFT_SHARE,
        min_default_uplift=MIN_DEFAULT_UPLIFT,
        asset_url=asset_url,
    )


def to_pdf(data: ReportData, export) -> bytes:
    from portfolio.exports.pdf import render_pdf

    pdf, _blocked = render_pdf(to_html(data, export))
    return pdf


# ---- the job ------------------------------------------------------------------------------------


def _progress(export, value: int) -> None:
    export.progress = value
    db.session.commit()


def build_report(export) -> tuple[bytes, str, str, dict]:
    """Make the report an Export asked for: ``(bytes, filename, media_type, summary)``."""
    params = export.params or {}
    scope = scope_from_params(params)
    from_year, to_year = int(params["from_year"]), int(params["to_year"])
    fmt = params.get("format") or "pdf"
    uplift = params.get("uplift")
    soft_cap = current_app.config.get("SUPERVISOR_SOFT_CAP")
    data = compute(
        scope,
        from_year,
        to_year,
        None if uplift is None else float(uplift),
        detail=fmt == "csv",
        soft_cap=int(soft_cap) if soft_cap is not None else None,
    )
    _progress(export, 40)
    name = f"capacity-report-{scope.slug}-{from_year}-{to_year}"
    if fmt == "csv":
        content, filename, media_type = to_csv(data), f"{name}.csv", CSV_MEDIA_TYPE
    else:
        content, filename, media_type = (
            to_pdf(data, export),
            f"{name}.pdf",
            PDF_MEDIA_TYPE,
        )
    summary = {
        "kind": "Workforce capacity report",
        "scope": scope.kind,
        "covers": scope.label,
        "years": _years_phrase(data),
        "format": fmt.upper(),
        "organisations": len(data.organisations),
        "specialisms": len(data.specialisms),
        "uplift_places_per_year": round(data.uplift, 2),
    }
    return content, filename, media_type, summary
