"""Capacity pages: totals, an organisation's figures and forms, and scenarios."""

from datetime import date

import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio import policy
from portfolio.capacity import presenters
from portfolio.capacity import queries
from portfolio.capacity import services
from portfolio.capacity.chart import Line
from portfolio.capacity.chart import gap_chart
from portfolio.capacity.forms import PlaceForm
from portfolio.capacity.forms import ScenarioForm
from portfolio.capacity.forms import WorkforceForm
from portfolio.capacity.forms import default_scenarios
from portfolio.capacity.models import PROGRAMMES
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.capacity.projection import ProjectionError
from portfolio.extensions import db
from portfolio.forms import apply_errors
from portfolio.forms import error_items
from portfolio.rules import Invalid
from portfolio.training import tracking

bp = Blueprint("capacity", __name__, url_prefix="/capacity")
YEARS_SHOWN = 5


@bp.record_once
def helpers(state) -> None:
    state.app.jinja_env.globals.update(
        {
            "capacity_figure": presenters.figure,
            "capacity_percent": presenters.percent,
            "specialism_label": presenters.specialism_label,
            "programme_label": presenters.programme_label,
            "kind_label": presenters.kind_label,
            "region_label": presenters.region_label,
        }
    )


# ---- totals ---------------------------------------------------------------------------


def _year_range() -> tuple[int, int, list[str]]:
    """The years asked for (?from_year=&to_year=), with a message if they were wrong."""
    this_year = date.today().year
    problems = []
    try:
        first = int(request.args.get("from_year") or this_year - 1)
        last = int(request.args.get("to_year") or first + YEARS_SHOWN - 1)
    except ValueError:
        first, last = this_year - 1, this_year - 1 + YEARS_SHOWN - 1
        problems.append("Enter the years as whole numbers, like 2026")
    if not (1900 <= first <= 2200 and 1900 <= last <= 2200) or last < first:
        first, last = this_year - 1, this_year - 1 + YEARS_SHOWN - 1
        problems.append("Choose years from 1900 to 2200, the first one first")
    elif last - first >= 30:
        last = first + 29
        problems.append("Showing 30 years at most")
    return first, last, problems


@bp.get("/")
@login_required
def index():
    """Totals by specialism and by region: admins, and training leads (totals only)."""
    if not policy.can_see_capacity_totals(current_user):
        abort(403)
    first, last, problems = _year_range()
    years = list(range(first, last + 1))
    everyone = policy.can_see_each_organisation(current_user)
    cap = tracking.setting("SUPERVISOR_SOFT_CAP")
    places = queries.place_totals(
        ("specialism", "intake_year"), from_year=first, to_year=last
    )
    completions = queries.completion_totals(
        ("specialism", "year"), from_year=first, to_year=last
    )
    regions = _merge(
        "region",
        queries.place_totals(("region",), from_year=first, to_year=last),
        queries.workforce_totals(("region",)),
        queries.trainee_totals(("region",)),
        queries.supervisor_totals(("region",), soft_cap=cap),
    )
    organisations = (
        _merge(
            "organisation_code",
            queries.place_totals(("organisation",), from_year=first, to_year=last),
            queries.workforce_totals(("organisation",)),
            queries.trainee_totals(("organisation",)),
            queries.supervisor_totals(("organisation",), soft_cap=cap),
        )
        if everyone
        else []
    )
    return render_template(
        "capacity/index.jinja",
        title="Workforce capacity",
        first=first,
        last=last,
        years=years,
        problems=problems,
        places=presenters.pivot(places, "specialism", "intake_year", "commissioned"),
        filled=presenters.pivot(places, "specialism", "intake_year", "filled"),
        workforce=queries.workforce_totals(("specialism",)),
        trainees=queries.trainee_totals(("specialism", "kind")),
        completions=presenters.pivot(completions, "specialism", "year", "completions"),
        regions=regions,
        organisations=organisations,
        national=(queries.supervisor_totals((), soft_cap=cap) or [None])[0],
        soft_cap=cap,
        mine=services.managed_organisations(current_user) if not everyone else [],
    )


def _merge(key: str, *tables: list[dict]) -> list[dict]:
    """Join aggregate rows from several queries on ``key`` (a region, a code)."""
    merged: dict = {}
    for rows in tables:
        for row in rows:
            merged.setdefault(row[key], {}).update(row)
    return [merged[k] for k in sorted(merged)]


# ---- one organisation ---------------------------------------------------------------


@bp.get("/organisations/")
@login_required
def open_organisation():
    """Go to the organisation named by ``?code=`` (the admins' box on the totals page)."""
    code = (request.args.get("code") or "").strip()[:20]
    if not code:
        return redirect(url_for("capacity.index"))
    return redirect(url_for("capacity.organisation", code=code.upper()))


@bp.get("/organisations/<code>/")
@login_required
def organisation(code: str):
    """An organisation's places and workforce figures, and its live trainee counts."""
    org = services.organisation_for(current_user, code)
    places = db.session.scalars(
        sa.select(TrainingPlace)
        .where(TrainingPlace.organisation_id == org.id)
        .order_by(
            TrainingPlace.specialism,
            TrainingPlace.intake_year.desc(),
            TrainingPlace.programme,
        )
    )
    records = db.session.scalars(
        sa.select(WorkforceRecord)
        .where(WorkforceRecord.organisation_id == org.id)
        .order_by(WorkforceRecord.specialism, WorkforceRecord.as_of.desc())
    )
    this_year = date.today().year
    completions = queries.completion_totals(
        ("specialism", "year"),
        {org.id},
        from_year=this_year,
        to_year=this_year + YEARS_SHOWN - 1,
    )
    return render_template(
        "capacity/organisation.jinja",
        title=f"Capacity: {org.name}",
        organisation=org,
        places=presenters.by_specialism(places),
        records=presenters.by_specialism(records),
        trainees=queries.trainee_totals(("specialism", "kind"), {org.id}),
        completions=presenters.pivot(completions, "specialism", "year", "completions"),
        completion_years=list(range(this_year, this_year + YEARS_SHOWN)),
        supervisors=queries.supervisor_loads({org.id}),
        soft_cap=tracking.setting("SUPERVISOR_SOFT_CAP"),
        back_href=url_for("capacity.index")
        if policy.can_see_capacity_totals(current_user)
        else None,
    )


def _place_raw(form: PlaceForm) -> dict:
    return {name: form[name].data for name in services.PLACE_FIELDS}


def _workforce_raw(form: WorkforceForm) -> dict:
    return {name: form[name].data for name in services.WORKFORCE_FIELDS}


def _save(form, org, parse, save, raw, existing=None):
    """Check and save a form; return the saved row, or None with errors on the form."""
    if not form.validate_on_submit():
        # Still run the rules, so every problem shows at once.
        if form.is_submitted():
            try:
                parse(raw(form))
            except Invalid as error:
                apply_errors(form, error.errors)
        return None
    try:
        return save(current_user, org, parse(raw(form)), existing)
    except Invalid as error:
        db.session.rollback()
        form.form_errors += [e["message"] for e in apply_errors(form, error.errors)]
        return None


def _form_page(template: str, title: str, org, form, **context):
    status = 422 if error_items(form) else 200
    return render_template(
        template,
        title=title,
        organisation=org,
        form=form,
        back_href=url_for("capacity.organisation", code=org.code),
        **context,
    ), status


@bp.route("/organisations/<code>/places/new", methods=("GET", "POST"))
@login_required
def new_place(code: str):
    org = services.organisation_for(current_user, code)
    form = PlaceForm(intake_year=str(date.today().year))
    place = _save(form, org, services.parse_place, services.save_place, _place_raw)
    if place is not None:
        flash(_place_message(place, "Added"), "success")
        return redirect(url_for("capacity.organisation", code=org.code))
    return _form_page(
        "capacity/place_form.jinja", "Add training places", org, form, place=None
    )


@bp.route("/organisations/<code>/places/<place_id>/edit", methods=("GET", "POST"))
@login_required
def edit_place(code: str, place_id: str):
    org = services.organisation_for(current_user, code)
    existing = services.place_of(org, place_id)
    form = PlaceForm(
        data={
            "specialism": existing.specialism,
            "programme": existing.programme,
            "intake_year": str(existing.intake_year),
            "commissioned": str(existing.commissioned),
            "filled": str(existing.filled),
            "funding_source": existing.funding_source,
        }
        if request.method == "GET"
        else None
    )
    place = _save(
        form, org, services.parse_place, services.save_place, _place_raw, existing
    )
    if place is not None:
        flash(_place_message(place, "Updated"), "success")
        return redirect(url_for("capacity.organisation", code=org.code))
    return _form_page(
        "capacity/place_form.jinja",
        "Change training places",
        org,
        form,
        place=existing,
    )


@bp.post("/organisations/<code>/places/<place_id>/delete")
@login_required
def delete_place(code: str, place_id: str):
    org = services.organisation_for(current_user, code)
    place = services.place_of(org, place_id)
    message = _place_message(place, "Deleted")
    services.delete_place(current_user, org, place)
    flash(message, "success")
    return redirect(url_for("capacity.organisation", code=org.code))


def _place_message(place: TrainingPlace, verb: str) -> str:
    return (
        f"{verb} {place.specialism} {PROGRAMMES[place.programme]} places for the "
        f"{place.intake_year} intake."
    )


@bp.route("/organisations/<code>/workforce/new", methods=("GET", "POST"))
@login_required
def new_workforce(code: str):
    org = services.organisation_for(current_user, code)
    form = WorkforceForm()
    record = _save(
        form, org, services.parse_workforce, services.save_workforce, _workforce_raw
    )
    if record is not None:
        flash(_record_message(record, "Added"), "success")
        return redirect(url_for("capacity.organisation", code=org.code))
    return _form_page(
        "capacity/workforce_form.jinja",
        "Add workforce figures",
        org,
        form,
        record=None,
    )


@bp.route("/organisations/<code>/workforce/<record_id>/edit", methods=("GET", "POST"))
@login_required
def edit_workforce(code: str, record_id: str):
    org = services.organisation_for(current_user, code)
    existing = services.record_of(org, record_id)

    def text(value):
        return "" if value is None else str(value)

    form = WorkforceForm(
        data={
            "specialism": existing.specialism,
            "as_of": existing.as_of,
            "establishment_wte": text(existing.establishment_wte),
            "in_post_wte": text(existing.in_post_wte),
            "vacancies_wte": text(existing.vacancies_wte),
            "retiring_5y": text(existing.retiring_5y),
            "retiring_15y": text(existing.retiring_15y),
        }
        if request.method == "GET"
        else None
    )
    record = _save(
        form,
        org,
        services.parse_workforce,
        services.save_workforce,
        _workforce_raw,
        existing,
    )
    if record is not None:
        flash(_record_message(record, "Updated"), "success")
        return redirect(url_for("capacity.organisation", code=org.code))
    return _form_page(
        "capacity/workforce_form.jinja",
        "Change workforce figures",
        org,
        form,
        record=existing,
    )


@bp.post("/organisations/<code>/workforce/<record_id>/delete")
@login_required
def delete_workforce(code: str, record_id: str):
    org = services.organisation_for(current_user, code)
    record = services.record_of(org, record_id)
    message = _record_message(record, "Deleted")
    services.delete_workforce(current_user, org, record)
    flash(message, "success")
    return redirect(url_for("capacity.organisation", code=org.code))


def _record_message(record: WorkforceRecord, verb: str) -> str:
    return f"{verb} {record.specialism} workforce figures for {record.as_of:%-d %B %Y}."


# ---- scenarios ----------------------------------------------------------------------

SCENARIOS = ("a", "b")


@bp.get("/scenarios")
@login_required
def scenarios():
    """Two scenarios side by side, read from the address so results can be shared."""
    submitted = any(key.startswith(("a-", "b-")) for key in request.args)
    defaults = default_scenarios()
    forms = {
        key: ScenarioForm(request.args, prefix=f"{key}-")
        if submitted
        else ScenarioForm(prefix=f"{key}-", data=defaults[key])
        for key in SCENARIOS
    }
    results = []
    for key, form in forms.items():
        label = _scenario_name(key, form)
        result = {"key": key, "label": label, "form": form, "projection": None}
        data = form.scenario()
        if data is not None:
            try:
                result["projection"] = services.run_projection(data)
            except ProjectionError as error:
                form.form_errors = form.apply_projection_errors(error.errors)
            else:
                projected = result["projection"]
                result["summary"] = presenters.outcome(projected, len(projected.series))
        results.append(result)
    done = [r for r in results if r["projection"] is not None]
    chart = None
    if done:
        description = " ".join(f"{r['label']}: {r['summary']}" for r in done)
        chart = gap_chart(
            [Line(r["label"], r["projection"]) for r in done],
            "Workforce gap by year",
            "Line chart of the workforce gap at the end of each year. "
            + description
            + " The tables below give every year's figures.",
            "capacity-chart",
        )
    # Both scenarios have the same fields: say which one each problem is in.
    errors = [
        {**item, "text": f"Scenario {key.upper()}: {item['text']}"}
        for key, form in forms.items()
        for item in error_items(form)
    ]
    status = 422 if errors else 200
    return render_template(
        "capacity/scenarios.jinja",
        title="Compare workforce scenarios",
        results=results,
        errors=errors,
        chart=chart,
        back_href=url_for("capacity.index")
        if policy.can_see_capacity_totals(current_user)
        else None,
    ), status


def _scenario_name(key: str, form: ScenarioForm) -> str:
    name = " ".join((form.name.data or "").split())[:60]
    return f"Scenario {key.upper()}" + (f": {name}" if name else "")
