"""What every page a ticket's link opens shares, whichever blueprint serves it (the
assessment and MSF pages in portfolio/tickets/views.py, the proposer's and
referee's page in portfolio/registration/referee_views.py).

The link's secret is the only key, so the pages are never cached and send no
referrer (the secret does not leak into other sites' logs); a link that cannot be
used any more gets a page saying why; a form is tried once and answered with a
thank-you page or shown again with its errors.
"""

from collections.abc import Callable

from flask import Blueprint
from flask import render_template
from flask import request

from portfolio.extensions import db
from portfolio.forms import attempt
from portfolio.tickets import services
from portfolio.tickets.models import Ticket


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def keep_private(bp: Blueprint) -> None:
    """Every response of ``bp``: not stored, no referrer, not indexed."""
    bp.after_request(_private)


def usable(token: str, purpose: str | None = None) -> tuple[Ticket | None, object]:
    """The ticket the link names (NotFound if none, or not for ``purpose``), or
    None and the page (410) that says why it cannot be used."""
    ticket = services.find(token, purpose)
    state = ticket.state()
    if state != "open":
        return None, (
            render_template(
                "tickets/unusable.jinja",
                title="This link cannot be used",
                message=services.UNUSABLE[state],
            ),
            410,
        )
    return ticket, None


def opened_on_get(ticket: Ticket) -> None:
    """Record (and commit) that the page was opened, when it is being read."""
    if request.method == "GET":
        services.opened(ticket)
        db.session.commit()


def form_for(form_class, ticket: Ticket | None = None, **options):
    """The page's form: the posted data on POST, empty on GET (with the ticket
    holder's name in ``name`` when ``ticket`` is given)."""
    if request.method == "POST":
        return form_class(**options)
    form = form_class(formdata=None, **options)
    if ticket is not None:
        form.name.data = ticket.name
    return form


def take(form, action: Callable[[], object], aliases: dict | None = None):
    """On POST, try ``action`` for ``form``: (True, 200) when it was done, else
    (False, 422) with the errors on the form. On GET: (False, 200)."""
    if request.method != "POST":
        return False, 200
    unplaced = attempt(form, action, aliases)
    if unplaced is None:
        return True, 200
    form.form_errors += [e["message"] for e in unplaced]
    return False, 422


def done(heading: str, message: str) -> str:
    """The thank-you page once the link has been used."""
    return render_template(
        "tickets/done.jinja", title="Thank you", heading=heading, message=message
    )
