"""The one place request input is cleaned before any view sees it.

:func:`check_request` runs before every view (``create_app`` hooks it in) and
reads every place a request carries text: URL path parameters, the query string,
form fields and file names, and JSON bodies. It refuses with 400 what no field of
the app can hold or parse safely:

- a NUL character (U+0000): PostgreSQL text cannot store it
  (https://www.postgresql.org/docs/current/datatype-character.html);
- a lone surrogate (U+D800 to U+DFFF, which JSON's ``\\ud800`` escapes produce):
  not a character, so it cannot be encoded as UTF-8 for the database or a page
  (https://www.rfc-editor.org/rfc/rfc8259#section-8.2);
- JSON nested deeper than ``MAX_JSON_DEPTH`` (Python's parser would recurse until
  it fails), and ``NaN`` or ``Infinity``, which are not JSON;
- ``page`` and ``per_page`` that are not whole numbers from 1 to ``MAX_PAGE``
  (a page number too big for the database's integers fails the query).

The refusal is a :class:`BadInput` rule error, so the API answers with an RFC 9457
problem document naming each field, and web pages with an error page saying what
to remove. Types and lengths are the job of each form and API parser.
"""

import math

from flask import request

from portfolio.rules import FieldErrors
from portfolio.rules import RuleError

MAX_JSON_DEPTH = 32
MAX_PAGE = 1_000_000
PAGING_PARAMETERS = ("page", "per_page")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInput(RuleError):
    """The request carries input no field can accept; refused before the view."""

    status = 400


def check_request() -> None:
    """Refuse the request with :class:`BadInput` if any of its input is unusable."""
    errors = FieldErrors()
    for name, value in (request.view_args or {}).items():
        _check_text(name, value, errors)
    _check_pairs(request.args, errors)
    _check_paging(errors)
    if request.mimetype in FORM_TYPES:
        _check_pairs(request.form, errors)
        for name, upload in request.files.items(multi=True):
            _check_text(name, name, errors)
            _check_text(name, upload.filename or "", errors)
    elif request.is_json:
        _check_json(errors)
    if errors.errors:
        raise BadInput(_summary(errors.errors), errors.errors)


def unusable_character(text: str) -> str | None:
    """A description of the first character in ``text`` that cannot be stored."""
    for char in text:
        if char == "\x00":
            return "a NUL character (U+0000)"
        if "\ud800" <= char <= "\udfff":
            return f"an unpaired surrogate (U+{ord(char):04X})"
    return None


def printable(text: str) -> str:
    """``text`` with unusable characters replaced, safe to put in a message."""
    return "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char
        for char in text[:100]
    )


def _check_text(field: str, value, errors: FieldErrors) -> None:
    if not isinstance(value, str):
        return
    problem = unusable_character(value)
    if problem:
        name = printable(field)
        label = name or "The request body"
        errors.add(name, f"{label} contains {problem}, which cannot be accepted")


def _check_pairs(pairs, errors: FieldErrors) -> None:
    for key, value in pairs.items(multi=True):
        _check_text(key, key, errors)
        _check_text(key, value, errors)


def _check_paging(errors: FieldErrors) -> None:
    for name in PAGING_PARAMETERS:
        for value in request.args.getlist(name):
            digits = value.strip()
            if not digits:
                continue  # an empty box in a form: the first page
            if not (
                digits.isascii()
                and digits.isdigit()
                and len(digits) <= len(str(MAX_PAGE))
                and 1 <= int(digits) <= MAX_PAGE
            ):
                errors.add(
                    name, f"{name} must be a whole number from 1 to {MAX_PAGE:,}"
                )


def _check_json(errors: FieldErrors) -> None:
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        errors.add("", f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        return
    # Iterative, so no depth of nesting can exhaust the stack here.
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            errors.add(
                path, f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep"
            )
            return
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else key
                _check_text(child, key, errors)
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}[{index}]", depth + 1)
                for index, item in enumerate(value)
            )
        elif isinstance(value, str):
            _check_text(path, value, errors)
        elif isinstance(value, float) and not math.isfinite(value):
            name = printable(path)
            errors.add(
                name,
                f"{name or 'The request body'} must be a finite number "
                "(NaN and Infinity are not JSON)",
            )


def _summary(errors: list[dict]) -> str:
    if len(errors) == 1:
        return errors[0]["message"] + "."
    names = ", ".join(e["field"] or "the request body" for e in errors[:5])
    return f"Some of what you sent cannot be accepted ({names}); see errors."
