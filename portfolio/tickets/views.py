"""The pages a ticket opens, without signing in: a DOPS, OCE or CBD to assess, or
an MSF questionnaire. The link's secret is the only key; pages are never cached
and send no referrer, so the secret does not leak into logs of other sites (what
every ticket page shares is in portfolio/tickets/pages.py)."""

from flask import Blueprint
from flask import abort
from flask import redirect
from flask import render_template
from flask import url_for

from portfolio.downloads import send_stored
from portfolio.evidence import kinds
from portfolio.evidence import markdown
from portfolio.evidence.attachments import file_path
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.forms import error_items
from portfolio.msf import questionnaire
from portfolio.msf import services as msf
from portfolio.signoff import services as signoff
from portfolio.signoff.forms import DECISION_ALIASES
from portfolio.tickets import pages
from portfolio.tickets.forms import MsfRaterForm
from portfolio.tickets.forms import assessment_form_class
from portfolio.tickets.models import Ticket

bp = Blueprint("tickets", __name__, url_prefix="/ticket")
pages.keep_private(bp)


@bp.route("/<token>", methods=("GET", "POST"))
def open_ticket(token: str):
    ticket, refused = pages.usable(token)
    if ticket is None:
        return refused
    pages.opened_on_get(ticket)
    if ticket.purpose == "wba":
        return _assess(ticket, token)
    if ticket.purpose == "referee":
        # A proposer's or referee's link: their page lives with registration.
        return redirect(url_for("referee.confirm", token=token))
    return _answer_msf(ticket, token)


def _evidence(ticket: Ticket) -> Evidence:
    evidence = db.session.get(Evidence, ticket.subject_id)
    if evidence is None:
        abort(404)
    return evidence


def _assess(ticket: Ticket, token: str):
    evidence = _evidence(ticket)
    form_class = assessment_form_class(evidence.kind)
    form = pages.form_for(form_class, ticket)
    finished, status = pages.take(
        form,
        lambda: signoff.complete_by_ticket(
            ticket,
            form.identity(),
            form.decision.data or "",
            form.comment.data or "",
            form.assessment_data(),
        ),
        DECISION_ALIASES,
    )
    if finished:
        approved = form.decision.data == "approve"
        return pages.done(
            "Assessment signed off" if approved else "Returned with feedback",
            f"{evidence.owner.name} has been told. You can close this page; "
            "the link no longer works.",
        )
    errors = error_items(form)
    return render_template(
        "tickets/assess.jinja",
        title=f"Assess {evidence.owner.name}’s {evidence.kind.upper()}",
        evidence=evidence,
        token=token,
        ticket=ticket,
        form=form,
        error_list=errors,
        body_html=markdown.render(evidence.body),
        text_fields=kinds.text_fields(evidence.kind),
        answers=kinds.context_answers(evidence.form),
        earlier=signoff.signoffs_of(evidence),
        declaration=signoff.DECLARATION,
    ), status


@bp.get("/<token>/files/<attachment_id>")
def download(token: str, attachment_id: str):
    """A file attached to the item being assessed, while the link can be used."""
    ticket, refused = pages.usable(token)
    if ticket is None or ticket.purpose != "wba":
        return refused or abort(404)
    evidence = _evidence(ticket)
    attachment = next((a for a in evidence.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    response = send_stored(
        file_path(attachment),
        f"attachment {attachment.id}",
        mimetype=attachment.media_type,
        as_attachment=True,
        download_name=attachment.filename,
    )
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


def _answer_msf(ticket: Ticket, token: str):
    msf_round = msf.round_for_ticket(ticket)
    form = pages.form_for(MsfRaterForm)
    finished, status = pages.take(
        form,
        lambda: msf.respond(ticket, *form.data_for_service()),
        {"answers": "answers"},
    )
    if finished:
        return pages.done(
            "Your feedback has been sent",
            f"Thank you. {msf_round.trainee.name} will see it only "
            "collated with other people's, never as yours. You can close this "
            "page; the link no longer works.",
        )
    return render_template(
        "tickets/msf.jinja",
        title=f"Feedback for {msf_round.trainee.name}",
        msf_round=msf_round,
        token=token,
        form=form,
        error_list=error_items(form),
        proposal_note=questionnaire.PROPOSAL_NOTE,
    ), status
