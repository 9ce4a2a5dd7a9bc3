"""People pages: find people, a person's page, invitations (one, or a CSV), roles
that start and end, deactivation, email changes, and accepting an invitation.

Admins see everyone; a training lead sees and invites their own organisation's
trainees and supervisors. The rules are in portfolio.accounts (lifecycle,
invitations, totp) and portfolio.policy.
"""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from portfolio import policy
from portfolio.accounts import invitations
from portfolio.accounts import lifecycle
from portfolio.accounts import services as accounts
from portfolio.accounts import totp
from portfolio.accounts.forms import NewPasswordForm
from portfolio.accounts.models import REGISTERS
from portfolio.accounts.models import ROLES
from portfolio.accounts.signin import start_session
from portfolio.admin.forms import DeactivateForm
from portfolio.admin.forms import EmailChangeForm
from portfolio.admin.forms import InviteCsvForm
from portfolio.admin.forms import InviteForm
from portfolio.admin.forms import PersonForm
from portfolio.admin.forms import RoleForm
from portfolio.csvimport import CsvImportError
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.forms import attempt
from portfolio.forms import error_items
from portfolio.organisations.models import Organisation
from portfolio.rules import Invalid

bp = Blueprint("people", __name__)


def _role_choices(blank: bool = True) -> list[SelectChoice]:
    roles = [
        r
        for r in ROLES
        if policy.is_admin(current_user) or r in policy.LEAD_INVITABLE_ROLES
    ]
    head = [SelectChoice("", "Choose a role")] if blank else []
    return head + [SelectChoice(r, lifecycle.role_label(r).capitalize()) for r in roles]


def _organisations(all_of_them: bool = False) -> list[Organisation]:
    query = db.select(Organisation).order_by(Organisation.name)
    if not (all_of_them or policy.is_admin(current_user)):
        query = query.where(
            Organisation.id.in_(policy.lead_organisation_ids(current_user) or {""})
        )
    return list(db.session.scalars(query))


def _org_choices(first: str) -> list[SelectChoice]:
    return [SelectChoice("", first)] + [
        SelectChoice(o.code, f"{o.name} ({o.code})") for o in _organisations()
    ]


def _invite_form(**kwargs) -> InviteForm:
    form = InviteForm(**kwargs)
    form.role.choices = _role_choices()
    national = "None (a national admin)" if policy.is_admin(current_user) else ""
    form.organisation.choices = _org_choices(national or "Choose an organisation")
    return form


def _role_form(**kwargs) -> RoleForm:
    form = RoleForm(**kwargs)
    form.role.choices = _role_choices()
    national = "None (a national admin)" if policy.is_admin(current_user) else ""
    form.organisation.choices = _org_choices(national or "Choose an organisation")
    return form


# ---- the list -------------------------------------------------------------------


@bp.get("/people/")
@policy.requires(policy.can_list_people)
def index():
    args = {
        key: (request.args.get(key) or "").strip()
        for key in ("q", "role", "organisation", "status")
    }
    errors = []
    try:
        query = lifecycle.people(
            current_user,
            q=args["q"],
            role=args["role"] or None,
            organisation=args["organisation"] or None,
            status=args["status"] or None,
        )
    except Invalid as error:
        errors = error.errors
        query = lifecycle.people(current_user)
    page = db.paginate(
        query, per_page=int(current_app.config["USERS_PER_PAGE"]), error_out=False
    )
    return render_template(
        "admin/people.jinja",
        title="People",
        page=page,
        args={k: v for k, v in args.items() if v},
        filters=args,
        roles=ROLES,
        organisations=_organisations(all_of_them=policy.is_admin(current_user)),
        pending=invitations.pending(current_user, limit=20),
        errors=[{"text": e["message"], "href": f"#{e['field']}"} for e in errors],
        now=utcnow(),
    ), 422 if errors else 200


# ---- invitations ------------------------------------------------------------------


def _invite_page(form, csv_form, line_errors=(), status=200):
    return render_template(
        "admin/invite.jinja",
        title="Invite people",
        form=form,
        csv_form=csv_form,
        line_errors=line_errors,
        days=invitations.invitation_days(),
        errors=error_items(form, csv_form),
    ), status


@bp.route("/people/invite", methods=("GET", "POST"))
@policy.requires(policy.can_list_people)
def invite():
    form = _invite_form()
    csv_form = InviteCsvForm(formdata=None)
    if form.is_submitted():
        sent = []
        failed = None
        if form.validate():
            failed = attempt(
                form,
                lambda: sent.append(
                    invitations.invite(
                        current_user,
                        form.email.data,
                        form.name.data,
                        form.role.data,
                        form.organisation.data or None,
                    )
                ),
            )
        if sent and failed is None:
            done = sent[0]
            who = done.invitation.user
            if done.created:
                flash(
                    f"Invitation sent to {who.email}. The link works for "
                    f"{invitations.invitation_days()} days.",
                    "success",
                )
            else:
                flash(
                    f"{who.name} already had an account: they now have the role.",
                    "success",
                )
            return redirect(url_for("people.show", user_id=who.id))
        form.form_errors += [e["message"] for e in failed or []]
        return _invite_page(form, csv_form, status=422)
    return _invite_page(form, csv_form)


@bp.post("/people/invite/csv")
@policy.requires(policy.can_list_people)
def invite_csv():
    form = _invite_form(formdata=None)
    csv_form = InviteCsvForm()
    line_errors = []
    if csv_form.validate_on_submit():
        upload = csv_form.file.data
        try:
            text = upload.read().decode("utf-8")
            report = invitations.invite_csv(
                current_user, text, upload.filename or "upload.csv"
            )
        except UnicodeDecodeError:
            csv_form.file.errors.append("The file must be a UTF-8 CSV file")
        except CsvImportError as error:
            csv_form.file.errors.append(
                f"{len(error.errors)} problem(s) in the file: nobody was invited"
            )
            line_errors = error.errors
        else:
            return render_template(
                "admin/invite_report.jinja",
                title="Invitations sent",
                report=report,
                days=invitations.invitation_days(),
            )
    return _invite_page(form, csv_form, line_errors, 422)


@bp.post("/people/invitations/<invitation_id>/resend")
@policy.requires(policy.can_list_people)
def resend_invitation(invitation_id: str):
    invitation = invitations.resend(current_user, invitation_id)
    flash(f"A new invitation link was sent to {invitation.email}.", "success")
    return redirect(url_for("people.show", user_id=invitation.user_id))


@bp.post("/people/invitations/<invitation_id>/revoke")
@policy.requires(policy.can_list_people)
def revoke_invitation(invitation_id: str):
    invitation = invitations.revoke(current_user, invitation_id)
    flash(f"The invitation to {invitation.email} no longer works.", "success")
    return redirect(url_for("people.show", user_id=invitation.user_id))


@bp.route("/auth/invitation/<token>", methods=("GET", "POST"))
def accept_invitation(token: str):
    """Follow an invitation: choose a password, and land on the home page."""
    try:
        invitation = invitations.for_token(token)
    except Invalid as error:
        return render_template(
            "accounts/reset_invalid.jinja",
            title="Invitation link not valid",
            message=error.message,
        ), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            start_session(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("main.home"))
    return render_template(
        "accounts/accept.jinja",
        title="Set up your account",
        form=form,
        invitation=invitation,
    ), 422 if form.errors else 200


# ---- a person ---------------------------------------------------------------------


def _show(user_id: str, status: int = 200, form=None, **forms):
    record = lifecycle.person_record(current_user, user_id)
    person = record.user
    page_forms = {
        "person_form": PersonForm(
            formdata=None,
            name=person.name,
            **{r: getattr(person, f"{r}_number") or "" for r in REGISTERS},
        ),
        "role_form": _role_form(formdata=None),
        "email_form": EmailChangeForm(formdata=None),
        **forms,
    }
    return render_template(
        "admin/person.jinja",
        title=person.name,
        record=record,
        person=person,
        can_edit=policy.can_edit_person(current_user, person),
        can_deactivate=policy.can_deactivate(current_user)
        and person.id != current_user.id,
        can_change_email=policy.can_change_email(current_user, person),
        can_remove=lambda r: policy.can_remove_role(current_user, r),
        can_manage_invitation=lambda i: policy.can_manage_invitation(current_user, i),
        errors=error_items(form) if form is not None else [],
        history_labels=lifecycle.HISTORY_LABELS,
        today=utcnow().date(),
        now=utcnow(),
        **page_forms,
    ), status


@bp.get("/people/<user_id>")
@policy.requires(policy.can_list_people)
def show(user_id: str):
    return _show(user_id)


@bp.post("/people/<user_id>/details")
@policy.requires(policy.can_list_people)
def edit(user_id: str):
    lifecycle.get_person(current_user, user_id)  # 404 before anything else
    form = PersonForm()
    if form.validate():
        failed = attempt(
            form,
            lambda: lifecycle.update_person(
                current_user,
                user_id,
                name=form.name.data,
                registrations={r: form[r].data or "" for r in REGISTERS},
            ),
            {f"registrations.{r}": r for r in REGISTERS},
        )
        if failed is None:
            flash("The details were saved.", "success")
            return redirect(url_for("people.show", user_id=user_id))
        form.form_errors += [e["message"] for e in failed]
    return _show(user_id, 422, form, person_form=form)


@bp.post("/people/<user_id>/roles")
@policy.requires(policy.can_list_people)
def add_role(user_id: str):
    lifecycle.get_person(current_user, user_id)
    form = _role_form()
    if form.validate():
        failed = attempt(
            form,
            lambda: lifecycle.add_role(
                current_user,
                user_id,
                form.role.data,
                form.organisation.data or None,
                form.start_date.data,
                bool(form.replaces.data),
            ),
            {"org": "organisation"},
        )
        if failed is None:
            flash("The role was added.", "success")
            return redirect(url_for("people.show", user_id=user_id))
        form.form_errors += [e["message"] for e in failed]
    return _show(user_id, 422, form, role_form=form)


@bp.post("/people/<user_id>/roles/<role_id>/remove")
@policy.requires(policy.can_list_people)
def remove_role(user_id: str, role_id: str):
    lifecycle.remove_role(current_user, user_id, role_id)
    flash("The role was removed. Its history stays on this page.", "success")
    return redirect(url_for("people.show", user_id=user_id))


@bp.route("/people/<user_id>/deactivate", methods=("GET", "POST"))
@policy.requires(policy.can_deactivate)
def deactivate(user_id: str):
    person = lifecycle.get_person(current_user, user_id)
    form = DeactivateForm()
    if form.is_submitted():
        failed = None
        if form.validate():
            failed = attempt(
                form,
                lambda: lifecycle.deactivate(current_user, user_id, form.reason.data),
            )
            if failed is None:
                flash(
                    f"{person.name}'s account is deactivated. Their sign-offs stay "
                    "valid.",
                    "success",
                )
                return redirect(url_for("people.show", user_id=user_id))
        form.form_errors += [e["message"] for e in failed or []]
    return render_template(
        "admin/deactivate.jinja",
        title=f"Deactivate {person.name}",
        person=person,
        form=form,
        errors=error_items(form),
    ), 422 if form.errors else 200


@bp.post("/people/<user_id>/reactivate")
@policy.requires(policy.can_deactivate)
def reactivate(user_id: str):
    person = lifecycle.reactivate(current_user, user_id)
    flash(f"{person.name} can sign in again.", "success")
    return redirect(url_for("people.show", user_id=user_id))


@bp.post("/people/<user_id>/second-factor/reset")
@policy.requires(policy.can_deactivate)
def reset_second_factor(user_id: str):
    person = totp.reset(current_user, user_id)
    flash(
        f"{person.name}'s second factor was removed: they set up a new one when they "
        "next sign in.",
        "success",
    )
    return redirect(url_for("people.show", user_id=user_id))


@bp.post("/people/<user_id>/email")
@login_required
def change_email(user_id: str):
    lifecycle.get_person(current_user, user_id)
    form = EmailChangeForm()
    back = (
        url_for("accounts.account")
        if user_id == current_user.id and not policy.can_list_people(current_user)
        else url_for("people.show", user_id=user_id)
    )
    if form.validate():
        sent = []
        failed = attempt(
            form,
            lambda: sent.append(
                lifecycle.request_email_change(current_user, user_id, form.email.data)
            ),
        )
        if failed is None:
            flash(
                f"We sent a link to {sent[0]}. The address changes when it is followed.",
                "success",
            )
            return redirect(back)
        form.form_errors += [e["message"] for e in failed]
    if not policy.can_list_people(current_user):
        flash(" ".join(m for ms in form.errors.values() for m in ms), "error")
        return redirect(back)
    return _show(user_id, 422, form, email_form=form)


@bp.route("/auth/email/<token>", methods=("GET", "POST"))
def confirm_email(token: str):
    """Confirm a new email address from the link sent to it (a POST, so a mail
    scanner that opens links changes nothing)."""
    try:
        person, email = lifecycle.email_change_for(token)
    except Invalid as error:
        return render_template(
            "accounts/reset_invalid.jinja",
            title="Link not valid",
            message=error.message,
        ), 400
    if request.method == "POST":
        lifecycle.confirm_email_change(token)
        flash(f"Your email address is now {email}.", "success")
        return redirect(url_for("main.home"))
    return render_template(
        "accounts/confirm_email.jinja",
        title="Confirm your new email address",
        person=person,
        email=email,
    )
