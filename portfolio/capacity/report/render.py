"""The capacity report as a CSV file (``to_csv``) or a PDF (``to_pdf``)."""

import csv
import io
import math
from collections import defaultdict
from decimal import Decimal

from flask import render_template

from portfolio.capacity import chart
from portfolio.capacity import presenters
from portfolio.capacity.chart import Chart
from portfolio.capacity.report.figures import DEFAULT_UPLIFT_SHARE
from portfolio.capacity.report.figures import HORIZON_YEARS
from portfolio.capacity.report.figures import MIN_DEFAULT_UPLIFT
from portfolio.capacity.report.figures import OrganisationBlock
from portfolio.capacity.report.figures import ReportData
from portfolio.capacity.report.figures import Unit
from portfolio.capacity.report.words import closes
from portfolio.capacity.report.words import closes_short
from portfolio.capacity.report.words import more
from portfolio.capacity.report.words import places
from portfolio.capacity.report.words import years_phrase
from portfolio.csvsafe import safe_text
from portfolio.db import utcnow

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


# ---- the CSV file -------------------------------------------------------------------------


def safe_cell(value) -> str:
    """A value as CSV text: numbers plainly, text a spreadsheet could run as a
    formula quoted (``portfolio.csvsafe``)."""
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
    return safe_text(str(value))


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


def charts_for(unit: Unit, data: ReportData, height: float = 2.5) -> list[Chart]:
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
            chart.places_chart(
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
            chart.projection_chart(
                [
                    (current_label, unit.current.series[:span], unit.current),
                    (uplift_label, unit.with_uplift.series[:span], unit.with_uplift),
                ],
                title=PROJECTION_TITLE,
                caption=f"{PROJECTION_TITLE}: {label}",
                description=(
                    f"{PROJECTION_TITLE}, {label}. A gap of "
                    f"{presenters.figure(round(unit.gap, 2))} in {data.start_year}. "
                    f"{current_label}: closes {closes(unit.current)}. "
                    f"{uplift_label}: closes {closes(unit.with_uplift)}."
                ),
                horizon=HORIZON_YEARS,
                height=height,
            )
        )
    return charts


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
        doc_description=f"{title}: {data.scope.label}, {years_phrase(data)}",
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        generated_label=now.strftime("%d %B %Y %H:%M UTC"),
        verify_url=verify_url,
        years_phrase=years_phrase(data),
        total_charts=total_charts,
        specialism_charts=specialism_charts,
        organisations_by_region=sorted(by_region.items()),
        figure=presenters.figure,
        percent=presenters.percent,
        region_label=presenters.region_label,
        closes=closes,
        closes_short=closes_short,
        places=places,
        more=more,
        horizon=HORIZON_YEARS,
        default_uplift_share=DEFAULT_UPLIFT_SHARE,
        min_default_uplift=MIN_DEFAULT_UPLIFT,
        asset_url=asset_url,
    )


def to_pdf(data: ReportData, export) -> bytes:
    from portfolio.exports.pdf import render_pdf

    pdf, _blocked = render_pdf(to_html(data, export))
    return pdf
