"""Starting a signed-in session, shared by every way in (password, invitation,
second factor, single sign-on)."""

import time

from flask import session
from flask_login import login_user

from portfolio.accounts import services
from portfolio.accounts.models import User

# Unix times kept in the signed session cookie, checked on every request.
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"


def start_session(user: User) -> None:
    """A fresh session (a planted session id is worthless), the user signed in."""
    session.clear()
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
    services.record_login(user)


# The second factor: a password session is held at the door until the code is
# given (or the device is remembered); then the session is marked as having passed.
PENDING = "totp_pending"  # {"u": user id, "next": path, "at": unix time}
PASSED = "totp_passed"
# Set by single sign-on: the provider's own factors count, not ours.
SSO = "sso"
PENDING_SECONDS = 300


def begin_second_factor(user: User, next_url: str) -> None:
    """The password was right and the account has a second factor: sign the
    session out again and ask for the code."""
    from flask_login import logout_user

    logout_user()
    session.clear()
    session[PENDING] = {"u": user.id, "next": next_url, "at": int(time.time())}


def pending_user() -> tuple[User | None, str]:
    """Who is part-way through signing in (and where they were going), if anyone."""
    from portfolio.extensions import db

    held = session.get(PENDING)
    if not isinstance(held, dict) or time.time() - float(held.get("at") or 0) > (
        PENDING_SECONDS
    ):
        return None, ""
    user = db.session.get(User, str(held.get("u") or ""))
    if user is None or not user.active:
        return None, ""
    return user, str(held.get("next") or "")
