"""Multi-source feedback pages: the trainee's rounds, starting one, raters' links,
and the supervisor's review and release."""

import re

import sqlalchemy as sa
from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio import policy
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db
from portfolio.forms import attempt
from portfolio.forms import error_items
from portfolio.forms import submit
from portfolio.msf import questionnaire
from portfolio.msf import services
from portfolio.msf.forms import AddRatersForm
from portfolio.msf.forms import ReleaseForm
from portfolio.msf.forms import StartForm
from portfolio.msf.forms import parse_raters
from portfolio.rules import Invalid

bp = Blueprint("msf", __name__, url_prefix="/msf")
ALIASES = {
    "self_assessment.ratings": "self_assessment",
    "self_assessment.comments": "self_assessment",
}


@bp.get("/")
@policy.requires(policy.can_use_msf)
def index():
    rounds = db.session.scalars(
        policy.visible_msf_rounds(current_user).order_by(
            services.MsfRound.created_at.desc()
        )
    ).all()
    return render_template(
        "msf/index.jinja",
        title="Multi-source feedback",
        mine=[r for r in rounds if r.trainee_id == current_user.id],
        to_review=[r for r in rounds if r.trainee_id != current_user.id],
        counts={r.id: services.response_count(r) for r in rounds},
        can_start=policy.can_record_evidence(current_user),
    )


def _running_enrolments():
    return db.session.scalars(
        sa.select(Enrolment).where(
            Enrolment.trainee_id == current_user.id,
            Enrolment.status.in_(("active", "break_in_learning")),
        )
    ).all()


def _start(form: StartForm):
    raters, problems = parse_raters(form.raters.data or "")
    if problems:
        raise Invalid(
            problems[0], [{"field": "raters", "message": p} for p in problems]
        )
    return services.start_round(
        current_user, form.enrolment.data or "", raters, form.self_data()
    )


@bp.route("/new", methods=("GET", "POST"))
@policy.requires(policy.can_record_evidence)
def start():
    form = StartForm()
    form.enrolment.choices = [(e.id, e.curriculum.title) for e in _running_enrolments()]
    status = 200
    if form.is_submitted():
        created: list = []
        unplaced = submit(
            form, lambda: created.append(_by_line(lambda: _start(form))), ALIASES
        )
        if unplaced is None:
            flash(
                f"We emailed {len(created[0].raters)} people a link to give you "
                "feedback.",
                "success",
            )
            return redirect(url_for("msf.show", round_id=created[0].id))
        _place(form, unplaced)
        status = 422
    return render_template(
        "msf/start.jinja",
        title="Start a multi-source feedback round",
        form=form,
        error_list=error_items(form),
        proposal_note=questionnaire.PROPOSAL_NOTE,
        back_href=url_for("msf.index"),
    ), status


def _place(form, unplaced: list[dict]) -> None:
    form.form_errors += [e["message"] for e in unplaced]


def _by_line(action):
    """Run ``action``; the raters' errors (``raters[2].email``) become one message
    on the raters box, each told by its line (the box shows one message)."""
    try:
        return action()
    except Invalid as error:
        lines, others = [], []
        for item in error.errors:
            match = re.match(r"raters(?:\[(\d+)\])?", item.get("field") or "")
            if match is None:
                others.append(item)
            elif match.group(1) is None:
                lines.append(item["message"])
            else:
                lines.append(f"Line {int(match.group(1)) + 1}: {item['message']}")
        if lines:
            others.append({"field": "raters", "message": ". ".join(lines)})
        raise Invalid(error.message, others) from error


def _render(msf_round, status: int = 200, **forms):
    can_manage = policy.can_manage_msf(current_user, msf_round)
    can_release = msf_round.status == "collecting" and policy.can_release_msf(
        current_user, msf_round
    )
    add_form = forms.get("add_form") or (
        AddRatersForm(formdata=None)
        if can_manage and msf_round.status == "collecting"
        else None
    )
    release_form = forms.get("release_form") or (
        ReleaseForm(formdata=None) if can_release else None
    )
    summary = (
        (msf_round.summary or services.collate(msf_round))
        if policy.can_see_msf_summary(current_user, msf_round)
        else None
    )
    return render_template(
        "msf/show.jinja",
        title="Multi-source feedback",
        msf_round=msf_round,
        count=services.response_count(msf_round),
        summary=summary,
        can_manage=can_manage,
        add_form=add_form,
        release_form=release_form,
        error_list=error_items(add_form, release_form),
        q=questionnaire,
        back_href=url_for("msf.index"),
    ), status


@bp.get("/<round_id>")
@login_required
def show(round_id: str):
    return _render(services.load_visible(current_user, round_id))


@bp.post("/<round_id>/raters")
@login_required
def add_raters(round_id: str):
    msf_round = services.load_visible(current_user, round_id)
    form = AddRatersForm()

    def add():
        raters, problems = parse_raters(form.raters.data or "")
        if problems:
            raise Invalid(
                problems[0], [{"field": "raters", "message": p} for p in problems]
            )
        services.add_raters(current_user, msf_round, raters)

    unplaced = attempt(form, lambda: _by_line(add))
    if unplaced is not None:
        _place(form, unplaced)
        return _render(msf_round, 422, add_form=form)
    flash("We emailed the people you added.", "success")
    return redirect(url_for("msf.show", round_id=round_id))


@bp.post("/<round_id>/raters/<rater_id>/resend")
@login_required
def resend(round_id: str, rater_id: str):
    msf_round = services.load_visible(current_user, round_id)
    ticket = services.resend(current_user, msf_round, rater_id)
    flash(f"We sent {ticket.name} a new link.", "success")
    return redirect(url_for("msf.show", round_id=round_id))


@bp.post("/<round_id>/raters/<rater_id>/revoke")
@login_required
def revoke(round_id: str, rater_id: str):
    msf_round = services.load_visible(current_user, round_id)
    ticket = services.revoke(current_user, msf_round, rater_id)
    flash(f"You cancelled {ticket.name}’s link.", "success")
    return redirect(url_for("msf.show", round_id=round_id))


@bp.post("/<round_id>/release")
@login_required
def release(round_id: str):
    msf_round = services.load_visible(current_user, round_id)
    form = ReleaseForm()
    unplaced = submit(
        form,
        lambda: services.release(
            current_user, msf_round, form.reviewed_on.data, form.plan.data or ""
        ),
    )
    if unplaced is not None:
        form.form_errors += [e["message"] for e in unplaced]
        return _render(msf_round, 422, release_form=form)
    flash(
        "Released. The collated feedback is now in the trainee's portfolio, signed "
        "off by you.",
        "success",
    )
    return redirect(url_for("msf.show", round_id=round_id))
