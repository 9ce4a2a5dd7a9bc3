"""STP pages: record review-of-progression items on the progress page, and the Final
Year Assessment, the MSc, the e-portfolio sign-off and extensions on the enrolment page.

The forms sit on those two pages (their templates ask for them through the template
globals below); a refused form comes back on a page of its own with the error
summary, keeping what was typed.
"""

from collections.abc import Callable
from datetime import date

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio import policy
from portfolio.enrolments import completion
from portfolio.enrolments import services
from portfolio.enrolments.completion_forms import ExtensionForm
from portfolio.enrolments.completion_forms import FyaResultForm
from portfolio.enrolments.completion_forms import FyaSittingForm
from portfolio.enrolments.completion_forms import MscForm
from portfolio.enrolments.completion_forms import PortfolioSignOffForm
from portfolio.enrolments.completion_forms import ProgressionRecordForm
from portfolio.enrolments.models import Enrolment
from portfolio.forms import choices
from portfolio.forms import submit
from portfolio.progress import stp_review
from portfolio.progress import stp_tracking
from portfolio.progress import tracking

bp = Blueprint("stp", __name__)


@bp.record_once
def labels(state) -> None:
    """The rules' labels and sources as template globals (imported macros see them)."""
    state.app.jinja_env.globals.update(
        {
            "status_labels": stp_review.STATUS_LABELS,
            "state_labels": stp_review.STATE_LABELS,
            "source_title": stp_review.source_title,
            "record_kinds": stp_review.RECORD_KINDS,
            "reporters": stp_review.REPORTERS,
            "check_in_topics": stp_review.CHECK_IN_TOPICS,
            "faqs_url": stp_review.SOURCES["faqs"],
        }
    )


def _load(enrolment_id: str) -> Enrolment:
    return services.get_enrolment(current_user, enrolment_id)


def _lead_only(enrolment: Enrolment) -> None:
    if not policy.can_record_stp_completion(current_user, enrolment):
        abort(403)


def _stp_only(enrolment: Enrolment) -> None:
    if not stp_tracking.is_stp(enrolment):
        abort(404)


@bp.app_template_global()
def stp_record_kinds(enrolment: Enrolment) -> dict[str, str]:
    """The review-of-progression records the signed-in user may add here."""
    return {
        kind: label
        for kind, label in stp_review.RECORD_KINDS.items()
        if policy.can_record_progression(current_user, enrolment, kind)
    }


@bp.app_template_global()
def stp_record_form(enrolment: Enrolment) -> ProgressionRecordForm | None:
    kinds = stp_record_kinds(enrolment)
    if not kinds:
        return None
    form = ProgressionRecordForm(formdata=None, prefix="stp", held_on=date.today())
    form.kind.choices = choices(kinds)
    return form


@bp.app_template_global()
def stp_completion_page(enrolment: Enrolment) -> dict | None:
    """What the enrolment page shows about STP completion, with the lead's forms."""
    if not stp_tracking.is_stp(enrolment):
        return None
    today = date.today()
    standing = stp_tracking.standing_of(
        enrolment, tracking.progress_of(enrolment), today
    )
    may = policy.can_record_stp_completion(current_user, enrolment)
    row = standing.completion if standing else None
    return {
        "standing": standing,
        "complete": completion.is_complete(standing.completion_checks)
        if standing
        else False,
        "can_record": may,
        "fya_form": FyaSittingForm(formdata=None) if may else None,
        "result_form": FyaResultForm(formdata=None, prefix="result") if may else None,
        "msc_form": MscForm(
            formdata=None,
            msc_status=row.msc_status if row else None,
            institution=row.msc_institution if row else "",
            awarded_on=row.msc_awarded_on if row else None,
        )
        if may
        else None,
        "signoff_form": PortfolioSignOffForm(formdata=None, signed_on=today)
        if may
        else None,
        "extension_form": ExtensionForm(formdata=None, prefix="extension")
        if may
        else None,
        "outcome_labels": completion.FYA_OUTCOME_LABELS,
        "msc_labels": completion.MSC_LABELS,
        "extension_labels": completion.EXTENSION_LABELS,
        "sources": completion.SOURCES,
    }


def _enrolment_page(enrolment: Enrolment) -> str:
    return url_for("training.show", enrolment_id=enrolment.id, _anchor="stp-completion")


def _lead_enrolment(enrolment_id: str) -> Enrolment:
    """An STP enrolment whose completion the signed-in user may record."""
    enrolment = _load(enrolment_id)
    _stp_only(enrolment)
    _lead_only(enrolment)
    return enrolment


def _recorded(
    enrolment: Enrolment,
    form,
    action: Callable[[], object],
    done: str | Callable[[], str],
    heading: str,
    back: str | None = None,
):
    """Every STP form's post: submit ``form`` to ``action``; when it is taken, say
    ``done`` and go ``back`` (the enrolment page's STP completion by default);
    when refused, the form again on a page of its own, posting to this same URL."""
    back = back or _enrolment_page(enrolment)
    unplaced = submit(form, action)
    if unplaced is None:
        flash(done() if callable(done) else done, "success")
        return redirect(back)
    form.form_errors += [e["message"] for e in unplaced]
    return render_template(
        "training/stp_form.jinja",
        title=heading,
        heading=heading,
        enrolment=enrolment,
        form=form,
        action=url_for(request.endpoint or "", **(request.view_args or {})),
        back_href=back,
        record_kinds=stp_record_kinds(enrolment),
    ), 422


@bp.post("/progress/<enrolment_id>/stp/records")
@login_required
def record_progression(enrolment_id: str):
    enrolment = _load(enrolment_id)
    _stp_only(enrolment)
    kinds = stp_record_kinds(enrolment)
    if not kinds:
        abort(403)
    form = ProgressionRecordForm(prefix="stp")
    form.kind.choices = choices(kinds)
    return _recorded(
        enrolment,
        form,
        lambda: completion.record_progression(
            current_user,
            enrolment,
            form.kind.data or "",
            form.held_on.data,
            form.reporter.data or "",
            form.topics.data or [],
            form.text.data or "",
        ),
        lambda: f"{stp_review.RECORD_KINDS[form.kind.data]} recorded.",
        "Record for the review of progression",
        url_for("progress.enrolment", enrolment_id=enrolment.id, _anchor="stp-review"),
    )


@bp.post("/enrolments/<enrolment_id>/stp/fya")
@login_required
def record_fya_sitting(enrolment_id: str):
    enrolment = _lead_enrolment(enrolment_id)
    form = FyaSittingForm()
    return _recorded(
        enrolment,
        form,
        lambda: completion.record_fya_sitting(
            current_user,
            enrolment,
            form.sat_on.data,
            form.outcome.data or "",
            form.note.data or "",
        ),
        "Final Year Assessment sitting recorded.",
        "Record a Final Year Assessment sitting",
    )


@bp.post("/enrolments/<enrolment_id>/stp/fya/<sitting_id>/result")
@login_required
def record_fya_result(enrolment_id: str, sitting_id: str):
    enrolment = _lead_enrolment(enrolment_id)
    form = FyaResultForm(prefix="result")
    return _recorded(
        enrolment,
        form,
        lambda: completion.record_fya_result(
            current_user, enrolment, sitting_id, form.outcome.data or ""
        ),
        "Result recorded.",
        "Record the result of a Final Year Assessment sitting",
    )


@bp.post("/enrolments/<enrolment_id>/stp/msc")
@login_required
def record_msc(enrolment_id: str):
    enrolment = _lead_enrolment(enrolment_id)
    form = MscForm()
    return _recorded(
        enrolment,
        form,
        lambda: completion.record_msc(
            current_user,
            enrolment,
            form.msc_status.data or "",
            form.institution.data or "",
            form.awarded_on.data,
        ),
        "MSc recorded.",
        "Record the MSc",
    )


@bp.post("/enrolments/<enrolment_id>/stp/portfolio-sign-off")
@login_required
def sign_off_portfolio(enrolment_id: str):
    enrolment = _lead_enrolment(enrolment_id)
    form = PortfolioSignOffForm()
    return _recorded(
        enrolment,
        form,
        lambda: completion.sign_off_portfolio(
            current_user, enrolment, form.signed_on.data
        ),
        "E-portfolio signed off.",
        "Sign off the e-portfolio",
    )


@bp.post("/enrolments/<enrolment_id>/stp/extensions")
@login_required
def record_extension(enrolment_id: str):
    enrolment = _lead_enrolment(enrolment_id)
    form = ExtensionForm(prefix="extension")
    return _recorded(
        enrolment,
        form,
        lambda: completion.record_extension(
            current_user,
            enrolment,
            form.kind.data or "",
            form.start_date.data,
            form.end_date.data,
            form.new_end_date.data,
            form.reason.data or "",
        ),
        "Extension to training recorded.",
        "Record an extension to training",
    )
