"""Enrolment forms, and the form helpers the evidence and sign-off forms share.

Forms only parse what people type; the rules live in the services, whose
``[{field, message}]`` errors ``apply_errors`` puts back onto the fields.
"""

import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import Field
from wtforms import FormField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from portfolio.accounts.models import EMAIL_MAX

INDEX = re.compile(r"\[\d+\]$")
SUPERVISOR_ROLE_LABELS = {
    "training_officer": "Training officer",
    "assessor": "Assessor",
    "workplace_supervisor": "Workplace supervisor",
}
STATUS_LABELS = {
    "active": "Active",
    "break_in_learning": "Break in learning",
    "completed": "Completed",
    "withdrawn": "Withdrawn",
}


class DateInputField(Field):
    """A date typed as day, month and year into the NHS.UK date input.

    What was typed is kept in ``parts`` even when it is not a real date, so a form
    shown again with errors never loses it.
    """

    PARTS = ("day", "month", "year")
    invalid_message = "Enter a real date with a day, month and year, like 14 3 2026"

    def __init__(self, label=None, validators=None, required: str = "", **kwargs):
        super().__init__(label, validators, **kwargs)
        # The error summary links to the first box, as the design system asks.
        self.id = f"{self.id}-day"  # type: ignore[has-type]  # wtforms sets Field.id unannotated
        self.parts = dict.fromkeys(self.PARTS, "")
        self.required = required

    def pre_validate(self, form) -> None:
        if self.required and self.data is None and not self.process_errors:
            raise StopValidation(self.required)

    def input_name(self, part: str) -> str:
        return f"{self.name}[{part}]"

    def process(self, formdata, data=unset_value, extra_filters=None):
        """Read the three boxes (or a date given as data) into ``data`` and ``parts``."""
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        self.raw_data = []
        if self.data is not None:
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }
        if formdata is None or not any(
            self.input_name(p) in formdata for p in self.PARTS
        ):
            return
        self.parts = {
            p: (formdata.get(self.input_name(p)) or "").strip()[:10] for p in self.PARTS
        }
        self.data = None
        if not any(self.parts.values()):
            return
        self.raw_data = [" ".join(self.parts.values())]
        try:
            self.data = date(
                int(self.parts["year"]),
                int(self.parts["month"]),
                int(self.parts["day"]),
            )
        except ValueError:
            self.process_errors.append(self.invalid_message)


def choices(labels: dict, blank: str | None = None) -> list[SelectChoice]:
    """Select or radio choices from a ``{value: label}`` mapping."""
    items = [SelectChoice("", blank)] if blank is not None else []
    return items + [SelectChoice(value, label) for value, label in labels.items()]


def field_at(form, path: str):
    """The field a rule error names, or None.

    ``answers.ratings.safety`` walks into subforms; ``claims[2].code`` is the
    ``claims`` field (what follows a plain field names a detail inside it).
    """
    target = form
    for part in path.split("."):
        if isinstance(target, FormField):
            target = target.form
        elif isinstance(target, Field):
            return target
        name = part if part in target else INDEX.sub("", part)
        if name not in target:
            return None
        target = target[name]
    return target if isinstance(target, Field) else None


def apply_errors(form, errors: list[dict], aliases: dict | None = None) -> list[dict]:
    """Put a rule's ``[{field, message}]`` onto ``form``; return those with no field.

    ``aliases`` renames service field names (whole, or by their first part) to the
    form's: ``{"supervisors[0].person": "supervisor", "form": "answers"}``.
    """
    aliases = aliases or {}
    unplaced = []
    for error in errors:
        name = error.get("field") or ""
        head, _, rest = name.partition(".")
        if name in aliases:
            name = aliases[name]
        elif head in aliases:
            name = aliases[head] + (f".{rest}" if rest else "")
        field = field_at(form, name) if name else None
        if field is None:
            unplaced.append(error)
        elif error["message"] not in field.errors:
            field.errors = [*field.errors, error["message"]]
    return unplaced


def error_items(*forms, extra: list[dict] | None = None) -> list[dict]:
    """The error summary's list for ``forms``, each linking to its field."""
    items = []
    for form in forms:
        if form is None:
            continue
        items += [{"text": message} for message in form.form_errors]
        for field in form:
            _collect(field, items)
    return items + list(extra or [])


def _collect(field, items: list[dict]) -> None:
    if isinstance(field, FormField):
        for sub in field.form:
            _collect(sub, items)
    elif field.errors:
        items.append({"text": field.errors[0], "href": f"#{field.id}"})


def parse_hours(field) -> None:
    """Check an optional number typed as text, keeping what was typed."""
    value = (field.data or "").strip()
    if not value:
        return
    try:
        float(value)
    except ValueError as error:
        raise ValidationError("Enter the hours as a number, like 37.5") from error


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
        "Programme", validators=[DataRequired("Choose a programme")]
    )
    organisation = SelectField(
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

    def hours(self) -> float | None:
        value = (self.contracted_hours_per_week.data or "").strip()
        return float(value) if value else None


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
