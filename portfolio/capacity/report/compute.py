"""Every figure of the capacity report, from a fixed number of SQL aggregates.

The queries are ``portfolio.capacity.queries`` (the ``*_at`` ones give every level
the report shows at once); the Python here puts their rows on the report's units
and runs the projection model: it adds nothing up.
"""

import math
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from portfolio.capacity import presenters
from portfolio.capacity import queries
from portfolio.capacity.models import SPECIALISMS
from portfolio.capacity.projection import Projection
from portfolio.capacity.projection import Scenario
from portfolio.capacity.projection import ScheduleStep
from portfolio.capacity.projection import project
from portfolio.capacity.report.figures import DEFAULT_UPLIFT_SHARE
from portfolio.capacity.report.figures import HORIZON_YEARS
from portfolio.capacity.report.figures import MIN_DEFAULT_UPLIFT
from portfolio.capacity.report.figures import OrganisationBlock
from portfolio.capacity.report.figures import ReportData
from portfolio.capacity.report.figures import Unit
from portfolio.capacity.report.figures import Workforce
from portfolio.capacity.report.scope import ReportScope
from portfolio.capacity.report.words import unit_summary
from portfolio.extensions import db
from portfolio.organisations.models import Organisation


def specialism_order(code: str) -> tuple:
    """The MPCE specialisms in their usual order, then others by name, none last."""
    known = list(SPECIALISMS)
    if code in known:
        return (0, known.index(code), "")
    if not code:
        return (2, 0, "")
    return (1, 0, code.lower())


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
    # Every level the report shows, added up by the database: one organisation's
    # one specialism (the cells), each organisation, each specialism, each region
    # (national reports) and the total. One GROUPING SETS query per measure on
    # PostgreSQL; no figure is added up here.
    keys = [by_org_spec, ("organisation",), ("specialism",), ()]
    if scope.kind == "national":
        keys.append(("region",))
    places_at = queries.place_totals_at(
        [(*key, "intake_year") for key in keys], ids, from_year, to_year
    )
    completions_at = queries.completion_totals_at(
        [(*key, "year") for key in keys], ids, from_year, to_year
    )
    workforce_at = queries.workforce_totals_at(keys, ids, as_of=as_of)
    places = places_at[(*by_org_spec, "intake_year")]
    completions = completions_at[(*by_org_spec, "year")]
    workforce = workforce_at[by_org_spec]
    # Trainees and supervisors, each counted once at every level (two queries on
    # PostgreSQL, whatever the number of organisations).
    people = queries.people_at_levels(keys, ids, today, soft_cap)

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
        cell(row["organisation_code"], row["specialism"]).workforce = _workforce(row)
    trainee_rows, supervisor_rows = people[by_org_spec]
    trainees_at = {(r["organisation_code"], r["specialism"]): r for r in trainee_rows}
    supervisors_at = {
        (r["organisation_code"], r["specialism"]): r for r in supervisor_rows
    }
    for key in trainees_at.keys() | supervisors_at.keys():
        _people(cell(*key), trainees_at.get(key), supervisors_at.get(key))

    # Organisations, specialisms, regions and the total: the units the cells
    # belong to, with the database's totals for each.
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
        if specialism not in by_specialism:
            by_specialism[specialism] = Unit(
                presenters.specialism_label(specialism), years, specialism=specialism
            )
        if scope.kind == "national":
            if region not in by_region:
                by_region[region] = Unit(presenters.region_label(region), years)

    _totals(
        {code: block.total for code, block in by_organisation.items()},
        ("organisation_code",),
        places_at[("organisation", "intake_year")],
        completions_at[("organisation", "year")],
        workforce_at[("organisation",)],
    )
    _totals(
        by_specialism,
        ("specialism",),
        places_at[("specialism", "intake_year")],
        completions_at[("specialism", "year")],
        workforce_at[("specialism",)],
    )
    _totals(
        {"": total},
        (),
        places_at[("intake_year",)],
        completions_at[("year",)],
        workforce_at[()],
    )
    if scope.kind == "national":
        _totals(
            by_region,
            ("region",),
            places_at[("region", "intake_year")],
            completions_at[("region", "year")],
            workforce_at[("region",)],
        )

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


def _workforce(row: dict) -> Workforce:
    return Workforce(
        establishment=Decimal(row["establishment_wte"]),
        in_post=Decimal(row["in_post_wte"]),
        vacancies=Decimal(row["vacancies_wte"]),
        retiring_5y=_int_or_none(row["retiring_5y"]),
        retiring_15y=_int_or_none(row["retiring_15y"]),
        oldest=_as_date(row["oldest"]),
        newest=_as_date(row["newest"]),
    )


def _totals(
    units: dict[str, Unit],
    key: tuple[str, ...],
    places: list[dict],
    completions: list[dict],
    workforce: list[dict],
) -> None:
    """Put the database's totals of one level on its units (``key`` names the
    column that says which unit a row is for; none for the total)."""

    def unit_of(row: dict) -> Unit | None:
        return units.get(row[key[0]] if key else "")

    for row in places:
        unit = unit_of(row)
        if unit is not None:
            unit.commissioned[row["intake_year"]] = int(row["commissioned"])
            unit.filled[row["intake_year"]] = int(row["filled"])
    for row in completions:
        unit = unit_of(row)
        if unit is not None and row["year"] is not None:
            unit.completions[int(row["year"])] = int(row["completions"])
    for row in workforce:
        unit = unit_of(row)
        # A total over no records at all (no GROUP BY) is no figures, not zeros.
        if unit is not None and row["organisations"]:
            unit.workforce = _workforce(row)


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
