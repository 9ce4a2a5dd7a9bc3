"""The sign-off workflow on the web: submit, withdraw, decide, unlock, and the queue."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio import policy
from portfolio.evidence.page import load
from portfolio.evidence.page import render_evidence
from portfolio.extensions import db
from portfolio.forms import attempt
from portfolio.forms import error_items
from portfolio.rules import Invalid
from portfolio.signoff import services
from portfolio.signoff.forms import DECISION_ALIASES
from portfolio.signoff.forms import SUBMIT_ALIASES
from portfolio.signoff.forms import BulkApproveForm
from portfolio.signoff.forms import DecisionForm
from portfolio.signoff.forms import SubmitForm
from portfolio.signoff.forms import UnlockForm
from portfolio.signoff.forms import decision_form

bp = Blueprint("signoff", __name__, url_prefix="/signoff")


def _edit_link(evidence_id: str, field: str) -> str:
    """Where on the edit form a submission error about ``field`` can be fixed."""
    anchor = "q" if field == "claims" else field.replace("form.", "answers.", 1)
    return url_for(
        "evidence.edit", evidence_id=evidence_id, _anchor=anchor.replace(".", "-")
    )


@bp.post("/<evidence_id>/submit")
@login_required
def submit(evidence_id: str):
    """Ask one of the trainee's supervisors to sign the evidence off, or send an
    assessor without an account a single-use link."""
    evidence = load(evidence_id)
    form = SubmitForm()
    unplaced = attempt(
        form,
        lambda: services.submit(
            current_user, evidence, form.assessor.data or "", form.external()
        ),
        SUBMIT_ALIASES,
    )
    if unplaced is not None:
        elsewhere = [
            {"text": e["message"], "href": _edit_link(evidence.id, e["field"])}
            for e in unplaced
        ]
        return render_evidence(evidence, 422, errors=elsewhere, submit_form=form)
    ticket = services.ticket_of(evidence)
    if ticket is not None:
        flash(
            f"We emailed {ticket.name} a link to assess it ({ticket.email}). It works "
            f"once, until {ticket.expires_at:%-d %B %Y}. You can send it again or "
            "cancel it here.",
            "success",
        )
    else:
        assert evidence.submitted_to is not None  # submit() just set it
        flash(
            f"Sent to {evidence.submitted_to.name} for sign-off. You can withdraw it "
            "until they decide.",
            "success",
        )
    return redirect(url_for("evidence.show", evidence_id=evidence.id))


@bp.post("/<evidence_id>/ticket/resend")
@login_required
def resend_ticket(evidence_id: str):
    """Send the assessor without an account a fresh link."""
    evidence = load(evidence_id)
    ticket = services.resend_ticket(current_user, evidence)
    flash(
        f"We sent {ticket.name} a new link. It works until "
        f"{ticket.expires_at:%-d %B %Y}; the old one no longer does.",
        "success",
    )
    return redirect(url_for("evidence.show", evidence_id=evidence.id))


@bp.post("/<evidence_id>/ticket/revoke")
@login_required
def revoke_ticket(evidence_id: str):
    """Cancel the link: the evidence is a draft again."""
    evidence = load(evidence_id)
    services.revoke_ticket(current_user, evidence)
    flash("You cancelled the link. The evidence is a draft again.", "success")
    return redirect(url_for("evidence.show", evidence_id=evidence.id))


@bp.post("/<evidence_id>/withdraw")
@login_required
def withdraw(evidence_id: str):
    """Take evidence back from sign-off so it can be changed."""
    evidence = load(evidence_id)
    services.withdraw(current_user, evidence)
    flash("You withdrew it from sign-off. It is a draft again.", "success")
    return redirect(url_for("evidence.show", evidence_id=evidence.id))


def _decide(evidence, form: DecisionForm) -> None:
    services.decide(
        current_user,
        evidence,
        form.decision.data or "",
        form.comment.data or "",
        form.assessment_data(),
    )
    verb = "signed off" if evidence.status == "signed_off" else "returned"
    flash(f"You {verb} “{evidence.title}” ({evidence.owner.name}).", "success")


@bp.post("/<evidence_id>/decide")
@login_required
def decide(evidence_id: str):
    """Sign off or return evidence from its page (where the whole item is shown),
    completing a DOPS, OCE or CBD's assessor's form when signing it off."""
    evidence = load(evidence_id)
    form = decision_form(services.decision_kind(evidence))
    unplaced = attempt(form, lambda: _decide(evidence, form), DECISION_ALIASES)
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return render_evidence(evidence, 422, decision_form=form)
    return redirect(url_for("signoff.queue"))


@bp.post("/<evidence_id>/unlock")
@login_required
def unlock(evidence_id: str):
    """Reopen signed-off evidence for changes, keeping the old sign-off."""
    evidence = load(evidence_id)
    form = UnlockForm()
    unplaced = attempt(
        form, lambda: services.unlock(current_user, evidence, form.reason.data or "")
    )
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return render_evidence(evidence, 422, unlock_form=form)
    flash("Unlocked. The trainee can change it and ask for sign-off again.", "success")
    return redirect(url_for("evidence.show", evidence_id=evidence.id))


# ---- the queue -----------------------------------------------------------------------


QUEUE_PER_PAGE = 50


def _render_queue():
    """The queue, 50 requests a page, in a fixed number of queries whatever its length."""
    import sqlalchemy as sa

    from portfolio.accounts.models import User
    from portfolio.evidence.models import Evidence
    from portfolio.evidence.models import OutcomeClaim

    trainee_id = request.args.get("trainee") or None
    query = services.queue(current_user, trainee_id).options(
        sa.orm.selectinload(Evidence.imported_from)
    )
    page = db.paginate(query, per_page=QUEUE_PER_PAGE, error_out=False)
    items = list(page.items)
    claims = dict(
        db.session.execute(
            sa.select(OutcomeClaim.evidence_id, sa.func.count())
            .where(OutcomeClaim.evidence_id.in_([i.id for i in items] or [""]))
            .group_by(OutcomeClaim.evidence_id)
        ).all()
    )
    rows = [
        {
            "evidence": item,
            "age": services.age_in_days(item),
            "claims": claims.get(item.id, 0),
        }
        for item in items
    ]
    waiting = services.queue(current_user).subquery()
    trainees = [
        {"owner": {"id": owner_id, "name": name}, "count": count}
        for owner_id, name, count in db.session.execute(
            sa.select(waiting.c.owner_id, User.name, sa.func.count())
            .join(User, User.id == waiting.c.owner_id)
            .group_by(waiting.c.owner_id, User.name)
            .order_by(sa.func.min(waiting.c.submitted_at), waiting.c.owner_id)
        )
    ]
    trainee = None
    if trainee_id:
        trainee = next(
            (t["owner"] for t in trainees if t["owner"]["id"] == trainee_id), None
        )
    return render_template(
        "signoff/queue.jinja",
        title="Sign-off queue",
        rows=rows,
        page=page,
        trainee=trainee,
        trainee_id=trainee_id,
        trainees=trainees,
    )


def _review_page(items, form, status: int = 200, errors=None):
    from portfolio.evidence import kinds
    from portfolio.evidence import markdown

    return render_template(
        "signoff/review.jinja",
        title="Review and sign off together",
        items=[
            {
                "evidence": item,
                "body_html": markdown.render(item.body),
                "fields": kinds.text_fields(item.kind),
                "earlier": services.signoffs_of(item),
                "age": services.age_in_days(item),
            }
            for item in items
        ],
        form=form,
        error_list=error_items(form, extra=errors),
        back_href=url_for("signoff.queue"),
    ), status


@bp.get("/review")
@policy.requires(policy.can_sign_off)
def review():
    """The chosen requests, each in full, with one sign-off for them all."""
    ids = request.args.getlist("items")
    try:
        items = services.bulk_reviewable(current_user, ids)
    except Invalid as error:
        flash(" ".join(e["message"] for e in error.errors) or error.message, "error")
        return redirect(url_for("signoff.queue"))
    return _review_page(items, BulkApproveForm(formdata=None))


@bp.post("/review")
@policy.requires(policy.can_sign_off)
def approve_reviewed():
    ids = request.form.getlist("items")
    form = BulkApproveForm()
    done: list = []
    unplaced = attempt(
        form,
        lambda: done.extend(
            services.approve_all(
                current_user, ids, bool(form.read_each.data), form.comment.data or ""
            )
        ),
    )
    if unplaced is not None:
        try:
            items = services.bulk_reviewable(current_user, ids)
        except Invalid:
            return redirect(url_for("signoff.queue"))
        extra = [{"text": e["message"], "href": "#items"} for e in unplaced]
        return _review_page(items, form, 422, extra)
    flash(f"You signed off {len(done)} items.", "success")
    return redirect(url_for("signoff.queue"))


@bp.get("/queue")
@policy.requires(policy.can_sign_off)
def queue():
    """Everything waiting for the current supervisor, oldest first. Each request
    opens on its own page, which shows the whole item with the decision form."""
    return _render_queue()
