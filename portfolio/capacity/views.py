"""Capacity pages: totals, an organisation's figures and forms, and scenarios."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio import policy
from portfolio.capacity import presenters
from portfolio.capacity import queries
from portfolio.capacity import report
from portfolio.capacity import services
from portfolio.capacity import specialisms
from portfolio.capacity.chart import Line
from portfolio.capacity.chart import gap_chart
from portfolio.capacity.forms import PlaceForm
from portfolio.capacity.forms import ReportForm
from portfolio.capacity.forms import ScenarioForm
from portfolio.capacity.forms import WorkforceForm
from portfolio.capacity.forms import default_scenarios
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.capacity.projection import ProjectionError
from portfolio.exports import services as exports
from portfolio.extensions import db
from portfolio.forms import apply_errors
from portfolio.forms import choices as field_choices
from portfolio.forms import error_items
from portfolio.progress import tracking
from portfolio.rules import Invalid
from portfolio.rules import NotFound

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
    # Trainees and supervisors at every level shown: two queries on PostgreSQL.
    levels: list[tuple[str, ...]] = [("region",), ()]
    if everyone:
        levels.append(("organisation",))
    people = queries.people_at_levels(levels, soft_cap=cap)
    regions = _merge(
        "region",
        queries.place_totals(("region",), from_year=first, to_year=last),
        queries.workforce_totals(("region",)),
        *people[("region",)],
    )
    organisations = (
        _merge(
            "organisation_code",
            queries.place_totals(("organisation",), from_year=first, to_year=last),
            queries.workforce_totals(("organisation",)),
            *people[("organisation",)],
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
        national=(people[()][1] or [None])[0],
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


# ---- an organisation's figures: training places and workforce records --------------


@dataclass(frozen=True)
class FiguresPages:
    """The add, change and delete pages of one kind of figures record."""

    kind: services.FiguresKind
    path: str  # below /organisations/<code>/
    id_name: str  # the address's name for the record's id
    form: type[PlaceForm] | type[WorkforceForm]
    template: str
    adding: str  # the titles
    changing: str
    context: str  # the template's name for the record being changed
    new_data: Callable[[], dict]  # a new form's first values


PAGES = (
    FiguresPages(
        services.PLACE,
        "places",
        "place_id",
        PlaceForm,
        "capacity/place_form.jinja",
        "Add training places",
        "Change training places",
        "place",
        lambda: {"intake_year": str(date.today().year)},
    ),
    FiguresPages(
        services.WORKFORCE,
        "workforce",
        "record_id",
        WorkforceForm,
        "capacity/workforce_form.jinja",
        "Add workforce figures",
        "Change workforce figures",
        "record",
        dict,
    ),
)


def _raw(form, kind: services.FiguresKind) -> dict:
    return {name: form[name].data for name in kind.fields}


def _form_data(row, kind: services.FiguresKind) -> dict:
    """A record's figures as a form shows them: text, dates as dates."""
    data = {}
    for name in kind.fields:
        value = getattr(row, name)
        data[name] = (
            value if isinstance(value, date) else "" if value is None else str(value)
        )
    return data


def _save(form, org, kind: services.FiguresKind, existing=None):
    """Check and save a form; return the saved row, or None with errors on the form."""
    if not form.validate_on_submit():
        # Still run the rules, so every problem shows at once.
        if form.is_submitted():
            try:
                kind.parse(_raw(form, kind))
            except Invalid as error:
                apply_errors(form, error.errors)
        return None
    try:
        figures = kind.parse(_raw(form, kind))
        return services.save_figures(kind, current_user, org, figures, existing)
    except Invalid as error:
        db.session.rollback()
        form.form_errors += [e["message"] for e in apply_errors(form, error.errors)]
        return None


def _done(org, message: str):
    flash(message, "success")
    return redirect(url_for("capacity.organisation", code=org.code))


def _form_page(pages: FiguresPages, title: str, org, form, existing):
    status = 422 if error_items(form) else 200
    return render_template(
        pages.template,
        title=title,
        organisation=org,
        form=form,
        back_href=url_for("capacity.organisation", code=org.code),
        **{pages.context: existing},
    ), status


def _add_figures_pages(pages: FiguresPages) -> None:
    kind = pages.kind
    base = f"/organisations/<code>/{pages.path}"

    def form(code: str, row_id: str | None):
        """The add page (``row_id`` None) or the change page of one record."""
        org = services.organisation_for(current_user, code)
        if row_id is None:
            existing = None
            form = pages.form(**pages.new_data())
        else:
            existing = services.figures_of(kind, org, row_id)
            form = pages.form(
                data=_form_data(existing, kind) if request.method == "GET" else None
            )
        form.specialism.choices = field_choices(
            {
                code: f"{name} ({code})"
                for code, name in specialisms.controlled().items()
            },
            blank="Choose a specialism",
        )
        row = _save(form, org, kind, existing)
        if row is not None:
            verb = "Added" if existing is None else "Updated"
            return _done(org, f"{verb} {kind.describe(row)}.")
        title = pages.adding if existing is None else pages.changing
        return _form_page(pages, title, org, form, existing)

    @login_required
    def new(code: str):
        return form(code, None)

    @login_required
    def edit(code: str, **ids: str):
        return form(code, ids[pages.id_name])

    @login_required
    def delete(code: str, **ids: str):
        org = services.organisation_for(current_user, code)
        row = services.figures_of(kind, org, ids[pages.id_name])
        message = f"Deleted {kind.describe(row)}."
        services.delete_figures(kind, current_user, org, row)
        return _done(org, message)

    row_path = f"{base}/<{pages.id_name}>"
    bp.add_url_rule(f"{base}/new", f"new_{kind.name}", new, methods=("GET", "POST"))
    bp.add_url_rule(
        f"{row_path}/edit", f"edit_{kind.name}", edit, methods=("GET", "POST")
    )
    bp.add_url_rule(
        f"{row_path}/delete", f"delete_{kind.name}", delete, methods=("POST",)
    )


for _pages in PAGES:
    _add_figures_pages(_pages)


# ---- the capacity report ------------------------------------------------------------

# The report's rules name the API's fields; the form says them in words.
REPORT_WORDS = (
    ("to_year", "the last year"),
    ("from_year", "the first year"),
    ("uplift must", "The extra places a year must"),
)


def _in_words(errors: list[dict]) -> list[dict]:
    worded = []
    for error in errors:
        message = error["message"]
        for name, words in REPORT_WORDS:
            message = message.replace(name, words)
        message = message[0].upper() + message[1:]
        worded.append({**error, "message": message})
    return worded


def _report_form() -> ReportForm:
    everywhere = policy.can_see_each_organisation(current_user)
    form = ReportForm()
    choices = services.managed_organisations(current_user)
    form.organisation.choices = field_choices(
        {o.code: f"{o.name} ({o.code})" for o in choices},
        blank="Choose an organisation",
    )
    form.region.choices = (
        field_choices({r: r for r in report.regions()}, blank="Choose a region")
        if everywhere
        else []
    )
    if not everywhere:
        form.scope.data = "organisation"  # a lead's report is of their own
    if not form.is_submitted():
        this_year = date.today().year
        form.from_year.data = str(this_year)
        form.to_year.data = str(this_year + YEARS_SHOWN - 1)
        asked = (request.args.get("organisation") or "").strip().upper()
        codes = [o.code for o in choices]
        if asked in codes:
            form.organisation.data = asked
        elif len(codes) == 1:
            form.organisation.data = codes[0]
    return form


@bp.route("/reports/new", methods=("GET", "POST"))
@login_required
def new_report():
    """Ask for a capacity report: the API's request as a form; the job makes it."""
    if not policy.can_request_capacity_report(current_user):
        abort(403)
    form = _report_form()
    if form.is_submitted():
        valid = form.validate_on_submit()  # first: validating resets field errors
        data = form.api_data()
        if valid and data is not None:
            try:
                export = report.request_report(current_user, data)
            except Invalid as error:
                db.session.rollback()
                unplaced = apply_errors(form, _in_words(error.errors))
                form.form_errors += [e["message"] for e in unplaced]
            else:
                return redirect(url_for("capacity.report_status", export_id=export.id))
    return render_template(
        "capacity/report_form.jinja",
        title="Create a capacity report",
        form=form,
        everywhere=policy.can_see_each_organisation(current_user),
        back_href=url_for("capacity.index"),
    ), 422 if error_items(form) else 200


def _report(export_id: str):
    """A capacity report the user may see (their own, or any for an admin)."""
    export = exports.load_export(current_user, export_id)
    if export.kind != "capacity":
        raise NotFound("No such capacity report.")
    return export


def _report_state(export) -> dict:
    finished = export.status in ("done", "failed")
    return {
        "status": export.status,
        "progress": 100 if export.status == "done" else int(export.progress or 0),
        "finished": finished,
    }


@bp.get("/reports/<export_id>")
@login_required
def report_status(export_id: str):
    """The report's progress while the job runs (refreshing itself; with
    JavaScript, polling ``report_progress``), then its file."""
    export = _report(export_id)
    response = render_template(
        "capacity/report.jinja",
        title="Capacity report",
        export=export,
        state=_report_state(export),
        params=export.params or {},
        back_href=url_for("capacity.new_report"),
    )
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/reports/<export_id>/progress")
@login_required
def report_progress(export_id: str):
    """The report job's state as JSON, for the status page's script."""
    response = jsonify(_report_state(_report(export_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


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
