"""The second factor (TOTP) for password sign-in: required for admins when the
setting says so, set up with a code, asked for after the password, recovery codes
used once, a remembered device, throttled, and reset by an admin (audited)."""

import re
import time

import pyotp
import sqlalchemy as sa

from portfolio.accounts.models import RecoveryCode
from portfolio.accounts.models import User
from portfolio.audit.models import AuditEvent
from portfolio.extensions import db
from tests.conftest import PASSWORD


def _code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def _password(client, email):
    return client.post("/auth/login", data={"email": email, "password": PASSWORD})


def _secret(page: str) -> str:
    """The key as the set-up page shows it, in groups of four: the groups joined."""
    shown = re.search(r'data-testid="totp-secret">(.*?)</span></p>', page).group(1)
    groups = re.findall(r'<span class="app-key-group">([A-Z2-7]{1,4})</span>', shown)
    assert groups and all(len(g) == 4 for g in groups[:-1]), shown
    return "".join(groups)


def _set_up(client, email):
    """Sign in by password and set up the factor; returns (secret, recovery codes)."""
    assert _password(client, email).status_code == 302
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    secret = _secret(page)
    done = client.post("/auth/two-factor/setup", data={"code": _code(secret)})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(
        r"<li>([0-9A-F]{5}-[0-9A-F]{5})</li>", done.get_data(as_text=True)
    )
    assert len(codes) == 10
    return secret, codes


def test_admins_must_set_up_a_second_factor_when_required(app, client, factory):
    app.config["TOTP_REQUIRED_ROLES"] = ["admin"]
    admin = factory.user("admin", None)
    assert _password(client, admin).status_code == 302
    held = client.get("/admin/users")
    assert (
        held.status_code == 302 and held.headers["Location"] == "/auth/two-factor/setup"
    )
    setup = client.get("/auth/two-factor/setup")
    assert setup.status_code == 200 and "<svg" in setup.get_data(as_text=True)
    wrong = client.post("/auth/two-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 422
    secret = _secret(setup.get_data(as_text=True))
    assert (
        client.post("/auth/two-factor/setup", data={"code": _code(secret)}).status_code
        == 200
    )
    assert client.get("/admin/users").status_code == 200
    with app.app_context():
        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and all(
            not re.fullmatch(r"[0-9A-F]{10}", h) for h in stored
        )
    # Other roles are not held unless the setting names them.
    trainee = factory.user("trainee")
    other = app.test_client()
    assert _password(other, trainee).status_code == 302
    assert other.get("/evidence/").status_code == 200


def test_the_code_is_asked_for_after_the_password(app, client, factory):
    email = factory.user("supervisor")
    secret, _codes = _set_up(client, email)
    fresh = app.test_client()
    assert _password(fresh, email).status_code == 302
    held = fresh.get("/signoff/queue")
    assert held.status_code == 302 and held.headers["Location"] == "/auth/two-factor"
    assert fresh.get("/signoff/queue").status_code == 302  # signed out meanwhile
    assert fresh.post("/auth/two-factor", data={"code": "123456"}).status_code == 401
    used = _code(secret)  # the set-up step: a code is accepted once only
    assert fresh.post("/auth/two-factor", data={"code": used}).status_code == 401
    ok = fresh.post("/auth/two-factor", data={"code": _code(secret, 1)})
    assert ok.status_code == 302 and ok.headers["Location"] == "/signoff/queue"
    assert fresh.get("/signoff/queue").status_code == 200


def test_a_recovery_code_works_once(app, factory):
    email = factory.user("trainee")
    _secret, codes = _set_up(app.test_client(), email)
    first = app.test_client()
    _password(first, email)
    first.get("/")
    assert (
        first.post("/auth/two-factor", data={"code": codes[0].lower()}).status_code
        == 302
    )
    assert first.get("/evidence/").status_code == 200
    second = app.test_client()
    _password(second, email)
    second.get("/")
    assert second.post("/auth/two-factor", data={"code": codes[0]}).status_code == 401
    with app.app_context():
        used = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "totp.recovery_code_used")
        ).all()
        assert len(used) == 1 and used[0].data["left"] == 9


def test_a_remembered_device_skips_the_code_for_the_configured_days(app, factory):
    app.config["TOTP_REMEMBER_DAYS"] = 14
    email = factory.user("trainee")
    secret, _ = _set_up(app.test_client(), email)
    device = app.test_client()
    _password(device, email)
    device.get("/")
    answer = device.post(
        "/auth/two-factor", data={"code": _code(secret, 1), "remember": "y"}
    )
    assert "Max-Age=1209600" in answer.headers["Set-Cookie"]
    with device.session_transaction() as session:
        session.clear()  # signed out; the device cookie stays
    assert _password(device, email).status_code == 302
    assert device.get("/evidence/").status_code == 200  # no code asked
    other = app.test_client()
    _password(other, email)
    assert other.get("/evidence/").status_code == 302


def test_wrong_codes_are_throttled(app, factory):
    from portfolio.extensions import limiter

    app.config["RATELIMIT_ENABLED"] = True
    app.config["TOTP_RATE_LIMIT"] = "3 per minute"
    limiter.init_app(app)
    try:
        email = factory.user("trainee")
        secret, _ = _set_up(app.test_client(), email)
        client = app.test_client()
        _password(client, email)
        client.get("/")
        statuses = [
            client.post("/auth/two-factor", data={"code": "000000"}).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        blocked = client.post("/auth/two-factor", data={"code": _code(secret, 1)})
        assert blocked.status_code == 429
    finally:
        app.config["RATELIMIT_ENABLED"] = False
        limiter.init_app(app)


def test_an_admin_resets_a_lost_factor(app, client, factory, login):
    email = factory.user("trainee")
    _set_up(app.test_client(), email)
    admin = factory.user("admin", None)
    login(admin)
    person = factory.user_id(email)
    reset = client.post(f"/people/{person}/second-factor/reset")
    assert reset.status_code == 302
    with app.app_context():
        user = db.session.get(User, person)
        assert user.totp_secret is None and user.totp_enabled_at is None
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
        )
        [event] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "totp.reset")
        ).all()
        assert event.object_id == person
    again = app.test_client()
    _password(again, email)
    assert again.get("/evidence/").status_code == 200  # password alone again
    assert client.post(f"/people/{person}/second-factor/reset").status_code == 409
