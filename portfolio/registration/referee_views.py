"""The page a proposer's or referee's emailed link opens, without signing in. The
link's secret is the only key; pages are never cached and send no referrer, as
for the other ticket pages (portfolio/tickets/views.py)."""

from flask import Blueprint
from flask import render_template
from flask import request

from portfolio.extensions import db
from portfolio.forms import attempt
from portfolio.forms import error_items
from portfolio.registration import services
from portfolio.registration.forms import ConfirmForm
from portfolio.tickets import services as tickets

bp = Blueprint("referee", __name__, url_prefix="/referee")


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/<token>", methods=("GET", "POST"))
def confirm(token: str):
    ticket = tickets.find(token, services.PURPOSE)
    state = ticket.state()
    if state != "open":
        return render_template(
            "tickets/unusable.jinja",
            title="This link cannot be used",
            message=tickets.UNUSABLE[state],
        ), 410
    nominee = services.nominee_for_ticket(ticket)
    application = nominee.application
    if request.method == "GET":
        tickets.opened(ticket)
        db.session.commit()
    form = ConfirmForm() if request.method == "POST" else ConfirmForm(formdata=None)
    if request.method == "GET":
        form.name.data = ticket.name
    status = 200
    if request.method == "POST":
        unplaced = attempt(
            form,
            lambda: services.confirm_by_ticket(
                ticket,
                form.identity(),
                form.decision.data or "",
                form.statement.data or "",
            ),
        )
        if unplaced is None:
            confirmed = form.decision.data == "confirm"
            return render_template(
                "tickets/done.jinja",
                title="Thank you",
                heading="Application confirmed" if confirmed else "You declined",
                message=f"{application.owner.name} has been told. You can close this "
                "page; the link no longer works.",
            )
        form.form_errors += [e["message"] for e in unplaced]
        status = 422
    route = services.route_of(application)
    standards = services.standards_map(application)
    return render_template(
        "registration/referee.jinja",
        title=f"Confirm {application.owner.name}’s application",
        token=token,
        form=form,
        nominee=nominee,
        application=application,
        route=route,
        choice_label=services.choice_label(application),
        standards=standards,
        error_list=error_items(form),
    ), status
