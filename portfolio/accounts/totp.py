"""A second factor for password sign-in: time-based one-time passwords (TOTP,
RFC 6238: https://www.rfc-editor.org/rfc/rfc6238) from an authenticator app, made
and checked with the maintained ``pyotp`` library (https://pyauth.github.io/pyotp/),
with one-use recovery codes (only their hashes are kept).

- Required for the roles in TOTP_REQUIRED_ROLES (admins by default), open to anyone
  with a password; single sign-on accounts rely on their provider's own factors.
- A code is accepted once (the last time step used is kept), one step either side
  of now to allow for clock drift.
- "Remember this device" is a signed cookie tied to the current secret, for
  TOTP_REMEMBER_DAYS; resetting the factor ends every remembered device.
- Lost the device and the codes: an admin resets the factor (audited), and the
  person sets up a new one when they next sign in.
"""

import hashlib
import io
import secrets
import time
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer

from portfolio import policy
from portfolio.accounts import lifecycle
from portfolio.accounts import services as accounts
from portfolio.accounts.models import RecoveryCode
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.rules import Conflict
from portfolio.rules import Forbidden
from portfolio.rules import Invalid

ISSUER = "MPCE Portfolio"
RECOVERY_CODES = 10
REMEMBER_COOKIE = "mpce_device"
BAD_CODE = "Enter the 6-digit code from your authenticator app, or a recovery code"


def enabled(user: User) -> bool:
    return bool(user.totp_secret and user.totp_enabled_at)


def required_for(user: User) -> bool:
    """Whether ``user`` must have a second factor before using the portfolio."""
    roles = set(current_app.config["TOTP_REQUIRED_ROLES"] or ())
    return bool(user.password_hash) and bool(roles & set(user.role_names))


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, for the app to scan."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


def _step_now() -> int:
    return int(time.time() // 30)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side) whose code is ``code``."""
    totp = pyotp.TOTP(secret)
    now = _step_now()
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.at(step * 30), code):
            return step
    return None


def _digits(code: str) -> str:
    return "".join((code or "").split())


def _hash_code(code: str) -> str:
    return accounts.hash_password(code)


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _make_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5).upper()  # 40 bits, shown as XXXXX-XXXXX
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    return codes


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn the factor on once the person shows a code from the new secret; returns
    the recovery codes (shown once)."""
    if enabled(user):
        raise Conflict("A second factor is already set up for this account")
    step = _matching_step(secret, _digits(code)) if secret else None
    if step is None:
        raise Invalid.field(
            "code", "The code does not match: enter the 6 digits the app shows now"
        )
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _make_recovery_codes(user)
    audit.record(user, "totp.enabled", "user", user.id)
    db.session.commit()
    return codes


@dataclass
class Checked:
    ok: bool
    recovery_used: bool = False
    recovery_left: int = 0


def verify(user: User, code: str) -> Checked:
    """Check a sign-in code (or a recovery code, used up); commits what it used."""
    if not enabled(user):
        return Checked(False)
    digits = _digits(code)
    if digits.isdigit() and len(digits) == 6:
        step = _matching_step(user.totp_secret or "", digits)
        if step is None or (user.totp_last_step or 0) >= step:
            return Checked(False)
        user.totp_last_step = step
        db.session.commit()
        return Checked(True)
    wanted = _normal_recovery(code)
    if len(wanted) != 10:
        return Checked(False)
    from werkzeug.security import check_password_hash

    unused = list(
        db.session.scalars(
            sa.select(RecoveryCode).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
    )
    for row in unused:
        if check_password_hash(row.code_hash, wanted):
            row.used_at = utcnow()
            left = len(unused) - 1
            audit.record(user, "totp.recovery_code_used", "user", user.id, left=left)
            db.session.commit()
            return Checked(True, recovery_used=True, recovery_left=left)
    return Checked(False)


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes (the old ones stop working)."""
    if not enabled(user):
        raise Conflict("Set up a second factor first")
    codes = _make_recovery_codes(user)
    audit.record(user, "totp.recovery_codes_replaced", "user", user.id)
    db.session.commit()
    return codes


def reset(actor: User, user_id: str) -> User:
    """An admin removes a person's second factor (a lost device): their recovery
    codes and remembered devices stop working and their sessions end."""
    person = lifecycle.get_person(actor, user_id)
    if not policy.can_deactivate(actor):
        raise Forbidden("Only admins can reset a second factor")
    if not enabled(person):
        raise Conflict("This person has no second factor to reset")
    person.totp_secret = None
    person.totp_enabled_at = None
    person.totp_last_step = None
    person.session_token = accounts.new_session_token()
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == person.id))
    audit.record(actor, "totp.reset", "user", person.id)
    db.session.commit()
    return person


# ---- remembered devices ---------------------------------------------------------------


def _remember_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="totp-remember"
    )


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.totp_secret}".encode()).hexdigest()[:16]


def remember_days() -> int:
    return int(current_app.config["TOTP_REMEMBER_DAYS"])


def remember_value(user: User) -> str:
    return _remember_serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def remembered(user: User, value: str | None) -> bool:
    """The browser's cookie says this device passed the second factor lately."""
    if not value or not enabled(user) or remember_days() <= 0:
        return False
    try:
        data = _remember_serializer().loads(value, max_age=remember_days() * 86400)
    except BadSignature:
        return False
    return data.get("u") == user.id and secrets.compare_digest(
        str(data.get("f")), _fingerprint(user)
    )
