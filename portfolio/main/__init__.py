"""Home page, about page and the health check."""

import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template
from flask_login import current_user
from flask_login import login_required

from portfolio import jobs
from portfolio.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    """Show each role what it came for."""
    return render_template(
        "main/home.jinja",
        title="Home",
        roles=current_user.roles,
        sections=home_sections(),
    )


def home_sections() -> list[dict]:
    """The home page cards for the current user's roles (features add theirs)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    cards = []
    for role, endpoint, heading, text in HOME_CARDS:
        if role and not current_user.has_role(role):
            continue
        try:
            href = url_for(endpoint)
        except BuildError:
            continue
        cards.append({"href": href, "heading": heading, "description": text})
    return cards


HOME_CARDS = (
    (
        "trainee",
        "progress.dashboard",
        "Your progress",
        "Progress by module, what is still missing and why, and what to do next.",
    ),
    (
        "training_lead",
        "progress.cohort",
        "Your cohort",
        "Trainees' progress, flags, last activity and supervisor load.",
    ),
    (
        None,
        "exports.index",
        "Exports and sharing",
        "Portfolio PDFs, registration packs and links for assessors.",
    ),
    (
        "trainee",
        "evidence.index",
        "Your evidence",
        "Record evidence, map it to outcomes and ask for sign-off.",
    ),
    (
        "supervisor",
        "signoff.queue",
        "Sign-off queue",
        "Evidence your trainees have asked you to sign off.",
    ),
    (
        "training_lead",
        "training.index",
        "Enrolments",
        "Enrol trainees and assign their supervisors.",
    ),
    ("admin", "training.index", "Enrolments", "Every enrolment, at every trust."),
    (
        None,
        "curriculum.index",
        "Curricula",
        "Browse the curricula, standards and crosswalks.",
    ),
    ("admin", "admin.users", "Users and roles", "Create accounts and assign roles."),
    ("admin", "organisations.index", "Organisations", "Trusts and health boards."),
    (
        "training_lead",
        "organisations.index",
        "Organisations",
        "Trusts and health boards.",
    ),
    (
        "training_lead",
        "capacity.index",
        "Workforce capacity",
        "Training places, workforce figures and scenarios for closing the gap.",
    ),
    (
        None,
        "notifications.index",
        "Notifications",
        "Sign-off requests, decisions and other news.",
    ),
    (None, "accounts.account", "Your account", "Password and personal API tokens."),
)


@bp.get("/about")
def about():
    return render_template("main/about.jinja", title="About and accessibility")


@bp.get("/healthz")
def healthz():
    """Report database and queue health; 503 when the database is unreachable."""
    body = {"status": "ok", "database": "ok", "queue": "inline"}
    status = 200
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        body.update(status="error", database="unavailable")
        status = 503
    if current_app.config.get("REDIS_URL"):
        body["queue"] = "redis"
        try:
            jobs.redis_connection().ping()
        except Exception:  # redis raises several unrelated types when down
            body["queue_status"] = "unavailable"
    response = jsonify(body)
    response.status_code = status
    return response
