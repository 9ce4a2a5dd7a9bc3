"""Jobs run only after commit: through RQ with Redis; without it in the app's
embedded worker thread (a request returns at once) or inline."""

import os
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portfolio import create_app
from portfolio import jobs
from portfolio.exports.models import Export
from portfolio.extensions import db
from portfolio.notifications.models import OutboxEmail
from portfolio.notifications.services import queue_email
from portfolio.paths import PROJECT_ROOT
from tests.conftest import base_config
from tests.helpers.factory import Factory


def sent_count(app):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.sent_at.is_not(None))
        )


def test_job_is_dropped_on_rollback(app, work_jobs):
    with app.app_context():
        queue_email("a@example.org", "Hello", "Body")
        db.session.rollback()
        db.session.commit()
    work_jobs()
    assert sent_count(app) == 0


def test_job_runs_after_commit(app, work_jobs, capsys):
    with app.app_context():
        queue_email("a@example.org", "Hello there", "Body")
        db.session.commit()
    work_jobs()
    assert sent_count(app) == 1


def test_inline_mode_runs_without_redis(app, capsys):
    app.config["REDIS_URL"] = None
    app.config["MAIL_SUPPRESS"] = False  # the console outbox of development
    with app.app_context():
        queue_email("b@example.org", "Inline", "Body")
        db.session.commit()
    assert sent_count(app) == 1
    assert "Subject: Inline" in capsys.readouterr().err


@pytest.mark.redis
@pytest.mark.postgres
def test_real_worker_process_delivers(app):
    with app.app_context():
        queue_email("c@example.org", "Via worker", "Body")
        db.session.commit()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret-key",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "worker", "--burst"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert sent_count(app) == 1
    assert "Via worker" in result.stderr


def test_worker_command_needs_redis(runner, app):
    app.config["REDIS_URL"] = None
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output


# ---- the embedded worker (no Redis, as under `make run`) ------------------------------

_HOLD = threading.Event()
_HELD = threading.Event()


def hold_the_worker() -> None:
    """A job that keeps the embedded worker busy until the test lets it go."""
    _HELD.set()
    assert _HOLD.wait(30), "the test never let the job go"


@pytest.fixture
def threaded_app(tmp_path, monkeypatch):
    """An app as `make run` makes it: a SQLite file, no Redis, jobs in a thread."""
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            **base_config(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/embedded.db",
            "REDIS_URL": None,
            "JOBS_IN_PROCESS": "thread",
        }
    )
    with app.app_context():
        db.create_all()
    _HOLD.clear()
    _HELD.clear()
    yield app
    _HOLD.set()
    jobs.stop_embedded_worker(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_request_returns_before_its_job_has_run(threaded_app):
    app = threaded_app
    assert jobs.runs_in_thread(app)
    factory = Factory(app)
    admin = factory.token(factory.user("admin", org=None))
    with app.app_context():
        jobs.enqueue("tests.test_jobs.hold_the_worker")
        db.session.commit()
    assert _HELD.wait(10), "the embedded worker did not start the first job"
    # The worker is busy: the request can only return now if it does not wait.
    response = app.test_client().post(
        "/api/v1/reports/capacity",
        json={"national": True, "from_year": 2026, "to_year": 2027, "format": "csv"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    export_id = response.get_json()["id"]
    with app.app_context():
        export = db.session.get(Export, export_id)
        assert export.status == "queued" and export.stored_name is None
    assert [t for t in threading.enumerate() if t.name == "portfolio-jobs"]
    _HOLD.set()
    assert jobs.drain(app, timeout=60)
    with app.app_context():
        export = db.session.get(Export, export_id)
        assert export.status == "done" and export.filename.endswith(".csv")
    jobs.stop_embedded_worker(app)
    assert not [t for t in threading.enumerate() if t.name == "portfolio-jobs"]


def test_jobs_run_inline_on_in_memory_sqlite_and_when_asked():
    def app(url, mode="thread"):
        return SimpleNamespace(
            config={"SQLALCHEMY_DATABASE_URI": url, "JOBS_IN_PROCESS": mode}
        )

    assert jobs.runs_in_thread(app("sqlite:////srv/portfolio.db"))
    assert jobs.runs_in_thread(app("postgresql+psycopg://db/portfolio"))
    # One in-memory connection cannot be shared with a second thread.
    assert not jobs.runs_in_thread(app("sqlite://"))
    assert not jobs.runs_in_thread(app("sqlite:///:memory:"))
    assert not jobs.runs_in_thread(app("sqlite:////srv/portfolio.db", "inline"))


def test_a_command_finishes_its_embedded_jobs_before_the_process_exits(tmp_path):
    """A CLI command's jobs are not lost when the process ends straight after."""
    database = tmp_path / "cli.db"
    script = (
        "from portfolio import create_app\n"
        "from portfolio.extensions import db\n"
        "from portfolio.notifications.services import queue_email\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{database}',"
        " 'SECRET_KEY': 'x', 'MAIL_SUPPRESS': True, 'REDIS_URL': None,"
        f" 'FILES_DIR': '{tmp_path}/files'}})\n"
        "with app.app_context():\n"
        "    db.create_all()\n"
        "    queue_email('d@example.org', 'At exit', 'Body')\n"
        "    db.session.commit()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PORTFOLIO_INSTANCE_PATH": str(tmp_path / "instance")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        sent = connection.scalar(
            sa.text("SELECT count(*) FROM outbox_email WHERE sent_at IS NOT NULL")
        )
    engine.dispose()
    assert sent == 1
