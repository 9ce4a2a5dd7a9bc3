"""/healthz answers 503, never 500, when the database is down, whatever the cookies.

The app is pointed at a database that cannot be reached (a closed port on the
PostgreSQL pass, a path that cannot exist on SQLite) after the browser signed in,
so the request carries a real signed-in session cookie: answering must not load
the user (a database query) to decide its headers.
"""

import socket

import pytest

from portfolio import create_app
from tests.conftest import ON_POSTGRES
from tests.conftest import base_config


def unreachable_database(tmp_path) -> str:
    if ON_POSTGRES:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/portfolio"
    return f"sqlite:///{tmp_path}/no-such-dir/nor-this/portfolio.db"


@pytest.fixture
def signed_in_cookie(client, login_as) -> str:
    login_as("trainee")
    assert client.get("/").status_code == 200
    return client.get_cookie("session").value


@pytest.mark.parametrize("cookie", ["signed-in", "forged", "none"])
def test_healthz_is_503_when_the_database_is_down(tmp_path, signed_in_cookie, cookie):
    down = create_app(
        {
            **base_config(tmp_path),
            "SQLALCHEMY_DATABASE_URI": unreachable_database(tmp_path),
        }
    )
    browser = down.test_client()
    if cookie == "signed-in":
        browser.set_cookie("session", signed_in_cookie)
    elif cookie == "forged":
        browser.set_cookie("session", "eyJfdXNlcl9pZCI6IngifQ.forged.signature")
    response = browser.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "database": "unavailable",
        "queue": "redis" if down.config["REDIS_URL"] else "inline",
    }
    if cookie == "signed-in":
        assert response.headers["Cache-Control"] == "no-store"
    with down.app_context():
        from portfolio.extensions import db

        db.engine.dispose()
