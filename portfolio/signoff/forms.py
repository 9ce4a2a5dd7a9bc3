"""Sign-off forms: ask for sign-off, decide (with a WBA's assessor's form), unlock."""

from functools import cache

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import Form
from wtforms import FormField
from wtforms import RadioField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice

from portfolio.enrolments.forms import SUPERVISOR_ROLE_LABELS
from portfolio.enrolments.services import current_supervisors
from portfolio.evidence import kinds
from portfolio.forms import choices

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


EXTERNAL_CHOICE = "external"


class SubmitForm(FlaskForm):
    assessor = RadioField(
        "Who should sign it off?",
        description="One of your current supervisors. They get a notification.",
        validate_choice=False,
    )
    # For a DOPS, OCE or CBD: an assessor without an account, sent a single-use link.
    external_name = StringField("Assessor's full name")
    external_email = EmailField(
        "Assessor's email address",
        description="The link goes to this address only, and works once.",
    )

    def external(self) -> dict | None:
        """The assessor without an account, when the trainee chose one."""
        if self.assessor.data != EXTERNAL_CHOICE:
            return None
        return {
            "name": self.external_name.data or "",
            "email": self.external_email.data or "",
        }


# Service error names (``external_assessor.email``) onto the submit form's fields.
SUBMIT_ALIASES = {
    "external_assessor.name": "external_name",
    "external_assessor.email": "external_email",
    "external_assessor": "assessor",
}


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

    def assessment_data(self) -> dict | None:
        """The assessor's part as typed, for ``signoff.services.decide``."""
        return None


# Service error names (``form.ratings.safety``) onto the decision form's subform.
DECISION_ALIASES = {"form": "assessment"}


@cache
def _assessment_form(kind: str) -> type[Form]:
    """A DOPS, OCE or CBD's assessor's part: a rating per domain, the overall
    judgement, strengths, development points and the declaration."""
    ratings = {
        domain: RadioField(label, choices=choices(kinds.RATINGS), validate_choice=False)
        for domain, label in kinds.WBA_DOMAINS[kind].items()
    }
    attrs: dict = {
        "ratings": FormField(
            type(f"{kind.title()}Ratings", (Form,), ratings), label="Ratings"
        ),
        "overall": RadioField(
            "Overall judgement",
            choices=choices(kinds.OVERALL),
            validate_choice=False,
        ),
    }
    for spec in kinds.ASSESSOR_TEXT_FIELDS:
        attrs[spec.name] = TextAreaField(spec.label, description=spec.hint)
    attrs["declaration"] = BooleanField("Assessor declaration")
    return type(f"{kind.title()}Assessment", (Form,), attrs)


class _WbaDecision(DecisionForm):
    def assessment_data(self) -> dict | None:
        data = dict(self.assessment.data)
        data["declaration"] = bool(data.get("declaration"))
        return data


@cache
def decision_form_class(kind: str) -> type[DecisionForm]:
    if kind not in kinds.WBA_KINDS:
        return DecisionForm
    return type(
        f"{kind.title()}DecisionForm",
        (_WbaDecision,),
        {"assessment": FormField(_assessment_form(kind), label="Assessment")},
    )


def decision_form(kind: str, **kwargs) -> DecisionForm:
    """The decision form for evidence of ``kind``: for a WBA, with its assessor's part."""
    return decision_form_class(kind)(**kwargs)


class BulkApproveForm(FlaskForm):
    read_each = BooleanField("I have read each item above in full")
    comment = TextAreaField(
        "Comment for the trainee (optional)",
        description="Added to every sign-off.",
    )


class UnlockForm(FlaskForm):
    reason = TextAreaField(
        "Reason for unlocking",
        description="The trainee and the assessor are told, and it is kept in the "
        "history.",
    )
