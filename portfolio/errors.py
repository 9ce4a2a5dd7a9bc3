"""Error pages for people and RFC 9457 problem details for the API."""

from collections.abc import Callable

from flask import Flask
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError

from portfolio.extensions import db

PAGES = {
    403: (
        "You cannot do this",
        "Your account does not have permission for this page or action.",
    ),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    413: ("File too large", None),
    429: ("Too many attempts", "Wait a minute before you try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
}


def wants_problem_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def problem(status: int, detail: str, title: str | None = None, **extra):
    """Return an ``application/problem+json`` response."""
    from flask import jsonify

    body = {"type": "about:blank", "title": title or _title(status), "status": status}
    body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def too_large_detail() -> str:
    from flask import current_app

    limit = current_app.config["MAX_UPLOAD_MB"]
    return f"The file is larger than the {limit} MB limit. Upload a smaller file."


# Upload forms that show themselves again when the body is over MAX_UPLOAD_MB:
# endpoint -> a function of (message, **view_args) returning the page. It must not
# read the request body (that is what was too large).
TOO_LARGE_FORMS: dict[str, Callable[..., object]] = {}


def too_large_form(endpoint: str):
    """Register the page that ``endpoint``'s form goes back to on a 413."""

    def register(show: Callable[..., object]) -> Callable[..., object]:
        TOO_LARGE_FORMS[endpoint] = show
        return show

    return register


def _too_large_form(detail: str):
    """The upload form again with ``detail`` on its file field, or None.

    Error handlers run without the view's decorators, so only a signed-in person
    gets the form, and any refusal while building it falls back to the plain page.
    """
    from flask_login import current_user

    from portfolio.rules import RuleError

    show = TOO_LARGE_FORMS.get(request.endpoint or "")
    if show is None or not current_user.is_authenticated:
        return None
    try:
        return show(detail, **(request.view_args or {}))
    except (RuleError, HTTPException):
        db.session.rollback()
        return None


def _no_routing() -> bool:
    """True when the request never got a URL adapter (an untrusted Host header)."""
    from flask.globals import request_ctx

    return request_ctx.url_adapter is None


def handle_http_error(error: HTTPException):
    status = error.code or 500
    if _no_routing():
        # Nothing can be built for a host we do not serve: a plain answer, no links.
        from flask import Response

        return Response(
            "This address is not served here.\n", status, mimetype="text/plain"
        )
    if status == 429 and getattr(error, "response", None) is not None:
        return error.response  # a rate limit's own page (the sign-in form says why)
    if status == 413:
        detail = too_large_detail()
    else:
        detail = error.description or ""
    if wants_problem_json():
        return problem(status, detail)
    if status == 413:
        page = _too_large_form(detail)
        if page is not None:
            return page, 413
    title, text = PAGES.get(status, (error.name, detail))
    response = render_template(
        "errors/error.jinja", title=title, text=text or detail, status=status
    )
    return response, status


def handle_unexpected(error: Exception):
    db.session.rollback()
    from flask import current_app

    current_app.logger.exception("unhandled error", exc_info=error)
    if wants_problem_json():
        return problem(500, "Something went wrong on our side. Try again later.")
    title, text = PAGES[500]
    return render_template(
        "errors/error.jinja", title=title, text=text, status=500
    ), 500


def handle_rule_error(error):
    """A rule a view did not handle itself: show its message with its status."""
    db.session.rollback()
    if wants_problem_json():
        extra = {"errors": error.errors} if error.errors else {}
        return problem(error.status, error.message, **extra)
    title, _ = PAGES.get(error.status, ("There is a problem", None))
    page = render_template(
        "errors/error.jinja", title=title, text=error.message, status=error.status
    )
    return page, error.status


def init_app(app: Flask) -> None:
    from portfolio.rules import RuleError

    app.register_error_handler(RuleError, handle_rule_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
