"""Enrolment forms (the helpers every feature's forms share are in portfolio.forms)."""

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from portfolio.accounts.models import EMAIL_MAX
from portfolio.enrolments.models import SUPERVISOR_ROLE_LABELS
from portfolio.forms import DateInputField
from portfolio.forms import choices

STATUS_LABELS = {
    "active": "Active",
    "break_in_learning": "Break in learning",
    "completed": "Completed",
    "withdrawn": "Withdrawn",
}


def parse_hours(field) -> None:
    """Check an optional number typed as text, keeping what was typed."""
    value = (field.data or "").strip()
    if not value:
        return
    try:
        float(value)
    except ValueError as error:
        raise ValidationError("Enter the hours as a number, like 37.5") from error


class EmployingOrganisationField(SelectField):
    """The organisations the form offers. A commissioner is never offered (see
    ``services.enrolling_organisations``); one posted anyway is refused with the
    reason, not only "Not a valid choice"."""

    def pre_validate(self, form) -> None:
        if self.data and not any(c.selected for c in self.iter_choices()):
            from portfolio.organisations.services import by_code
            from portfolio.organisations.services import not_an_employer

            organisation = by_code(self.data)
            if organisation is not None and (problem := not_an_employer(organisation)):
                raise ValidationError(problem)
        super().pre_validate(form)


class EnrolmentForm(FlaskForm):
    trainee = EmailField(
        "Trainee's email address",
        description="They need an account with the trainee role at the organisation",
        validators=[
            DataRequired("Enter the trainee's email address"),
            Length(max=EMAIL_MAX),
        ],
    )
    curriculum = SelectField(
        "Programme",
        description="For an apprenticeship, choose the version of the standard the "
        "apprentice started on: they stay on it when a newer version is published",
        validators=[DataRequired("Choose a programme")],
    )
    organisation = EmployingOrganisationField(
        "Organisation", validators=[DataRequired("Choose an organisation")]
    )
    start_date = DateInputField(
        "Start date",
        description="For example, 1 9 2025",
        required="Enter the start date",
    )
    expected_end_date = DateInputField(
        "Expected end date",
        description="For example, 31 8 2028",
        required="Enter the expected end date",
    )
    contracted_hours_per_week = StringField(
        "Contracted hours a week (optional)",
        description="Apprenticeships only: sets the off-the-job training target, "
        "for example 37.5",
        validators=[Length(max=10)],
    )
    age_at_start = StringField(
        "Age on the start day (optional)",
        description="Apprenticeships only: from 11 February 2025 English and maths are "
        "required at gateway only for apprentices aged 16 to 18 at the start",
        validators=[
            Length(
                max=3, message="Enter the age at the start as a whole number, like 19"
            )
        ],
    )
    supervisor = EmailField(
        "First supervisor's email address (optional)",
        description="You can add more supervisors on the enrolment's page",
        validators=[Length(max=EMAIL_MAX)],
    )
    supervisor_role = SelectField(
        "Their role",
        choices=choices(SUPERVISOR_ROLE_LABELS),
        default="training_officer",
    )

    def validate_contracted_hours_per_week(self, field) -> None:
        parse_hours(field)

    def validate_age_at_start(self, field) -> None:
        value = (field.data or "").strip()
        if value and not value.isdigit():
            raise ValidationError(
                "Enter the age at the start as a whole number, like 19"
            )

    def age(self) -> int | None:
        value = (self.age_at_start.data or "").strip()
        return int(value) if value.isdigit() else None

    def hours(self) -> float | None:
        value = (self.contracted_hours_per_week.data or "").strip()
        try:
            return float(value) if value else None
        except ValueError:  # the field says so; a check-only run sees no hours
            return None


# Service field names for the first supervisor, mapped onto this form's fields.
ENROLMENT_ALIASES = {
    "supervisors[0].person": "supervisor",
    "supervisors[0].role": "supervisor_role",
}


class SupervisorForm(FlaskForm):
    person = EmailField(
        "Supervisor's email address",
        description="They need the supervisor or training lead role",
        validators=[
            DataRequired("Enter the supervisor's email address"),
            Length(max=EMAIL_MAX),
        ],
    )
    role = SelectField(
        "Role", choices=choices(SUPERVISOR_ROLE_LABELS), default="training_officer"
    )
    start_date = DateInputField(
        "From (optional)", description="Leave empty to start today"
    )
    end_date = DateInputField(
        "Until (optional)", description="Leave empty if there is no end date yet"
    )


SUPERVISOR_ALIASES = {
    "supervisor.person": "person",
    "supervisor.role": "role",
    "supervisor.start_date": "start_date",
    "supervisor.end_date": "end_date",
}


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=choices(STATUS_LABELS))
