"""Home page, about page and the health check."""

import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template
from flask_login import current_user
from flask_login import login_required

from portfolio import jobs
from portfolio import policy
from portfolio.extensions import db

bp = Blueprint("main", __name__)


@bp.record_once
def template_helpers(state) -> None:
    """Percentages as people write them, a module's "still needed" in words, and a
    progress's outcomes by code and under way."""
    from portfolio.progress import dashboard

    state.app.jinja_env.filters["percent"] = dashboard.percent_text
    state.app.jinja_env.globals["module_still_needed"] = dashboard.module_still_needed
    # A 300-outcome curriculum's outcomes indexed and filtered in Python, not in a
    # template loop over every outcome.
    state.app.jinja_env.globals["outcomes_by_code"] = dashboard.outcomes_by_code
    state.app.jinja_env.globals["outcomes_under_way"] = dashboard.outcomes_under_way


@bp.get("/")
@login_required
def home():
    """Show each role what it came for: a trainee's dashboard, a supervisor's
    workspace, a lead's cohort at a glance, then links to everything else."""
    from portfolio.progress import dashboard

    trainee = supervisor = lead = None
    if policy.can_record_evidence(current_user):
        trainee = dashboard.trainee_home(current_user)
    if _lead_not_admin(current_user):
        lead = dashboard.lead_home(policy.cohort_organisation_ids(current_user))
    if policy.can_sign_off(current_user):
        supervisor = dashboard.supervisor_home(current_user)
        if lead and not (supervisor.trainees or supervisor.queue):
            supervisor = None  # a lead who supervises no one: the cohort is theirs
    return render_template(
        "main/home.jinja",
        title="Home",
        roles=current_user.current_roles,
        sections=home_sections(),
        trainee=trainee,
        supervisor=supervisor,
        lead=lead,
    )


def home_sections() -> list[dict]:
    """The home page cards for the current user's roles (features add theirs)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    cards = []
    for may_see, endpoint, heading, text in HOME_CARDS:
        if not may_see(current_user):
            continue
        try:
            href = url_for(endpoint)
        except BuildError:
            continue
        cards.append({"href": href, "heading": heading, "description": text})
    return cards


def _signed_in(user) -> bool:
    return user.is_authenticated


def _lead_not_admin(user) -> bool:
    return bool(policy.lead_organisation_ids(user)) and not policy.is_admin(user)


# (who sees the card: a predicate from portfolio.policy, endpoint, heading, text)
HOME_CARDS = (
    (
        policy.can_record_evidence,
        "progress.dashboard",
        "Your progress",
        "Progress by module, what is still missing and why, and what to do next.",
    ),
    (
        policy.can_manage_enrolments,
        "progress.cohort",
        "Your cohort",
        "Trainees' progress, flags, last activity and supervisor load.",
    ),
    (
        policy.can_use_exports,
        "exports.index",
        "Exports and sharing",
        "Portfolio PDFs, registration packs and links for assessors.",
    ),
    (
        policy.can_record_evidence,
        "evidence.index",
        "Your evidence",
        "Record evidence, map it to outcomes and ask for sign-off.",
    ),
    (
        policy.can_sign_off,
        "progress.trainees",
        "My trainees",
        "The trainees you supervise: progress, what waits for you, last activity.",
    ),
    (
        policy.can_sign_off,
        "signoff.queue",
        "Sign-off queue",
        "Evidence your trainees have asked you to sign off.",
    ),
    (
        _lead_not_admin,
        "training.index",
        "Enrolments",
        "Enrol trainees and assign their supervisors.",
    ),
    (
        policy.is_admin,
        "training.index",
        "Enrolments",
        "Every enrolment, at every trust.",
    ),
    (
        _signed_in,
        "curriculum.index",
        "Curricula",
        "Browse the curricula, standards and crosswalks.",
    ),
    (
        policy.can_list_people,
        "people.index",
        "People",
        "Find people, invite them, change their roles and deactivate leavers.",
    ),
    (
        policy.can_see_organisations,
        "organisations.index",
        "Organisations",
        "Trusts and health boards.",
    ),
    (
        policy.can_see_capacity_totals,
        "capacity.index",
        "Workforce capacity",
        "Training places, workforce figures and scenarios for closing the gap.",
    ),
    (
        _signed_in,
        "notifications.index",
        "Notifications",
        "Sign-off requests, decisions and other news.",
    ),
    (
        _signed_in,
        "accounts.account",
        "Your account",
        "Password and personal API tokens.",
    ),
)


@bp.get("/favicon.ico")
def favicon():
    """The NHS.UK favicon at the address browsers ask for without a link (the
    pages link the copies nhsuk-frontend ships, under /static/nhsuk/assets)."""
    from pathlib import Path

    from flask import Response

    assert current_app.static_folder is not None
    icon = Path(current_app.static_folder, "nhsuk", "assets", "images", "favicon.ico")
    # Read whole (a few kilobytes), so no open file outlives the response.
    response = Response(icon.read_bytes(), mimetype="image/x-icon")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/about")
def about():
    return render_template("main/about.jinja", title="About and accessibility")


@bp.get("/healthz")
def healthz():
    """Report database and queue health.

    503 only when the database is unreachable: nothing works without it. Without
    Redis the node still serves every page and API call that needs no job (rate
    limits fall back to memory), so it answers 200 "degraded" and a load balancer
    keeps it in service.
    """
    body = {"status": "ok", "database": "ok", "queue": "inline"}
    status = 200
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.error("health check: database unreachable: %s", error)
        db.session.rollback()
        body.update(status="error", database="unavailable")
        status = 503
    if current_app.config.get("REDIS_URL"):
        body["queue"] = "redis"
        try:
            jobs.redis_connection().ping()
        except Exception as error:  # redis raises several unrelated types when down
            current_app.logger.warning("health check: Redis unreachable: %s", error)
            body["queue"] = "unreachable"
            if status == 200:
                body["status"] = "degraded"
    response = jsonify(body)
    response.status_code = status
    return response
