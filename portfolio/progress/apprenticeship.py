"""Apprenticeship funding rules: minimum duration, off-the-job hours and progress reviews.

Plain functions: dates in, numbers out. The numbers themselves (minimum months, OTJ
percentages, review intervals) live in curricula/rules/apprenticeship-rules.yaml, one
rule set per period of start dates; the apprentice's start date picks the set
(`rules_for`), and each set lists its public sources under `sources`. Every formula
below names the funding rule it implements and the public page it comes from; the
rules themselves are the DfE/ESFA apprenticeship funding rules for England
(https://www.gov.uk/guidance/apprenticeship-funding-rules-for-training-providers).

Conventions used by every function:

- A break in learning runs from its first day to its last day, both included; a break
  with no end is still going on and is counted up to `as_of` (or `today`/`until`).
- `planned_end` is the planned end of the practical period (before end-point
  assessment) as it stands now, that is, already moved on for the breaks passed in.
  `adjusted_end_date(original_end, breaks)` gives that date from the end planned before
  the breaks.
- Learning days run from the start date up to, not including, `planned_end`, less the
  days of any break in that span. Learning weeks are learning days / 7.
- Calendar months keep the day of the month, or the last day of a shorter month:
  31 January + 3 months = 30 April; 30 November 2023 + 3 months = 29 February 2024.
"""

import functools
import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RULES_PATH = (
    Path(__file__).resolve().parents[2]
    / "curricula"
    / "rules"
    / "apprenticeship-rules.yaml"
)
OTJ_MODES = ("percent", "weekly", "fixed_per_standard")
REVIEW_UNITS = ("weeks", "calendar_months")
# Our own RAG policy for OTJ hours against the straight-line expectation (not a
# funding rule): green at 95% of expected or more, amber from 80%, red below 80%.
GREEN_AT = 0.95
AMBER_AT = 0.80
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Break:
    """A break in learning; `end` is the last day of the break, None while ongoing."""

    start: date
    end: date | None = None

    def last_day(self, as_of: date | None) -> date:
        """Return the last day of the break, counting an ongoing break up to as_of."""
        if self.end is not None:
            return self.end
        if as_of is None:
            raise ValueError(
                f"the break that started on {self.start} has no end date: "
                "pass as_of to count it up to a given day"
            )
        return as_of


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: str
    applies_from: date | None
    applies_before: date | None
    min_duration_months: int
    part_time_extends_min_duration: bool
    full_time_hours: float
    otj_mode: str
    otj_percent: float | None
    otj_weekly_hours_cap: float | None
    otj_weekly_hours: float | None
    otj_floor_hours: float | None
    exclude_statutory_leave: bool
    statutory_leave_weeks_per_year: float
    review_interval_unit: str
    review_interval_value: int
    otj_after_gateway: bool
    gateway_checks: tuple[str, ...]
    sources: tuple[str, ...]

    def applies_to(self, start: date) -> bool:
        """Say whether an apprentice who started on `start` follows this rule set."""
        if self.applies_from is not None and start < self.applies_from:
            return False
        return self.applies_before is None or start < self.applies_before


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _parse_ruleset(raw: Mapping[str, Any], where: str) -> RuleSet:
    try:
        otj = raw["otj"]
        review = raw["review_interval"]
        ruleset = RuleSet(
            id=str(raw["id"]),
            title=str(raw["title"]),
            applies_from=raw.get("applies_from"),
            applies_before=raw.get("applies_before"),
            min_duration_months=int(raw["min_duration_months"]),
            part_time_extends_min_duration=bool(raw["part_time_extends_min_duration"]),
            full_time_hours=float(raw["full_time_hours"]),
            otj_mode=str(otj["mode"]),
            otj_percent=_optional_float(otj.get("percent")),
            otj_weekly_hours_cap=_optional_float(otj.get("weekly_hours_cap")),
            otj_weekly_hours=_optional_float(otj.get("weekly_hours")),
            otj_floor_hours=_optional_float(otj.get("floor_hours")),
            exclude_statutory_leave=bool(raw["exclude_statutory_leave"]),
            statutory_leave_weeks_per_year=float(raw["statutory_leave_weeks_per_year"]),
            review_interval_unit=str(review["unit"]),
            review_interval_value=int(review["value"]),
            otj_after_gateway=bool(raw.get("otj_after_gateway", False)),
            gateway_checks=tuple(raw.get("gateway_checks") or ()),
            sources=tuple(raw.get("sources") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: bad rule set: {exc!r}") from exc
    problems = []
    if ruleset.otj_mode not in OTJ_MODES:
        problems.append(f"otj.mode must be one of {', '.join(OTJ_MODES)}")
    needed = {
        "percent": ("otj_percent",),
        "weekly": ("otj_weekly_hours",),
        "fixed_per_standard": ("otj_floor_hours",),
    }.get(ruleset.otj_mode, ())
    problems += [
        f"{name} is required" for name in needed if getattr(ruleset, name) is None
    ]
    if ruleset.review_interval_unit not in REVIEW_UNITS:
        problems.append(
            f"review_interval.unit must be one of {', '.join(REVIEW_UNITS)}"
        )
    if ruleset.review_interval_value < 1 or ruleset.min_duration_months < 1:
        problems.append("review_interval.value and min_duration_months must be >= 1")
    for day in (ruleset.applies_from, ruleset.applies_before):
        if day is not None and not isinstance(day, date):
            problems.append(f"{day!r} is not a date (write it as YYYY-MM-DD)")
    if problems:
        raise ValueError(f"{where}: rule set {ruleset.id}: {'; '.join(problems)}")
    return ruleset


def _read_rulesets(path: Path) -> tuple[RuleSet, ...]:
    with open(path, encoding="utf-8") as f:
        document = yaml.safe_load(f) or {}
    raw_sets = document.get("rulesets") or []
    rulesets = tuple(
        _parse_ruleset(raw, f"{path}: rulesets[{i}]") for i, raw in enumerate(raw_sets)
    )
    if not rulesets:
        raise ValueError(f"{path}: no rule sets")
    return rulesets


@functools.cache
def _default_rulesets() -> tuple[RuleSet, ...]:
    return _read_rulesets(DEFAULT_RULES_PATH)


def load_rulesets(path: str | Path | None = None) -> tuple[RuleSet, ...]:
    """Read the rule sets from a YAML file (the shipped file is read once and cached)."""
    if path is None:
        return _default_rulesets()
    return _read_rulesets(Path(path))


def rules_for(start_date: date, rulesets: Iterable[RuleSet] | None = None) -> RuleSet:
    """Return the rule set for an apprentice who started on start_date.

    The funding rules change with the apprentice's start date: before 1 Aug 2022;
    1 Aug 2022 to 31 Jul 2025; from 1 Aug 2025.
    """
    for ruleset in load_rulesets() if rulesets is None else rulesets:
        if ruleset.applies_to(start_date):
            return ruleset
    raise LookupError(f"no apprenticeship rule set covers a start on {start_date}")


def add_months(day: date, months: int) -> date:
    """Add calendar months, moving to the month's last day when it is shorter."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    month = month0 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def break_days(
    breaks: Iterable[Break], start: date, end: date, as_of: date | None = None
) -> int:
    """Count the days of breaks that fall on or after start and before end."""
    total = 0
    for b in breaks:
        if b.start >= end:
            continue
        last = b.last_day(as_of)
        total += max((min(end, last + timedelta(days=1)) - max(start, b.start)).days, 0)
    return total


def learning_days(
    start: date,
    planned_end: date,
    breaks: Iterable[Break] = (),
    as_of: date | None = None,
) -> int:
    """Return the days in learning from start up to planned_end, less breaks."""
    span = (planned_end - start).days
    return max(span - break_days(breaks, start, planned_end, as_of), 0)


def adjusted_end_date(
    planned_end: date, breaks: Iterable[Break], as_of: date | None = None
) -> date:
    """Move an originally planned end date on by the length of each break.

    A break pauses the clock, so the end moves by the break's length in days. Breaks
    are taken in date order and only those that start before the end (as moved so far)
    count; an ongoing break counts up to as_of.
    """
    end = planned_end
    for b in sorted(breaks, key=lambda b: b.start):
        if b.start < end:
            end += timedelta(days=(b.last_day(as_of) - b.start).days + 1)
    return end


def minimum_end_date(
    start: date,
    breaks: Iterable[Break] = (),
    contracted_hours_per_week: float | None = None,
    ruleset: RuleSet | None = None,
    as_of: date | None = None,
) -> date:
    """Return the earliest allowed planned end date of the practical period.

    Minimum apprenticeship duration: 12 months for starts before 1 Aug 2025, 8 months
    from 1 Aug 2025 (https://www.cityandguilds.com/news/may-2025/2025-26-apprenticeship-funding-rules).
    Under the rules for starts from 1 Aug 2022, part-time apprentices' duration is
    extended pro rata
    (https://www.tribalgroup.com/blog/apprenticeships-off-the-job-training-new-funding-rules),
    so when the rule set says so and the apprentice is
    contracted for fewer than full_time_hours (30) a week:
        minimum days = days in min_duration_months x 30 / contracted hours, rounded up.
    The 2025 rules dropped that extension. The result is then moved on for breaks
    (`adjusted_end_date`). We read "12 months" as calendar months from the start date:
    a start on 1 Sep 2024 needs a planned end on or after 1 Sep 2025.
    """
    rs = ruleset or rules_for(start)
    end = add_months(start, rs.min_duration_months)
    hours = contracted_hours_per_week
    if rs.part_time_extends_min_duration and hours and hours < rs.full_time_hours:
        days = (end - start).days * rs.full_time_hours / hours
        end = start + timedelta(days=math.ceil(round(days, 6)))
    return adjusted_end_date(end, breaks, as_of)


def minimum_duration_ok(
    start: date,
    planned_end: date,
    breaks: Iterable[Break] = (),
    contracted_hours_per_week: float | None = None,
    ruleset: RuleSet | None = None,
    as_of: date | None = None,
) -> bool:
    """Say whether the planned end meets the minimum duration (see minimum_end_date)."""
    earliest = minimum_end_date(
        start, breaks, contracted_hours_per_week, ruleset, as_of=as_of
    )
    return planned_end >= earliest


def otj_weeks(
    ruleset: RuleSet,
    start: date,
    planned_end: date,
    breaks: Iterable[Break] = (),
    as_of: date | None = None,
) -> float:
    """Return the weeks that OTJ hours are planned over.

    The OTJ calculation for starts from 1 Aug 2022 counts the weeks in the practical
    period excluding statutory leave, about 5.6 weeks a year pro rata (the convention of
    the ESFA's OTJ calculator; see
    https://haso.skillsforhealth.org.uk/news/apprenticeship-funding-rules-august-2022-to-july-2023/):
        weeks = learning days / 7 - 5.6 x learning days / 365
    (leave is taken out only where the rule set says so).
    """
    days = learning_days(start, planned_end, breaks, as_of)
    weeks = days / 7
    if ruleset.exclude_statutory_leave:
        weeks -= ruleset.statutory_leave_weeks_per_year * days / DAYS_PER_YEAR
    return max(weeks, 0.0)


def otj_target_hours(
    ruleset: RuleSet,
    start: date,
    planned_end: date,
    contracted_hours_per_week: float | None,
    standard_otj_hours: float | None = None,
    breaks: Iterable[Break] = (),
    as_of: date | None = None,
) -> float:
    """Return the minimum off-the-job hours for the whole practical period.

    Rounded up to whole hours, so a plan never falls short by a fraction of an hour.

    - percent mode, starts before 1 Aug 2022: 20% of contracted hours, with the hours
      used in the calculation capped at 30 a week
      (https://haso.skillsforhealth.org.uk/recruitment-2; on the cap see
      https://feweek.co.uk/2019/03/29/apprenticeship-off-the-job-calculation-change-wait-for-further-clarification/):
          target = 20% x min(contracted hours, 30) x otj_weeks
    - weekly mode, starts from 1 Aug 2022 to 31 Jul 2025: full time (30 h or more) an
      average of 6 hours a week over the weeks excluding statutory leave; part time 20%
      of the apprentice's own weekly hours over the same weeks
      (https://www.tribalgroup.com/blog/apprenticeships-off-the-job-training-new-funding-rules):
          target = 6 x otj_weeks, or 6 / 30 x contracted hours x otj_weeks below 30 h
    - fixed_per_standard mode, starts from 1 Aug 2025: a fixed minimum of OTJ hours
      published for each standard, a funding floor of 187 OTJ hours, and no full-time
      or part-time distinction
      (https://www.cityandguilds.com/news/may-2025/2025-26-apprenticeship-funding-rules):
          target = max(the standard's hours, 187)
      The standard's hours come from the curriculum's `programme.otj_hours`; when the
      curriculum does not give them, the target is the 187-hour floor. Dates, hours
      and breaks do not change this target.
    """
    if ruleset.otj_mode == "fixed_per_standard":
        floor = ruleset.otj_floor_hours or 0.0
        hours = floor if standard_otj_hours is None else max(standard_otj_hours, floor)
        return float(math.ceil(round(hours, 6)))
    if not contracted_hours_per_week or contracted_hours_per_week <= 0:
        raise ValueError("contracted hours per week must be more than 0")
    if planned_end <= start:
        raise ValueError("the planned end must be after the start")
    weeks = otj_weeks(ruleset, start, planned_end, breaks, as_of)
    if ruleset.otj_mode == "percent":
        cap = ruleset.otj_weekly_hours_cap or contracted_hours_per_week
        weekly = (
            (ruleset.otj_percent or 0.0) / 100 * min(contracted_hours_per_week, cap)
        )
    else:
        full = ruleset.full_time_hours
        share = min(contracted_hours_per_week, full) / full
        weekly = (ruleset.otj_weekly_hours or 0.0) * share
    return float(math.ceil(round(weekly * weeks, 6)))


def expected_otj_to_date(
    target: float,
    start: date,
    planned_end: date,
    today: date,
    breaks: Iterable[Break] = (),
) -> float:
    """Return the OTJ hours expected by today, to one decimal place.

    Straight line over the learning days: target x learning days before today /
    learning days in the whole practical period. Breaks pause it (an ongoing break
    counts up to today), and it stops at the target on the planned end. The 2025 rules
    let OTJ be spread unevenly (it need not be evenly spread:
    https://apprenticeshipguide.co.uk/employers-blog/what-you-need-to-know-about-the-2025-26-apprenticeship-funding-rules/),
    so for those apprentices this is a guide for the RAG flag, not a rule.
    """
    breaks = tuple(breaks)
    total = learning_days(start, planned_end, breaks, as_of=today)
    if total <= 0:
        return 0.0
    upto = min(max(today, start), planned_end)
    elapsed = learning_days(start, upto, breaks, as_of=today)
    return round(target * min(elapsed / total, 1.0), 1)


def otj_status(
    actual: float,
    expected: float,
    green_at: float = GREEN_AT,
    amber_at: float = AMBER_AT,
) -> str:
    """Rate actual OTJ hours against expected: "green", "amber" or "red".

    Our policy, not a funding rule: green at 95% of expected or more, amber from 80%,
    red below 80%. Nothing expected yet is green.
    """
    if expected <= 0:
        return "green"
    ratio = actual / expected
    if ratio >= green_at:
        return "green"
    if ratio >= amber_at:
        return "amber"
    return "red"


def _interval_after(ruleset: RuleSet, anchor: date, count: int) -> date:
    if ruleset.review_interval_unit == "weeks":
        return anchor + timedelta(weeks=ruleset.review_interval_value * count)
    return add_months(anchor, ruleset.review_interval_value * count)


def _paused(due: date, since: date, breaks: tuple[Break, ...], as_of: date) -> date:
    """Move a due date on by the break days between since and the due date itself."""
    moved = due
    while True:
        later = due + timedelta(
            days=break_days(breaks, since, moved + timedelta(1), as_of)
        )
        if later == moved:
            return moved
        moved = later


def review_due_dates(
    ruleset: RuleSet, start: date, until: date, breaks: Iterable[Break] = ()
) -> list[date]:
    """Return the latest dates by which each progress review is due, up to until.

    Progress reviews are due at least every 12 weeks under the 2022/23 to 2024/25 rules
    (https://www.gov.uk/guidance/apprenticeship-funding-rules-for-training-providers/progress-reviews;
    applied by us to earlier starts too) and at least every 3 calendar months under the
    2025/26 rules
    (https://customerhelp.education.gov.uk/hc/en-gb/community/posts/27228014966034-Progress-Review-Frequency).
    The first review is due one interval after the start and
    each later one an interval after the one before, assuming reviews are held on their
    due dates. Calendar months count from the same anchor to avoid drift (31 Jan,
    30 Apr, 31 Jul). A break pauses the clock: a due date moves on by the days of any
    break on or before it since the previous one, and the schedule then restarts from
    the moved date. An ongoing break counts up to until.
    """
    breaks = tuple(breaks)
    dues: list[date] = []
    anchor, count, previous = start, 0, start
    while True:
        count += 1
        base = _interval_after(ruleset, anchor, count)
        due = _paused(base, previous, breaks, until)
        if due != base:
            anchor, count = due, 0
        if due > until:
            return dues
        dues.append(due)
        previous = due


def next_review_due(
    ruleset: RuleSet,
    start: date,
    last_review_on: date | None,
    today: date,
    breaks: Iterable[Break] = (),
) -> date:
    """Return the latest date the next progress review may be held.

    One review interval after the last review (or after the start when there has been
    none), moved on by the days of any break since then (see review_due_dates).
    """
    anchor = last_review_on or start
    base = _interval_after(ruleset, anchor, 1)
    return _paused(base, anchor, tuple(breaks), today)


def review_overdue(
    ruleset: RuleSet,
    start: date,
    last_review_on: date | None,
    today: date,
    breaks: Iterable[Break] = (),
) -> bool:
    """Say whether today is past the date the next progress review was due."""
    return today > next_review_due(ruleset, start, last_review_on, today, breaks)
