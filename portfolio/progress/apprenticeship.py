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
- The breaks passed to these functions are formal breaks in learning. An absence of up
  to 4 weeks is not a break in learning and moves nothing; `formal_breaks` picks the
  breaks that count from those recorded.
- These are England's rules: `rules_apply_in(nation)` says whether they apply at all
  (Scotland, Wales and Northern Ireland run their own apprenticeship systems).
"""

import functools
import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
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
ROUNDINGS = ("esfa", "up")
STANDARD_STATUSES = ("confirmed", "not confirmed")
TRANSITIONAL_STATUSES = ("confirmed", "not listed", "not confirmed")
# The DfE/ESFA funding rules are England's; the other nations run their own systems.
RULES_NATION = "England"
WEEKS_PER_YEAR = 52
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
    otj_transitional_before: date | None
    otj_rounding: str
    exclude_statutory_leave: bool
    statutory_leave_weeks_per_year: float
    review_interval_unit: str
    review_interval_value: int
    otj_after_gateway: bool
    gateway_checks: tuple[str, ...]
    sources: tuple[str, ...]
    funding_year: str = ""
    not_confirmed: tuple[str, ...] = ()

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
            otj_transitional_before=otj.get("transitional_before"),
            otj_rounding=str(otj.get("rounding") or "esfa"),
            exclude_statutory_leave=bool(raw["exclude_statutory_leave"]),
            statutory_leave_weeks_per_year=float(raw["statutory_leave_weeks_per_year"]),
            review_interval_unit=str(review["unit"]),
            review_interval_value=int(review["value"]),
            otj_after_gateway=bool(raw.get("otj_after_gateway", False)),
            gateway_checks=tuple(raw.get("gateway_checks") or ()),
            sources=tuple(raw.get("sources") or ()),
            funding_year=str(raw.get("funding_year") or ""),
            not_confirmed=tuple(str(n) for n in raw.get("not_confirmed") or ()),
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
    if ruleset.otj_rounding not in ROUNDINGS:
        problems.append(f"otj.rounding must be one of {', '.join(ROUNDINGS)}")
    if ruleset.review_interval_unit not in REVIEW_UNITS:
        problems.append(
            f"review_interval.unit must be one of {', '.join(REVIEW_UNITS)}"
        )
    if ruleset.review_interval_value < 1 or ruleset.min_duration_months < 1:
        problems.append("review_interval.value and min_duration_months must be >= 1")
    for day in (
        ruleset.applies_from,
        ruleset.applies_before,
        ruleset.otj_transitional_before,
    ):
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


@dataclass(frozen=True)
class StandardOtj:
    """The DfE's minimum OTJ hours for one standard, for starts from 1 August 2025.

    `min_otj_hours` is None until the published figure is confirmed (status
    "not confirmed"); `needs` names the public source that would settle it.
    """

    code: str
    title: str
    min_otj_hours: float | None
    status: str
    transitional_hours: float | None
    transitional_status: str
    needs: str

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed" and self.min_otj_hours is not None


@dataclass(frozen=True)
class RulesDocument:
    """Everything in the rules file: rule sets, per-standard OTJ, breaks, English and maths."""

    rulesets: tuple[RuleSet, ...]
    standards: Mapping[str, StandardOtj]
    short_absence_max_days: int
    break_sources: tuple[str, ...]
    english_maths_optional_from: date
    english_maths_mandatory_below_age: int
    english_maths_sources: tuple[str, ...]


def _parse_standard(code: str, raw: Mapping[str, Any], where: str) -> StandardOtj:
    try:
        standard = StandardOtj(
            code=code.upper(),
            title=str(raw["title"]),
            min_otj_hours=_optional_float(raw.get("min_otj_hours")),
            status=str(raw["status"]),
            transitional_hours=_optional_float(raw.get("transitional_hours")),
            transitional_status=str(raw["transitional_status"]),
            needs=str(raw.get("needs") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: standards.{code}: {exc!r}") from exc
    problems = []
    if standard.status not in STANDARD_STATUSES:
        problems.append(f"status must be one of {', '.join(STANDARD_STATUSES)}")
    if standard.transitional_status not in TRANSITIONAL_STATUSES:
        problems.append(
            f"transitional_status must be one of {', '.join(TRANSITIONAL_STATUSES)}"
        )
    if (standard.status == "confirmed") != (standard.min_otj_hours is not None):
        problems.append("min_otj_hours is given exactly when status is confirmed")
    if (standard.transitional_status == "confirmed") != (
        standard.transitional_hours is not None
    ):
        problems.append(
            "transitional_hours is given exactly when transitional_status is confirmed"
        )
    if not standard.confirmed and not standard.needs:
        problems.append("a figure that is not confirmed must say what it needs")
    if problems:
        raise ValueError(f"{where}: standards.{code}: {'; '.join(problems)}")
    return standard


def _read_document(path: Path) -> RulesDocument:
    with open(path, encoding="utf-8") as f:
        document = yaml.safe_load(f) or {}
    try:
        breaks = document["break_in_learning"]
        english = document["english_maths"]
        optional_from = english["optional_from"]
        if not isinstance(optional_from, date):
            raise ValueError("english_maths.optional_from is not a date")
        return RulesDocument(
            rulesets=_read_rulesets(path),
            standards={
                str(code).upper(): _parse_standard(str(code), raw, str(path))
                for code, raw in (document.get("standards") or {}).items()
            },
            short_absence_max_days=int(breaks["short_absence_max_days"]),
            break_sources=tuple(breaks.get("sources") or ()),
            english_maths_optional_from=optional_from,
            english_maths_mandatory_below_age=int(english["mandatory_below_age"]),
            english_maths_sources=tuple(english.get("sources") or ()),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: missing or bad section: {exc!r}") from exc


@functools.cache
def _default_document() -> RulesDocument:
    return _read_document(DEFAULT_RULES_PATH)


def load_document(path: str | Path | None = None) -> RulesDocument:
    """Read the whole rules file (the shipped file is read once and cached)."""
    if path is None:
        return _default_document()
    return _read_document(Path(path))


def _default_rulesets() -> tuple[RuleSet, ...]:
    return _default_document().rulesets


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


def rules_apply_in(nation: str | None) -> bool:
    """Say whether the DfE/ESFA funding rules apply to an organisation in `nation`.

    They are the rules for apprenticeships in England. Scotland, Wales and Northern
    Ireland run their own apprenticeship systems (Skills Development Scotland, the Welsh
    Government's apprenticeship programme, the Department for the Economy's
    ApprenticeshipsNI), so none of these rules is applied there.
    """
    return nation == RULES_NATION


def standard_code(standard_ref: str | None) -> str | None:
    """The standard's code from a reference such as "ST0218 v1.1" ("ST0218")."""
    if not standard_ref:
        return None
    first = str(standard_ref).split()[0].upper()
    return first if first.startswith("ST") and first[2:].isdigit() else None


def standard_otj(
    standard_ref: str | None, document: RulesDocument | None = None
) -> StandardOtj | None:
    """The published OTJ entry for a standard, or None when the file does not list it."""
    code = standard_code(standard_ref)
    if code is None:
        return None
    return (document or load_document()).standards.get(code)


def break_days_long(b: Break, as_of: date | None = None) -> int:
    """The length of a break in days, both ends included (ongoing: up to as_of)."""
    return (b.last_day(as_of) - b.start).days + 1


def formal_breaks(
    breaks: Iterable[Break],
    as_of: date | None = None,
    document: RulesDocument | None = None,
) -> tuple[Break, ...]:
    """The breaks that are formal breaks in learning: longer than 4 weeks.

    An absence of up to 4 weeks (28 days) is not a break in learning: the apprentice
    stays on programme, catches up any missed OTJ and the planned end date does not move.
    A formal break of more than 4 weeks, agreed by apprentice, employer and provider,
    pauses the apprenticeship and moves the end date on by its length
    (https://haso.skillsforhealth.org.uk/news/breaks-in-apprenticeship-training/).
    An ongoing break becomes formal once it has lasted more than 4 weeks by as_of.
    """
    limit = (document or load_document()).short_absence_max_days
    return tuple(b for b in breaks if break_days_long(b, as_of) > limit)


def english_maths_required(
    age_at_start: int | None,
    on: date,
    document: RulesDocument | None = None,
) -> bool | None:
    """Say whether English and maths qualifications are required at gateway on `on`.

    From 11 February 2025 the requirement applies only to apprentices aged 16 to 18 on
    the day they started; for those aged 19 or over it is optional, for new starts and
    for apprentices already on programme
    (https://help.apprenticeships.education.gov.uk/hc/en-gb/articles/24562861869586-Changes-to-English-and-maths-requirements).
    Before that date every apprentice needed them. Returns None when the answer depends
    on an age at start that has not been recorded.
    """
    doc = document or load_document()
    if on < doc.english_maths_optional_from:
        return True
    if age_at_start is None:
        return None
    return age_at_start < doc.english_maths_mandatory_below_age


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


def round_half_up(value: float) -> int:
    """Round to the nearest whole number, halves up (278.4 -> 278, 278.5 -> 279)."""
    return int(Decimal(repr(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def otj_weeks(
    ruleset: RuleSet,
    start: date,
    planned_end: date,
    breaks: Iterable[Break] = (),
    as_of: date | None = None,
) -> float:
    """Return the weeks that OTJ hours are planned over.

    The ESFA's convention (its worked example for the rules from 1 Aug 2022: a 12-month
    full-time apprenticeship is 52 weeks less 5.6 weeks of statutory leave = 46.4 weeks;
    https://martinsolent.github.io/bdats/docs/otjh/child-1.html quoting the DfE's
    "Apprenticeship off-the-job training: policy background and examples"):
        whole weeks = learning days / 7, rounded to the nearest week (365 days -> 52)
        weeks = whole weeks - 5.6 x whole weeks / 52
    Statutory leave (28 days, 5.6 weeks a year for a 5-day week) is taken out only where
    the rule set says so; an apprentice's extra contractual leave is not
    (https://customerhelp.education.gov.uk/hc/en-gb/community/posts/7648048720402-OTJ-statutory-entitlement).
    With `rounding: up` the weeks are not rounded (learning days / 7).
    """
    days = learning_days(start, planned_end, breaks, as_of)
    weeks = days / 7
    if ruleset.otj_rounding == "esfa":
        weeks = float(round_half_up(weeks))
    if ruleset.exclude_statutory_leave:
        weeks -= ruleset.statutory_leave_weeks_per_year * weeks / WEEKS_PER_YEAR
    return max(weeks, 0.0)


def _round_hours(ruleset: RuleSet, hours: float) -> float:
    if ruleset.otj_rounding == "esfa":
        return float(round_half_up(round(hours, 6)))
    return float(math.ceil(round(hours, 6)))


@dataclass(frozen=True)
class OtjTarget:
    """The minimum OTJ hours for an apprentice, or why the figure is not confirmed.

    `hours` is None when the figure is not confirmed; `needs` then says which public
    source would settle it. `basis` says in plain words where the figure comes from.
    """

    hours: float | None
    basis: str
    needs: str = ""

    @property
    def confirmed(self) -> bool:
        return self.hours is not None


def otj_target(
    ruleset: RuleSet,
    start: date,
    planned_end: date,
    contracted_hours_per_week: float | None,
    standard: StandardOtj | None = None,
    breaks: Iterable[Break] = (),
    as_of: date | None = None,
    standard_ref: str | None = None,
) -> OtjTarget:
    """Return the minimum off-the-job hours for the whole practical period.

    Rounded as the ESFA's calculator does (`rounding: esfa`): the duration in whole
    weeks, the hours to the nearest hour.

    - percent mode, starts before 1 Aug 2022: 20% of the apprentice's contracted
      (working) hours over the weeks less statutory leave, with the hours used capped
      where that funding year's rules cap them (none of the rule sets shipped does:
      see the rules file for each year's source):
          target = 20% x min(contracted hours, cap) x otj_weeks
    - weekly mode, starts from 1 Aug 2022 to 31 Jul 2025: full time (30 h or more) 20%
      of a 30-hour week, that is 6 hours, over the weeks excluding statutory leave; part
      time 20% of the apprentice's own weekly hours over the same weeks
      (https://haso.skillsforhealth.org.uk/training/):
          target = 6 x otj_weeks, or 6 / 30 x contracted hours x otj_weeks below 30 h
      The ESFA's example: 12 months full time = 46.4 weeks x 6 = 278.4 -> 278 hours.
    - fixed_per_standard mode, starts from 1 Aug 2025: the minimum the DfE published
      for the standard, whatever the apprentice's hours or duration
      (https://feweek.co.uk/dfe-sets-minimum-off-the-job-hours-for-each-apprenticeship-standard);
      for starts before `transitional_before` (1 Jan 2026) the standard's temporary
      transitional figure where it is on the DfE's list
      (https://feweek.co.uk/dozens-of-apprenticeships-granted-transitional-off-the-job-hours).
      187 hours is the funding-eligibility floor, not a target. When the figure (or,
      for an August-December 2025 start, whether a transitional figure applies) is not
      confirmed, the target is not confirmed: `hours` is None and `needs` names the
      source. Dates, hours and breaks do not change this target.
    """
    if ruleset.otj_mode == "fixed_per_standard":
        return _fixed_target(ruleset, start, standard, standard_ref)
    if not contracted_hours_per_week or contracted_hours_per_week <= 0:
        raise ValueError("contracted hours per week must be more than 0")
    if planned_end <= start:
        raise ValueError("the planned end must be after the start")
    weeks = otj_weeks(ruleset, start, planned_end, breaks, as_of)
    if ruleset.otj_mode == "percent":
        cap = ruleset.otj_weekly_hours_cap or contracted_hours_per_week
        percent = ruleset.otj_percent or 0.0
        weekly = percent / 100 * min(contracted_hours_per_week, cap)
        basis = f"{percent:g}% of {min(contracted_hours_per_week, cap):g} hours a week"
    else:
        full = ruleset.full_time_hours
        share = min(contracted_hours_per_week, full) / full
        weekly = (ruleset.otj_weekly_hours or 0.0) * share
        basis = f"{weekly:g} hours a week"
    hours = _round_hours(ruleset, weekly * weeks)
    return OtjTarget(hours, f"{basis} over {weeks:g} weeks ({ruleset.title})")


def _fixed_target(
    ruleset: RuleSet,
    start: date,
    standard: StandardOtj | None,
    standard_ref: str | None,
) -> OtjTarget:
    if standard is None:
        what = standard_code(standard_ref) or "this programme's standard"
        return OtjTarget(
            None,
            "the DfE's published minimum for the standard",
            f"the published minimum OTJ hours for {what}: add it under `standards` "
            "in curricula/rules/apprenticeship-rules.yaml from the DfE's list "
            "(https://www.gov.uk/guidance/apprenticeship-funding-rules)",
        )
    transitional = (
        ruleset.otj_transitional_before is not None
        and start < ruleset.otj_transitional_before
    )
    if transitional and standard.transitional_status == "confirmed":
        return OtjTarget(
            _round_hours(ruleset, standard.transitional_hours or 0.0),
            f"the DfE's transitional minimum for {standard.code} "
            f"(starts before {ruleset.otj_transitional_before:%d %B %Y})",
        )
    if transitional and standard.transitional_status == "not confirmed":
        return OtjTarget(
            None,
            f"the DfE's minimum for {standard.code}, or its transitional figure",
            "whether a transitional (August to December 2025) figure applies to "
            f"{standard.code}, and the figure: {standard.needs}",
        )
    if standard.confirmed:
        return OtjTarget(
            _round_hours(ruleset, standard.min_otj_hours or 0.0),
            f"the DfE's published minimum for {standard.code}",
        )
    return OtjTarget(
        None,
        f"the DfE's published minimum for {standard.code}",
        standard.needs,
    )


def otj_target_hours(
    ruleset: RuleSet,
    start: date,
    planned_end: date,
    contracted_hours_per_week: float | None,
    standard: StandardOtj | None = None,
    breaks: Iterable[Break] = (),
    as_of: date | None = None,
) -> float | None:
    """The hours of `otj_target` (None when the figure is not confirmed)."""
    return otj_target(
        ruleset,
        start,
        planned_end,
        contracted_hours_per_week,
        standard,
        breaks,
        as_of,
    ).hours


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
