"""The demo dataset."""

import sqlalchemy as sa

from portfolio.accounts.models import User
from portfolio.demo import DEMO_PASSWORD
from portfolio.demo import DEMO_USERS
from portfolio.extensions import db


def test_seed_fills_empty_database_and_refuses_twice(app, runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) >= len(
            DEMO_USERS
        )
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 1 and "already has users" in again.output
    for email, *_ in DEMO_USERS:
        response = client.post(
            "/auth/login", data={"email": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, email
        client.post("/auth/logout")
        client.delete_cookie("session")
