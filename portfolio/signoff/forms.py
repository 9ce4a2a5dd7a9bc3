"""Sign-off forms: ask for sign-off, decide, unlock."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import RadioField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice

from portfolio.training.forms import SUPERVISOR_ROLE_LABELS
from portfolio.training.services import current_supervisors

DECISIONS = {"approve": "Sign it off", "return": "Return it with feedback"}


def assessor_choices(trainee_id: str) -> list[SelectChoice]:
    """The trainee's supervisors in force today, as radio choices."""
    return [
        SelectChoice(
            a.supervisor_id,
            f"{a.supervisor.name} ({SUPERVISOR_ROLE_LABELS.get(a.role, a.role).lower()})",
        )
        for a in current_supervisors(trainee_id)
    ]


class SubmitForm(FlaskForm):
    assessor = RadioField(
        "Who should sign it off?",
        description="One of your current supervisors. They get a notification.",
        validate_choice=False,
    )


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Your decision",
        choices=[SelectChoice(value, label) for value, label in DECISIONS.items()],
        validate_choice=False,
    )
    comment = TextAreaField(
        "Comment for the trainee",
        description="Needed if you return it: say what should change.",
    )
    declaration = BooleanField("Assessor declaration")


class UnlockForm(FlaskForm):
    reason = TextAreaField(
        "Reason for unlocking",
        description="The trainee and the assessor are told, and it is kept in the "
        "history.",
    )
