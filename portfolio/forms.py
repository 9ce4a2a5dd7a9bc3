"""What every feature's forms share: the NHS.UK date input, choices, and putting a
rule's ``[{field, message}]`` errors back onto the fields.

Forms only parse what people type; the rules live in the services. A view runs a
service with :func:`attempt`, which on :class:`~portfolio.rules.Invalid` rolls the
transaction back and puts each error on its field; anything else a rule raises
goes to the app's one error handler (``portfolio.errors``). :func:`submit` validates
the form first and, when the form itself refuses a field, still runs the service
check-only, so every error is shown on the first submit.
"""

import re
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from wtforms import Field
from wtforms import FormField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from portfolio.extensions import db
from portfolio.rules import Invalid
from portfolio.rules import RuleError

INDEX = re.compile(r"\[\d+\]$")


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


def apply_errors(
    form, errors: list[dict], aliases: dict | None = None, keep: bool = False
) -> list[dict]:
    """Put a rule's ``[{field, message}]`` onto ``form``; return those with no field.

    ``aliases`` renames service field names (whole, or by their first part) to the
    form's: ``{"supervisors[0].person": "supervisor", "form": "answers"}``. With
    ``keep``, a field the form itself already refused keeps only its own message
    (it says what was wrong with what was typed; the rule saw no value).
    """
    aliases = aliases or {}
    refused = {id(f) for f in _fields(form) if f.errors} if keep else set()
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
        elif id(field) in refused:
            continue
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


def _fields(form):
    """Every field of ``form``, walking into subforms."""
    for field in form:
        if isinstance(field, FormField):
            yield from _fields(field.form)
        else:
            yield field


def _collect(field, items: list[dict]) -> None:
    if isinstance(field, FormField):
        for sub in field.form:
            _collect(sub, items)
    elif field.errors:
        items.append({"text": field.errors[0], "href": f"#{field.id}"})


def attempt(form, action: Callable[[], object], aliases: dict | None = None):
    """Run ``action`` (a service call) for ``form``.

    Returns None when it succeeded. When the service refused the input
    (:class:`Invalid`), the transaction is rolled back, each error is put on its
    field, and the errors no field could take are returned (a list, maybe empty),
    so the view shows the form again with status 422.
    """
    try:
        action()
    except Invalid as error:
        db.session.rollback()
        return apply_errors(form, error.errors, aliases)
    return None


class _CheckOnly(Exception):
    """Raised by the session's commit during a check-only run."""


def submit(form, action: Callable[[], object], aliases: dict | None = None):
    """Validate ``form`` and run ``action`` (a service call), reporting every error
    at once.

    Returns None when both succeeded. When the form refuses something (a date that
    is not real, say), the service still runs, check-only: its commit is refused
    and everything it did is rolled back, so its rules (a missing title, say) are
    reported on the same page instead of on the next submit. Otherwise as
    :func:`attempt`: the errors no field could take are returned, and any other
    rule error goes to the app's one handler once the form itself is valid.
    """
    if form.validate():
        return attempt(form, action, aliases)
    session = db.session()

    def refuse(_session) -> None:
        raise _CheckOnly

    sa.event.listen(session, "before_commit", refuse)
    try:
        action()
    except _CheckOnly:
        # Every rule passed and the service tried to commit: nothing is kept (the
        # form itself refused a field), so fall through to the rollback below.
        db.session.rollback()
        return []
    except Invalid as error:
        db.session.rollback()
        return apply_errors(form, error.errors, aliases, keep=True)
    except RuleError:
        # Refused as a whole, perhaps for what the form already refused (a choice
        # not offered): the form's own errors say what to fix first.
        db.session.rollback()
        return []
    finally:
        sa.event.remove(session, "before_commit", refuse)
    db.session.rollback()
    return []
