"""Jobs run only after commit, in-process without Redis and through RQ with it."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.notifications.models import OutboxEmail
from portfolio.notifications.services import queue_email
from portfolio.paths import PROJECT_ROOT


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
