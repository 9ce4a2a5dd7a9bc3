"""The capacity report's figures, as ``compute`` returns them.

Training places, completions and workforce figures are additive, so a ``Unit``
(a specialism, an organisation, a region, the total) adds up the finer units'
figures; counts of people (trainees, supervisors) are never added up: each level
has its own distinct count from SQL.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal

from portfolio.capacity.projection import Projection
from portfolio.capacity.report.scope import ReportScope

# With no uplift given: the NHS Long Term Workforce Plan's 13% more healthcare
# science training places, as IPEM reads it for MPCE
# (https://www.ipem.ac.uk/news/thirty-years-to-reach-staff-levels-required-nhs-workforce-plan-fails-to-tackle-the-needs-of-medical-physics-and-clinical-engineering/),
# at least one a year.
DEFAULT_UPLIFT_SHARE = 0.13
MIN_DEFAULT_UPLIFT = 1.0
HORIZON_YEARS = 60


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
