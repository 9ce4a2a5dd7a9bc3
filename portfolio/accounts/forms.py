"""Sign-in, password and token forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import Length
from wtforms.validators import ValidationError

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


class _DaysField(RadioField):
    """Radios whose refusal says what to do (missing means the default)."""

    def pre_validate(self, form):
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError("Choose when the token stops working")


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="So you can tell your tokens apart, for example 'trust LMS sync'",
        validators=[DataRequired("Enter a name for the token"), Length(max=80)],
    )
    days = _DaysField(
        "When should the token stop working?",
        description="After that, create a new one. You can revoke a token at any time.",
    )


def _days_label(days: int) -> str:
    return {0: "Never", 365: "After a year (365 days)"}.get(days, f"After {days} days")


def token_form(**kwargs) -> TokenForm:
    """The create-token form, offering 30, 90 or 365 days (and the default) or never."""
    from portfolio.accounts import services

    form = TokenForm(**kwargs)
    default = services.default_token_days()
    days = sorted({*services.TOKEN_DAY_CHOICES, default} - {0}) + [0]
    form.days.choices = [(str(d), _days_label(d)) for d in days]
    if form.days.data in (None, "None", ""):
        form.days.data = str(default)
    return form


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code your authenticator app shows, or one of your "
        "recovery codes",
        validators=[DataRequired("Enter the security code"), Length(max=20)],
    )
    remember = BooleanField("Do not ask again on this device for a while")


class SecondFactorSetupForm(FlaskForm):
    code = StringField(
        "Security code from the app",
        description="After adding the account, enter the 6 digits it shows",
        validators=[DataRequired("Enter the security code"), Length(max=20)],
    )
