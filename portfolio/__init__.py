"""MPCE Portfolio: the training and competency e-portfolio for MPCE."""

import secrets
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask import g
from flask import request
from flask import session
from jinja2 import ChainableUndefined
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader
from jinja2 import PackageLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from portfolio.config import load_config
from portfolio.paths import PROJECT_ROOT


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI, errors, headers."""
    app = Flask(
        __name__,
        instance_path=_instance_path(),
        instance_relative_config=True,
        template_folder=None,
    )
    load_config(app, config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_templates(app)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_input_checks(app)
    if app.config.get("PROXY_FIX"):
        # X-Forwarded-Host is not trusted: links come from BASE_URL, and the
        # Host header is checked against TRUSTED_HOSTS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0)  # type: ignore[method-assign]  # Flask's documented pattern
    return app


def _instance_path() -> str:
    import os

    return os.environ.get("PORTFOLIO_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")


def configure_templates(app: Flask) -> None:
    """Use our templates first, then the NHS.UK macros, autoescaping ``.jinja`` too."""
    # Flask only autoescapes .html and friends; our templates are .jinja, and the
    # NHS.UK header macros need ChainableUndefined for their optional params.
    app.jinja_options = {
        **app.jinja_options,
        "undefined": ChainableUndefined,
        "autoescape": True,
    }
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PackageLoader("nhsuk_frontend_jinja"),
        ]
    )
    from portfolio import web
    from portfolio.curriculum.presenters import TYPE_LABELS

    web.init_app(app)
    app.jinja_env.globals["type_labels"] = TYPE_LABELS


def register_extensions(app: Flask) -> None:
    from portfolio import jobs
    from portfolio.extensions import csrf
    from portfolio.extensions import db
    from portfolio.extensions import limiter
    from portfolio.extensions import login_manager
    from portfolio.extensions import migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    import portfolio.models  # noqa: F401  (every model, so metadata is complete)
    from portfolio.accounts.services import load_user

    login_manager.user_loader(load_user)
    jobs.init_app(app)
    _end_read_only_transactions(app)
    from portfolio.progress import revisions

    revisions.install()  # enrolments' revisions move with every flush that changes them
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)


def _end_read_only_transactions(app: Flask) -> None:
    """End each request's transaction with COMMIT when it wrote nothing
    (``portfolio.db.end_read_only``: psycopg then keeps its prepared statements).
    Registered after Flask-SQLAlchemy's own teardown, so it runs before the session
    is closed."""
    from portfolio.db import end_read_only
    from portfolio.db import track_writes
    from portfolio.extensions import db

    track_writes(sa.orm.Session)

    @app.teardown_appcontext
    def _end(error: BaseException | None) -> None:
        if error is None:
            end_read_only(db.session())


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from portfolio.accounts.sso_views import bp as sso_bp
    from portfolio.accounts.totp_views import bp as two_factor_bp
    from portfolio.accounts.views import bp as accounts_bp
    from portfolio.admin.people_views import bp as people_bp
    from portfolio.admin.views import bp as admin_bp
    from portfolio.api import bp as api_bp
    from portfolio.api.case import bp as case_bp
    from portfolio.capacity.views import bp as capacity_bp
    from portfolio.curriculum.views import bp as curriculum_bp
    from portfolio.enrolments.completion_views import bp as stp_bp
    from portfolio.enrolments.views import bp as training_bp
    from portfolio.evidence.views import bp as evidence_bp
    from portfolio.exports.views import bp as exports_bp
    from portfolio.main import bp as main_bp
    from portfolio.msf.views import bp as msf_bp
    from portfolio.notifications.views import bp as notifications_bp
    from portfolio.organisations.views import bp as organisations_bp
    from portfolio.progress.views import bp as progress_bp
    from portfolio.registration.cpd_views import bp as cpd_bp
    from portfolio.registration.referee_views import bp as referee_bp
    from portfolio.registration.views import bp as registration_bp
    from portfolio.signoff.views import bp as signoff_bp
    from portfolio.tickets.views import bp as tickets_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        sso_bp,
        two_factor_bp,
        organisations_bp,
        admin_bp,
        people_bp,
        curriculum_bp,
        api_bp,
        case_bp,
        training_bp,
        evidence_bp,
        signoff_bp,
        tickets_bp,
        msf_bp,
        notifications_bp,
        exports_bp,
        capacity_bp,
        progress_bp,
        stp_bp,
        registration_bp,
        referee_bp,
        cpd_bp,
    ):
        app.register_blueprint(blueprint)


def register_cli(app: Flask) -> None:
    from portfolio.cli import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from portfolio.errors import init_app

    init_app(app)


def register_input_checks(app: Flask) -> None:
    """Refuse unusable input (NUL, lone surrogates, deep JSON) before any view."""
    from portfolio.inputs import check_request

    app.before_request(check_request)


def register_security_headers(app: Flask) -> None:
    """Nonce-based CSP and the other headers on every response."""

    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def inject_nonce() -> dict:
        from flask import has_request_context
        from flask import url_for

        if not has_request_context():
            return {}  # templates rendered by jobs (PDFs) need no page context
        return {
            "cspNonce": g.get("csp_nonce", ""),
            "assetPath": url_for("static", filename="nhsuk/assets"),
        }

    @app.after_request
    def security_headers(response):
        nonce = g.get("csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            "form-action 'self'",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # A page may ask for less (the ticket pages: no referrer at all).
        response.headers.setdefault(
            "Referrer-Policy", "strict-origin-when-cross-origin"
        )
        response.headers["Permissions-Policy"] = (
            "camera=(), microphone=(), geolocation=()"
        )
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        # The session is read, not the user loaded: this runs on every response,
        # /healthz's 503 included, when the database may be down.
        signed_in = session.get("_user_id") is not None
        if signed_in or request.authorization or g.get("no_store"):
            response.headers["Cache-Control"] = "no-store"
        return response
