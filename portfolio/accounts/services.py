"""Account rules: creating users and roles, signing in, tokens and password reset."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from portfolio import jobs
from portfolio.accounts import passwords
from portfolio.accounts.models import ROLES
from portfolio.accounts.models import TOKEN_PREFIX
from portfolio.accounts.models import ApiToken
from portfolio.accounts.models import RoleAssignment
from portfolio.accounts.models import User
from portfolio.accounts.models import new_session_token
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.notifications.services import queue_email
from portfolio.organisations import services as organisations
from portfolio.organisations.models import Organisation
from portfolio.rules import Invalid

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Invalid, ValueError):
    """A rule was broken; the message is safe to show to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(
            message, [{"field": field, "message": message}] if field else []
        )
        self.field_name = field


# One @, something before it and a dotted domain after, no spaces: the shape the
# forms' email check asks for, for the services and the API.
EMAIL_SHAPE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def check_password_rules(
    password: str, email: str | None = None, name: str | None = None
) -> None:
    """Refuse a weak password with its reason (rules in ``passwords``)."""
    reason = passwords.problem(password, email, name)
    if reason:
        raise AccountError(reason, "password")


def find_user(email: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(User.email == normalise_email(email))
    )


def find_organisation(code: str) -> Organisation | None:
    return organisations.by_code(code)


def create_user(
    email: str,
    name: str,
    password: str | None = None,
    role: str | None = None,
    organisation_code: str | None = None,
) -> tuple[User, bool]:
    """Create a user, or add ``role`` to an existing one. Returns (user, created).

    The caller commits.
    """
    email = normalise_email(email)
    user = find_user(email)
    created = user is None
    if created:
        if not name.strip():
            raise AccountError("Enter the person's name", "name")
        user = User(email=email, name=name.strip())
        if password is not None:
            check_password_rules(password, email, user.name)
            user.password_hash = hash_password(password)
        db.session.add(user)
    assert user is not None  # found, or created just above
    if role:
        add_role(user, role, organisation_code)
    db.session.flush()
    return user, created


def add_role(user: User, role: str, organisation_code: str | None) -> RoleAssignment:
    if role not in ROLES:
        raise AccountError(
            f"Unknown role {role!r}: use one of {', '.join(ROLES)}", "role"
        )
    organisation = None
    if organisation_code:
        organisation = find_organisation(organisation_code)
        if organisation is None:
            raise AccountError(
                f"No organisation with code {organisation_code!r}", "org"
            )
    elif role != "admin":
        raise AccountError(f"The {role} role needs an organisation code", "org")
    if organisation is not None and role == "trainee":
        if problem := organisations.not_an_employer(organisation):
            raise AccountError(problem, "org")
    org_id = organisation.id if organisation else None
    for existing in user.roles:
        if existing.role == role and existing.organisation_id == org_id:
            return existing
    assignment = RoleAssignment(role=role, organisation=organisation)
    user.roles.append(assignment)
    return assignment


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (never saying why)."""
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """Change the password and sign the user out of every other session."""
    check_password_rules(password, user.email, user.name)
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    db.session.commit()


# ---- sessions ----------------------------------------------------------------------


def end_all_sessions(user: User) -> None:
    """Rotate the session token, so every session cookie issued to the user dies.

    The user loader finds people by this token (it is what Flask-Login keeps in the
    session and in any remember cookie), so a copy of an old cookie finds no one.
    """
    user.session_token = new_session_token()
    db.session.commit()


def _plural(count: float, unit: str) -> str:
    count = int(count) if float(count).is_integer() else count
    return f"{count} {unit}" + ("" if count == 1 else "s")


def session_expired(signed_in_at, seen_at, now: float) -> str | None:
    """Why a signed-in session has ended, as a message for the person; else None.

    ``signed_in_at`` and ``seen_at`` are the Unix times kept in the (signed) session
    cookie. A session without them predates these limits and ends too.
    """
    config = current_app.config
    idle_minutes = float(config["SESSION_IDLE_MINUTES"])
    max_hours = float(config["SESSION_MAX_HOURS"])
    if not all(isinstance(t, int | float) for t in (signed_in_at, seen_at)):
        return "Your session has ended. Sign in again."
    if now - signed_in_at >= max_hours * 3600:
        return (
            f"You were signed out {_plural(max_hours, 'hour')} after you signed in. "
            "Sign in again."
        )
    if now - seen_at >= idle_minutes * 60:
        return (
            f"You were signed out after {_plural(idle_minutes, 'minute')} "
            "without activity. Sign in again."
        )
    return None


TOKEN_DAY_CHOICES = (30, 90, 365)  # offered on the account page; 0 is "no expiry"
TOKEN_MAX_DAYS = 3650
TOKEN_NOT_VALID = "Send a valid personal API token as 'Authorization: Bearer <token>'."
TOKEN_USE_EVERY = timedelta(hours=1)


class TokenRefused(AccountError):
    """An API token that exists no more (or never did); the message says which."""


@dataclass
class NewToken:
    token: ApiToken
    secret: str


def default_token_days() -> int:
    return int(current_app.config["API_TOKEN_DAYS"])


def create_api_token(
    user: User, name: str = "API token", days: int | None = None
) -> NewToken:
    """Create a personal API token; the secret is returned once and never stored.

    ``days`` is how long it works (``API_TOKEN_DAYS`` when None; 0: no expiry).
    """
    days = default_token_days() if days is None else days
    if isinstance(days, bool) or not isinstance(days, int):
        raise AccountError("Choose how many days the token works", "days")
    if not 0 <= days <= TOKEN_MAX_DAYS:
        raise AccountError(
            f"A token works for 1 to {TOKEN_MAX_DAYS} days, or 0 for no expiry", "days"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip()[:80] or "API token",
        token_hash=ApiToken.hash(secret),
        hint=secret[-4:],
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.commit()
    return NewToken(token, secret)


def token_for_secret(secret: str) -> ApiToken:
    """Return the live token with this secret, or raise TokenRefused saying why.

    One query: the token, its user and the user's roles (which every API request's
    policy checks read), as ``load_user`` does for a session.
    """
    token = (
        db.session.scalars(
            sa.select(ApiToken)
            .options(sa.orm.joinedload(ApiToken.user).joinedload(User.roles))
            .where(ApiToken.token_hash == ApiToken.hash(secret))
        )
        .unique()
        .first()
    )
    if token is None:
        raise TokenRefused(TOKEN_NOT_VALID)
    again = "Create a new token on your account page."
    if token.revoked_at is not None:
        raise TokenRefused(
            f"This API token was revoked on {token.revoked_at:%Y-%m-%d} (UTC). {again}"
        )
    if token.expired(utcnow()):
        raise TokenRefused(
            f"This API token expired on {token.expires_at:%Y-%m-%d} (UTC). {again}"
        )
    if not token.user.active:
        raise TokenRefused("The account this API token belongs to is not active.")
    return token


def user_for_token(secret: str) -> User | None:
    try:
        return token_for_secret(secret).user
    except TokenRefused:
        return None


def record_token_use(token: ApiToken) -> None:
    """Note when a token was last used, writing at most once an hour per token.

    Most requests see a recent ``last_used_at`` and write nothing; the guarded
    UPDATE keeps concurrent requests from writing twice.
    """
    now = utcnow()
    cutoff = now - TOKEN_USE_EVERY
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    db.session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.id == token.id,
            sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= cutoff),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def revoke_api_token(user: User, token_id: str) -> bool:
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.commit()
    return True


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


# ---- password reset ------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="password-reset"
    )


def make_reset_token(user: User) -> str:
    # The token carries a fingerprint of the current hash, so it stops working
    # as soon as the password changes: each reset link works once.
    fingerprint = (user.password_hash or "")[-12:]
    return _reset_serializer().dumps({"u": user.id, "f": fingerprint})


def user_for_reset_token(token: str) -> User:
    """Return the user a reset token belongs to, or raise AccountError."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise AccountError("This reset link has expired. Ask for a new one.") from error
    except BadSignature as error:
        raise AccountError(
            "This reset link is not valid. Ask for a new one."
        ) from error
    user = db.session.get(User, data.get("u", ""))
    if (
        user is None
        or not user.active
        or (user.password_hash or "")[-12:] != data.get("f")
    ):
        raise AccountError("This reset link has already been used. Ask for a new one.")
    return user


def request_password_reset(email: str) -> None:
    """Ask for a reset link for ``email``: the same work whether or not it exists.

    The request only queues a job carrying the address (no lookup, no outbox row),
    so its answer, its timing and its writes say nothing about which addresses have
    accounts. The job looks the account up and emails the link through the outbox.
    """
    jobs.enqueue(RESET_JOB, normalise_email(email))
    db.session.commit()


RESET_JOB = "portfolio.accounts.services.password_reset_job"


def password_reset_job(email: str) -> None:
    """Email a reset link if an active account has this address; else do nothing."""
    from portfolio.urls import external_url

    user = find_user(email)
    if user is None or not user.active:
        return
    url = external_url("accounts.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    queue_email(
        user.email,
        "Reset your MPCE Portfolio password",
        f"Hello {user.name},\n\nUse this link to choose a new password. It works "
        f"once and expires in {minutes} minutes:\n\n{url}\n\n"
        "If you did not ask for this, you can ignore this email.\n",
    )
    db.session.commit()


def load_user(session_token: str) -> User | None:
    """The active user a session belongs to (Flask-Login's user loader).

    One query for the whole signed-in header: the user, their roles and their unread
    notifications (counted up to ``web.UNREAD_CAP``, so the cost never grows with
    their history), kept for the request by ``portfolio.web.remember_unread``.
    """
    from portfolio.web import remember_unread
    from portfolio.web import unread_subquery

    row = (
        db.session.execute(
            sa.select(User, unread_subquery(User.id))
            .options(sa.orm.joinedload(User.roles))
            .where(User.session_token == session_token, User.active.is_(True))
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    remember_unread(row[0], row[1])
    return row[0]


def add_person(
    email: str,
    name: str,
    password: str | None,
    role: str,
    organisation_code: str | None,
) -> tuple[User, bool]:
    """Create a user (or add a role to one) for an admin, in one transaction.

    A new account without a password is sent a link to choose one. Commits; on a
    refused input nothing is written and the AccountError goes to the caller.
    """
    try:
        user, created = create_user(email, name, password, role, organisation_code)
        if created and not user.password_hash:
            request_password_reset(user.email)
        db.session.commit()
    except AccountError:
        db.session.rollback()
        raise
    return user, created
