"""Registration and CPD forms: they parse what people type; the services decide."""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import widgets

from portfolio.forms import DateInputField
from portfolio.forms import choices
from portfolio.registration.cpd import REGISTER_LABELS
from portfolio.registration.cpd import STANDARD_LABELS
from portfolio.registration.models import CPD_TYPES
from portfolio.registration.routes import ROUTE_LABELS
from portfolio.tickets.forms import IdentityFields


class StartForm(FlaskForm):
    route = RadioField(
        "Which route are you applying by?",
        choices=choices(ROUTE_LABELS),
        validate_choice=False,
    )
    scope = SelectField(
        "Scope of practice (Register of Clinical Technologists routes)",
        validate_choice=False,
    )
    curriculum = SelectField(
        "STP specialism your portfolio maps to (AHCS equivalence route)",
        validate_choice=False,
    )


class StatementsForm(FlaskForm):
    """Fields are added per route (``statement_<key>``)."""


def statements_form(route, data: dict | None = None, formdata=None):
    attrs = {
        s.key: TextAreaField(
            s.title,
            description=s.hint
            + (f" No more than {s.max_words} words." if s.max_words else ""),
        )
        for s in route.statements
    }
    cls = type(f"Statements_{route.key}", (StatementsForm,), attrs)
    if formdata is None:
        form = cls(formdata=None)
        for s in route.statements:
            form[s.key].data = (data or {}).get(s.key, "")
        return form
    return cls()


class StageForm(FlaskForm):
    stage = RadioField(
        "Which stage has your application reached?", validate_choice=False
    )


class NomineeForm(FlaskForm):
    name = StringField("Full name")
    email = StringField("Email address", description="The link is sent only here.")
    relationship_to = StringField(
        "How they know your work", description="For example 'Line manager'"
    )


class ConfirmForm(IdentityFields, FlaskForm):
    decision = RadioField(
        "Do you confirm this application?",
        choices=choices(
            {
                "confirm": "Yes, I confirm it",
                "decline": "No, I decline to act for this applicant",
            }
        ),
        validate_choice=False,
    )
    statement = TextAreaField(
        "Your statement",
        description="How you know the applicant's work and why you support the "
        "application. It appears in their pack.",
    )


class ActivityForm(FlaskForm):
    title = StringField("What was the activity?")
    activity_type = RadioField(
        "Kind of activity", choices=choices(CPD_TYPES), validate_choice=False
    )
    occurred_on = DateInputField("Date", description="For example, 27 3 2026")
    hours = StringField("Hours spent", description="For example 1.5")
    learning = TextAreaField("What you learnt")
    benefit = TextAreaField(
        "How it benefits your practice, the service and service users"
    )
    standards = SelectMultipleField(
        "Which CPD standards does it help you meet?",
        choices=choices(STANDARD_LABELS),
        validate_choice=False,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    evidence_id = SelectField(
        "Supporting evidence in your portfolio (optional)", validate_choice=False
    )

    def service_data(self) -> dict:
        return {
            "title": self.title.data or "",
            "activity_type": self.activity_type.data or "",
            "occurred_on": self.occurred_on.data,
            "hours": self.hours.data or "",
            "learning": self.learning.data or "",
            "benefit": self.benefit.data or "",
            "standards": self.standards.data or [],
            "evidence_id": self.evidence_id.data or "",
        }


class ProfileForm(FlaskForm):
    summary = TextAreaField(
        "Summary of your practice",
        description="Your role, who you work with and the service you provide, "
        "over the last two years.",
    )
    statement_CPD1 = TextAreaField(
        "Standard 1: how you keep a continuous, current and accurate record"
    )
    statement_CPD2 = TextAreaField(
        "Standard 2: how your CPD is a mix of relevant learning activities"
    )
    statement_CPD3 = TextAreaField(
        "Standard 3: how your CPD improved the quality of your practice and service"
    )
    statement_CPD4 = TextAreaField("Standard 4: how your CPD benefits service users")


class RegisterForm(FlaskForm):
    register = RadioField(
        "Which register are you on?",
        choices=choices(REGISTER_LABELS),
        validate_choice=False,
    )
    number = StringField("Registration number (optional)")
