"""Enrolments: the list, the create form and an enrolment's page with its supervisors."""

from datetime import date
from typing import NoReturn

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.curriculum import services as curricula
from portfolio.enrolments import services
from portfolio.enrolments.forms import ENROLMENT_ALIASES
from portfolio.enrolments.forms import STATUS_LABELS
from portfolio.enrolments.forms import SUPERVISOR_ALIASES
from portfolio.enrolments.forms import SUPERVISOR_ROLE_LABELS
from portfolio.enrolments.forms import EnrolmentForm
from portfolio.enrolments.forms import StatusForm
from portfolio.enrolments.forms import SupervisorForm
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db
from portfolio.forms import attempt
from portfolio.forms import error_items
from portfolio.forms import submit
from portfolio.rules import RuleError

bp = Blueprint("training", __name__, url_prefix="/enrolments")
PER_PAGE = 50


@bp.record_once
def labels(state) -> None:
    """Make the labels template globals, so imported macros see them too."""
    state.app.jinja_env.globals.update(
        {
            "supervisor_role_labels": SUPERVISOR_ROLE_LABELS,
            "enrolment_status_labels": STATUS_LABELS,
            "error_items": error_items,
        }
    )


def fail(error: RuleError) -> NoReturn:
    """Answer a rule that is not about a form field with its error page."""
    db.session.rollback()
    abort(error.status, description=error.message)


@bp.get("/")
@login_required
def index():
    """List the enrolments the user may see: a lead's organisations, admin all."""
    query = (
        policy.visible_enrolments(current_user)
        .join(User, User.id == Enrolment.trainee_id)
        .order_by(User.name, Enrolment.start_date)
    )
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template(
        "training/index.jinja",
        title="Enrolments",
        page=page,
        can_create=policy.is_admin(current_user)
        or current_user.has_role("training_lead"),
    )


def _enrolment_form() -> EnrolmentForm:
    form = EnrolmentForm()
    programmes = [c for c, _ in curricula.list_curricula() if c.enrollable]
    form.curriculum.choices = [SelectChoice("", "Choose a programme")] + [
        SelectChoice(c.slug, f"{c.title} ({c.version})") for c in programmes
    ]
    rows = services.enrolling_organisations(current_user)
    form.organisation.choices = [
        SelectChoice(o.code, f"{o.name} ({o.code})") for o in rows
    ]
    if len(rows) != 1:
        form.organisation.choices.insert(0, SelectChoice("", "Choose an organisation"))
    return form


@bp.route("/new", methods=("GET", "POST"))
@policy.requires(policy.can_manage_enrolments)
def create():
    """Enrol a trainee on a programme, with their first supervisor."""
    form = _enrolment_form()
    if form.is_submitted():
        supervisors = []
        if (form.supervisor.data or "").strip():
            supervisors.append(
                services.SupervisorInput(
                    form.supervisor.data.strip(), form.supervisor_role.data
                )
            )
        made: list[Enrolment] = []
        unplaced = submit(
            form,
            lambda: made.append(
                services.create_enrolment(
                    current_user,
                    trainee=(form.trainee.data or "").strip(),
                    curriculum=form.curriculum.data or "",
                    organisation=form.organisation.data or "",
                    start_date=form.start_date.data,
                    expected_end_date=form.expected_end_date.data,
                    supervisors=supervisors,
                    contracted_hours_per_week=form.hours(),
                    age_at_start=form.age(),
                )
            ),
            ENROLMENT_ALIASES,
        )
        if unplaced is None:
            enrolment = made[0]
            flash(
                f"Enrolled {enrolment.trainee.name} on {enrolment.curriculum.title}.",
                "success",
            )
            return redirect(url_for("training.show", enrolment_id=enrolment.id))
        form.form_errors += [e["message"] for e in unplaced]
    status = 422 if form.errors else 200
    return render_template(
        "training/new.jinja", title="Enrol a trainee", form=form
    ), status


def _render(enrolment: Enrolment, status: int = 200, **forms):
    manage = policy.can_enrol(current_user, enrolment.organisation_id)
    supervisor_form = forms.get("supervisor_form") or SupervisorForm(formdata=None)
    status_form = forms.get("status_form") or StatusForm(
        formdata=None, status=enrolment.status
    )
    return render_template(
        "training/show.jinja",
        title=f"{enrolment.trainee.name}: {enrolment.curriculum.title}",
        enrolment=enrolment,
        can_manage=manage,
        supervisor_form=supervisor_form if manage else None,
        status_form=status_form if manage else None,
        form=forms.get("supervisor_form") or forms.get("status_form"),
        today=date.today(),
        back_href=url_for("training.index"),
    ), status


def _load(enrolment_id: str) -> Enrolment:
    return services.get_enrolment(current_user, enrolment_id)


@bp.get("/<enrolment_id>")
@login_required
def show(enrolment_id: str):
    """Show an enrolment: details, supervisors and, for leads, the forms to manage it."""
    return _render(_load(enrolment_id))


@bp.post("/<enrolment_id>/supervisors")
@login_required
def add_supervisor(enrolment_id: str):
    """Assign a supervisor to the enrolment."""
    enrolment = _load(enrolment_id)
    if not policy.can_enrol(current_user, enrolment.organisation_id):
        abort(403)
    form = SupervisorForm()
    made: list = []
    unplaced = submit(
        form,
        lambda: made.append(
            services.add_supervisor(
                current_user,
                enrolment,
                services.SupervisorInput(
                    (form.person.data or "").strip(),
                    form.role.data or "",
                    form.start_date.data,
                    form.end_date.data,
                ),
            )
        ),
        SUPERVISOR_ALIASES,
    )
    if unplaced is None:
        assignment = made[0]
        flash(
            f"{assignment.supervisor.name} is now "
            f"{SUPERVISOR_ROLE_LABELS[assignment.role].lower()} for this enrolment.",
            "success",
        )
        return redirect(url_for("training.show", enrolment_id=enrolment.id))
    form.form_errors += [e["message"] for e in unplaced]
    return _render(enrolment, 422, supervisor_form=form)


@bp.post("/<enrolment_id>/status")
@login_required
def change_status(enrolment_id: str):
    """Change the enrolment's status (active, break in learning, ...)."""
    enrolment = _load(enrolment_id)
    if not policy.can_enrol(current_user, enrolment.organisation_id):
        abort(403)
    form = StatusForm()
    unplaced = attempt(
        form,
        lambda: services.set_status(current_user, enrolment, form.status.data or ""),
    )
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return _render(enrolment, 422, status_form=form)
    flash(f"Status changed to {STATUS_LABELS[enrolment.status].lower()}.", "success")
    return redirect(url_for("training.show", enrolment_id=enrolment.id))
