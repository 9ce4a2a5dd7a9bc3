"""CPD pages: the log, adding an activity, the audit profile, registers and
renewal dates."""

from datetime import date

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user

from portfolio import policy
from portfolio.forms import attempt
from portfolio.forms import error_items
from portfolio.forms import submit
from portfolio.registration import cpd
from portfolio.registration.forms import ActivityForm
from portfolio.registration.forms import ProfileForm
from portfolio.registration.forms import RegisterForm
from portfolio.registration.models import CPD_TYPES

bp = Blueprint("cpd", __name__, url_prefix="/cpd")


def _index(status: int = 200, register_form=None):
    today = date.today()
    content = cpd.profile_content(current_user, today)
    register_form = register_form or RegisterForm(formdata=None)
    return render_template(
        "cpd/index.jinja",
        title="Continuing professional development",
        activities=cpd.activities_of(current_user),
        content=content,
        types=CPD_TYPES,
        registers=[
            (r, cpd.renewal_of(r, today)) for r in cpd.registers_of(current_user)
        ],
        register_labels=cpd.REGISTER_LABELS,
        register_form=register_form,
        profiles=cpd.profiles_of(current_user),
        error_list=error_items(register_form),
    ), status


@bp.get("/")
@policy.requires(policy.can_apply_for_registration)
def index():
    return _index()


def _activity_form(form: ActivityForm) -> ActivityForm:
    form.evidence_id.choices = [("", "None")] + cpd.own_evidence_choices(current_user)
    return form


@bp.route("/new", methods=("GET", "POST"))
@policy.requires(policy.can_apply_for_registration)
def new():
    form = _activity_form(ActivityForm())
    status = 200
    if form.is_submitted():
        unplaced = submit(
            form, lambda: cpd.add_activity(current_user, form.service_data())
        )
        if unplaced is None:
            flash("The activity is in your CPD record.", "success")
            return redirect(url_for("cpd.index"))
        form.form_errors += [e["message"] for e in unplaced]
        status = 422
    return render_template(
        "cpd/new.jinja",
        title="Record a CPD activity",
        form=form,
        error_list=error_items(form),
        back_href=url_for("cpd.index"),
    ), status


@bp.post("/<activity_id>/delete")
@policy.requires(policy.can_apply_for_registration)
def delete(activity_id: str):
    activity = cpd.load_activity(current_user, activity_id)
    cpd.delete_activity(current_user, activity)
    flash("The activity was removed from your CPD record.", "success")
    return redirect(url_for("cpd.index"))


@bp.route("/profile", methods=("GET", "POST"))
@policy.requires(policy.can_apply_for_registration)
def profile():
    saved = cpd.profile_of(current_user)
    form = ProfileForm()
    if not form.is_submitted():
        form = ProfileForm(formdata=None)
        form.summary.data = saved.summary
        for code in cpd.STATEMENT_STANDARDS:
            form[f"statement_{code}"].data = (saved.statement or {}).get(code, "")
    status = 200
    if form.is_submitted():
        unplaced = attempt(
            form,
            lambda: cpd.save_profile(
                current_user,
                form.summary.data or "",
                {
                    code: form[f"statement_{code}"].data or ""
                    for code in cpd.STATEMENT_STANDARDS
                },
            ),
        )
        if unplaced is None:
            flash("Your CPD profile is saved.", "success")
            return redirect(url_for("cpd.profile"))
        form.form_errors += [e["message"] for e in unplaced]
        status = 422
    return render_template(
        "cpd/profile.jinja",
        title="Your CPD profile",
        form=form,
        content=cpd.profile_content(current_user),
        standards=cpd.HCPC_STANDARDS,
        error_list=error_items(form),
        back_href=url_for("cpd.index"),
    ), status


@bp.post("/profile/export")
@policy.requires(policy.can_apply_for_registration)
def export_profile():
    export = cpd.request_profile(current_user)
    return redirect(url_for("exports.show", export_id=export.id))


@bp.post("/registers")
@policy.requires(policy.can_apply_for_registration)
def set_register():
    form = RegisterForm()
    unplaced = attempt(
        form,
        lambda: cpd.set_register(
            current_user, form.register.data or "", form.number.data or ""
        ),
    )
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return _index(422, form)
    flash("Your register is saved; we will remind you before each renewal.", "success")
    return redirect(url_for("cpd.index"))


@bp.post("/registers/<entry_id>/remove")
@policy.requires(policy.can_apply_for_registration)
def remove_register(entry_id: str):
    cpd.remove_register(current_user, entry_id)
    flash("The register was removed.", "success")
    return redirect(url_for("cpd.index"))
