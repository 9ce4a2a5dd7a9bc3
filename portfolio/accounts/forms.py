"""Sign-in, password and token forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import Length

from portfolio.accounts import passwords
from portfolio.accounts.models import EMAIL_MAX


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address"), Length(max=EMAIL_MAX)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password")]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email(
                "Enter an email address like name@nhs.net", check_deliverability=False
            ),
            Length(max=EMAIL_MAX),
        ],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description=passwords.HINT,
        # Length here for a quick answer; the other rules need the person, so the
        # service checks them (passwords.problem) and the view shows its reason.
        validators=[
            DataRequired("Enter a new password"),
            Length(min=passwords.MIN_LENGTH, message=passwords.TOO_SHORT),
            Length(max=passwords.MAX_LENGTH, message=passwords.TOO_LONG),
        ],
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[
            DataRequired("Enter the new password again"),
            EqualTo("password", "The passwords do not match"),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="So you can tell your tokens apart, for example 'trust LMS sync'",
        validators=[DataRequired("Enter a name for the token"), Length(max=80)],
    )
