"""The capacity report in words: the sentences of its summaries and tables."""

from portfolio.capacity import presenters
from portfolio.capacity.projection import Projection
from portfolio.capacity.report.figures import HORIZON_YEARS
from portfolio.capacity.report.figures import ReportData
from portfolio.capacity.report.figures import Unit


def places(value: float) -> str:
    """'3 places', '1 place', '2.5 places'."""
    return _counted(value, "place")


def more(value: float) -> str:
    """'3 more places', '1 more place'."""
    return _counted(value, "more place")


def _counted(value: float, noun: str) -> str:
    text = presenters.figure(round(value, 1), 1)
    return f"{text} {noun}{'' if text == '1' else 's'}"


def closes(projection: Projection | None) -> str:
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


def years_phrase(data: ReportData) -> str:
    if data.from_year == data.to_year:
        return str(data.from_year)
    return f"{data.from_year} to {data.to_year}"


def unit_summary(unit: Unit, data: ReportData, organisations: int | None = None) -> str:
    """One paragraph of plain sentences with the unit's main figures."""
    figure = presenters.figure
    years = years_phrase(data)
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
            f"At the current intake of {places(unit.baseline)} a year the gap "
            f"closes in {closes(unit.current)}; with {more(unit.uplift)} a "
            f"year, in {closes(unit.with_uplift)}."
        )
    return " ".join(parts)
