"""Capacity forms: training places, workforce figures, the report and the two scenarios.

The forms only hold what people type (as text, so a form shown again with errors
keeps it); ``services.parse_place``, ``services.parse_workforce`` and
``projection.parse_scenario`` decide what is valid, and their field errors are
put back on the fields.
"""

import re

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import Length

from portfolio.capacity import projection
from portfolio.capacity.models import FUNDING_MAX
from portfolio.capacity.models import PROGRAMMES
from portfolio.forms import DateInputField
from portfolio.forms import choices

SPECIALISM_HINT = "One of the specialisms of the curricula"
# Long enough for any real answer; the services give the helpful messages.
TYPED = [Length(max=200, message="This answer is too long")]


class PlaceForm(FlaskForm):
    # Choices: the controlled list (capacity.specialisms), set by the view.
    specialism = SelectField(
        "Specialism", description=SPECIALISM_HINT, validate_choice=False
    )
    programme = SelectField(
        "Programme",
        choices=choices(PROGRAMMES, blank="Choose a programme"),
        validate_choice=False,
    )
    intake_year = StringField(
        "Intake year",
        description="The year trainees start, for example 2026",
        validators=TYPED,
    )
    commissioned = StringField(
        "Places commissioned", description="A whole number", validators=TYPED
    )
    filled = StringField(
        "Places filled",
        description="Trainees recruited to these places: no more than commissioned",
        validators=TYPED,
    )
    funding_source = StringField(
        "Funding source (optional)",
        description="For example NHS England, trust funded or apprenticeship levy",
        validators=[Length(max=FUNDING_MAX + 80, message="This answer is too long")],
    )


class WorkforceForm(FlaskForm):
    # Choices: the controlled list (capacity.specialisms), set by the view.
    specialism = SelectField(
        "Specialism", description=SPECIALISM_HINT, validate_choice=False
    )
    as_of = DateInputField(
        "Date the figures are for", description="For example, 31 3 2026"
    )
    establishment_wte = StringField(
        "Establishment (WTE)",
        description="Funded posts in whole-time equivalents, for example 24.5",
        validators=TYPED,
    )
    in_post_wte = StringField(
        "Staff in post (WTE)",
        description="No more than the establishment",
        validators=TYPED,
    )
    vacancies_wte = StringField(
        "Vacancies (WTE, optional)",
        description="Leave empty to work it out: establishment minus staff in post",
        validators=TYPED,
    )
    retiring_5y = StringField(
        "Expected to retire within 5 years (optional)",
        description="A number of people",
        validators=TYPED,
    )
    retiring_15y = StringField(
        "Expected to retire within 15 years (optional)",
        description="A number of people, including those retiring within 5 years",
        validators=TYPED,
    )


# ---- the capacity report -------------------------------------------------------------

REPORT_SCOPES = {
    "organisation": "One organisation",
    "region": "A region",
    "national": "All organisations (national)",
}
REPORT_FORMATS = {"pdf": "PDF document", "csv": "CSV file (a spreadsheet)"}
REPORT_YEARS = {"from_year": "the first year", "to_year": "the last year"}


class ReportForm(FlaskForm):
    """What ``POST /api/v1/reports/capacity`` takes, as a web form (``api_data``)."""

    scope = RadioField(
        "What should the report cover?",
        choices=choices(REPORT_SCOPES),
        default="organisation",
        validate_choice=False,
    )
    # The report's rules check the choice (and name what is wrong).
    organisation = SelectField(
        "Organisation",
        description="For a report on one organisation",
        validate_choice=False,
    )
    region = SelectField(
        "Region", description="For a report on one region", validate_choice=False
    )
    from_year = StringField(
        "First year",
        description="The first intake and completion year, for example 2026",
        validators=TYPED,
    )
    to_year = StringField(
        "Last year",
        description="No more than 20 years after the first",
        validators=TYPED,
    )
    format = RadioField(
        "Format",
        choices=choices(REPORT_FORMATS),
        default="pdf",
        validate_choice=False,
    )
    uplift = StringField(
        "Extra training places a year (optional)",
        description="For the projection of how long the gap takes to close. Leave "
        "empty for 13% of the current intake, at least 1.",
        validators=TYPED,
    )

    def api_data(self) -> dict | None:
        """The API's request body, or None after putting errors on the fields.

        Only the shape is checked here (years and the uplift are numbers); the
        report's own rules (``report.parse_request``) decide the rest.
        """
        data: dict = {"format": self.format.data or "pdf"}
        scope = self.scope.data or "organisation"
        if scope == "national":
            data["national"] = True
        elif scope in ("organisation", "region"):
            data[scope] = self[scope].data or ""
            if not data[scope]:
                self[scope].errors = [
                    *self[scope].errors,
                    f"Choose the {scope} the report is for",
                ]
        else:
            data["scope"] = scope  # parse_request names what is wrong
        for name, label in REPORT_YEARS.items():
            text = (self[name].data or "").strip()
            try:
                data[name] = int(text)
            except ValueError:
                self[name].errors = [
                    *self[name].errors,
                    f"Enter {label} as a whole number, like 2026",
                ]
        text = (self.uplift.data or "").strip().replace(",", "")
        if text:
            try:
                data["uplift"] = float(text)
            except ValueError:
                self.uplift.errors = [
                    *self.uplift.errors,
                    "Enter the extra places a year as a number, like 5",
                ]
        if any(self[name].errors for name in self._fields):
            return None
        return data


# ---- scenarios ------------------------------------------------------------------------

WHOLE_FIELDS = ("start_year", "training_years", "horizon_years")
NUMBER_FIELDS = (
    "gap",
    "baseline_places_per_year",
    "completion_rate",
    "leaver_rate",
    "demand_growth",
)
FIELD_NAMES = {
    "start_year": "the start year",
    "gap": "the gap",
    "schedule": "the schedule",
    "baseline_places_per_year": "the baseline places a year",
    "training_years": "the training years",
    "completion_rate": "the completion rate",
    "leaver_rate": "the leaver rate",
    "demand_growth": "the demand growth",
    "horizon_years": "the number of years to project",
}
NUMBER_EXAMPLES = {
    "start_year": "2025",
    "gap": "900",
    "baseline_places_per_year": "10",
    "training_years": "3",
    "completion_rate": "0.9",
    "leaver_rate": "0.05",
    "demand_growth": "0.02",
    "horizon_years": "60",
}
MAX_SCHEDULE_LINES = 100
STEP_LINE = re.compile(r"^(?P<year>[^\s:=,]+)\s*(?:[:=,]|\s)\s*(?P<places>\S+)$")
DEFAULTS = projection.DEFAULTS


def _default_hint(field: str, text: str) -> str:
    return f"{text} Leave empty for {DEFAULTS[field]:g}."


class ScenarioForm(Form):
    """One scenario, read from the page's address (GET), so results can be shared."""

    name = StringField(
        "Name (optional)",
        description="Shown in the chart's legend",
        validators=[Length(max=60, message="The name must be 60 characters or fewer")],
    )
    start_year = StringField("Start year", description="For example, 2025")
    gap = StringField(
        "Workforce gap in the start year",
        description="Extra staff needed, for example 900",
    )
    schedule = TextAreaField(
        "Extra training places a year",
        description="One line for each change: the year it starts and the extra "
        "places commissioned every year from then on, like 2028: 33. "
        "Years in order.",
        validators=[Length(max=4000, message="The schedule is too long")],
    )
    baseline_places_per_year = StringField(
        "Baseline places a year",
        description=_default_hint(
            "baseline_places_per_year",
            "Places that count towards the gap whatever the schedule says.",
        ),
    )
    training_years = StringField(
        "Training years",
        description=_default_hint(
            "training_years",
            "Years from a place being commissioned to a qualified person (3 for "
            "the STP).",
        ),
    )
    completion_rate = StringField(
        "Completion rate",
        description=_default_hint(
            "completion_rate", "Share of trainees who qualify, from 0 to 1."
        ),
    )
    leaver_rate = StringField(
        "Leaver rate",
        description=_default_hint(
            "leaver_rate", "Share of the extra staff who leave each year, 0 to 1."
        ),
    )
    demand_growth = StringField(
        "Demand growth a year",
        description=_default_hint(
            "demand_growth", "A fraction from -1 to 1: 0.02 is 2% a year."
        ),
    )
    horizon_years = StringField(
        "Years to project",
        description=_default_hint("horizon_years", "From 1 to 200."),
    )

    def scenario(self) -> dict | None:
        """The API-shaped scenario typed in, or None after putting errors on fields.

        Only the shape is checked here (numbers are numbers, schedule lines have
        a year and places); the model's rules are ``parse_scenario``'s.
        """
        self.validate()
        data: dict = {}
        self.schedule_lines: list[int] = []
        for name in WHOLE_FIELDS + NUMBER_FIELDS:
            field = self[name]
            text = (field.data or "").strip().replace(",", "")
            if not text:
                data[name] = None
                continue
            try:
                data[name] = int(text) if name in WHOLE_FIELDS else float(text)
            except ValueError:
                try:
                    # parse_scenario says why a decimal year is wrong.
                    data[name] = float(text)
                except ValueError:
                    field.errors = [
                        *field.errors,
                        f"Enter {FIELD_NAMES[name]} as a number, like "
                        f"{NUMBER_EXAMPLES[name]}",
                    ]
        data["schedule"] = self._schedule()
        if any(self[name].errors for name in self._fields):
            return None
        return data

    def _schedule(self) -> list[dict] | None:
        lines = (self.schedule.data or "").splitlines()
        steps: list[dict] = []
        problems: list[str] = []
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line:
                continue
            if len(steps) >= MAX_SCHEDULE_LINES:
                problems.append(
                    f"The schedule can have at most {MAX_SCHEDULE_LINES} lines"
                )
                break
            match = STEP_LINE.match(line)
            if match is None:
                problems.append(
                    f"Line {number}: write the year and the extra places, like 2028: 33"
                )
                continue
            year_text, places_text = match["year"], match["places"].lstrip("+")
            try:
                year = int(year_text)
            except ValueError:
                problems.append(
                    f"Line {number}: the year must be a whole number, like 2028"
                )
                continue
            try:
                places = float(places_text)
            except ValueError:
                problems.append(
                    f"Line {number}: the extra places must be a number, like 33"
                )
                continue
            steps.append({"from_year": year, "extra_places_per_year": places})
            self.schedule_lines.append(number)
        if problems:
            self.schedule.errors = [*self.schedule.errors, *problems]
            return None
        return steps

    def apply_projection_errors(self, errors: list[dict]) -> list[str]:
        """Put ``parse_scenario``'s errors on the fields; return any with no field."""
        unplaced = []
        for error in errors:
            field, message = error["field"], error["message"]
            step = re.match(r"^schedule\[(\d+)\]", field)
            if step is not None:
                index = int(step[1])
                message = (
                    message.replace(f"schedule[{index}].from_year", "the year")
                    .replace(
                        f"schedule[{index}].extra_places_per_year", "the extra places"
                    )
                    .replace("start_year", "the start year")
                )
                line = (
                    self.schedule_lines[index]
                    if index < len(self.schedule_lines)
                    else index + 1
                )
                self.schedule.errors = [
                    *self.schedule.errors,
                    f"Line {line}: {message}",
                ]
                continue
            if field not in FIELD_NAMES:
                unplaced.append(message)
                continue
            if message == f"{field} is required":
                message = f"Enter {FIELD_NAMES[field]}"
            elif message.startswith(field):
                label = FIELD_NAMES[field]
                message = label[0].upper() + label[1:] + message[len(field) :]
            target = self[field]
            target.errors = [*target.errors, message]
        return unplaced


def default_scenarios() -> dict[str, dict]:
    """The page's starting point: IPEM's published plan, without and with the STP's
    three training years (docs/capacity-projection.md)."""
    published = {
        "start_year": "2025",
        "gap": "900",
        "schedule": "2025: 15\n2028: 33",
    }
    return {
        "a": {**published, "name": "Published plan"},
        "b": {
            **published,
            "name": "Published plan, 3-year STP",
            "training_years": "3",
        },
    }
