"""Evidence forms: one form per kind, built from ``kinds``, with the outcome picker."""

from functools import cache

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import MultipleFileField
from wtforms import Form
from wtforms import FormField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import Length
from wtforms.validators import ValidationError

from portfolio.evidence import attachments
from portfolio.evidence import kinds
from portfolio.evidence.services import ClaimRef
from portfolio.evidence.services import EvidenceInput
from portfolio.evidence.types import RECORDABLE
from portfolio.forms import DateInputField
from portfolio.forms import choices

KIND_HINTS = {
    "reflection": "Guided by three questions: what happened, so what, now what",
    "dops": "An assessor watched you carry out a practical procedure",
    "oce": "An assessor observed a clinical event",
    "cbd": "You discussed a case with an assessor",
    "msf": "Feedback from several colleagues, with a development plan",
    "training_activity": "A course, session or activity you took part in",
    "document": "A report, protocol or other document you wrote",
    "certificate": "A certificate of completion or attendance",
    "otj": "Hours of off-the-job training for your apprenticeship",
}
STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Waiting for sign-off",
    "returned": "Returned",
    "signed_off": "Signed off",
}
STATUS_COLOURS = {
    "draft": "grey",
    "submitted": "blue",
    "returned": "orange",
    "signed_off": "green",
}
# Service error names onto this form's fields.
EVIDENCE_ALIASES = {"form": "answers"}


class KindForm(Form):
    kind = RadioField(
        "What kind of evidence is it?",
        choices=choices(
            {k: v for k, v in kinds.KIND_LABELS.items() if k in RECORDABLE}
        ),
        validate_choice=False,
    )


class EvidenceForm(FlaskForm):
    """Title, date, text and claims; ``evidence_form`` adds the kind's questions."""

    title = StringField("Title", description="A short name you will recognise later")
    occurred_on = DateInputField(
        "When did it happen?",
        description="For example, 14 3 2026",
        required="Enter the date it happened",
    )
    body = TextAreaField(
        "Description",
        description="You can format this with Markdown: **bold**, *italic*, lists "
        "starting with - and links like [text](https://example.org).",
    )
    q = StringField(
        "Find outcomes to claim",
        description="Words or a code, for example 'linac quality' or P-RP-S2-TA01. "
        "Searches every curriculum you are enrolled on.",
        validators=[Length(max=200)],
    )
    claims = SelectMultipleField(
        "Outcomes this evidence shows", choices=[], validate_choice=False
    )
    files = MultipleFileField(
        "Add files",
        description="PDF, Word (.docx), PNG or JPEG, up to "
        f"{attachments.MAX_FILES_PER_SAVE} at a time. On a phone you can take a "
        "photo. They are saved with the draft.",
    )
    # The view's file checks: each refused file, named, with the reason.
    file_errors: tuple[str, ...] = ()

    def validate_files(self, field) -> None:
        if self.file_errors:
            raise ValidationError(self.file_errors[0])

    def claim_refs(self) -> list[ClaimRef]:
        """The ticked outcomes, each once, in the order they were chosen."""
        refs, seen = [], set()
        for value in self.claims.data or []:
            slug, _, code = value.partition(":")
            if slug and code and value not in seen:
                seen.add(value)
                refs.append(ClaimRef(slug, code))
        return refs

    def to_input(self, kind: str | None = None) -> EvidenceInput:
        """What was typed, for the evidence services."""
        return EvidenceInput(
            title=self.title.data or "",
            kind=kind,
            occurred_on=self.occurred_on.data,
            body=self.body.data or "",
            form=self.answers.data,
            claims=self.claim_refs(),
        )


@cache
def _answers_form(kind: str) -> type[Form]:
    """The structured questions of one kind, as a subform named ``answers``."""
    attrs = {}
    for spec in kinds.text_fields(kind):
        field_class = TextAreaField if spec.long else StringField
        attrs[spec.name] = field_class(spec.label, description=spec.hint)
    if kind == "otj":
        attrs["hours"] = StringField(
            "Hours spent",
            description="For example, 3.5 (at most "
            f"{kinds.MAX_OTJ_HOURS_PER_ITEM} hours in one record)",
        )
    if kind == "msf":
        attrs["raters"] = StringField(
            "Number of raters", description="How many colleagues gave feedback"
        )
    return type(f"{kind.title()}Answers", (Form,), attrs)


@cache
def _evidence_form_class(kind: str) -> type[EvidenceForm]:
    return type(
        f"{kind.title()}EvidenceForm",
        (EvidenceForm,),
        {"answers": FormField(_answers_form(kind), label="Questions")},
    )


def evidence_form(kind: str, **kwargs) -> EvidenceForm:
    """The evidence form for ``kind`` (a key of ``kinds.KIND_LABELS``)."""
    return _evidence_form_class(kind)(**kwargs)


def initial_data(evidence) -> dict:
    """An evidence item as the edit form's starting values."""
    return {
        "title": evidence.title,
        "occurred_on": evidence.occurred_on,
        "body": evidence.body,
        "answers": kinds.context_answers(evidence.form),
        "claims": [
            f"{c.outcome.curriculum.slug}:{c.outcome.code}" for c in evidence.claims
        ],
    }


class FilterForm(Form):
    status = SelectField(
        "Status", choices=choices(STATUS_LABELS, "Any status"), validate_choice=False
    )
    kind = SelectField(
        "Kind", choices=choices(kinds.KIND_LABELS, "Any kind"), validate_choice=False
    )
    curriculum = SelectField("Curriculum", validate_choice=False)


class UploadForm(FlaskForm):
    file = FileField("Add a file")
