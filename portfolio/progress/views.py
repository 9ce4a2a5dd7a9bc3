"""The trainee dashboard (progress explained) and the training lead's cohort view."""

from datetime import date

from flask import Blueprint
from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms import RadioField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from portfolio import policy
from portfolio.enrolments import services
from portfolio.enrolments import standards
from portfolio.enrolments.models import ENROLMENT_STATUSES
from portfolio.forms import DateInputField
from portfolio.forms import submit
from portfolio.progress import cohort as cohorts
from portfolio.progress import supervision
from portfolio.progress import tracking
from portfolio.rules import RuleError

bp = Blueprint("progress", __name__)


class ReviewForm(FlaskForm):
    held_on = DateField(
        "Date of the review",
        validators=[DataRequired("Enter the date the review was held")],
    )
    summary = TextAreaField(
        "Summary of progress discussed",
        validators=[
            DataRequired("Summarise the progress discussed"),
            Length(max=services.REVIEW_SUMMARY_MAX),
        ],
    )
    actions = TextAreaField(
        "New actions agreed",
        description="One per line. Open actions from the last review are carried forward.",
        validators=[Optional(), Length(max=services.REVIEW_ACTIONS_MAX)],
    )


class ScheduleForm(FlaskForm):
    scheduled_on = DateInputField(
        "When is the review?",
        description="For example, 14 3 2027",
        required="Enter the date of the review",
    )
    note = StringField(
        "Note (optional)",
        description="For example, the time and where it is held",
        validators=[Optional(), Length(max=services.SCHEDULE_NOTE_MAX)],
    )


def _review_context(enrolment, schedule_form=None) -> dict:
    """What the reviews section needs besides the standing: reviews booked and the
    form to book one."""
    return {
        "scheduled": services.scheduled_reviews(enrolment),
        "schedule_form": schedule_form or ScheduleForm(formdata=None),
    }


class BreakForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired("Enter the date")])
    reason = StringField(
        "Reason (optional)",
        validators=[Optional(), Length(max=services.BREAK_REASON_MAX)],
    )
    requested_by = RadioField(
        "Who asked for the break?",
        choices=[
            SelectChoice("apprentice", "The apprentice (or trainee)"),
            SelectChoice("employer", "The employer"),
            SelectChoice("provider", "The training provider"),
        ],
        validators=[Optional()],
    )


def _enrolment(enrolment_id: str):
    return tracking.page_enrolment(current_user, enrolment_id)


@bp.get("/progress/")
@login_required
def dashboard():
    """Your own programmes: progress by module, what is missing, what to do next."""
    enrolments = services.enrolments_of(current_user.id, live_only=False)
    standings = tracking.standings([e for e in enrolments if e.status != "withdrawn"])
    return render_template(
        "progress/dashboard.jinja", title="Your progress", standings=standings
    )


@bp.get("/progress/<enrolment_id>")
@login_required
def enrolment(enrolment_id: str):
    """One enrolment's standing, for the trainee, their supervisors and leads."""
    enrolment = _enrolment(enrolment_id)
    standing = tracking.standing(enrolment)
    parties = services.party_for(current_user, enrolment, date.today())
    return render_template(
        "progress/enrolment.jinja",
        title=f"Progress: {enrolment.trainee.name}",
        s=standing,
        parties=parties,
        can_record=bool(parties - {"trainee"}),
        can_manage=policy.can_enrol(current_user, enrolment.organisation_id),
        claims_to_remap=standards.claims_to_remap(enrolment),
        review_form=ReviewForm(formdata=None, held_on=date.today()),
        break_form=BreakForm(formdata=None, day=date.today()),
        open_actions=tracking.open_actions(standing.reviews),
        today=date.today(),
        **_review_context(enrolment),
    )


@bp.post("/progress/<enrolment_id>/reviews")
@login_required
def record_review(enrolment_id: str):
    enrolment = _enrolment(enrolment_id)
    form = ReviewForm()
    if form.validate_on_submit():
        done = [int(i) for i in request.form.getlist("done_carried") if i.isdigit()]
        actions = (form.actions.data or "").splitlines()
        try:
            services.record_review(
                current_user,
                enrolment,
                form.held_on.data,
                form.summary.data,
                actions,
                done,
            )
        except RuleError as error:
            for item in error.errors or [
                {"field": "summary", "message": error.message}
            ]:
                field = getattr(form, item["field"], form.summary)
                field.errors = [*field.errors, item["message"]]
        else:
            flash("Review recorded. The other parties can now sign it.", "success")
            return redirect(url_for("progress.enrolment", enrolment_id=enrolment.id))
    standing = tracking.standing(enrolment)
    return render_template(
        "progress/enrolment.jinja",
        title=f"Progress: {enrolment.trainee.name}",
        s=standing,
        parties=services.party_for(current_user, enrolment, date.today()),
        can_record=True,
        can_manage=policy.can_enrol(current_user, enrolment.organisation_id),
        review_form=form,
        form=form,
        break_form=BreakForm(formdata=None, day=date.today()),
        open_actions=tracking.open_actions(standing.reviews),
        today=date.today(),
        **_review_context(enrolment),
    ), 422


@bp.post("/progress/<enrolment_id>/reviews/schedule")
@login_required
def schedule_review(enrolment_id: str):
    """Book a review on a day to come; the people who sign it are told."""
    enrolment = _enrolment(enrolment_id)
    form = ScheduleForm()
    unplaced = submit(
        form,
        lambda: services.schedule_review(
            current_user, enrolment, form.scheduled_on.data, form.note.data or ""
        ),
    )
    if unplaced is None:
        flash(
            f"Review booked for {form.scheduled_on.data:%d %B %Y}. Everyone who "
            "signs it has been told.",
            "success",
        )
        return redirect(
            url_for("progress.enrolment", enrolment_id=enrolment.id, _anchor="reviews")
        )
    form.form_errors += [e["message"] for e in unplaced]
    standing = tracking.standing(enrolment)
    parties = services.party_for(current_user, enrolment, date.today())
    return render_template(
        "progress/enrolment.jinja",
        title=f"Progress: {enrolment.trainee.name}",
        s=standing,
        parties=parties,
        can_record=bool(parties - {"trainee"}),
        can_manage=policy.can_enrol(current_user, enrolment.organisation_id),
        review_form=ReviewForm(formdata=None, held_on=date.today()),
        form=form,
        break_form=BreakForm(formdata=None, day=date.today()),
        open_actions=tracking.open_actions(standing.reviews),
        today=date.today(),
        **_review_context(enrolment, form),
    ), 422


@bp.post("/progress/<enrolment_id>/reviews/<review_id>/sign")
@login_required
def sign_review(enrolment_id: str, review_id: str):
    review = services.sign_review(current_user, _enrolment(enrolment_id), review_id)
    flash(f"You signed the review of {review.held_on:%d %B %Y}.", "success")
    return redirect(
        url_for(
            "progress.enrolment",
            enrolment_id=enrolment_id,
            _anchor=f"review-{review.id}",
        )
    )


@bp.post("/progress/<enrolment_id>/gateway/<party>")
@login_required
def confirm_gateway(enrolment_id: str, party: str):
    services.confirm_gateway(current_user, _enrolment(enrolment_id), party)
    flash(f"Gateway readiness confirmed as the {party}.", "success")
    return redirect(url_for("progress.enrolment", enrolment_id=enrolment_id))


@bp.post("/progress/<enrolment_id>/break")
@login_required
def toggle_break(enrolment_id: str):
    enrolment = _enrolment(enrolment_id)
    form = BreakForm()
    if not form.validate_on_submit():
        flash("Enter a valid date for the break.")
    elif enrolment.status == "break_in_learning":
        services.end_break(current_user, enrolment, form.day.data)
        flash("The break has ended; targets run again.", "success")
    else:
        services.start_break(
            current_user,
            enrolment,
            form.day.data,
            form.reason.data or "",
            requested_by=form.requested_by.data or None,
        )
        flash("Break in learning recorded; targets are paused.", "success")
    return redirect(url_for("progress.enrolment", enrolment_id=enrolment_id))


def _cohort_scope():
    if not policy.can_manage_enrolments(current_user):
        from flask import abort

        abort(403)
    return policy.cohort_organisation_ids(current_user)


def _cohort_rows():
    """The CSV's rows: one per enrolment, with the page's filters."""
    sort = request.args.get("sort", "name")
    status = request.args.get("status")
    flag = request.args.get("flag")
    year = request.args.get("year")
    return cohorts.cohort(
        _cohort_scope(),
        programme=request.args.get("programme") or None,
        status=status if status in ENROLMENT_STATUSES else None,
        flagged_only=cohorts.flag_filter(request.args.get("flagged")),
        sort=sort if sort in cohorts.SORTS else "name",
        flag=flag if flag == "any" or flag in cohorts.FLAG_LABELS else None,
        specialism=request.args.get("specialism") or None,
        year=year if year in cohorts.YEARS else None,
        name=(request.args.get("q") or "")[:100] or None,
        supervisor=request.args.get("supervisor") or None,
    )


@bp.get("/trainees/")
@policy.requires(policy.can_sign_off)
def trainees():
    """A supervisor's trainees: programmes and progress, what waits for them, and
    each trainee's last activity, with links into their progress and evidence."""
    from portfolio.enrolments.forms import SUPERVISOR_ROLE_LABELS

    return render_template(
        "progress/trainees.jinja",
        title="My trainees",
        trainees=supervision.my_trainees(current_user),
        role_labels=SUPERVISOR_ROLE_LABELS,
    )


@bp.get("/cohort/")
@login_required
def cohort():
    """The organisation's trainees, one row each with their programmes inside:
    search, filters, progress, flags, a heat-map, supervisor load and actions."""
    scope = _cohort_scope()
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    sort = args.get("sort", "name")
    flag = args.get("flag") or (
        "any" if cohorts.flag_filter(args.get("flagged")) else None
    )
    page_number = request.args.get("page", "1")
    result = cohorts.cohort_page(
        scope,
        programme=args.get("programme") or None,
        specialism=args.get("specialism") or None,
        year=args.get("year") if args.get("year") in cohorts.YEARS else None,
        name=(args.get("q") or "")[:100] or None,
        flag=flag if flag == "any" or flag in cohorts.FLAG_LABELS else None,
        status=args.get("status") if args.get("status") in ENROLMENT_STATUSES else None,
        supervisor=args.get("supervisor") or None,
        sort=sort if sort in cohorts.SORTS else "name",
        page=int(page_number) if page_number.isdigit() and len(page_number) < 7 else 1,
    )
    return render_template(
        "progress/cohort.jinja",
        title="Cohort",
        result=result,
        programmes=cohorts.programmes(scope),
        specialisms=cohorts.specialisms(scope),
        years=cohorts.YEARS,
        flag_labels=cohorts.FLAG_LABELS,
        officer_kinds=cohorts.OFFICER_KINDS,
        sort_labels=cohorts.SORT_LABELS,
        loads=cohorts.supervisor_load(scope),
        cap=tracking.setting("SUPERVISOR_SOFT_CAP"),
        args=args,
        can_list_people=policy.can_list_people(current_user),
    )


@bp.get("/cohort.csv")
@login_required
def cohort_csv():
    body = cohorts.to_csv(_cohort_rows())
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=cohort-{date.today().isoformat()}.csv"
        },
    )
