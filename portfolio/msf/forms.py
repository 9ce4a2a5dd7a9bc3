"""MSF forms: starting a round (self-assessment and raters), adding raters, release."""

from functools import cache

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms import FormField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import TextAreaField

from portfolio.forms import DateInputField
from portfolio.forms import choices
from portfolio.msf import questionnaire as q

RATERS_HINT = (
    "One person per line: their name, email and role, separated by commas, for "
    "example: Sam Patel, sam.patel@nhs.net, clinical scientist. Roles: "
    + "; ".join(label.lower() for label in q.ROLES.values())
    + "."
)


def parse_raters(text: str) -> tuple[list[dict], list[str]]:
    """Lines of "name, email, role" as the service takes them, and any line that
    does not have three parts (by line number)."""
    by_label = {label.lower(): key for key, label in q.ROLES.items()}
    raters, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            problems.append(
                f"Line {number}: give a name, an email and a role, separated by commas"
            )
            continue
        name, email, role = parts
        key = role.lower().replace(" ", "_")
        raters.append(
            {
                "name": name,
                "email": email,
                "role": key if key in q.ROLES else by_label.get(role.lower(), role),
            }
        )
    return raters, problems


@cache
def _self_form() -> type[Form]:
    attrs: dict = {
        domain: RadioField(label, choices=choices(q.SCALE), validate_choice=False)
        for domain, label in q.DOMAINS.items()
    }
    for name, label, hint in q.FREE_TEXT:
        attrs[name] = TextAreaField(label, description=hint)
    return type("MsfSelf", (Form,), attrs)


class StartForm(FlaskForm):
    enrolment = SelectField("Programme", validate_choice=False)
    self_assessment = FormField(_self_form(), label="Rate yourself")
    raters = TextAreaField("Who should give you feedback?", description=RATERS_HINT)

    def self_data(self) -> dict:
        data = dict(self.self_assessment.data)
        return {
            "ratings": {d: data.get(d) or "" for d in q.DOMAINS},
            "comments": {n: data.get(n) or "" for n, _, _ in q.FREE_TEXT},
        }


class AddRatersForm(FlaskForm):
    raters = TextAreaField("Invite more people", description=RATERS_HINT)


class ReleaseForm(FlaskForm):
    reviewed_on = DateInputField(
        "When did you review the results with the trainee?",
        description="For example, 15 3 2027",
    )
    plan = TextAreaField(
        "Development plan agreed with the trainee",
        description="It goes into their portfolio with the collated feedback.",
    )
