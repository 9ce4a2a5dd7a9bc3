"""Configuration: defaults, then the environment, then the test mapping.

Environment variables: ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and any
``PORTFOLIO_<KEY>`` (JSON-parsed, so ``PORTFOLIO_MAX_UPLOAD_MB=50`` is a number).
"""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from flask import Flask

DEFAULTS = {
    "SQLALCHEMY_DATABASE_URI": "sqlite:///portfolio.db",
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "REDIS_URL": None,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Evidence attachments (issue 4) and the request limit that backs them.
    "MAX_UPLOAD_MB": 20,
    "FILES_DIR": None,
    # Where links in emails and exports point; the request host when unset.
    "BASE_URL": None,
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "PASSWORD_RESET_MAX_AGE": 3600,
    "PASSWORD_HASH_METHOD": "scrypt",
    "MAIL_FROM": "MPCE Portfolio <no-reply@portfolio.invalid>",
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": True,
    # True: emails stay in the outbox as sent but go nowhere (tests, benchmarks).
    "MAIL_SUPPRESS": False,
    "JOB_TIMEOUT": 600,
    "API_MAX_PER_PAGE": 200,
}


def load_config(app: Flask, overrides: Mapping | None) -> None:
    """Fill ``app.config`` from the defaults, the environment and ``overrides``."""
    app.config.from_mapping(DEFAULTS)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.from_prefixed_env("PORTFOLIO")
    if overrides:
        app.config.from_mapping(overrides)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)
    # The request may carry a little more than the file (form fields, multipart
    # framing); the file itself is held to MAX_UPLOAD_MB by the attachment rules.
    app.config["MAX_CONTENT_LENGTH"] = int(
        (float(app.config["MAX_UPLOAD_MB"]) + 1) * 1024 * 1024
    )
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://"
    )
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if not app.config["FILES_DIR"]:
        app.config["FILES_DIR"] = str(Path(app.instance_path) / "files")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }


def normalise_database_url(uri: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    return uri


def instance_secret_key(instance: Path) -> str:
    """Return the secret key kept in the instance folder, creating it once."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
