"""The second factor's pages: the code after the password, setting it up, and
recovery codes. The rules are in :mod:`portfolio.accounts.totp`."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio.accounts import totp
from portfolio.accounts.forms import SecondFactorForm
from portfolio.accounts.forms import SecondFactorSetupForm
from portfolio.accounts.signin import PASSED
from portfolio.accounts.signin import PENDING
from portfolio.accounts.signin import SSO
from portfolio.accounts.signin import begin_second_factor
from portfolio.accounts.signin import pending_user
from portfolio.accounts.signin import start_session
from portfolio.extensions import limiter
from portfolio.forms import attempt
from portfolio.forms import error_items

bp = Blueprint("two_factor", __name__, url_prefix="/auth/two-factor")
SETUP_SECRET = "totp_setup"
# Pages the gate never holds; and those open to someone setting a factor up.
ALWAYS_OPEN = {
    "two_factor.verify",
    "accounts.logout",
    "accounts.login",
    "static",
    "main.healthz",
    "main.favicon",
}
SETUP_OPEN = {"two_factor.setup", "two_factor.codes"}


def _code_limit() -> str:
    return current_app.config["TOTP_RATE_LIMIT"]


def _pending_key() -> str:
    held = session.get(PENDING)
    return "totp:" + str(held.get("u") if isinstance(held, dict) else "none")


def _failed(response) -> bool:
    return response.status_code != 302


def _too_many(_limit):
    form = SecondFactorForm()
    form.code.errors = [
        "There have been too many wrong codes. Wait a few minutes and try again, "
        "or ask an admin to reset your second factor if you have lost your device."
    ]
    page = render_template(
        "accounts/two_factor.jinja",
        title="Enter your security code",
        form=form,
        errors=error_items(form),
        days=totp.remember_days(),
    )
    return make_response(page, 429)


@bp.route("", methods=("GET", "POST"))
@limiter.limit(_code_limit, methods=["POST"], deduct_when=_failed, on_breach=_too_many)
@limiter.limit(
    _code_limit,
    methods=["POST"],
    key_func=_pending_key,
    scope="totp-account",
    deduct_when=_failed,
    on_breach=_too_many,
)
def verify():
    """The second step of a password sign-in."""
    user, next_url = pending_user()
    if user is None:
        flash("Sign in again to continue.", "info")
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        checked = totp.verify(user, form.code.data)
        if checked.ok:
            start_session(user)
            session[PASSED] = True
            if checked.recovery_used:
                flash(
                    f"You used a recovery code: {checked.recovery_left} left. Make new "
                    "ones on your account page.",
                    "info",
                )
            response = redirect(next_url or url_for("main.home"))
            if form.remember.data and totp.remember_days() > 0:
                response.set_cookie(
                    totp.REMEMBER_COOKIE,
                    totp.remember_value(user),
                    max_age=totp.remember_days() * 86400,
                    secure=current_app.config["SESSION_COOKIE_SECURE"],
                    httponly=True,
                    samesite="Lax",
                )
            return response
        form.code.errors.append(totp.BAD_CODE)
    return render_template(
        "accounts/two_factor.jinja",
        title="Enter your security code",
        form=form,
        errors=error_items(form),
        days=totp.remember_days(),
    ), 401 if form.errors else 200


@bp.route("/setup", methods=("GET", "POST"))
@login_required
def setup():
    """Add the account to an authenticator app and prove it with a code."""
    user = current_user._get_current_object()
    if totp.enabled(user):
        flash("A second factor is already set up for your account.", "info")
        return redirect(url_for("accounts.account"))
    secret = session.get(SETUP_SECRET)
    if not isinstance(secret, str) or not secret:
        secret = session[SETUP_SECRET] = totp.new_secret()
    form = SecondFactorSetupForm()
    if form.validate_on_submit():
        codes: list[str] = []
        failed = attempt(
            form, lambda: codes.extend(totp.enable(user, secret, form.code.data))
        )
        if failed is None:
            session.pop(SETUP_SECRET, None)
            session[PASSED] = True
            return render_template(
                "accounts/recovery_codes.jinja",
                title="Your recovery codes",
                codes=codes,
            )
    uri = totp.provisioning_uri(user, secret)
    return render_template(
        "accounts/two_factor_setup.jinja",
        title="Set up a second factor",
        form=form,
        errors=error_items(form),
        secret=secret,
        qr=totp.qr_svg(uri),
        required=totp.required_for(user),
    ), 422 if form.errors else 200


@bp.post("/recovery-codes")
@login_required
def codes():
    """New recovery codes (the old ones stop working)."""
    new = totp.new_recovery_codes(current_user._get_current_object())
    return render_template(
        "accounts/recovery_codes.jinja", title="Your recovery codes", codes=new
    )


@bp.before_app_request
def second_factor_gate():
    """Every request of a password session passes here first.

    An account with a second factor is signed out again and asked for its code
    (unless this device is remembered); someone whose role needs one and has none
    sets it up before anything else. Single sign-on sessions and the API pass.
    """
    if (
        request.blueprint == "api"
        or request.endpoint in ALWAYS_OPEN
        or not current_user.is_authenticated
        or session.get(SSO)
        or session.get(PASSED)
    ):
        return None
    user = current_user._get_current_object()
    if totp.enabled(user):
        if totp.remembered(user, request.cookies.get(totp.REMEMBER_COOKIE)):
            session[PASSED] = True
            return None
        back = request.full_path.rstrip("?") if request.method == "GET" else ""
        begin_second_factor(user, safe_path(back))
        return redirect(url_for("two_factor.verify"))
    if not totp.required_for(user) or request.endpoint in SETUP_OPEN:
        return None
    flash("Your role needs a second factor: set one up to continue.", "info")
    return redirect(url_for("two_factor.setup"))


def safe_path(path: str) -> str:
    return path if path.startswith("/") and not path.startswith("//") else ""
