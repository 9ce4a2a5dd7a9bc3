"""The capacity report as an export job: requested (``request_report``), then made
by a worker (``build_report``, called by ``exports.services.render_export_job``)."""

from flask import current_app

from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.capacity.report.compute import compute
from portfolio.capacity.report.render import CSV_MEDIA_TYPE
from portfolio.capacity.report.render import PDF_MEDIA_TYPE
from portfolio.capacity.report.render import to_csv
from portfolio.capacity.report.render import to_pdf
from portfolio.capacity.report.scope import parse_request
from portfolio.capacity.report.scope import scope_from_params
from portfolio.capacity.report.words import years_phrase
from portfolio.extensions import db


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
        "years": years_phrase(data),
        "format": fmt.upper(),
        "organisations": len(data.organisations),
        "specialisms": len(data.specialisms),
        "uplift_places_per_year": round(data.uplift, 2),
    }
    return content, filename, media_type, summary
