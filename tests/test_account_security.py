"""Account security: sessions end server-side, no enumeration, password policy,
throttling that cannot lock a person out, API tokens that expire."""

import re
import time
from urllib.parse import unquote

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
