"""Project how many years extra training places take to close a workforce gap.

A plain model with no database or web code, so that the API, the web page and the
tests all share one set of rules. Years run from ``start_year`` to
``start_year + horizon_years - 1``; every figure is for the end of that year.

Schedule semantics. Each schedule step says how many *extra training places are
commissioned every year* from its ``from_year`` on, over and above today's intake;
the latest step that has started applies, and it replaces the step before it
rather than adding to it. IPEM's published scenario (+15 places a year from 2025,
+33 a year from 2028, against a gap of about 900) is therefore::

    schedule = [{"from_year": 2025, "extra_places_per_year": 15},
                {"from_year": 2028, "extra_places_per_year": 33}]

and the extra staff accumulate: 15, 30, 45, 78, 111, ... The gap closes in 2053,
29 years on, which is IPEM's "thirty years to reach the staff levels required".
Reading the steps as an intake that itself grows by 15 more places every year
(15, 30, 45, 78, 111 places commissioned a year) would close the same gap by 2033,
in 9 years, which contradicts the published estimate, so that reading is not used.

For each year ``y`` (``s`` is ``start_year``, ``L`` is ``training_years``)::

    places(y)     = baseline_places_per_year + extra_places_per_year of the step
                    with the largest from_year <= y (0 when none has started);
                    places(y) = 0 for y < s: the model counts only places
                    commissioned from the start year on
    added(y)      = completion_rate * places(y - L)
    cumulative(y) = cumulative(y - 1) * (1 - leaver_rate) + added(y),
                    with cumulative(s - 1) = 0
    required(y)   = gap * (1 + demand_growth) ** (y - s)
    gap(y)        = required(y) - cumulative(y)

``leaver_rate`` applies only to the extra staff the model adds (the existing
workforce and its own turnover are already behind the starting gap), and people
who qualify in a year are not counted as leaving in that same year.
``demand_growth`` is a fraction per year (0.02 means the number of staff needed
grows by 2% a year) and must be between -1 and 1, which also catches a percentage
typed as a whole number. ``gap(y)`` is reported as is: a negative value means more
staff have been added than are needed.

``closes_in_year`` is the first year with ``gap(y) <= 0``; ``years_to_close`` counts
the years of the projection up to and including it (``closes_in_year - s + 1``),
so a gap that closes at the end of the start year takes 1 year. Both are None when
the gap does not close within the horizon. With demand growth or leavers a closed
gap can open again later; the series shows that.

With every optional field at its default (see ``DEFAULTS``) this is plain
accumulation: cumulative extra staff is the running sum of the extra places.
"""

import math
from dataclasses import dataclass

from portfolio.rules import Invalid

DEFAULTS = {
    "baseline_places_per_year": 0.0,
    "training_years": 0,
    "completion_rate": 1.0,
    "leaver_rate": 0.0,
    "demand_growth": 0.0,
    "horizon_years": 60,
}
REQUIRED = ("start_year", "gap", "schedule")
STEP_FIELDS = ("from_year", "extra_places_per_year")
MIN_YEAR = 1900
MAX_YEAR = 2200
MAX_HORIZON_YEARS = 200
# Sums of fractional rates drift by far less than this; without it a gap that is
# exactly closed on paper could be reported as still open.
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ScheduleStep:
    from_year: int
    extra_places_per_year: float


@dataclass(frozen=True)
class Scenario:
    start_year: int
    gap: float
    schedule: tuple[ScheduleStep, ...]
    baseline_places_per_year: float = 0
    training_years: int = 0
    completion_rate: float = 1.0
    leaver_rate: float = 0.0
    demand_growth: float = 0.0
    horizon_years: int = 60


@dataclass(frozen=True)
class YearPoint:
    year: int
    added: float
    cumulative: float
    gap: float

    def to_dict(self) -> dict:
        return {
            "year": self.year,
            "added": _display(self.added),
            "cumulative": _display(self.cumulative),
            "gap": _display(self.gap),
        }


@dataclass(frozen=True)
class Projection:
    closes_in_year: int | None
    years_to_close: int | None
    series: list[YearPoint]

    def to_dict(self) -> dict:
        """Return the API result; figures are rounded to 2 decimal places."""
        return {
            "closes_in_year": self.closes_in_year,
            "years_to_close": self.years_to_close,
            "series": [point.to_dict() for point in self.series],
        }


class ProjectionError(Invalid, ValueError):
    """The scenario was rejected; ``errors`` lists every problem found."""

    def __init__(self, errors: list[dict]):
        super().__init__(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
        )


def _display(value: float) -> float:
    # Adding 0.0 turns -0.0 into 0.0, so a closed gap never shows as "-0.0".
    return round(value, 2) + 0.0


class _Checker:
    """Collect field errors so that every problem is reported at once."""

    def __init__(self):
        self.errors: list[dict] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def whole(self, field: str, value, low: int, high: int | None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"{field} must be a whole number")
            return None
        if value < low:
            self.fail(field, _range_message(field, low, high))
            return None
        if high is not None and value > high:
            self.fail(field, _range_message(field, low, high))
            return None
        return value

    def number(
        self, field: str, value, low: float, high: float | None, hint: str = ""
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"{field} must be a number")
            return None
        if not math.isfinite(value):
            self.fail(field, f"{field} must be a finite number")
            return None
        if value < low or (high is not None and value > high):
            self.fail(field, _range_message(field, low, high) + hint)
            return None
        return float(value)


def _range_message(field: str, low: float, high: float | None) -> str:
    if high is None:
        return f"{field} must not be negative"
    return f"{field} must be between {low:g} and {high:g}"


def parse_scenario(data: dict) -> Scenario:
    """Validate an API request body and return the scenario it describes."""
    check = _Checker()
    if not isinstance(data, dict):
        check.fail("body", "the scenario must be a JSON object")
        raise ProjectionError(check.errors)
    for field in REQUIRED:
        if data.get(field) is None:
            check.fail(field, f"{field} is required")
    # A null optional field means "not given", so a form can leave it blank.
    values = {**DEFAULTS, **{k: v for k, v in data.items() if v is not None}}

    start_year = None
    if data.get("start_year") is not None:
        start_year = check.whole("start_year", values["start_year"], MIN_YEAR, MAX_YEAR)
    gap = None
    if data.get("gap") is not None:
        gap = check.number("gap", values["gap"], 0, None)
    schedule = None
    if data.get("schedule") is not None:
        schedule = _parse_schedule(check, values["schedule"], start_year)
    baseline = check.number(
        "baseline_places_per_year", values["baseline_places_per_year"], 0, None
    )
    training_years = check.whole("training_years", values["training_years"], 0, None)
    completion_rate = check.number("completion_rate", values["completion_rate"], 0, 1)
    leaver_rate = check.number("leaver_rate", values["leaver_rate"], 0, 1)
    demand_growth = check.number(
        "demand_growth",
        values["demand_growth"],
        -1,
        1,
        " (a fraction per year: 0.02 means 2% a year)",
    )
    horizon_years = check.whole(
        "horizon_years", values["horizon_years"], 1, MAX_HORIZON_YEARS
    )
    known = set(REQUIRED) | set(DEFAULTS)
    for field in data:
        if field not in known:
            check.fail(str(field), f"{field} is not a known field")

    if check.errors:
        raise ProjectionError(check.errors)
    # Each check returns None only after recording an error, so none is None here.
    assert start_year is not None and gap is not None and schedule is not None
    assert baseline is not None and training_years is not None
    assert completion_rate is not None and leaver_rate is not None
    assert demand_growth is not None and horizon_years is not None
    return Scenario(
        start_year=start_year,
        gap=gap,
        schedule=schedule,
        baseline_places_per_year=baseline,
        training_years=training_years,
        completion_rate=completion_rate,
        leaver_rate=leaver_rate,
        demand_growth=demand_growth,
        horizon_years=horizon_years,
    )


def _parse_schedule(
    check: _Checker, raw, start_year: int | None
) -> tuple[ScheduleStep, ...] | None:
    if not isinstance(raw, list | tuple):
        check.fail("schedule", "schedule must be a list of steps")
        return None
    steps = []
    previous_year = None
    ok = True
    for index, item in enumerate(raw):
        name = f"schedule[{index}]"
        if not isinstance(item, dict):
            check.fail(
                name, f"{name} must be an object with {' and '.join(STEP_FIELDS)}"
            )
            ok = False
            continue
        for field in item:
            if field not in STEP_FIELDS:
                check.fail(f"{name}.{field}", f"{name}.{field} is not a known field")
                ok = False
        for field in STEP_FIELDS:
            if item.get(field) is None:
                check.fail(f"{name}.{field}", f"{name}.{field} is required")
                ok = False
        from_year = None
        if item.get("from_year") is not None:
            from_year = check.whole(
                f"{name}.from_year", item["from_year"], MIN_YEAR, MAX_YEAR
            )
        places = None
        if item.get("extra_places_per_year") is not None:
            places = check.number(
                f"{name}.extra_places_per_year", item["extra_places_per_year"], 0, None
            )
        if from_year is not None:
            if start_year is not None and from_year < start_year:
                check.fail(
                    f"{name}.from_year",
                    f"{name}.from_year must not be before start_year ({start_year})",
                )
            if previous_year is not None and from_year <= previous_year:
                check.fail(
                    f"{name}.from_year",
                    f"{name}.from_year must be later than the step before it "
                    f"({previous_year}); list steps in year order",
                )
            previous_year = from_year
        if from_year is None or places is None:
            ok = False
            continue
        steps.append(ScheduleStep(from_year=from_year, extra_places_per_year=places))
    return tuple(steps) if ok else None


def places_commissioned(scenario: Scenario, year: int) -> float:
    """Return the training places the scenario commissions in ``year``."""
    if year < scenario.start_year:
        return 0.0
    started = [step for step in scenario.schedule if step.from_year <= year]
    extra = (
        max(started, key=lambda step: step.from_year).extra_places_per_year
        if started
        else 0.0
    )
    return scenario.baseline_places_per_year + extra


def project(scenario: Scenario) -> Projection:
    """Run the model year by year and find when the gap first closes."""
    series = []
    cumulative = 0.0
    closes_in_year = None
    for offset in range(scenario.horizon_years):
        year = scenario.start_year + offset
        added = scenario.completion_rate * places_commissioned(
            scenario, year - scenario.training_years
        )
        cumulative = cumulative * (1 - scenario.leaver_rate) + added
        required = scenario.gap * (1 + scenario.demand_growth) ** offset
        gap = required - cumulative
        series.append(YearPoint(year=year, added=added, cumulative=cumulative, gap=gap))
        if closes_in_year is None and gap <= _TOLERANCE:
            closes_in_year = year
    years_to_close = (
        None if closes_in_year is None else closes_in_year - scenario.start_year + 1
    )
    return Projection(
        closes_in_year=closes_in_year, years_to_close=years_to_close, series=series
    )
