"""Configuration: defaults, then the environment, then the test mapping.

Environment variables: ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``AUDIT_KEY`` and any
``PORTFOLIO_<KEY>`` (JSON-parsed, so ``PORTFOLIO_MAX_UPLOAD_MB=50`` is a number).
"""

import os
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_DATABASE_URI": "sqlite:///portfolio.db",
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "REDIS_URL": None,
    # Rate limits are counted in RATELIMIT_STORAGE_URI (REDIS_URL unless set).
    # When that is unreachable they are counted in each process's memory and the
    # error is logged, so sign-in, the API and share links keep working.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Seconds to wait for Redis to accept a connection before treating it as down.
    "REDIS_CONNECT_TIMEOUT": 2,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Evidence attachments and the request limit that backs them.
    "MAX_UPLOAD_MB": 20,
    "FILES_DIR": None,
    # The public address every absolute URL is built from (emails, PDFs, QR codes,
    # share links, CASE uris); required outside tests. Its host is the only one the
    # app answers to, with any names listed in TRUSTED_HOSTS.
    "BASE_URL": None,
    "TRUSTED_HOSTS": [],
    # Failed sign-ins allowed per client address, and per account (email) from
    # any address; a browser that has just reset the password is exempt from both
    # for that account for LOGIN_AFTER_RESET_MINUTES, so no one can lock a person
    # out for good by failing to sign in as them.
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "LOGIN_ACCOUNT_RATE_LIMIT": "10 per minute;50 per hour",
    "LOGIN_AFTER_RESET_MINUTES": 15,
    # A signed-in session ends after this long without a request, and this long
    # after sign-in whatever happens.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 8,
    # Days a new API token works by default (0: no expiry).
    "API_TOKEN_DAYS": 90,
    # Days an emailed link for an assessor or MSF rater without an account works.
    "TICKET_DAYS": 14,
    # Days before a registration renewal deadline (HCPC, RCT) that `flask cpd remind`
    # reminds a registrant who recorded that register on the CPD page.
    "CPD_REMINDER_DAYS": 60,
    # MSF answers needed before the collated feedback can be released, where the
    # curriculum does not say (programme.assessment.msf_min_raters).
    "MSF_MIN_RATERS": 10,
    "PASSWORD_RESET_MAX_AGE": 3600,
    # Days an invitation link works (it can be resent, which starts a new link).
    "INVITATION_DAYS": 7,
    # Hours the link confirming a new email address works (sent to that address).
    "EMAIL_CHANGE_HOURS": 24,
    # A second factor (TOTP) for password sign-in: the roles that must set one up
    # (anyone may), the days "remember this device" skips it, and the codes a
    # browser may try (per account and per address).
    "TOTP_REQUIRED_ROLES": ["admin"],
    "TOTP_REMEMBER_DAYS": 30,
    "TOTP_RATE_LIMIT": "5 per minute;20 per hour",
    # People per page on the people pages.
    "USERS_PER_PAGE": 25,
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
    # A portfolio with more signed-off items than PDF_PART_ITEMS is laid out in parts
    # of that many items, PDF_PART_PROCESSES child processes at a time, and merged
    # PDF_MERGE_STAGE_PARTS parts a stage into one tagged PDF (docs/exports.md):
    # WeasyPrint holds a whole document's layout in memory and lays out on one CPU.
    "PDF_PART_ITEMS": 150,
    "PDF_PART_PROCESSES": 2,
    "PDF_MERGE_STAGE_PARTS": 7,
    # Without REDIS_URL: "thread" runs jobs in a background thread of the app (a
    # request returns at once; in-memory SQLite always runs them inline), "inline"
    # in the request that queued them.
    "JOBS_IN_PROCESS": "thread",
    # At-risk flags and the cohort's supervisor load (docs/progress.md).
    "RISK_NO_EVIDENCE_WEEKS": 6,
    "RISK_SIGNOFF_WAIT_DAYS": 14,
    "RISK_END_NEAR_DAYS": 120,
    "RISK_END_NEAR_PERCENT": 75,
    "SUPERVISOR_SOFT_CAP": 3,
    # True behind one TLS-terminating proxy (its X-Forwarded-For and -Proto).
    "PROXY_FIX": False,
    # Tests only: a worker sleeps this long in an export job (to kill it mid-render).
    "EXPORT_TEST_DELAY_SECONDS": 0,
    # Portable bundles (docs/exports.md). What `flask export import` will unpack: each
    # file, all files together (and the zip itself), and how much a file over 1 MB
    # may have been compressed (a zip bomb is thousands to one).
    "BUNDLE_MAX_MEMBER_MB": 100,
    "BUNDLE_MAX_TOTAL_MB": 1024,
    "BUNDLE_MAX_RATIO": 100,
    # Base64 Ed25519 public keys of installations whose bundles are trusted (also
    # instance/trusted-keys/*.pub), and this installation's name in the bundles it
    # signs (default: the host of BASE_URL).
    "BUNDLE_TRUSTED_KEYS": [],
    "INSTALLATION_NAME": None,
    "API_MAX_PER_PAGE": 200,
    # Single sign-on (docs/sso.md): a JSON list of OpenID Connect providers, each
    # {"key", "name", "issuer", "client_id", "client_secret"} and optionally
    # "scopes", "token_endpoint_auth_method" ("private_key_jwt" with
    # "private_key_file"), "email_claim", "email_verified_claim", "trust_email",
    # "authorize_params". Empty: password sign-in only.
    "OIDC_PROVIDERS": [],
    # Seconds to wait for a provider's discovery, keys and token endpoints.
    "OIDC_HTTP_TIMEOUT": 10,
    # Clock difference allowed when checking an ID token's expiry and issue time.
    "OIDC_CLOCK_SKEW_SECONDS": 60,
    # How long a person may take at the provider before the sign-in must restart.
    "OIDC_LOGIN_MINUTES": 10,
    # Key for the audit trail's HMACs and checkpoint signatures; kept outside the
    # database. Unset: generated once into instance/audit_key (see docs/audit.md).
    "AUDIT_KEY": None,
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
    if os.environ.get("AUDIT_KEY"):
        app.config["AUDIT_KEY"] = os.environ["AUDIT_KEY"]
    app.config.from_prefixed_env("PORTFOLIO")
    if overrides:
        app.config.from_mapping(overrides)

    configure_base_url(app)
    configure_sso(app)
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
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith("redis"):
        timeout = float(app.config["REDIS_CONNECT_TIMEOUT"])
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        )
    if not app.config["FILES_DIR"]:
        app.config["FILES_DIR"] = str(Path(app.instance_path) / "files")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if app.config.get("AUDIT_KEY"):
        app.config["AUDIT_KEY"] = str(app.config["AUDIT_KEY"])
    else:
        app.config["AUDIT_KEY"] = instance_secret_key(
            Path(app.instance_path), "audit_key"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = postgres_engine_options(
            app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        )


def postgres_engine_options(given: dict) -> dict:
    """PostgreSQL connections tuned for the app's short OLTP queries.

    JIT compilation is off for the app's sessions (``options=-c jit=off``): the
    PostgreSQL manual says it helps mainly long-running CPU-bound (often analytical)
    queries and that for short queries its overhead is often higher than the time it
    saves (https://www.postgresql.org/docs/current/jit-decision.html). Random page
    reads are costed at 1.1 sequential ones, not 4 (``-c random_page_cost=1.1``): the
    manual says a lower value suits data that is mostly cached, or on solid-state
    storage (https://www.postgresql.org/docs/current/runtime-config-query.html#GUC-RANDOM-PAGE-COST),
    as a portfolio's working set is; with 4 the planner scanned whole tables for a
    cohort's few hundred rows rather than probing their indexes. Options given in
    ``SQLALCHEMY_ENGINE_OPTIONS`` win; their ``connect_args.options`` follow ours.
    """
    connect_args = dict(given.get("connect_args") or {})
    extra = connect_args.get("options")
    connect_args["options"] = "-c jit=off -c random_page_cost=1.1" + (
        f" {extra}" if extra else ""
    )
    return {"pool_pre_ping": True, **given, "connect_args": connect_args}


class ConfigError(RuntimeError):
    """A setting is missing or malformed: the app refuses to start."""


def configure_base_url(app: Flask) -> None:
    """Check ``BASE_URL`` and derive ``TRUSTED_HOSTS`` from it.

    Outside tests there is no fallback to the request's host: a link built from
    ``Host`` is a link an attacker chose.
    """
    from urllib.parse import urlsplit

    from portfolio.urls import trusted_hosts

    base = app.config.get("BASE_URL")
    if not base and app.config.get("TESTING"):
        base = app.config["BASE_URL"] = "http://localhost"
    if not base:
        raise ConfigError(
            "Set PORTFOLIO_BASE_URL to the public address of this installation "
            "(for example https://portfolio.trust.nhs.uk, or http://localhost:5000 "
            "on a laptop): every link in emails and exports is built from it."
        )
    parts = urlsplit(str(base))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"PORTFOLIO_BASE_URL must be an http(s) address with a host, not {base!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigError("PORTFOLIO_BASE_URL must not carry a query or fragment")
    extra = app.config.get("TRUSTED_HOSTS") or []
    if isinstance(extra, str):
        extra = [name.strip() for name in extra.split(",")]
    app.config["TRUSTED_HOSTS"] = trusted_hosts(str(base), list(extra))


def configure_sso(app: Flask) -> None:
    """Check ``OIDC_PROVIDERS`` at start-up, so a typo is found before anyone signs in."""
    from portfolio.accounts.oidc import ProviderSettingsError
    from portfolio.accounts.oidc import parse_providers

    try:
        parse_providers(app.config.get("OIDC_PROVIDERS"))
    except ProviderSettingsError as error:
        raise ConfigError(f"PORTFOLIO_{error}") from error


def normalise_database_url(uri: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    return uri


def instance_secret_key(instance: Path, name: str = "secret_key") -> str:
    """Return the key kept in the instance folder file ``name``, creating it once."""
    path = instance / name
    if path.exists():
        return _read_key(path)
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _read_key(path: Path) -> str:
    # The process that created the file may not have written the key into it yet.
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it, or set the key in the environment")
