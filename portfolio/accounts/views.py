"""Sign in and out, password reset, and the account page with API tokens."""

import time
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
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
from flask_login import login_user
from flask_login import logout_user
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import validate_csrf
from limits import parse_many
from werkzeug.security import check_password_hash

from portfolio.accounts import oidc
from portfolio.accounts import services
from portfolio.accounts.forms import ChangePasswordForm
from portfolio.accounts.forms import ForgotPasswordForm
from portfolio.accounts.forms import LoginForm
from portfolio.accounts.forms import NewPasswordForm
from portfolio.accounts.forms import token_form
from portfolio.accounts.sessions import SEEN_AT
from portfolio.accounts.sessions import SIGNED_IN_AT
from portfolio.accounts.sessions import SSO
from portfolio.accounts.sessions import safe_next
from portfolio.db import utcnow
from portfolio.extensions import csrf
from portfolio.extensions import limiter
from portfolio.urls import external_url

bp = Blueprint("accounts", __name__, url_prefix="/auth")
BAD_LOGIN = "Enter a correct email address and password"


# ---- throttling --------------------------------------------------------------------
# Failed sign-ins are limited per client address (LOGIN_RATE_LIMIT) and per account,
# from any address (LOGIN_ACCOUNT_RATE_LIMIT). So that no one can lock a person out
# by failing to sign in as them, a password reset always works (its link is not
# limited), clears the account's count, and lets the browser that made it sign in
# to that account past both limits for LOGIN_AFTER_RESET_MINUTES.

ACCOUNT_SCOPE = "login-account"
RESET_PASS = "signed_in_after_reset"  # {"email", "until"} in the signed session


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key(email: str | None = None) -> str:
    if email is None:
        email = request.form.get("email") or ""
    return "login:" + services.normalise_email(email)


def _failed(response) -> bool:
    return response.status_code != 302


def _just_reset() -> bool:
    """This browser has just reset the password of the account it signs in to."""
    held = session.get(RESET_PASS)
    return (
        isinstance(held, dict)
        and held.get("email")
        == services.normalise_email(request.form.get("email") or "")
        and time.time() < float(held.get("until") or 0)
    )


def _too_many(where: str):
    def on_breach(_limit):
        form = LoginForm()
        form.password.errors = [
            f"There have been too many failed attempts to sign in {where}. Use "
            "‘Forgotten your password?’ to reset it and sign in straight away, "
            "or try again later."
        ]
        page = render_template("accounts/login.jinja", title="Sign in", form=form)
        return make_response(page, 429)

    return on_breach


def _forget_failed_sign_ins(email: str) -> None:
    """Clear the account's count of failed sign-ins (after a successful reset)."""
    if not (limiter.enabled and limiter.initialized):
        return
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    key = [prefix] if prefix else []
    try:
        for item in parse_many(_account_limit()):
            limiter.limiter.clear(item, *key, _account_key(email), ACCOUNT_SCOPE)
    except Exception:  # the limiter's storage is down: the reset still counts
        current_app.logger.exception("could not clear the failed sign-in count")


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit(
    _login_limit,
    methods=["POST"],
    deduct_when=_failed,
    exempt_when=_just_reset,
    on_breach=_too_many("from your network"),
)
@limiter.shared_limit(
    _account_limit,
    scope=ACCOUNT_SCOPE,
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    exempt_when=_just_reset,
    on_breach=_too_many("to this account"),
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        refusal = oidc.password_refusal(user) if user is not None else None
        if user is None:
            form.password.errors.append(BAD_LOGIN)
        elif refusal:
            form.password.errors.append(refusal)
        else:
            next_url = safe_next(request.args.get("next"))
            # A fresh session on sign-in, so a planted session id is worthless.
            session.clear()
            login_user(user)
            session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
            services.record_login(user)
            return redirect(next_url)
    status = 200 if not form.errors else 401
    return render_template("accounts/login.jinja", title="Sign in", form=form), status


@bp.post("/logout")
@csrf.exempt
def logout():
    """Sign out. The header's sign-out form carries the CSRF token in its action URL."""
    try:
        validate_csrf(request.args.get("csrf_token") or request.form.get("csrf_token"))
    except Exception as error:  # ValidationError; anything else is equally a refusal
        raise CSRFError("The sign-out link has expired. Try again.") from error
    sso = session.get(SSO) or {}
    _end_sessions()
    provider_sign_out = oidc.end_session_url(
        sso.get("provider"), sso.get("id_token"), external_url("accounts.login")
    )
    if provider_sign_out:
        # Signed out here; the provider's own session is the person's to end.
        return render_template(
            "accounts/sso_signed_out.jinja",
            title="You have signed out",
            provider=oidc.provider(sso["provider"]),
            sign_out_url=provider_sign_out,
        )
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.login"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    _end_sessions()
    flash("You have signed out on every device and browser.", "success")
    return redirect(url_for("accounts.login"))


def _end_sessions() -> None:
    """Sign out server-side: a new session token kills every copy of the cookie."""
    if current_user.is_authenticated:
        services.end_all_sessions(current_user._get_current_object())
    logout_user()
    session.clear()


@bp.before_app_request
def enforce_session_limits():
    """End a signed-in session that has been idle or alive too long."""
    if (
        request.endpoint == "static"
        or request.blueprint == "api"
        or "_user_id" not in session
    ):
        return None
    now = time.time()
    reason = services.session_expired(
        session.get(SIGNED_IN_AT), session.get(SEEN_AT), now
    )
    if reason is None:
        session[SEEN_AT] = int(now)
        return None
    back_to = _return_path()
    logout_user()
    session.clear()
    flash(reason, "info")
    return redirect(url_for("accounts.login", next=back_to))


def _return_path() -> str | None:
    """Where to go after signing in again: this page, or the page a form was on."""
    if request.endpoint in ("accounts.login", "accounts.logout"):
        return None
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return None


@bp.route("/forgot-password", methods=("GET", "POST"))
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template(
            "accounts/reset_sent.jinja", title="Check your email", email=form.email.data
        )
    return render_template(
        "accounts/forgot.jinja", title="Reset your password", form=form
    )


@bp.route("/reset/<token>", methods=("GET", "POST"))
def reset_password(token: str):
    try:
        user = services.user_for_reset_token(token)
    except services.AccountError as error:
        return render_template(
            "accounts/reset_invalid.jinja",
            title="Reset link not valid",
            message=str(error),
        ), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data)
        except services.AccountError as error:
            form.password.errors.append(str(error))
        else:
            flash(
                "Your password has been changed. Sign in with your new password.",
                "success",
            )
            minutes = float(current_app.config["LOGIN_AFTER_RESET_MINUTES"])
            session[RESET_PASS] = {
                "email": user.email,
                "until": int(time.time() + minutes * 60),
            }
            _forget_failed_sign_ins(user.email)
            return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/reset.jinja", title="Choose a new password", form=form
    ), 422 if form.errors else 200


def _account_page(form=None, **forms):
    """The account page; ``form`` is the one whose errors the summary lists."""
    page = {
        "token_form": token_form(formdata=None),
        "password_form": ChangePasswordForm(formdata=None),
        **forms,
    }
    return render_template(
        "accounts/account.jinja",
        title="Your account",
        tokens=services.list_api_tokens(current_user),
        now=utcnow(),
        form=form,
        **page,
    ), 422 if form is not None else 200


@bp.route("/account", methods=("GET",))
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash or "", form.current.data):
            form.current.errors.append("Your current password is not correct")
        else:
            try:
                services.set_password(current_user, form.password.data)
            except services.AccountError as error:
                form.password.errors.append(str(error))
            else:
                # A new session token: stay signed in here, every other copy ends.
                login_user(current_user._get_current_object())
                flash(
                    "Your password has been changed. Other sessions were signed out.",
                    "success",
                )
                return redirect(url_for("accounts.account"))
    return _account_page(form, password_form=form)


@bp.post("/account/tokens")
@login_required
def create_token():
    form = token_form()
    if not form.validate_on_submit():
        return _account_page(form, token_form=form)
    new = services.create_api_token(current_user, form.name.data, int(form.days.data))
    return render_template(
        "accounts/token_created.jinja", title="Token created", new=new
    )


@bp.post("/account/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str):
    if not services.revoke_api_token(current_user, token_id):
        abort(404)
    flash("The token was revoked.", "success")
    return redirect(url_for("accounts.account"))
