"""The form an administrator uses to require single sign-on for an organisation."""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

SIGN_IN_CHOICES = [
    SelectChoice("password", "With a password or single sign-on"),
    SelectChoice("sso", "With single sign-on only (passwords are refused)"),
]


class OrganisationSignInForm(FlaskForm):
    sign_in = RadioField(
        "How do people at this organisation sign in?",
        choices=SIGN_IN_CHOICES,
        validators=[InputRequired("Choose how people sign in")],
    )
