"""Sign-in, password and token forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import Length

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.services import MIN_PASSWORD_LENGTH


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
        description=f"At least {MIN_PASSWORD_LENGTH} characters",
        validators=[
            DataRequired("Enter a new password"),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
            ),
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
