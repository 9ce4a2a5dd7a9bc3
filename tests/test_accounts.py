"""Signing in and out, password reset, tokens and the users CLI."""

import re

import pytest
import sqlalchemy as sa

from portfolio.accounts import services
from portfolio.accounts.models import User
from portfolio.extensions import db
from portfolio.notifications.models import OutboxEmail
from tests.conftest import PASSWORD


def test_login_then_home_shows_name_and_role(client, factory, login):
    email = factory.user("supervisor", name="Dr Ada Lovelace")
    login(email)
    page = client.get("/").get_data(as_text=True)
    assert "Dr Ada Lovelace" in page and "supervisor at Trust RBV" in page


def test_email_is_case_insensitive(client, factory, login):
    email = factory.user("trainee")
    login(email.upper())


@pytest.mark.parametrize("email_known", [True, False])
def test_wrong_credentials_get_one_message(client, factory, email_known):
    email = factory.user("trainee") if email_known else "nobody@example.org"
    response = client.post(
        "/auth/login", data={"email": email, "password": "wrong-password"}
    )
    assert response.status_code == 401
    assert "Enter a correct email address and password" in response.get_data(
        as_text=True
    )


def test_login_form_errors_keep_input_and_link_to_fields(client):
    response = client.post(
        "/auth/login", data={"email": "a@example.org", "password": ""}
    )
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'href="#password"' in page
    assert 'value="a@example.org"' in page
    assert "<title>Error: Sign in" in page


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/auth/account", "/auth/account"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_redirect_is_local_only(client, factory, target, expected):
    email = factory.user("trainee")
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": email, "password": PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_login_clears_existing_session(client, factory):
    email = factory.user("trainee")
    with client.session_transaction() as session:
        session["planted"] = "value"
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


def test_inactive_user_cannot_sign_in(client, app, factory):
    email = factory.user("trainee")
    with app.app_context():
        services.find_user(email).active = False
        db.session.commit()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 401


def test_logout_needs_valid_token_and_signs_out(app, client, login_as):
    login_as("trainee")
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200
    # The token must come from this client's session, so read it off a page.
    page = client.get("/").get_data(as_text=True)
    action = re.search(r'action="(/auth/logout\?csrf_token=[^"]+)"', page).group(1)
    response = client.post(action.replace("&amp;", "&"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to sign-in


def test_login_required_redirects_with_next(client):
    response = client.get("/auth/account")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]


def test_password_reset_round_trip(app, client, factory, work_jobs):
    email = factory.user("trainee")
    response = client.post("/auth/forgot-password", data={"email": email})
    assert "Check your email" in response.get_data(as_text=True)
    work_jobs()
    with app.app_context():
        sent = db.session.scalar(
            sa.select(OutboxEmail).where(OutboxEmail.to_address == email)
        )
        assert sent.sent_at is not None
        link = re.search(r"http://localhost(/auth/reset/\S+)", sent.body).group(1)
    new = "a-brand-new-password"
    response = client.post(link, data={"password": new, "confirm": new})
    assert response.status_code == 302
    client.post("/auth/login", data={"email": email, "password": new})
    assert client.get("/").status_code == 200
    # The link works once.
    reused = client.get(link)
    assert reused.status_code == 400 and "already been used" in reused.get_data(
        as_text=True
    )


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(app, client):
    response = client.post("/auth/forgot-password", data={"email": "ghost@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0
        )


def test_expired_and_forged_reset_tokens(app, client, factory):
    email = factory.user("trainee")
    with app.app_context():
        token = services.make_reset_token(services.find_user(email))
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    expired = client.get(f"/auth/reset/{token}")
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    forged = client.get("/auth/reset/not-a-token")
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)


def test_reset_rejects_short_or_mismatched_passwords(app, client, factory):
    email = factory.user("trainee")
    with app.app_context():
        token = services.make_reset_token(services.find_user(email))
    short = client.post(
        f"/auth/reset/{token}", data={"password": "short", "confirm": "short"}
    )
    assert "at least 10 characters" in short.get_data(as_text=True)
    mismatch = client.post(
        f"/auth/reset/{token}",
        data={"password": "long-enough-1", "confirm": "long-enough-2"},
    )
    assert "do not match" in mismatch.get_data(as_text=True)


def test_password_change_signs_out_other_sessions(app, factory):
    email = factory.user("trainee")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/auth/login", data={"email": email, "password": PASSWORD})
    new = "another-new-password"
    response = first.post(
        "/auth/account/password",
        data={"current": PASSWORD, "password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


def test_password_hashes_are_not_plain(app, factory):
    email = factory.user("trainee")
    with app.app_context():
        stored = services.find_user(email).password_hash
    assert PASSWORD not in stored and stored.startswith("pbkdf2:")


def test_default_hash_is_scrypt(tmp_path, monkeypatch):
    from portfolio import create_app

    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        assert services.hash_password("whatever-it-is").startswith("scrypt:")


def test_token_created_shown_once_and_revocable(app, client, login_as):
    email = login_as("trainee")
    page = client.post("/auth/account/tokens", data={"name": "LMS sync"}).get_data(
        as_text=True
    )
    secret = re.search(r'value="(mpce_[^"]+)"', page).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["email"] == email
    account = client.get("/auth/account").get_data(as_text=True)
    assert "LMS sync" in account and secret not in account
    token_id = re.search(r"/auth/account/tokens/([^/]+)/revoke", account).group(1)
    client.post(f"/auth/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_is_hashed_at_rest(app, factory):
    email = factory.user("trainee")
    secret = factory.token(email)
    with app.app_context():
        from portfolio.accounts.models import ApiToken

        stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert secret not in stored and ApiToken.hash(secret) in stored


def test_users_create_cli(app, runner, factory):
    factory.organisation("RBV")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "New.Person@Example.org",
            "--name",
            "New Person",
            "--role",
            "trainee",
            "--org",
            "rbv",
            "--password",
            "long-password-1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created new.person@example.org (trainee@RBV)" in result.output
    again = runner.invoke(
        args=[
            "users",
            "create",
            "new.person@example.org",
            "--role",
            "supervisor",
            "--org",
            "RBV",
        ]
    )
    assert "Updated" in again.output and "supervisor@RBV" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "trainee", "--org", "ZZZ"], "No organisation with code 'ZZZ'"),
        (["--role", "trainee"], "needs an organisation code"),
        (["--role", "trainee", "--org", "RBV", "--password", "short"], "at least 10"),
    ],
)
def test_users_create_cli_errors(app, runner, factory, args, message):
    factory.organisation("RBV")
    base = [
        "users",
        "create",
        "x@example.org",
        "--name",
        "X",
        "--password",
        "long-enough-pw",
    ]
    result = runner.invoke(args=[*base, *args])
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_users_token_cli(runner, factory):
    email = factory.user("trainee")
    result = runner.invoke(args=["users", "token", email])
    assert result.exit_code == 0 and result.output.startswith("mpce_")
    missing = runner.invoke(args=["users", "token", "nobody@example.org"])
    assert missing.exit_code == 1 and "No user" in missing.output


def test_login_is_throttled(app, client, factory):
    app.config["RATELIMIT_ENABLED"] = True
    from portfolio.extensions import limiter

    limiter.init_app(app)
    email = factory.user("trainee")
    statuses = [
        client.post("/auth/login", data={"email": email, "password": "bad"}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429
