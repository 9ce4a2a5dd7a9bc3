"""Account security: sessions end server-side, no enumeration, password policy,
throttling that cannot lock a person out, API tokens that expire."""

import re
import time
from urllib.parse import unquote

import pytest

from tests.conftest import PASSWORD


def sign_out(client) -> None:
    """Press the header's Sign out button (its CSRF token is in the action URL)."""
    page = client.get("/").get_data(as_text=True)
    action = re.search(r'action="(/auth/logout\?csrf_token=[^"]+)"', page).group(1)
    response = client.post(action.replace("&amp;", "&"))
    assert response.status_code == 302


def copy_of_session(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


# ---- 1. sessions end on the server --------------------------------------------------


def test_sign_out_kills_a_copied_session_cookie(app, client, factory, login):
    login(factory.user("trainee"))
    thief = copy_of_session(app, client)
    assert thief.get("/auth/account").status_code == 200
    sign_out(client)
    assert thief.get("/auth/account").status_code == 302
    assert client.get("/auth/account").status_code == 302


def test_idle_session_ends_with_a_message_and_a_way_back(app, client, factory, login):
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 29 * 60
    assert client.get("/auth/account").status_code == 200  # activity keeps it alive
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 60
        session["seen_at"] = time.time() - 31 * 60
    response = client.get("/auth/account?tab=tokens")
    assert response.status_code == 302
    location = unquote(response.headers["Location"])
    assert location == "/auth/login?next=/auth/account?tab=tokens"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after 30 minutes without activity" in page
    assert client.get("/auth/account").status_code == 302  # and it stays ended


def test_idle_limit_follows_the_setting(app, client, factory, login):
    app.config["SESSION_IDLE_MINUTES"] = 5
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 6 * 60
    response = client.get("/", follow_redirects=True)
    assert "signed out after 5 minutes without activity" in response.get_data(
        as_text=True
    )


def test_session_ends_hours_after_sign_in_even_when_active(app, client, factory, login):
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - 8 * 3600 - 1
    response = client.get("/auth/account", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "signed out 8 hours after you signed in" in page
    assert "<h1>Sign in to MPCE Portfolio</h1>" in page


def test_session_cookie_without_sign_in_time_is_refused(app, client, factory, login):
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        del session["signed_in_at"]
    assert client.get("/auth/account").status_code == 302


def test_sign_out_everywhere_ends_every_session(app, client, factory, login):
    email = factory.user("trainee")
    login(email)
    laptop = app.test_client()
    laptop.post("/auth/login", data={"email": email, "password": PASSWORD})
    thief = copy_of_session(app, client)
    page = client.get("/auth/account").get_data(as_text=True)
    assert "Sign out everywhere" in page
    response = client.post("/auth/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == (
        "/auth/login"
    )
    for browser in (client, laptop, thief):
        assert browser.get("/auth/account").status_code == 302
    login(email)  # signing in again works
    assert client.get("/auth/account").status_code == 200


# ---- 3. passwords (NIST SP 800-63B 5.1.1.2) ------------------------------------------


def reset_link(app, email) -> str:
    from portfolio.accounts import services

    with app.app_context():
        return f"/auth/reset/{services.make_reset_token(services.find_user(email))}"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password1234", "on a list of the most common passwords"),
        ("Summer2024!!", "on a list of the most common passwords"),
        ("qwertyuiop", "on a list of the most common passwords"),
        ("zzzzzzzzzzzz", "not a repeated or sequential run"),
        ("abcdefghijkl", "not a repeated or sequential run"),
        ("ada-lovelace-1815", "does not contain your name"),
        ("countess.ada.l-rocks", "does not contain your name"),  # email local part
        ("my mpce portfolio!", "the name of this service"),
        ("x" * 201, "200 characters or fewer"),
    ],
)
def test_reset_refuses_weak_passwords_with_the_reason(
    app, client, factory, password, message
):
    email = factory.user(
        "trainee", email="countess.ada.l@example.org", name="Ada Lovelace"
    )
    link = reset_link(app, email)
    response = client.post(link, data={"password": password, "confirm": password})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'href="#password"' in page
    assert (
        client.post(
            "/auth/login", data={"email": email, "password": password}
        ).status_code
        == 401
    )


def test_no_composition_rules_long_plain_phrases_are_fine(app, client, factory):
    email = factory.user("trainee", name="Ada Lovelace")
    phrase = "purple kettle under the stairs"  # no digit, capital or symbol
    response = client.post(
        reset_link(app, email), data={"password": phrase, "confirm": phrase}
    )
    assert response.status_code == 302
    assert (
        client.post(
            "/auth/login", data={"email": email, "password": phrase}
        ).status_code
        == 302
    )


def test_change_password_refuses_a_common_password(app, client, factory, login):
    email = factory.user("trainee")
    login(email)
    response = client.post(
        "/auth/account/password",
        data={
            "current": PASSWORD,
            "password": "iloveyou2024",
            "confirm": "iloveyou2024",
        },
    )
    assert response.status_code == 422
    assert "on a list of the most common passwords" in response.get_data(as_text=True)
    client.get("/auth/account")  # still signed in, password unchanged
    sign_out(client)
    login(email)


def test_user_creation_refuses_weak_passwords_cli_and_admin(
    app, client, runner, factory, login
):
    factory.organisation("RBV")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "jo.bloggs@example.org",
            "--name",
            "Jo Bloggs",
            "--role",
            "trainee",
            "--org",
            "RBV",
            "--password",
            "password123",
        ]
    )
    assert result.exit_code != 0 and "most common passwords" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "jo.bloggs@example.org",
            "--name",
            "Jo Bloggs",
            "--role",
            "trainee",
            "--org",
            "RBV",
            "--password",
            "bloggs-family-cat",
        ]
    )
    assert result.exit_code != 0 and "does not contain your name" in result.output
    login(factory.user("admin", None))
    response = client.post(
        "/admin/users",
        data={
            "email": "jo.bloggs@example.org",
            "name": "Jo Bloggs",
            "role": "trainee",
            "org": "RBV",
            "password": "1234567890",
        },
    )
    assert response.status_code == 422
    assert "most common passwords" in response.get_data(as_text=True)
    from portfolio.accounts import services

    with app.app_context():
        assert services.find_user("jo.bloggs@example.org") is None


def test_common_password_list_ships_in_the_package():
    from portfolio.accounts import passwords

    assert passwords.LIST_PATH.name == "common-passwords.txt.gz"
    common = passwords.common_passwords()
    assert len(common) == 10_000 and "password" in common and "iloveyou" in common
