"""Single sign-on pages: start, the provider's callback, and an organisation's
sign-in rule (the flow itself is in ``accounts.oidc``)."""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user

from portfolio import policy
from portfolio.accounts import oidc
from portfolio.accounts import sessions
from portfolio.accounts.sso_forms import OrganisationSignInForm
from portfolio.extensions import db
from portfolio.extensions import limiter
from portfolio.forms import submit
from portfolio.organisations.models import Organisation
from portfolio.urls import external_url

bp = Blueprint("sso", __name__)
# {state: Pending.as_dict()} of sign-ins under way in this browser (a few at most:
# one per tab). Each is taken out when its answer comes back, so it works once.
PENDING = "sso_pending"
MOST_PENDING = 5


@bp.app_template_global("sso_providers")
def sso_providers() -> list[oidc.Provider]:
    return oidc.providers()


def _provider_or_404(key: str) -> oidc.Provider:
    found = oidc.provider(key)
    if found is None:
        abort(404)
    return found


def _redirect_uri(p: oidc.Provider) -> str:
    return external_url("sso.callback", key=p.key)


def _failed(p: oidc.Provider, error: oidc.SsoError):
    return render_template(
        "accounts/sso_failed.jinja",
        title="You could not be signed in",
        provider=p,
        message=error.message,
    ), error.status


@bp.get("/auth/sso/jwks.json")
def jwks():
    """The public keys this installation signs its token requests with
    (private_key_jwt), for providers that fetch them from a registered jwks_uri."""
    response = jsonify(oidc.public_keys())
    response.cache_control.max_age = 3600
    return response


def _failed_limit() -> str:
    """Failed single sign-ins count like failed password sign-ins (per address)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed_response(response) -> bool:
    return response.status_code != 302


@bp.get("/auth/sso/<key>")
@limiter.limit(_failed_limit, deduct_when=_failed_response)
def start(key: str):
    p = _provider_or_404(key)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    next_url = sessions.safe_next(request.args.get("next"))
    try:
        url, pending = oidc.begin(p, _redirect_uri(p), next_url)
    except oidc.SsoError as error:
        return _failed(p, error)
    held = dict(session.get(PENDING) or {})
    held[pending.state] = pending.as_dict()
    # Keep the newest few: an abandoned tab's sign-in is dropped, not kept forever.
    newest = sorted(held.items(), key=lambda item: item[1].get("started", 0))
    session[PENDING] = dict(newest[-MOST_PENDING:])
    return redirect(url)


@bp.get("/auth/sso/<key>/callback")
@limiter.limit(_failed_limit, deduct_when=_failed_response)
def callback(key: str):
    p = _provider_or_404(key)
    held = dict(session.get(PENDING) or {})
    state = request.args.get("state") or ""
    pending = held.pop(state, None)
    session[PENDING] = held  # taken out whatever happens next: one use only
    try:
        checked = oidc.check_pending(p, pending)
        claims, id_token = oidc.finish(p, checked, request.args, _redirect_uri(p))
        user = oidc.sign_in(p, claims)
    except oidc.SsoError as error:
        db.session.rollback()
        return _failed(p, error)
    sessions.start(user, {"provider": p.key, "id_token": id_token})
    return redirect(sessions.safe_next(checked.next))


# ---- an organisation's sign-in rule ------------------------------------------------


def _organisation_or_404(code: str) -> Organisation:
    found = db.session.scalar(db.select(Organisation).where(Organisation.code == code))
    if found is None:
        abort(404)
    return found


@bp.route("/organisations/<code>/sign-in", methods=("GET", "POST"))
@policy.requires(policy.can_manage_organisations)
def organisation_sign_in(code: str):
    organisation = _organisation_or_404(code)
    form = OrganisationSignInForm(
        data={"sign_in": "sso" if organisation.sso_required else "password"}
        if request.method == "GET"
        else None
    )
    if request.method == "POST":
        unplaced = submit(
            form,
            lambda: oidc.set_sso_required(
                current_user, organisation.code, form.sign_in.data == "sso"
            ),
        )
        if unplaced is None:
            flash(
                f"{organisation.name}: people now sign in "
                + (
                    "with single sign-on only."
                    if organisation.sso_required
                    else "with a password or single sign-on."
                ),
                "success",
            )
            return redirect(url_for("organisations.index"))
    return render_template(
        "accounts/sso_organisation.jinja",
        title=f"How people at {organisation.name} sign in",
        organisation=organisation,
        form=form,
        providers=oidc.providers(),
    ), 422 if form.errors else 200
