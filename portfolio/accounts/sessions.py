"""What a signed-in session keeps in its (signed) cookie, shared by every way in.

Password sign-in (``accounts.views``) and single sign-on (``accounts.sso_views``)
both start sessions; the limits in ``accounts.views.enforce_session_limits`` read
the same keys, so a session started either way ends the same way.
"""

import time
from urllib.parse import urlsplit

from flask import session
from flask import url_for
from flask_login import login_user

from portfolio.accounts.models import User

# Unix times kept in the signed session cookie, checked on every request.
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# {"provider": key, "id_token": ...} after single sign-on: sign-out offers the
# provider's end-session endpoint with the ID token as its hint.
SSO = "sso"


def start(user: User, sso: dict | None = None) -> None:
    """A fresh session for ``user`` (a planted session id is worthless)."""
    session.clear()
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
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
