"""The capacity report: one organisation, a region or the nation, as a PDF or a CSV file.

Requested through ``POST /api/v1/reports/capacity`` or the capacity pages'
"Create a capacity report" form (``request_report``): the request
creates an Export row (kind ``capacity``, no enrolment), commits and queues the job on
the ``reports`` queue; the export job (``exports.services.render_export_job``) calls
``build_report`` here, which returns ``(bytes, filename, media_type, summary)``.

Who may ask: a training lead for their own organisation; an admin for any
organisation, any region and the nation. The report names organisations, never a
person: every figure is a count or a sum.

Every figure comes from SQL aggregates (``portfolio.capacity.queries``): each level
(an organisation's specialism, an organisation, a specialism, a region, the total)
is added up by the database, one GROUPING SETS query per measure on PostgreSQL; the
Python here puts the rows on the report's units and runs the projection model.
Counts of people (trainees, supervisors) are distinct at each level.

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

The modules, one concern each:

- ``scope``: what a report covers, the request checked and read again;
- ``figures``: the report's figures as dataclasses;
- ``compute``: the figures from the capacity queries, and the projections;
- ``words``: the sentences of the summaries;
- ``render``: the CSV file and the PDF (its charts are drawn by ``capacity.chart``);
- ``jobs``: the export job's request and entry point.
"""

from portfolio.capacity.report.compute import _project
from portfolio.capacity.report.compute import compute
from portfolio.capacity.report.figures import DEFAULT_UPLIFT_SHARE
from portfolio.capacity.report.figures import HORIZON_YEARS
from portfolio.capacity.report.figures import MIN_DEFAULT_UPLIFT
from portfolio.capacity.report.figures import ReportData
from portfolio.capacity.report.jobs import build_report
from portfolio.capacity.report.jobs import request_report
from portfolio.capacity.report.render import CSV_HEADER
from portfolio.capacity.report.render import PLACES_TITLE
from portfolio.capacity.report.render import PROJECTION_TITLE
from portfolio.capacity.report.render import csv_rows
from portfolio.capacity.report.render import safe_cell
from portfolio.capacity.report.render import to_csv
from portfolio.capacity.report.render import to_html
from portfolio.capacity.report.render import to_pdf
from portfolio.capacity.report.scope import FORMATS
from portfolio.capacity.report.scope import MAX_UPLIFT
from portfolio.capacity.report.scope import MAX_YEARS
from portfolio.capacity.report.scope import ReportScope
from portfolio.capacity.report.scope import parse_request
from portfolio.capacity.report.scope import regions
from portfolio.capacity.report.scope import scope_from_params

__all__ = [
    "CSV_HEADER",
    "DEFAULT_UPLIFT_SHARE",
    "FORMATS",
    "HORIZON_YEARS",
    "MAX_UPLIFT",
    "MAX_YEARS",
    "MIN_DEFAULT_UPLIFT",
    "PLACES_TITLE",
    "PROJECTION_TITLE",
    "ReportData",
    "ReportScope",
    "_project",
    "build_report",
    "compute",
    "csv_rows",
    "parse_request",
    "regions",
    "request_report",
    "safe_cell",
    "scope_from_params",
    "to_csv",
    "to_html",
    "to_pdf",
]
