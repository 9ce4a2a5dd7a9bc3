"""The API blueprint and what every endpoint shares: bearer-token auth, problem
details, JSON bodies, pagination. Endpoint modules import from here; only the
package's ``__init__`` imports them (to register their routes)."""

import sqlalchemy as sa
from flask import Blueprint
from flask import g
from flask import request
from werkzeug.exceptions import HTTPException

from portfolio.accounts import services as accounts
from portfolio.errors import problem
from portfolio.extensions import csrf
from portfolio.extensions import db
from portfolio.extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: no ambient credential to forge
PUBLIC_ENDPOINTS = {"api.openapi"}


class ApiProblem(Exception):
    """Raised by API code to answer with a problem document."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem):
    extra = {"errors": error.errors} if error.errors is not None else {}
    return problem(error.status, error.detail, None, **extra)


@bp.errorhandler(HTTPException)
def _http_problem(error: HTTPException):
    detail = error.description or error.name
    if error.code == 413:
        from portfolio.errors import too_large_detail

        detail = too_large_detail()
    return problem(error.code or 500, detail)


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not secret.strip():
            raise accounts.TokenRefused(accounts.TOKEN_NOT_VALID)
        token = accounts.token_for_secret(secret.strip())
    except accounts.TokenRefused as refused:
        # RFC 6750 section 3: the challenge, with invalid_token when one was sent.
        challenge = 'Bearer realm="mpce-portfolio"'
        if scheme.lower() == "bearer" and secret.strip():
            challenge += ', error="invalid_token"'
        response = problem(401, str(refused))
        response.headers["WWW-Authenticate"] = challenge
        return response
    g.user = token.user
    accounts.record_token_use(token)
    return None


def json_body() -> dict:
    """Return the request's JSON object or raise a 400 problem."""
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(
            400,
            "The request body must be valid JSON with Content-Type application/json.",
        )
    if not isinstance(data, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    return data


def form_errors(form) -> list[dict]:
    """Turn WTForms errors into the API's ``errors`` list."""
    out = []
    for field, messages in form.errors.items():
        if isinstance(messages, dict):
            messages = [m for sub in messages.values() for m in sub]
        for message in messages:
            out.append({"field": field, "message": str(message)})
    return out


def page_args() -> tuple[int, int]:
    """The request's ``page`` and ``per_page``, as every list reads them: page 1 of
    50 unless asked, at most ``API_MAX_PER_PAGE`` a page."""
    from flask import current_app

    maximum = current_app.config["API_MAX_PER_PAGE"]
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError as error:
        raise ApiProblem(400, "page and per_page must be whole numbers.") from error
    if page < 1 or not 1 <= per_page <= maximum:
        raise ApiProblem(400, f"page must be 1 or more and per_page 1 to {maximum}.")
    return page, per_page


def paginate(query: sa.Select, serialise) -> dict:
    """Run ``query`` for the requested page and return the list envelope."""
    page, per_page = page_args()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return {
        "items": [serialise(item) for item in items],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


limiter.limit("600 per minute")(bp)


def located(body: dict, status: int, endpoint: str, **values):
    """A JSON response that names where the new or queued thing lives (201/202)."""
    from flask import jsonify
    from flask import url_for

    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = url_for(endpoint, **values)
    return response
