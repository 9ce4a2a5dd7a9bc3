"""Export pages, the public verification page and share links."""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import jsonify
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from portfolio import policy
from portfolio.downloads import send_stored
from portfolio.enrolments.models import Enrolment
from portfolio.exports import services
from portfolio.exports.documents import build_portfolio
from portfolio.extensions import db
from portfolio.extensions import limiter
from portfolio.rules import RuleError
from portfolio.web import no_store

bp = Blueprint("exports", __name__)
KIND_CHOICES = [
    SelectChoice("portfolio", "Training portfolio (PDF)"),
    SelectChoice("registration", "Registration pack, arranged by standard (PDF)"),
    SelectChoice("bundle", "Portable bundle for another system (zip)"),
]


class ExportForm(FlaskForm):
    enrolment = RadioField(
        "Which programme?", validators=[DataRequired("Choose a programme")]
    )
    kind = RadioField(
        "What do you need?",
        choices=KIND_CHOICES,
        validators=[DataRequired("Choose what to export")],
    )


class ShareForm(FlaskForm):
    enrolment = RadioField(
        "Which programme?", validators=[DataRequired("Choose a programme")]
    )
    label = StringField(
        "Who is it for?",
        description="For your own records, for example 'RCT assessor panel'",
        validators=[Length(max=120)],
    )
    days = IntegerField(
        "Expires after (days)",
        default=14,
        validators=[
            DataRequired("Enter how many days the link should work"),
            NumberRange(
                1,
                services.MAX_SHARE_DAYS,
                f"Choose 1 to {services.MAX_SHARE_DAYS} days",
            ),
        ],
    )


class VerifyForm(FlaskForm):
    file = FileField(
        "Upload the copy you were given",
        validators=[FileRequired("Choose the file to check")],
    )


def _exportable_enrolments() -> list[Enrolment]:
    rows = db.session.scalars(
        policy.visible_enrolments(current_user).order_by(Enrolment.start_date)
    )
    return [e for e in rows if policy.can_export(current_user, e)]


def _enrolment_choices(enrolments) -> list:
    return [
        SelectChoice(
            e.id, f"{e.trainee.name}: {e.curriculum.title} ({e.organisation.code})"
        )
        for e in enrolments
    ]


@bp.route("/exports/", methods=("GET", "POST"))
@policy.requires(policy.can_use_exports)
def index():
    enrolments = _exportable_enrolments()
    form = ExportForm()
    form.enrolment.choices = _enrolment_choices(enrolments)
    if form.validate_on_submit():
        try:
            export = services.request_export(
                current_user, form.kind.data, form.enrolment.data
            )
        except RuleError as error:
            form.kind.errors = [*form.kind.errors, error.message]
        else:
            return redirect(url_for("exports.show", export_id=export.id))
    exports = db.session.scalars(
        policy.visible_exports(current_user)
        .order_by(services.Export.created_at.desc())
        .limit(50)
    ).all()
    share_form = ShareForm(formdata=None)
    share_form.enrolment.choices = _enrolment_choices(enrolments)
    links = [link for e in enrolments for link in services.share_links_of(e)]
    return render_template(
        "exports/index.jinja",
        title="Exports and sharing",
        form=form,
        share_form=share_form,
        exports=exports,
        links=links,
        enrolments=enrolments,
    ), 422 if form.errors else 200


@bp.get("/exports/<export_id>")
@login_required
def show(export_id: str):
    export = services.load_export(current_user, export_id)
    return render_template(
        "exports/show.jinja",
        title="Export",
        export=export,
        since=services.supersession(export),
        back_href=url_for("exports.index"),
    )


@bp.post("/exports/<export_id>/retry")
@login_required
def retry(export_id: str):
    export = services.retry_export(
        current_user, services.load_export(current_user, export_id)
    )
    return redirect(url_for("exports.show", export_id=export.id))


@bp.get("/exports/<export_id>/file")
@login_required
def download(export_id: str):
    export = services.load_export(current_user, export_id)
    if export.status != "done":
        flash("The export is not ready yet.")
        return redirect(url_for("exports.show", export_id=export.id))
    return send_stored(
        services.export_path(export),
        f"export {export.id}",
        mimetype=export.media_type,
        as_attachment=True,
        download_name=export.filename,
    )


@bp.post("/exports/share")
@policy.requires(policy.can_use_exports)
def share():
    enrolments = _exportable_enrolments()
    form = ShareForm()
    form.enrolment.choices = _enrolment_choices(enrolments)
    if form.validate_on_submit():
        enrolment = next(e for e in enrolments if e.id == form.enrolment.data)
        try:
            link, token = services.create_share_link(
                current_user, enrolment, form.days.data, form.label.data
            )
        except RuleError as error:
            form.days.errors = [*form.days.errors, error.message]
        else:
            url = services.public_url(url_for("exports.shared", token=token))
            return render_template(
                "exports/share_created.jinja",
                title="Share link created",
                link=link,
                url=url,
            )
    export_form = ExportForm(formdata=None)
    export_form.enrolment.choices = form.enrolment.choices
    return render_template(
        "exports/index.jinja",
        title="Exports and sharing",
        form=export_form,
        share_form=form,
        exports=[],
        links=[link for e in enrolments for link in services.share_links_of(e)],
        enrolments=enrolments,
    ), 422


@bp.get("/exports/share/<link_id>/revoke")
@login_required
def confirm_revoke(link_id: str):
    """Ask before withdrawing a share link: whoever has it loses access."""
    link = services.manageable_share_link(current_user, link_id)
    if link.revoked_at is not None:
        flash("That link was already withdrawn.", "success")
        return redirect(url_for("exports.index"))
    name = f"“{link.label}”" if link.label else "this link"
    return render_template(
        "confirm.jinja",
        title="Withdraw share link",
        question=f"Are you sure you want to withdraw {name}?",
        consequence="Anyone you gave it to can no longer open "
        f"{link.enrolment.trainee.name}’s portfolio with it. This cannot be undone.",
        action=url_for("exports.revoke", link_id=link.id),
        confirm_text="Yes, withdraw it",
        cancel_href=url_for("exports.index"),
        back_href=url_for("exports.index"),
    )


@bp.post("/exports/share/<link_id>/revoke")
@login_required
def revoke(link_id: str):
    services.revoke_share_link(current_user, link_id)
    flash("The link no longer works.", "success")
    return redirect(url_for("exports.index"))


# ---- public: share links and verification ----------------------------------------------


@bp.get("/share/<token>")
@limiter.limit("120 per minute")
@no_store
def shared(token: str):
    link = services.open_share_link(token, request.remote_addr)
    content = build_portfolio(link.enrolment)
    pdf = services.latest_done(link.enrolment)
    from portfolio.evidence.kinds import KIND_LABELS

    return render_template(
        "exports/shared.jinja",
        title=f"Portfolio of {link.enrolment.trainee.name}",
        link=link,
        content=content,
        token=token,
        pdf=pdf if pdf and not services.supersession(pdf).superseded else None,
        kind_labels=KIND_LABELS,
    )


@bp.get("/share/<token>/pdf")
@limiter.limit("30 per minute")
@no_store
def shared_pdf(token: str):
    link = services.open_share_link(token, request.remote_addr)
    export = services.latest_done(link.enrolment)
    if export is None:
        flash("No PDF has been made for this portfolio yet.")
        return redirect(url_for("exports.shared", token=token))
    if services.supersession(export).superseded:
        # Never the stale file: the page shows the portfolio as it is now.
        flash(
            "The PDF made earlier is out of date (a sign-off in it was withdrawn). "
            "This page shows the portfolio as it is now."
        )
        return redirect(url_for("exports.shared", token=token))
    return send_stored(
        services.export_path(export),
        f"export {export.id}",
        mimetype=export.media_type,
        as_attachment=True,
        download_name=export.filename,
    )


@bp.get("/issuer")
def issuer():
    """The Open Badges 3.0 issuer profile, with the key its credentials verify with."""
    from portfolio.exports import badges

    response = jsonify(badges.issuer_profile())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/badges/status/<int:number>")
def badge_status_list(number: int):
    """A signed Bitstring Status List credential: which badges are revoked."""
    from portfolio.exports import status_list

    if not status_list.exists(number):
        abort(404)
    response = make_response(status_list.signed_status_list(number))
    response.mimetype = "application/jwt"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/verify", methods=("GET",))
def verify_start():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("exports.verify", code=code.upper()))
    return render_template(
        "exports/verify_start.jinja", title="Check an exported portfolio"
    )


@bp.route("/verify/<code>", methods=("GET", "POST"))
@limiter.limit("30 per minute", methods=["POST"])
def verify(code: str):
    export = services.find_by_code(code)
    form = VerifyForm()
    result = None
    if export is not None and form.validate_on_submit():
        limit = 200 * 1024 * 1024
        try:
            digest = services.sha256_of_stream(form.file.data.stream, limit)
        except RuleError as error:
            form.file.errors = [*form.file.errors, error.message]
        else:
            result = {"valid": services.verify_digest(export, digest), "sha256": digest}
    status = 404 if export is None else 422 if form.errors else 200
    return render_template(
        "exports/verify.jinja",
        title="Check an exported portfolio",
        export=export,
        code=code,
        form=form,
        result=result,
        since=services.supersession(export),
    ), status
