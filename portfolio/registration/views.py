"""Registration application pages: choose a route, the workspace (standards and
their evidence or gaps, statements, stage, proposers or referees), the pack."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio import policy
from portfolio.forms import attempt
from portfolio.forms import error_items
from portfolio.registration import services
from portfolio.registration.forms import NomineeForm
from portfolio.registration.forms import StageForm
from portfolio.registration.forms import StartForm
from portfolio.registration.forms import statements_form
from portfolio.registration.routes import ROUTES

bp = Blueprint("registration", __name__, url_prefix="/registration")


def _start_form(form: StartForm) -> StartForm:
    form.scope.choices = [("", "Choose a scope")] + [
        (code, f"{code} {title}") for code, title in services.scope_choices()
    ]
    form.curriculum.choices = [("", "Choose a specialism")] + list(
        services.curriculum_choices()
    )
    return form


@bp.get("/")
@policy.requires(policy.can_apply_for_registration)
def index():
    return render_template(
        "registration/index.jinja",
        title="Registration",
        applications=services.applications_of(current_user),
        routes=ROUTES,
        form=_start_form(StartForm(formdata=None)),
        error_list=[],
    )


@bp.post("/")
@policy.requires(policy.can_apply_for_registration)
def start():
    form = _start_form(StartForm())
    route = ROUTES.get(form.route.data or "")
    choice = None
    if route is not None and route.choice == "scope":
        choice = form.scope.data
    elif route is not None and route.choice == "curriculum":
        choice = form.curriculum.data
    created = []
    unplaced = attempt(
        form,
        lambda: created.append(
            services.start(current_user, form.route.data or "", choice)
        ),
        {
            "choice": "scope"
            if route is None or route.choice != "curriculum"
            else "curriculum"
        },
    )
    if unplaced is None:
        flash("Your application workspace is ready.", "success")
        return redirect(url_for("registration.show", application_id=created[0].id))
    form.form_errors += [e["message"] for e in unplaced]
    return render_template(
        "registration/index.jinja",
        title="Registration",
        applications=services.applications_of(current_user),
        routes=ROUTES,
        form=form,
        error_list=error_items(form),
    ), 422


def _render(application, status: int = 200, **forms):
    route = services.route_of(application)
    statements = forms.get("statements") or statements_form(
        route, application.statements
    )
    nominee_form = forms.get("nominee") or NomineeForm(formdata=None)
    stage_form = None
    if route.stages:
        stage_form = forms.get("stage") or StageForm(formdata=None)
        stage_form.stage.choices = [(str(i), s) for i, s in enumerate(route.stages)]
        if stage_form.stage.data is None:
            stage_form.stage.data = str(application.stage)
    items = services.evidence_of(application.owner_id)
    return render_template(
        "registration/show.jinja",
        title=route.title,
        application=application,
        route=route,
        choice_label=services.choice_label(application),
        standards=services.standards_map(application, items),
        evidence_count=len(items),
        statements=statements,
        nominee_form=nominee_form,
        stage_form=stage_form,
        nominees=[(n, services.nominee_state(n)) for n in application.nominees],
        packs=services.packs_of(application),
        word_count=services.word_count,
        error_list=error_items(statements, nominee_form, stage_form),
        back_href=url_for("registration.index"),
    ), status


@bp.get("/<application_id>")
@login_required
def show(application_id: str):
    return _render(services.load(current_user, application_id))


@bp.post("/<application_id>/statements")
@login_required
def save_statements(application_id: str):
    application = services.load(current_user, application_id)
    route = services.route_of(application)
    form = statements_form(route, formdata=request.form)
    data = {s.key: form[s.key].data or "" for s in route.statements}
    unplaced = attempt(
        form, lambda: services.save_statements(current_user, application, data)
    )
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return _render(application, 422, statements=form)
    flash("Your statements are saved.", "success")
    return redirect(url_for("registration.show", application_id=application.id))


@bp.post("/<application_id>/stage")
@login_required
def set_stage(application_id: str):
    application = services.load(current_user, application_id)
    form = StageForm()
    form.stage.choices = [
        (str(i), s) for i, s in enumerate(services.route_of(application).stages)
    ]
    unplaced = attempt(
        form, lambda: services.set_stage(current_user, application, form.stage.data)
    )
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return _render(application, 422, stage=form)
    flash("The stage is saved.", "success")
    return redirect(url_for("registration.show", application_id=application.id))


@bp.post("/<application_id>/nominees")
@login_required
def nominate(application_id: str):
    application = services.load(current_user, application_id)
    form = NomineeForm()
    created = []
    unplaced = attempt(
        form,
        lambda: created.append(
            services.nominate(
                current_user,
                application,
                form.name.data or "",
                form.email.data or "",
                form.relationship_to.data or "",
            )
        ),
    )
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return _render(application, 422, nominee=form)
    flash(f"We emailed {created[0].name} a link to confirm.", "success")
    return redirect(url_for("registration.show", application_id=application.id))


@bp.post("/<application_id>/nominees/<nominee_id>/resend")
@login_required
def resend(application_id: str, nominee_id: str):
    application = services.load(current_user, application_id)
    nominee = services.resend(current_user, application, nominee_id)
    flash(f"We sent {nominee.name} a new link.", "success")
    return redirect(url_for("registration.show", application_id=application.id))


@bp.post("/<application_id>/nominees/<nominee_id>/revoke")
@login_required
def revoke(application_id: str, nominee_id: str):
    application = services.load(current_user, application_id)
    nominee = services.revoke(current_user, application, nominee_id)
    flash(f"The link sent to {nominee.name} no longer works.", "success")
    return redirect(url_for("registration.show", application_id=application.id))


@bp.post("/<application_id>/pack")
@login_required
def pack(application_id: str):
    application = services.load(current_user, application_id)
    export = services.request_pack(current_user, application)
    return redirect(url_for("exports.show", export_id=export.id))
