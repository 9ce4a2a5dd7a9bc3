"""The ticket holder's forms: who they are, then the assessment or the MSF answers."""

from functools import cache

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms import FormField
from wtforms import RadioField
from wtforms import StringField
from wtforms import TextAreaField

from portfolio.forms import choices
from portfolio.msf import questionnaire
from portfolio.signoff.forms import decision_form_class
from portfolio.tickets.models import REGISTERS


class IdentityFields:
    name = StringField("Your full name")
    role = StringField(
        "Your job title or role",
        description="For example 'Consultant radiographer' or 'Field service "
        "engineer, Elekta'",
    )
    registration_body = RadioField(
        "Your professional registration",
        choices=choices(REGISTERS),
        validate_choice=False,
    )
    registration_number = StringField(
        "Registration number",
        description="As it appears on the register, for example CS12345",
    )

    def identity(self) -> dict:
        return {
            "name": self.name.data or "",
            "role": self.role.data or "",
            "registration_body": self.registration_body.data or "",
            "registration_number": self.registration_number.data or "",
        }


@cache
def assessment_form_class(kind: str) -> type[FlaskForm]:
    """Who the assessor is, and the decision form for a DOPS, OCE or CBD."""
    return type(
        f"Ticket{kind.title()}Form", (IdentityFields, decision_form_class(kind)), {}
    )


@cache
def _answers_form() -> type[Form]:
    attrs: dict = {
        domain: RadioField(
            label,
            choices=choices(questionnaire.SCALE),
            validate_choice=False,
        )
        for domain, label in questionnaire.DOMAINS.items()
    }
    for name, label, hint in questionnaire.FREE_TEXT:
        attrs[name] = TextAreaField(label, description=hint)
    return type("MsfAnswers", (Form,), attrs)


class MsfRaterForm(FlaskForm):
    answers = FormField(_answers_form(), label="Your feedback")

    def data_for_service(self) -> tuple[dict, dict]:
        data = dict(self.answers.data)
        ratings = {d: data.get(d) or "" for d in questionnaire.DOMAINS}
        comments = {n: data.get(n) or "" for n, _, _ in questionnaire.FREE_TEXT}
        return ratings, comments
