"""Fixtures: app, client, runner, login helpers, factories and the job runner.

The suite runs twice (see the Makefile): on SQLite with in-process jobs, and with
``PORTFOLIO_TEST_BACKEND=postgres`` on the real PostgreSQL at TEST_DATABASE_URL
with real Redis at TEST_REDIS_URL, jobs going through RQ.
"""

import os
import re

import pytest

from portfolio import create_app
from portfolio.extensions import db
from tests.helpers import reuse
from tests.helpers import snapshots
from tests.helpers.factory import PASSWORD
from tests.helpers.factory import Factory

BACKEND = os.environ.get("PORTFOLIO_TEST_BACKEND", "sqlite")
ON_POSTGRES = BACKEND == "postgres"
# Every absolute URL comes from BASE_URL; apps and workers the tests start get it too.
# Set, not defaulted: `make` exports the laptop's address (http://localhost:5000),
# and the tests' links and trusted host are http://localhost whatever ran them.
os.environ["PORTFOLIO_BASE_URL"] = "http://localhost"
# Each test's app reuses the URL builders and compiled templates of the apps before it.
reuse.share_url_builders()


@pytest.fixture(autouse=True)
def _backend_guard(request):
    """Tests marked postgres/redis need the real servers: fail loudly, never skip."""
    marked = request.node.get_closest_marker(
        "postgres"
    ) or request.node.get_closest_marker("redis")
    if marked and not ON_POSTGRES:
        pytest.fail(
            "needs PostgreSQL + Redis: run with PORTFOLIO_TEST_BACKEND=postgres"
        )


@pytest.fixture(autouse=True)
def _no_leaked_job_threads(request):
    """No test leaves an embedded job worker running (the browser tests' live app
    keeps its one for the session and stops it at the end)."""
    yield
    if request.node.get_closest_marker("browser"):
        return
    import threading

    left = [t.name for t in threading.enumerate() if t.name == "portfolio-jobs"]
    assert not left, f"embedded job worker threads left running: {left}"


def base_config(tmp_path) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "FILES_DIR": str(tmp_path / "files"),
        "RATELIMIT_ENABLED": False,
        "MAIL_SUPPRESS": True,
        # Admins sign in with the password alone here; tests/test_two_factor.py
        # turns the requirement on.
        "TOTP_REQUIRED_ROLES": [],
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "REDIS_URL": None,
        # Without Redis the suite's jobs run when the commit returns; the embedded
        # worker thread of `make run` is tested where a test sets "thread".
        "JOBS_IN_PROCESS": "inline",
    }
    if ON_POSTGRES:
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["TEST_DATABASE_URL"]
        config["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    return config


_schema_ready = False


@pytest.fixture
def app(tmp_path, monkeypatch):
    global _schema_ready
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(tmp_path))
    reuse.share_compiled_templates(app)
    with app.app_context():
        reuse.share_compiled_sql(db.engine)
        if not ON_POSTGRES:
            snapshots.create_schema(app)  # a copy of the schema made once
        elif not _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready = True
    if ON_POSTGRES:  # nothing queued before this test (the browser tests' worker)
        from redis import Redis

        with Redis.from_url(os.environ["TEST_REDIS_URL"]) as redis:
            redis.flushdb()
    yield app
    from portfolio import jobs

    jobs.stop_embedded_worker(app)  # a test that made one leaves no thread behind
    with app.app_context():
        db.session.remove()
        if ON_POSTGRES:
            snapshots.empty_postgres()  # every row gone, sequences restarted
            from redis import Redis

            with Redis.from_url(os.environ["TEST_REDIS_URL"]) as redis:
                redis.flushdb()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def work_jobs(app):
    """Run queued jobs now: a real RQ worker on Redis; nothing to do when inline."""

    def run():
        from rq import SimpleWorker

        from portfolio import jobs

        if not app.config.get("REDIS_URL"):
            assert jobs.drain(app), "the embedded jobs did not finish in time"
            return
        jobs.set_worker_app(app)
        queues = [jobs.get_queue(name, app) for name in jobs.QUEUES]
        SimpleWorker(
            queues,
            connection=jobs.redis_connection(app),
            job_class=jobs.AppJob,
            serializer=jobs.JSONSerializer,
        ).work(burst=True)

    return run


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def login(client):
    """Sign the test client in as ``email`` (through the real login form)."""

    def do(email, password=PASSWORD):
        response = client.post(
            "/auth/login", data={"email": email, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do


@pytest.fixture
def login_as(factory, login):
    """Create a user with ``role`` and sign in; returns their email."""

    def do(role, org="RBV"):
        email = factory.user(role, org)
        login(email)
        return email

    return do


@pytest.fixture
def api(client, factory):
    """Call the API as a user: ``api(email).get(path)``."""

    class Caller:
        def __init__(self, email):
            self.headers = {"Authorization": f"Bearer {factory.token(email)}"}

        def __getattr__(self, method):
            def call(path, **kwargs):
                headers = {**self.headers, **kwargs.pop("headers", {})}
                return getattr(client, method)(path, headers=headers, **kwargs)

            return call

    return Caller


def csrf_token_from(html: str) -> str:
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    ) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


# Fixtures shared by the workflow tests.
from tests.world import as_  # noqa: E402,F401
from tests.world import as_user  # noqa: E402,F401
from tests.world import people  # noqa: E402,F401
from tests.world import world  # noqa: E402,F401
