"""Request bodies checked against the schemas the OpenAPI document publishes.

An endpoint calls :func:`valid_body` instead of parsing its JSON by hand: the
body's schema is the ``requestBody`` of the operation documented for the route
(:mod:`portfolio.api.openapi`), checked with JSON Schema 2020-12
(https://json-schema.org/draft/2020-12), so the API accepts exactly what its
document says. Every problem comes back at once as a 422 problem document with
``errors: [{field, message}]`` in plain words; ``field`` names the place, e.g.
``claims[0].code``. A field sent as null is taken as not sent.
"""

from datetime import date

from flask import request
from jsonschema import Draft202012Validator
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError

from portfolio.api.base import json_body
from portfolio.api.openapi import operation
from portfolio.rules import FieldErrors

_VALIDATORS: dict[tuple[str, str], Draft202012Validator] = {}
WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


def _validator() -> Draft202012Validator:
    rule = request.url_rule
    assert rule is not None  # called from a view
    key = (rule.rule, request.method)
    if key not in _VALIDATORS:
        documented = operation(rule.rule, request.method)
        if documented is None or "requestBody" not in documented:
            raise LookupError(f"{request.method} {rule.rule} documents no body")
        content = documented["requestBody"]["content"]["application/json"]
        _VALIDATORS[key] = Draft202012Validator(
            content["schema"], format_checker=FormatChecker()
        )
    return _VALIDATORS[key]


def valid_body() -> dict:
    """The request's JSON object, valid against its operation's body schema."""
    data = {k: v for k, v in json_body().items() if v is not None}
    validator = _validator()
    errors = FieldErrors()
    seen: set[tuple[str, str]] = set()
    found = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    for error in found:
        for field, message in messages(error, validator):
            if (field, message) not in seen:
                seen.add((field, message))
                errors.add(field, message)
    errors.raise_if_any()
    return data


def as_date(value: str | None) -> date | None:
    """A date the schema has checked (format: date), or None if not sent."""
    return date.fromisoformat(value) if value is not None else None


def field_name(path) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else part
    return name


def _listed(types) -> list[str]:
    return [types] if isinstance(types, str) else list(types)


def _words(types) -> str:
    return " or ".join(WORDS.get(t, t) for t in _listed(types) if t != "null")


def messages(error: ValidationError, validator) -> list[tuple[str, str]]:
    """What one schema error says, as (field, message) pairs in plain words."""
    where = list(error.absolute_path)
    name = field_name(where)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [f for f in value if f not in instance]
        return [
            (field_name([*where, f]), f"{field_name([*where, f])} is required")
            for f in missing
        ]
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        return [
            (field_name([*where, k]), f"Unknown field {k!r}")
            for k in instance
            if k not in known
        ]
    if kind == "type":
        return [(name, f"{name} must be {_words(value)}")]
    if kind == "maxLength":
        return [(name, f"{name} must be {value:,} characters or fewer")]
    if kind == "minLength":
        return [
            (
                name,
                f"{name} must not be empty"
                if value == 1
                else f"{name} must be at least {value:,} characters",
            )
        ]
    if kind == "format" and value == "date":
        return [(name, "Use a date like 2026-09-01")]
    if kind == "enum":
        options = [str(v) for v in value]
        listed = (
            ", ".join(options[:-1]) + " or " + options[-1]
            if len(options) > 1
            else options[0]
        )
        return [(name, f"{name} must be {listed}")]
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return [(name, f"{name} must be {bound} {value}")]
    if kind == "maxItems":
        return [(name, f"{name} must have {value:,} items or fewer")]
    if kind in ("oneOf", "anyOf"):
        # The branch of the instance's own type says what is wrong inside it;
        # an instance of no branch's type is told the types it may be.
        for index, branch in enumerate(value):
            types = branch.get("type", [])
            if any(validator.is_type(instance, t) for t in _listed(types)):
                inner = [e for e in error.context or () if e.schema_path[0] == index]
                return [pair for e in inner for pair in messages(e, validator)]
        types = [t for branch in value for t in _listed(branch.get("type", []))]
        return [(name, f"{name} must be {_words(types)}")]
    return [(name, f"{name}: {error.message}")]
