"""User administration pages."""

import sqlalchemy as sa
from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portfolio import policy
from portfolio.accounts import invitations
from portfolio.accounts import services as accounts
from portfolio.admin.forms import UserForm
from portfolio.extensions import db
from portfolio.forms import attempt
from portfolio.organisations.models import Organisation

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_form() -> UserForm:
    form = UserForm()
    organisations = db.session.scalars(
        sa.select(Organisation).order_by(Organisation.name)
    )
    form.org.choices = [SelectChoice("", "None (national admin)")] + [
        SelectChoice(o.code, f"{o.name} ({o.code})") for o in organisations
    ]
    return form


@bp.route("/users", methods=("GET", "POST"))
@policy.requires(policy.can_manage_users)
def users():
    form = _user_form()
    status = 200
    if form.validate_on_submit():
        if not form.password.data:
            # No password: the person is invited to choose one (INVITATION_DAYS).
            failed = attempt(
                form,
                lambda: invitations.invite(
                    current_user,
                    form.email.data,
                    form.name.data,
                    form.role.data,
                    form.org.data or None,
                ),
                {"organisation": "org"},
            )
            if failed is None:
                flash(f"Invitation sent to {form.email.data.strip()}.", "success")
                return redirect(url_for("admin.users"))
            form.form_errors += [e["message"] for e in failed]
        else:
            try:
                user, created = accounts.add_person(
                    form.email.data,
                    form.name.data,
                    form.password.data,
                    form.role.data,
                    form.org.data or None,
                )
            except accounts.AccountError as error:
                target = getattr(form, error.field_name or "email", form.email)
                target.errors = [*target.errors, str(error)]
            else:
                verb = "Created" if created else "Updated"
                flash(f"{verb} {user.name} ({user.email}).", "success")
                return redirect(url_for("admin.users"))
    if form.errors:
        status = 422
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            policy.visible_users(current_user).subquery()
        )
    )
    return render_template(
        "admin/users.jinja", title="Users and roles", form=form, total=total
    ), status
