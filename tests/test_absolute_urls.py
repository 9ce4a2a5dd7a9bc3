"""Every absolute URL comes from BASE_URL, never from the request's Host.

Protects against password-reset poisoning: a request with ``Host: evil.example``
(or ``X-Forwarded-Host`` behind the proxy fix) must never put evil.example into an
email, a PDF, a share link or a CASE uri.
"""

import re

import pytest
import sqlalchemy as sa

from portfolio import create_app
from portfolio.config import ConfigError
from portfolio.extensions import db
from portfolio.notifications.models import OutboxEmail

PUBLIC = "https://portfolio.example.nhs.uk"


@pytest.fixture
def public_app(app):
    """The test app with a real-looking BASE_URL; requests still come from localhost."""
    app.config["BASE_URL"] = PUBLIC
    app.config["TRUSTED_HOSTS"] = ["portfolio.example.nhs.uk", "localhost"]
    return app


def _run_jobs(app) -> None:
    """Run what requests queued (a reset email is sent by a job, not the request):
    a real RQ worker on Redis; nothing to do when jobs run in-process."""
    if not app.config.get("REDIS_URL"):
        return
    from rq import SimpleWorker

    from portfolio import jobs

    jobs.set_worker_app(app)
    SimpleWorker(
        [jobs.get_queue(name, app) for name in jobs.QUEUES],
        connection=jobs.redis_connection(app),
        job_class=jobs.AppJob,
        serializer=jobs.JSONSerializer,
    ).work(burst=True)


def _body_to(app, email) -> str:
    _run_jobs(app)
    with app.app_context():
        sent = db.session.scalar(
            sa.select(OutboxEmail).where(OutboxEmail.to_address == email)
        )
        assert sent is not None, "no email queued"
        return sent.body


def test_reset_link_uses_base_url_not_the_request_host(public_app, client, factory):
    email = factory.user("trainee")
    response = client.post("/auth/forgot-password", data={"email": email})
    assert response.status_code == 200
    body = _body_to(public_app, email)
    assert re.search(rf"{re.escape(PUBLIC)}/auth/reset/\S+", body), body
    assert "localhost" not in body


def test_untrusted_host_header_is_refused_and_sends_nothing(
    public_app, client, factory
):
    email = factory.user("trainee")
    response = client.post(
        "/auth/forgot-password",
        data={"email": email},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 400
    with public_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0


def test_forwarded_host_behind_proxy_is_not_trusted(tmp_path, monkeypatch, factory):
    from tests.conftest import base_config

    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "proxied"))
    config = {**base_config(tmp_path), "PROXY_FIX": True, "BASE_URL": PUBLIC}
    proxied = create_app(config)
    with proxied.app_context():
        db.create_all()
    client = proxied.test_client()
    from tests.conftest import Factory

    email = Factory(proxied).user("trainee")
    response = client.post(
        "/auth/forgot-password",
        data={"email": email},
        headers={
            "Host": "portfolio.example.nhs.uk",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
        },
    )
    assert response.status_code == 200
    body = _body_to(proxied, email)
    assert "evil.example" not in body
    assert f"{PUBLIC}/auth/reset/" in body
    with proxied.app_context():
        db.session.remove()
        if proxied.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        db.engine.dispose()


def test_new_user_email_from_admin_uses_base_url(public_app, client, login_as):
    login_as("admin")
    response = client.post(
        "/admin/users",
        data={
            "email": "new.person@example.org",
            "name": "New Person",
            "role": "trainee",
            "org": "RBV",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    body = _body_to(public_app, "new.person@example.org")
    assert f"{PUBLIC}/auth/invitation/" in body and "localhost" not in body


def test_notification_links_use_base_url(public_app, world, client, login):
    from portfolio.accounts.services import find_user
    from portfolio.notifications.services import notify

    with public_app.test_request_context("/", headers={"Host": "localhost"}):
        notify(find_user(world.trainee), "Something happened", "/evidence/")
        db.session.commit()
    body = _body_to(public_app, world.trainee)
    # The email links through the notification (which marks it read when opened).
    assert f"{PUBLIC}/notifications/" in body


def test_case_uris_use_base_url(public_app, world, api):
    response = api(world.admin).get("/api/v1/curricula/stp-rp/case")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert PUBLIC in text and "http://localhost" not in text


def test_share_link_uses_base_url(public_app, world, client, login):
    from portfolio.enrolments.models import Enrolment

    with public_app.app_context():
        enrolment = db.session.get(Enrolment, world.enrolment_id)
        assert enrolment is not None
    login(world.trainee)
    response = client.post(
        "/exports/share",
        data={"enrolment": world.enrolment_id, "days": 7, "label": "Panel"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert f"{PUBLIC}/share/" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_base_url(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTFOLIO_BASE_URL", raising=False)
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="PORTFOLIO_BASE_URL"):
        create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "portfolio.nhs.uk", "ftp://x"])
def test_base_url_must_be_http_with_a_host(tmp_path, monkeypatch, bad):
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="http"):
        create_app(
            {"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": bad}
        )


def test_trusted_hosts_follow_base_url(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": PUBLIC}
    )
    assert app.config["TRUSTED_HOSTS"] == ["portfolio.example.nhs.uk"]
