"""The create-user form and the people pages' forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.accounts.models import ROLES
from portfolio.forms import DateInputField


class UserForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter an email address"),
            Email(
                "Enter an email address like name@nhs.net", check_deliverability=False
            ),
            Length(max=EMAIL_MAX),
        ],
    )
    name = StringField(
        "Full name",
        validators=[DataRequired("Enter the person's name"), Length(max=NAME_MAX)],
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice(r, r.replace("_", " ").capitalize()) for r in ROLES],
        validators=[DataRequired("Choose a role")],
    )
    org = SelectField(
        "Organisation",
        description="Admins may be national (no organisation)",
        validators=[Optional()],
    )
    password = PasswordField(
        "Initial password",
        description="Leave empty to send the person a link to set their own",
        validators=[Optional()],
    )


# ---- the people pages ------------------------------------------------------------
# Forms only parse; the rules (and their messages) are in portfolio.accounts.


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter an email address"), Length(max=EMAIL_MAX)],
    )
    name = StringField(
        "Full name",
        description="Not needed if they already have an account",
        validators=[Length(max=NAME_MAX)],
    )
    role = SelectField("Role", validators=[DataRequired("Choose a role")])
    organisation = SelectField("Organisation", validators=[Optional()])


class InviteCsvForm(FlaskForm):
    file = FileField(
        "CSV file",
        description="Columns: email, name, role, organisation (its code, like RBV)",
        validators=[FileRequired("Choose a CSV file")],
    )


class PersonForm(FlaskForm):
    name = StringField(
        "Full name",
        validators=[DataRequired("Enter the person's name"), Length(max=NAME_MAX)],
    )
    hcpc = StringField(
        "HCPC registration number",
        description="Health and Care Professions Council, for example CS12345",
        validators=[Optional()],
    )
    rct = StringField(
        "RCT registration number",
        description="Register of Clinical Technologists",
        validators=[Optional()],
    )
    gmc = StringField(
        "GMC reference number",
        description="General Medical Council",
        validators=[Optional()],
    )
    nmc = StringField(
        "NMC PIN", description="Nursing and Midwifery Council", validators=[Optional()]
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", validators=[DataRequired("Choose a role")])
    organisation = SelectField("Organisation", validators=[Optional()])
    start_date = DateInputField(
        "Holds the role from",
        description="For example, 1 9 2026. Leave empty for today.",
    )
    replaces = BooleanField(
        "They are moving: end the same role at their other organisations the day before"
    )


class DeactivateForm(FlaskForm):
    reason = TextAreaField(
        "Why is the account being deactivated?",
        description="For example, 'Left the trust on 31 August 2026'",
        validators=[DataRequired("Enter why the account is being deactivated")],
    )


class EmailChangeForm(FlaskForm):
    email = EmailField(
        "New email address",
        description="We send a link to the new address; the change is made when it "
        "is followed.",
        validators=[DataRequired("Enter the new email address"), Length(max=EMAIL_MAX)],
    )
