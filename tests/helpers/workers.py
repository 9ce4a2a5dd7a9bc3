"""The environment of a real ``flask worker`` process started by a test."""

import os


def worker_env(app, **extra) -> dict:
    """The test app's database, Redis and files; the instance folder (and so the
    audit key) comes with PORTFOLIO_INSTANCE_PATH from the environment."""
    return {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret-key",
        "PORTFOLIO_FILES_DIR": app.config["FILES_DIR"],
        **extra,
    }
