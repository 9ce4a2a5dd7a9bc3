"""The page a proposer's or referee's emailed link opens, without signing in. The
link's secret is the only key; pages are never cached and send no referrer, as
for the other ticket pages (what they share is in portfolio/tickets/pages.py)."""

from flask import Blueprint
from flask import render_template

from portfolio.forms import error_items
from portfolio.registration import services
from portfolio.registration.forms import ConfirmForm
from portfolio.tickets import pages

bp = Blueprint("referee", __name__, url_prefix="/referee")
pages.keep_private(bp)


@bp.route("/<token>", methods=("GET", "POST"))
def confirm(token: str):
    ticket, refused = pages.usable(token, services.PURPOSE)
    if ticket is None:
        return refused
    nominee = services.nominee_for_ticket(ticket)
    application = nominee.application
    pages.opened_on_get(ticket)
    form = pages.form_for(ConfirmForm, ticket)
    finished, status = pages.take(
        form,
        lambda: services.confirm_by_ticket(
            ticket,
            form.identity(),
            form.decision.data or "",
            form.statement.data or "",
        ),
    )
    if finished:
        confirmed = form.decision.data == "confirm"
        return pages.done(
            "Application confirmed" if confirmed else "You declined",
            f"{application.owner.name} has been told. You can close this "
            "page; the link no longer works.",
        )
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
