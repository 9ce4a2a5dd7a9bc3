"""Template helpers: WTForms fields to NHS.UK macro params; role-aware navigation."""

from flask import Flask
from flask import request
from flask import url_for
from flask_login import current_user
from jinja2 import Undefined
from werkzeug.routing import BuildError

from portfolio.urls import external_url


def deep_merge(base: dict, extra: dict) -> dict:
    """Return ``base`` with ``extra`` merged in, recursing into nested dicts."""
    merged = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return {k: v for k, v in merged.items() if not isinstance(v, Undefined)}


def field_params(field, params: dict | None = None) -> dict:
    """Map a WTForms field onto the params of an NHS.UK form macro."""
    base = {
        "id": field.id,
        "name": field.name,
        "label": {"text": field.label.text},
    }
    if field.description:
        base["hint"] = {"text": field.description}
    if field.errors:
        base["errorMessage"] = {"text": _first_error(field.errors)}
    return deep_merge(base, params or {})


def _first_error(errors) -> str:
    if isinstance(errors, dict):
        for value in errors.values():
            return _first_error(value)
    if isinstance(errors, list | tuple) and errors:
        return _first_error(errors[0])
    return str(errors)


def select_items(field) -> list[dict]:
    return [
        {"value": value, "text": label, "selected": selected}
        for value, label, selected, *_ in field.iter_choices()
    ]


def choice_items(field) -> list[dict]:
    items = []
    for value, label, selected, *_ in field.iter_choices():
        items.append({"value": value, "text": label, "checked": selected})
    return items


def form_error_list(form) -> list[dict]:
    """Flatten a form's errors into the error summary's list, linking to each field."""
    items = []
    for name, errors in form.errors.items():
        field = form[name] if name in form else None
        target = field.id if field is not None else name
        items.append({"text": _first_error(errors), "href": f"#{target}"})
    return items


NAVIGATION = (
    # (endpoint, text, roles that see it; None means everyone signed in)
    ("main.home", "Home", None),
    ("progress.dashboard", "Progress", ("trainee",)),
    ("evidence.index", "Evidence", ("trainee",)),
    ("signoff.queue", "Sign-off queue", ("supervisor",)),
    ("progress.cohort", "Cohort", ("training_lead", "admin")),
    ("training.index", "Enrolments", ("training_lead", "admin")),
    ("exports.index", "Exports", ("trainee", "training_lead", "admin")),
    ("curriculum.index", "Curricula", None),
    ("organisations.index", "Organisations", ("admin", "training_lead")),
    ("capacity.index", "Capacity", ("training_lead", "admin")),
    ("admin.users", "Users", ("admin",)),
)


def navigation_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, text, roles in NAVIGATION:
        if roles and not any(current_user.has_role(r) for r in roles):
            continue
        try:
            href = url_for(endpoint)
        except BuildError:
            continue  # the feature is not installed in this app
        items.append({"href": href, "text": text, "current": request.path == href})
    return items


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        deep_merge=deep_merge,
        field_params=field_params,
        select_items=select_items,
        choice_items=choice_items,
        form_error_list=form_error_list,
        navigation_items=navigation_items,
        external_url=external_url,
    )
