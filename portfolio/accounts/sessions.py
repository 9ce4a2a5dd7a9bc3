"""Single sign-on's side of starting a session, and the one check of where to go
after signing in (password and single sign-on alike).

The session's keys and how a session starts are in ``accounts.signin``, shared by
every way in; the limits in ``accounts.views.enforce_session_limits`` read the same
keys, so a session started either way ends the same way.
"""

from urllib.parse import urlsplit

from flask import session
from flask import url_for

from portfolio.accounts.models import User
from portfolio.accounts.signin import SEEN_AT
from portfolio.accounts.signin import SIGNED_IN_AT
from portfolio.accounts.signin import SSO
from portfolio.accounts.signin import start_session

__all__ = ["SEEN_AT", "SIGNED_IN_AT", "SSO", "safe_next", "start"]


def start(user: User, sso: dict | None = None) -> None:
    """A fresh session for ``user``; ``sso`` ({"provider": key, "id_token": ...})
    marks it as single sign-on: sign-out then offers the provider's end-session
    endpoint with the ID token as its hint, and the provider's own factors count
    instead of this installation's second factor."""
    start_session(user)
    if sso:
        session[SSO] = sso


def safe_next(target: str | None) -> str:
    """Only follow local paths after sign-in, never another site."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return url_for("main.home")
    if "\\" in target:
        return url_for("main.home")
    return target
