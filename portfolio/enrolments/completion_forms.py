"""Web forms for the STP records: review-of-progression records, the Final Year
Assessment, the MSc, the e-portfolio sign-off and extensions to training.

Each form's fields have names of their own, so several forms can share a page.
"""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import widgets
from wtforms.validators import Length

from portfolio.enrolments import completion
from portfolio.forms import DateInputField
from portfolio.forms import choices
from portfolio.progress import stp_review


class ProgressionRecordForm(FlaskForm):
    kind = RadioField(
        "What are you recording?",
        choices=choices(stp_review.RECORD_KINDS),
        validate_choice=False,
    )
    held_on = DateInputField(
        "Date", description="For example, 15 3 2026", required="Enter the date"
    )
    reporter = RadioField(
        "Who reported the exception? (exceptions only)",
        choices=choices(stp_review.REPORTERS),
        validate_choice=False,
    )
    topics = SelectMultipleField(
        "In place at the check-in (check-ins only)",
        choices=choices(stp_review.CHECK_IN_TOPICS),
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validate_choice=False,
    )
    text = TextAreaField(
        "Notes",
        description="For an exception, the issue reported to the School",
        validators=[Length(max=completion.TEXT_MAX)],
    )


class FyaSittingForm(FlaskForm):
    sat_on = DateInputField(
        "Date of the sitting",
        description="For example, 24 6 2028",
        required="Enter the date of the sitting",
    )
    outcome = RadioField(
        "Outcome",
        choices=choices(completion.FYA_OUTCOME_LABELS),
        default="awaiting",
        validate_choice=False,
    )
    note = StringField("Note (optional)", validators=[Length(max=completion.NOTE_MAX)])


class FyaResultForm(FlaskForm):
    outcome = RadioField(
        "Result",
        choices=choices(
            {k: v for k, v in completion.FYA_OUTCOME_LABELS.items() if k != "awaiting"}
        ),
        validate_choice=False,
    )


class MscForm(FlaskForm):
    msc_status = RadioField(
        "MSc in Clinical Science",
        choices=choices(completion.MSC_LABELS),
        validate_choice=False,
    )
    institution = StringField(
        "University (optional)", validators=[Length(max=completion.INSTITUTION_MAX)]
    )
    awarded_on = DateInputField(
        "Date awarded (if awarded)", description="For example, 30 11 2028"
    )


class PortfolioSignOffForm(FlaskForm):
    signed_on = DateInputField(
        "Date of the sign-off",
        description="Only when 100% of the work-based curriculum is signed off",
        required="Enter the date of the sign-off",
    )


class ExtensionForm(FlaskForm):
    kind = RadioField(
        "Kind of extension",
        choices=choices(completion.EXTENSION_LABELS),
        validate_choice=False,
    )
    reason = StringField(
        "Details (optional)",
        description="For example, maternity leave. A Final Year Assessment fail is "
        "not a reason for an extension.",
        validators=[Length(max=completion.REASON_MAX)],
    )
    start_date = DateInputField(
        "Starts on",
        description="For example, 1 2 2027",
        required="Enter the start date",
    )
    end_date = DateInputField(
        "Ends on (optional)", description="Leave empty if not known yet"
    )
    new_end_date = DateInputField(
        "New completion date agreed with the School (optional)",
        description="For example, 31 5 2029",
    )
