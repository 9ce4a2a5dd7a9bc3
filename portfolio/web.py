"""Template helpers: WTForms fields to NHS.UK macro params; role-aware navigation."""

from functools import wraps

import sqlalchemy as sa
from flask import Flask
from flask import g
from flask import request
from flask import url_for
from flask_login import current_user
from jinja2 import Undefined
from werkzeug.routing import BuildError

from portfolio import policy
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
    merged = deep_merge(base, params or {})
    if "idPrefix" in merged:
        # Radios and checkboxes: each input takes an id from idPrefix, so the group
        # must not also carry the field's id (its labels would point at the group).
        merged.pop("id", None)
    return merged


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


def _signed_in(user) -> bool:
    return user.is_authenticated


NAVIGATION = (
    # (endpoint, text, who sees it: a predicate from portfolio.policy)
    ("main.home", "Home", _signed_in),
    ("progress.dashboard", "Progress", policy.can_record_evidence),
    ("evidence.index", "Evidence", policy.can_record_evidence),
    ("progress.trainees", "My trainees", policy.can_sign_off),
    ("signoff.queue", "Sign-off queue", policy.can_sign_off),
    ("msf.index", "Feedback", policy.can_use_msf),
    ("progress.cohort", "Cohort", policy.can_manage_enrolments),
    ("training.index", "Enrolments", policy.can_manage_enrolments),
    ("exports.index", "Exports", policy.can_use_exports),
    ("registration.index", "Registration", policy.can_apply_for_registration),
    ("curriculum.index", "Curricula", _signed_in),
    ("organisations.index", "Organisations", policy.can_see_organisations),
    ("capacity.index", "Capacity", policy.can_see_capacity_totals),
    ("people.index", "People", policy.can_list_people),
)


def navigation_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, text, may_see in NAVIGATION:
        if not may_see(current_user):
            continue
        try:
            href = url_for(endpoint)
        except BuildError:
            continue  # the feature is not installed in this app
        items.append({"href": href, "text": text, "current": request.path == href})
    return items


# The header counts unread notifications up to this many ("99+ unread" beyond), so
# drawing it costs the same for someone with ten thousand unread as with one.
UNREAD_CAP = 100


def unread_subquery(user_id) -> sa.ScalarSelect:
    """A scalar subquery: the unread notifications of ``user_id``, at most UNREAD_CAP."""
    from portfolio.notifications.models import Notification

    capped = (
        sa.select(Notification.id)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .limit(UNREAD_CAP)
        .correlate_except(Notification)
        .subquery()
    )
    return sa.select(sa.func.count()).select_from(capped).scalar_subquery()


def remember_unread(user, count: int) -> None:
    """Keep the count read with the user for this request's header."""
    if user is not None:
        g.header_unread = (user.id, int(count or 0))


def unread_label() -> str:
    """The header's notifications link text, from the count read with the user."""
    if not current_user.is_authenticated:
        return "Notifications"
    kept = g.get("header_unread")
    if kept is None or kept[0] != current_user.id:
        from portfolio.extensions import db

        count = db.session.scalar(sa.select(unread_subquery(current_user.id))) or 0
        remember_unread(current_user, count)
        kept = g.header_unread
    count = kept[1]
    if not count:
        return "Notifications"
    shown = f"{UNREAD_CAP - 1}+" if count >= UNREAD_CAP else str(count)
    return f"Notifications ({shown} unread)"


def no_store(view):
    """Responses of ``view`` carry ``Cache-Control: no-store``, signed in or not.

    For public pages that show private content (share links): no browser or
    proxy may keep a copy after the link expires. The header is set by
    ``register_security_headers`` in ``portfolio/__init__.py``.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.no_store = True
        return view(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        deep_merge=deep_merge,
        field_params=field_params,
        select_items=select_items,
        choice_items=choice_items,
        form_error_list=form_error_list,
        navigation_items=navigation_items,
        unread_label=unread_label,
        external_url=external_url,
    )
