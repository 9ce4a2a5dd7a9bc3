"""The create-user form."""

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.accounts.models import ROLES


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
