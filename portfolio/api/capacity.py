"""Capacity endpoints of the JSON API (imported by portfolio.api, like its modules)."""

from flask import g
from flask import jsonify

from portfolio import policy
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import json_body
from portfolio.api.base import located
from portfolio.api.exports import EXPORT
from portfolio.api.exports import export_json
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.capacity import report
from portfolio.capacity import services
from portfolio.capacity.projection import DEFAULTS
from portfolio.capacity.projection import MAX_HORIZON_YEARS
from portfolio.capacity.projection import MAX_YEAR
from portfolio.capacity.projection import MIN_YEAR
from portfolio.capacity.projection import ProjectionError


@bp.post("/capacity/projection")
def capacity_projection():
    """Project a scenario; any signed-in user (see docs/capacity-projection.md)."""
    data = json_body()
    try:
        result = services.run_projection(data)
    except ProjectionError as error:
        count = len(error.errors)
        raise ApiProblem(
            422,
            error.errors[0]["message"]
            if count == 1
            else f"The scenario has {count} problems; see errors.",
            error.errors,
        ) from error
    return jsonify(result.to_dict())


YEAR = {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}
NUMBER = {"type": "number"}
document(
    "/capacity/projection",
    "post",
    "Project how many years extra training places take to close a workforce gap",
    body=schema(
        {
            "start_year": YEAR,
            "gap": {"type": "number", "minimum": 0},
            "schedule": {
                "type": "array",
                "description": "Extra places commissioned every year from from_year "
                "on; a later step replaces the one before; steps in year order, none "
                "before start_year",
                "items": schema(
                    {
                        "from_year": YEAR,
                        "extra_places_per_year": {"type": "number", "minimum": 0},
                    },
                    ("from_year", "extra_places_per_year"),
                ),
            },
            "baseline_places_per_year": {
                "type": ["number", "null"],
                "minimum": 0,
                "default": DEFAULTS["baseline_places_per_year"],
            },
            "training_years": {
                "type": ["integer", "null"],
                "minimum": 0,
                "default": DEFAULTS["training_years"],
            },
            "completion_rate": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "default": DEFAULTS["completion_rate"],
            },
            "leaver_rate": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "default": DEFAULTS["leaver_rate"],
            },
            "demand_growth": {
                "type": ["number", "null"],
                "minimum": -1,
                "maximum": 1,
                "default": DEFAULTS["demand_growth"],
            },
            "horizon_years": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_HORIZON_YEARS,
                "default": DEFAULTS["horizon_years"],
            },
        },
        ("start_year", "gap", "schedule"),
    ),
    response=schema(
        {
            "closes_in_year": {"type": ["integer", "null"]},
            "years_to_close": {"type": ["integer", "null"]},
            "series": {
                "type": "array",
                "items": schema(
                    {
                        "year": {"type": "integer"},
                        "added": NUMBER,
                        "cumulative": NUMBER,
                        "gap": NUMBER,
                    },
                    ("year", "added", "cumulative", "gap"),
                ),
            },
        },
        ("closes_in_year", "years_to_close", "series"),
    ),
    errors=(400, 401, 422),
)


@bp.post("/reports/capacity")
def capacity_report():
    """Ask for a capacity report (PDF or CSV), made by a worker: 202 with the export.

    Training leads for their own organisation, admins for any organisation, a
    region or the nation (see docs/capacity.md, "The capacity report").
    """
    if not policy.can_request_capacity_report(g.user):
        raise ApiProblem(
            403, "Only training leads and admins can run capacity reports."
        )
    export = report.request_report(g.user, json_body())
    return located(export_json(export), 202, "api.get_export", export_id=export.id)


document(
    "/reports/capacity",
    "post",
    "Ask for a workforce capacity report for an organisation, a region or the "
    "nation, as a PDF or a CSV file (made by a worker; follow the export)",
    status=202,
    response=EXPORT,
    body={
        "type": "object",
        "description": "Give exactly one of organisation, region or national: true "
        '(scope: "national" means the same). Training leads: their own '
        "organisation only; regions and the nation: admins.",
        "properties": {
            "organisation": {
                "type": "string",
                "description": "The organisation's code, e.g. RBV",
            },
            "region": {
                "type": "string",
                "description": "A region's name, e.g. North West",
            },
            "national": {"type": "boolean", "description": "Every organisation"},
            "scope": {"enum": ["organisation", "region", "national"]},
            "from_year": {
                **YEAR,
                "description": "First intake and completion year",
            },
            "to_year": {
                **YEAR,
                "description": "Last year: not before from_year, and at most "
                f"{report.MAX_YEARS} years in all",
            },
            "format": {"enum": list(report.FORMATS), "default": "pdf"},
            "uplift": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": report.MAX_UPLIFT,
                "description": "Extra training places a year for the projection "
                "(for the whole report); default 13% of the current intake, at "
                "least 1",
            },
        },
        "required": ["from_year", "to_year"],
        "additionalProperties": False,
    },
    errors=(400, 401, 403, 422),
)
