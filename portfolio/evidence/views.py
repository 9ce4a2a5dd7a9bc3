"""Evidence pages: the list, the add and edit form with its outcome picker, an
item's page (text, answers, claims, files, sign-offs, history) and file downloads."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio import policy
from portfolio.curriculum import services as curricula
from portfolio.curriculum.presenters import picker_title
from portfolio.downloads import send_stored
from portfolio.errors import too_large_form
from portfolio.evidence import attachments
from portfolio.evidence import kinds
from portfolio.evidence import picker
from portfolio.evidence import services
from portfolio.evidence.forms import EVIDENCE_ALIASES
from portfolio.evidence.forms import KIND_HINTS
from portfolio.evidence.forms import STATUS_COLOURS
from portfolio.evidence.forms import STATUS_LABELS
from portfolio.evidence.forms import FilterForm
from portfolio.evidence.forms import KindForm
from portfolio.evidence.forms import UploadForm
from portfolio.evidence.forms import evidence_form
from portfolio.evidence.forms import initial_data
from portfolio.evidence.models import Evidence
from portfolio.evidence.page import load
from portfolio.evidence.page import render_evidence
from portfolio.extensions import db
from portfolio.forms import choices
from portfolio.forms import error_items
from portfolio.forms import submit
from portfolio.rules import Conflict
from portfolio.signoff import services as signoff

bp = Blueprint("evidence", __name__, url_prefix="/evidence")
PER_PAGE = 50
# Room in a request to the evidence form beyond its files: the typed fields and the
# multipart framing.
FORM_MARGIN_BYTES = 1024 * 1024
UK = ZoneInfo("Europe/London")


@bp.record_once
def labels(state) -> None:
    """Make the labels template globals, so imported macros see them too."""
    state.app.jinja_env.globals.update(
        {
            "kind_labels": kinds.KIND_LABELS,
            "wba_kinds": kinds.WBA_KINDS,
            "evidence_status_labels": STATUS_LABELS,
            "evidence_status_colours": STATUS_COLOURS,
            "error_items": error_items,
        }
    )


@bp.app_template_filter("uk_time")
def uk_time(value: datetime | None) -> datetime | None:
    """A stored UTC time as UK local time, for display."""
    return value.astimezone(UK) if value else value


# ---- the list ----------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    """List evidence: a trainee's own by default, filtered by status, kind, curriculum."""
    filters = FilterForm(request.args)
    trainee_id = request.args.get("trainee") or None
    if trainee_id is None and policy.can_record_evidence(current_user):
        trainee_id = current_user.id
    own = trainee_id == current_user.id
    if own:
        curriculum_choices = {
            slug: c.title for slug, c in services.enrolled_curricula(trainee_id).items()
        }
    else:
        curriculum_choices = {c.slug: c.title for c, _ in curricula.list_curricula()}
    filters.curriculum.choices = choices(curriculum_choices, "Any curriculum")
    query = services.list_evidence(
        current_user,
        owner_id=trainee_id,
        status=filters.status.data or None,
        kind=filters.kind.data or None,
        curriculum=filters.curriculum.data or None,
    )
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    title = "Your evidence" if own else "Evidence"
    if not own and trainee_id and page.items:
        title = f"Evidence: {page.items[0].owner.name}"
    return render_template(
        "evidence/index.jinja",
        title=title,
        own=own,
        filters=filters,
        filtered=any(args.get(k) for k in ("status", "kind", "curriculum")),
        page=page,
        args=args,
        can_add=policy.can_record_evidence(current_user),
    )


# ---- add and edit ------------------------------------------------------------------


def _claim_options(
    owner_id: str, form, searching: bool
) -> tuple[list[dict], list[dict], list[str]]:
    """The chosen outcomes, what the search found, and the owner's curricula."""
    enrolled = services.enrolled_curricula(owner_id)
    chosen = []
    for ref in form.claim_refs():
        curriculum = enrolled.get(ref.curriculum)
        outcome = curricula.get_outcome(curriculum, ref.code) if curriculum else None
        chosen.append(
            {
                "value": f"{ref.curriculum}:{ref.code}",
                "code": ref.code,
                "title": picker_title(outcome) if outcome else "",
                "curriculum": curriculum.title if curriculum else ref.curriculum,
            }
        )
    found = []
    query = (form.q.data or "").strip()
    if query and enrolled and searching:
        taken = {item["value"] for item in chosen}
        for outcome in curricula.search_outcomes(query, list(enrolled)):
            value = f"{outcome.curriculum.slug}:{outcome.code}"
            # Headings (modules, groups) hold outcomes: only countable ones are claimed.
            if value not in taken and outcome.countable:
                found.append(
                    {
                        "value": value,
                        "code": outcome.code,
                        "title": picker_title(outcome),
                        "curriculum": outcome.curriculum.title,
                    }
                )
    return chosen, found, [c.title for c in enrolled.values()]


@bp.url_value_preprocessor
def allow_several_files(endpoint: str | None, _values) -> None:
    """The evidence form may carry several files: room for each at its limit.
    (Runs before anything reads the body, so before the CSRF check.)"""
    if endpoint in ("evidence.create", "evidence.edit") and request.method == "POST":
        per_file = float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
        request.max_content_length = int(
            per_file * attachments.MAX_FILES_PER_SAVE + FORM_MARGIN_BYTES
        )


def _gather_files(form) -> list[attachments.Staged]:
    """The files this submission brings (new ones checked now, and those checked on
    an earlier submission of the form); each refused one is named on the form."""
    staged, errors = [], []
    limit = attachments.MAX_FILES_PER_SAVE
    for token in list(dict.fromkeys(request.form.getlist("kept_files")))[:limit]:
        item = attachments.from_token(current_user, token)
        if item is None:
            errors.append(
                "A file you chose earlier is no longer held (after a day we remove "
                "it). Choose it again."
            )
        else:
            staged.append(item)
    uploads = [u for u in request.files.getlist(form.files.name) if u and u.filename]
    for upload in uploads:
        name = attachments.refused_name(upload.filename)
        if len(staged) >= limit:
            errors.append(
                f"{name} was not added: you can add up to {limit} files at a time. "
                "Save the draft, then add more."
            )
            continue
        try:
            staged.append(attachments.stage(upload.stream, upload.filename))
        except (attachments.TooLarge, attachments.UnsupportedType) as error:
            errors.append(f"{name} was not added. {error.message}")
    form.file_errors = tuple(errors)
    return staged


def _render_form(
    form,
    kind: str,
    evidence: Evidence | None,
    status: int = 200,
    staged: list[attachments.Staged] | None = None,
    body_read: bool = True,
):
    """The form; ``body_read=False`` when the request's body must not be read (it
    was too large)."""
    owner_id = evidence.owner_id if evidence else current_user.id
    searching = body_read and request.form.get("action") == "find"
    chosen, found, enrolled = _claim_options(owner_id, form, searching)
    if form.file_errors and not form.files.errors:
        form.files.errors = list(form.file_errors)
    return render_template(
        "evidence/form.jinja",
        title="Edit evidence"
        if evidence
        else f"Add evidence: {kinds.KIND_LABELS[kind]}",
        form=form,
        kind=kind,
        evidence=evidence,
        text_fields=kinds.text_fields(kind),
        domains=kinds.WBA_DOMAINS.get(kind, {}),
        chosen=chosen,
        found=found,
        searched=searching and bool(form.q.data),
        enrolled=enrolled,
        is_wba=kind in kinds.WBA_KINDS,
        returned=signoff.latest_return(evidence)
        if evidence is not None and evidence.editable
        else None,
        back_href=url_for("evidence.show", evidence_id=evidence.id)
        if evidence
        else url_for("evidence.create"),
        tree=picker.outcome_tree(owner_id, {c["value"] for c in chosen}),
        # The field's first error is in the summary already; the rest link to it too.
        more_file_errors=[
            {"text": message, "href": f"#{form.files.id}"}
            for message in form.file_errors[1:]
        ],
        kept=[(attachments.pending_token(current_user, s), s) for s in staged or []],
        accept=attachments.ACCEPT,
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
        max_files=attachments.MAX_FILES_PER_SAVE,
        allowed_types=sorted(attachments.ALLOWED),
    ), status


def _save(form, save) -> tuple[Evidence | None, int]:
    """Validate and save; on any error keep everything typed and say why, every
    error at once (the form's and the service's rules together).

    Returns the saved evidence (or None) and the status to show the form with.
    """
    saved: list[Evidence] = []
    try:
        unplaced = submit(form, lambda: saved.append(save()), EVIDENCE_ALIASES)
    except Conflict as error:
        # Say why (for example it was submitted in another tab), keeping the work.
        db.session.rollback()
        form.form_errors.append(error.message)
        return None, 409
    if unplaced is None:
        return saved[0], 200
    form.form_errors += [e["message"] for e in unplaced]
    return None, 422


@bp.route("/new", methods=("GET", "POST"))
@policy.requires(policy.can_record_evidence)
def create():
    """Record new evidence: choose its kind, then fill in one form and save a draft."""
    kind = request.args.get("kind")
    if kind not in kinds.KIND_LABELS:
        chooser = KindForm(request.args)
        if "kind" in request.args or "continue" in request.args:
            chooser.kind.errors = ["Choose the kind of evidence"]
        return render_template(
            "evidence/choose_kind.jinja",
            title="Add evidence",
            form=chooser,
            hints=KIND_HINTS,
            back_href=url_for("evidence.index"),
        ), 422 if chooser.kind.errors else 200
    form = evidence_form(kind)
    if not form.is_submitted():
        # A link may choose the outcomes to start with (the home page's next steps):
        # ?claim=<curriculum slug>:<code>, checked like any claim when saved.
        form.claims.data = [v for v in request.args.getlist("claim") if ":" in v][:20]
    status, staged = 200, []
    if form.is_submitted():
        staged = _gather_files(form)
    if form.is_submitted() and request.form.get("action") == "save":
        evidence, status = _save(
            form,
            lambda: attachments.save_with_files(
                current_user,
                lambda: services.create_evidence(
                    current_user, form.to_input(kind), commit=False
                ),
                staged,
            ),
        )
        if evidence is not None:
            flash(_saved_message("Your draft was saved", staged), "success")
            return redirect(url_for("evidence.show", evidence_id=evidence.id))
    elif form.file_errors:
        status = 422
    return _render_form(form, kind, None, status, staged)


def _saved_message(said: str, staged: list[attachments.Staged]) -> str:
    if not staged:
        return f"{said}."
    names = ", ".join(s.filename for s in staged)
    return f"{said} with {len(staged)} file{'s' if len(staged) != 1 else ''}: {names}."


@too_large_form("evidence.create")
def create_too_large(message: str):
    """The form again (empty: the body was not read), saying the files were too big."""
    kind = request.args.get("kind")
    if kind not in kinds.KIND_LABELS or not policy.can_record_evidence(current_user):
        abort(413)
    form = evidence_form(kind, formdata=None)
    form.file_errors = (_too_large_message(),)
    return _render_form(form, kind, None, 413, body_read=False)[0]


def _too_large_message() -> str:
    limit = current_app.config["MAX_UPLOAD_MB"]
    return (
        f"The files were too large to receive, so nothing was saved. Each file can be "
        f"up to {limit} MB, and up to {attachments.MAX_FILES_PER_SAVE} at a time."
    )


@bp.post("/<evidence_id>/reflect")
@login_required
def reflect(evidence_id: str):
    """Start a reflection on a signed-off assessment, linked to it."""
    target = load(evidence_id)
    reflection = services.start_reflection(current_user, target)
    flash(
        "We started a reflection linked to the assessment. Write it, then ask for "
        "sign-off.",
        "success",
    )
    return redirect(url_for("evidence.edit", evidence_id=reflection.id))


def _check_editable(evidence: Evidence) -> None:
    if evidence.owner_id != current_user.id:
        abort(403)
    if not policy.can_edit_evidence(current_user, evidence):
        abort(
            409,
            description="Only drafts and returned evidence can be changed. "
            "Withdraw it from sign-off, or ask a training lead to unlock it.",
        )


@bp.route("/<evidence_id>/edit", methods=("GET", "POST"))
@login_required
def edit(evidence_id: str):
    """Change a draft or returned item with the same form, filled in."""
    evidence = load(evidence_id)
    if request.method == "GET":
        _check_editable(evidence)
        form = evidence_form(evidence.kind, data=initial_data(evidence))
    else:
        # The service refuses a change it may not take; the typed work is kept.
        if evidence.owner_id != current_user.id:
            abort(403)
        form = evidence_form(evidence.kind)
    status, staged = 200, []
    if form.is_submitted():
        staged = _gather_files(form)
    if form.is_submitted() and request.form.get("action") == "save":
        saved, status = _save(
            form,
            lambda: attachments.save_with_files(
                current_user,
                lambda: services.update_evidence(
                    current_user, evidence, form.to_input(), commit=False
                ),
                staged,
            ),
        )
        if saved is not None:
            flash(_saved_message("Your changes were saved", staged), "success")
            return redirect(url_for("evidence.show", evidence_id=saved.id))
    elif form.file_errors:
        status = 422
    return _render_form(form, evidence.kind, evidence, status, staged)


@too_large_form("evidence.edit")
def edit_too_large(message: str, evidence_id: str):
    evidence = load(evidence_id)
    _check_editable(evidence)
    form = evidence_form(evidence.kind, formdata=None, data=initial_data(evidence))
    form.file_errors = (_too_large_message(),)
    return _render_form(form, evidence.kind, evidence, 413, body_read=False)[0]


@bp.get("/<evidence_id>/delete")
@login_required
def confirm_delete(evidence_id: str):
    """Ask before deleting a draft: deleting cannot be undone."""
    evidence = load(evidence_id)
    services.check_deletable(current_user, evidence)
    return render_template(
        "confirm.jinja",
        title="Delete draft",
        question=f"Are you sure you want to delete “{evidence.title}”?",
        consequence="The draft and its files are deleted. This cannot be undone.",
        action=url_for("evidence.delete", evidence_id=evidence.id),
        confirm_text="Yes, delete it",
        cancel_href=url_for("evidence.show", evidence_id=evidence.id),
        back_href=url_for("evidence.show", evidence_id=evidence.id),
    )


@bp.post("/<evidence_id>/delete")
@login_required
def delete(evidence_id: str):
    """Delete a draft that was never signed off."""
    evidence = load(evidence_id)
    title = evidence.title
    services.delete_draft(current_user, evidence)
    flash(f"“{title}” was deleted.", "success")
    return redirect(url_for("evidence.index"))


# ---- an item's page ---------------------------------------------------------------


@bp.get("/<evidence_id>")
@login_required
def show(evidence_id: str):
    """Show one evidence item and what the user may do with it."""
    return render_evidence(load(evidence_id))


# ---- files ---------------------------------------------------------------------------


@bp.post("/<evidence_id>/files")
@login_required
def upload(evidence_id: str):
    """Attach a file (size- and type-checked by the attachment rules)."""
    evidence = load(evidence_id)
    _check_editable(evidence)
    form = UploadForm()
    upload = form.file.data
    if upload is None or not upload.filename:
        form.file.errors = ["Choose a file to upload"]
        return render_evidence(evidence, 422, upload_form=form)
    try:
        attachment = attachments.add_attachment(
            current_user, evidence, upload.stream, upload.filename
        )
    except (attachments.TooLarge, attachments.UnsupportedType) as error:
        form.file.errors = [error.message]
        return render_evidence(evidence, error.status, upload_form=form)
    flash(f"{attachment.filename} was added.", "success")
    return redirect(url_for("evidence.show", evidence_id=evidence.id, _anchor="files"))


@too_large_form("evidence.upload")
def upload_too_large(message: str, evidence_id: str):
    """The evidence page again, the size limit said on its file field."""
    evidence = load(evidence_id)
    _check_editable(evidence)
    form = UploadForm(formdata=None)
    form.file.errors = [message]
    return render_evidence(evidence, 413, upload_form=form)[0]


@bp.get("/<evidence_id>/files/<attachment_id>/remove")
@login_required
def confirm_remove_file(evidence_id: str, attachment_id: str):
    """Ask before removing a file from the evidence."""
    evidence = load(evidence_id)
    attachment = attachments.removable(current_user, evidence, attachment_id)
    back = url_for("evidence.show", evidence_id=evidence.id, _anchor="files")
    return render_template(
        "confirm.jinja",
        title="Remove file",
        question=f"Are you sure you want to remove “{attachment.filename}”?",
        consequence=f"It is removed from “{evidence.title}”. The history keeps a "
        "note that it was removed.",
        action=url_for(
            "evidence.remove_file", evidence_id=evidence.id, attachment_id=attachment.id
        ),
        confirm_text="Yes, remove it",
        cancel_href=back,
        back_href=back,
    )


@bp.post("/<evidence_id>/files/<attachment_id>/remove")
@login_required
def remove_file(evidence_id: str, attachment_id: str):
    """Remove a file while the evidence can still be changed."""
    evidence = load(evidence_id)
    attachments.remove_attachment(current_user, evidence, attachment_id)
    flash("The file was removed.", "success")
    return redirect(url_for("evidence.show", evidence_id=evidence.id, _anchor="files"))


@bp.get("/<evidence_id>/files/<attachment_id>")
@login_required
def download(evidence_id: str, attachment_id: str):
    """Send a file to someone who may see its evidence, never rendered inline."""
    evidence = load(evidence_id)
    attachment = next((a for a in evidence.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    response = send_stored(
        attachments.file_path(attachment),
        f"attachment {attachment.id}",
        mimetype=attachment.media_type,
        as_attachment=True,
        download_name=attachment.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
