"""Export rules: who may ask for what, the render job, verification and share links.

The job follows the job contract of portfolio/jobs.py (a job carries only ids and
is sent only after the commit): the request creates the row and commits; the job
(``render_export_job``) re-reads it, renders, writes the file under a temporary
name, renames it into place and only then records sha256 and ``done``. A failed or
killed job leaves the row ``failed`` with the reason, never ``done`` without a file.
"""

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask import render_template

from portfolio import jobs
from portfolio import policy
from portfolio import urls
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.enrolments.models import Enrolment
from portfolio.exports import kinds as export_kinds
from portfolio.exports import signing
from portfolio.exports.models import Export
from portfolio.exports.models import ShareLink
from portfolio.extensions import db
from portfolio.notifications.services import notify
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound

MAX_SHARE_DAYS = 90
NOT_QUEUED = (
    "The export could not be queued because the job queue is unreachable. "
    "Try again in a few minutes."
)
TRANSIENT_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, TimeoutError)


def files_dir() -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def public_url(path: str) -> str:
    """An absolute URL under ``BASE_URL`` (see :mod:`portfolio.urls`)."""
    return urls.absolute(path)


# ---- requesting --------------------------------------------------------------------


def request_export(
    user: User,
    kind: str,
    enrolment_id: str | None,
    params: dict | None = None,
    now: bool = False,
) -> Export:
    """Create the Export row, commit, and queue its job (after the commit).

    ``now`` renders it here instead, after the commit (the CLI): the same checks,
    row and audit event as a request from the web or the API.
    """
    errors = FieldErrors()
    allowed = export_kinds.enrolment_kinds()
    if kind not in allowed:
        errors.add("kind", f"kind must be {', '.join(allowed[:-1])} or {allowed[-1]}")
    if not enrolment_id:
        errors.add("enrolment", "Choose the enrolment to export")
    errors.raise_if_any()
    enrolment = db.session.scalar(
        policy.visible_enrolments(user).where(Enrolment.id == enrolment_id)
    )
    if enrolment is None:
        raise NotFound("No such enrolment.")
    if not policy.can_export(user, enrolment):
        raise Forbidden(
            "Only the trainee, their training lead or an admin can export this portfolio."
        )
    params = dict(params or {})
    export = Export(
        kind=kind, enrolment_id=enrolment.id, requested_by_id=user.id, params=params
    )
    db.session.add(export)
    db.session.flush()
    audit.record(
        user, "export.requested", "enrolment", enrolment.id, export=export.id, kind=kind
    )
    if not now:
        queue_job(export)
    db.session.commit()
    if now:
        render_export_job(export.id)
        db.session.refresh(export)
    return export


def queue_job(export: Export) -> None:
    from rq import Retry

    queue = export_kinds.get(export.kind).queue
    jobs.enqueue(
        "portfolio.exports.services.render_export_job",
        export.id,
        queue=queue,
        job_id=export.job_id,
        retry=Retry(max=2, interval=[10, 60]),
        on_failure=jobs_failure_callback(),
        if_not_queued="portfolio.exports.services.not_queued",
    )


def not_queued(export_id: str) -> None:
    """The queue refused the job (Redis down): fail the export so it can be retried."""
    _fail(export_id, NOT_QUEUED)


def jobs_failure_callback():
    from rq import Callback

    return Callback("portfolio.exports.services.on_job_failure")


def load_export(user: User, export_id: str) -> Export:
    export = db.session.scalar(
        policy.visible_exports(user).where(Export.id == export_id)
    )
    if export is None:
        raise NotFound("No such export.")
    return export


def export_path(export: Export) -> Path:
    if export.stored_name is None:
        raise NotFound("This export has no file yet.")
    return files_dir() / export.stored_name


# ---- the job ------------------------------------------------------------------------------


def _set_progress(export: Export, value: int) -> None:
    export.progress = value
    db.session.commit()


def render_export_job(export_id: str) -> str | None:
    """Render one export. Idempotent: a finished export is left as it is."""
    export = db.session.get(Export, export_id)
    if export is None or export.status == "done":
        return None
    export.status = "running"
    export.started_at = utcnow()
    export.attempts += 1
    export.error = None
    # Anchor the audit chain's head now; the document shows this checkpoint.
    audit.write_checkpoint(f"export {export.id}")
    _set_progress(export, 5)
    delay = float(current_app.config.get("EXPORT_TEST_DELAY_SECONDS") or 0)
    if delay:
        time.sleep(delay)  # lets tests kill a worker mid-render
    try:
        data, filename, media_type, summary = _produce(export)
    except TRANSIENT_ERRORS:
        db.session.rollback()
        raise  # RQ retries these; the failure callback records the last one
    except Exception as error:
        db.session.rollback()
        _fail(export_id, f"{type(error).__name__}: {error}")
        raise
    _store(export, data, filename, media_type, summary)
    return export.sha256


def _produce(export: Export) -> tuple[bytes, str, str, dict]:
    return export_kinds.build(export)


def render_portfolio(export: Export) -> tuple[bytes, str, str, dict]:
    from portfolio.exports.documents import build_portfolio
    from portfolio.exports.documents import default_route
    from portfolio.exports.pdf import ARCHIVAL
    from portfolio.exports.pdf import Associated
    from portfolio.exports.pdf import render_pdf

    enrolment = export.enrolment
    if enrolment is None:
        raise NotFound("This export's enrolment no longer exists.")
    route = default_route(enrolment) if export.kind == "registration" else None
    content = build_portfolio(enrolment, route)
    _set_progress(export, 30)
    long = not route and len(content.entries) > part_items()
    html = "" if long else portfolio_html(export, content)
    _set_progress(export, 50)
    summary = {
        **content.summary(),
        "kind": "Registration pack" if route else "Training portfolio",
        # The sign-offs inside, so verification can tell when one is withdrawn.
        SIGNOFF_IDS: [e.signoff.id for e in content.entries if e.signoff is not None],
    }
    if route:
        # An archival PDF/A-3 carrying its own signed verification data.
        pdf, _blocked = render_pdf(
            html,
            variant=ARCHIVAL,
            attachments=[
                Associated(
                    name=VERIFICATION_FILE,
                    data=signing.signed_json(verification_document(export, summary)),
                    description="Verification data for this pack, signed by "
                    "the installation that issued it (Ed25519)",
                )
            ],
        )
    elif long:
        pdf = render_portfolio_in_parts(export, content)
    else:
        pdf, _blocked = render_pdf(html)
    slug = enrolment.curriculum.slug
    name = "registration-pack" if route else "portfolio"
    filename = f"{name}-{slug}-{content.generated_on.isoformat()}.pdf"
    return pdf, filename, "application/pdf", summary


VERIFICATION_FILE = "verification.json"


def verification_document(export: Export, summary: dict) -> dict:
    """What a registration pack's embedded, signed verification data says.

    The same summary the verification page shows (never the sign-off ids), the code
    and the address to check the file at, and the audit checkpoint it was made at.
    """
    checkpoint = audit.latest_checkpoint()
    return {
        "kind": summary["kind"],
        "summary": {k: v for k, v in summary.items() if k != SIGNOFF_IDS},
        "signoffs": len(summary.get(SIGNOFF_IDS) or []),
        "verification_code": export.verification_code,
        "verify_url": public_url(f"/verify/{export.verification_code}"),
        "issued_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "audit_checkpoint": (
            {
                "name": audit.describe(checkpoint),
                "head_seq": checkpoint.head_seq,
                "head_hash": checkpoint.head_hash,
            }
            if checkpoint
            else None
        ),
    }


# A portfolio with more signed-off items than PDF_PART_ITEMS is rendered in parts
# (settings in portfolio/config.py; portfolio/exports/pdf.py, docs/exports.md):
# WeasyPrint holds a whole document's layout in memory (about 1 MiB a page).
# Audit history lines per part (about 45 to a page).
HISTORY_LINES_PER_ITEM = 10


def part_items() -> int:
    return int(current_app.config["PDF_PART_ITEMS"])


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that is also safe inside ``<style>``."""
    escaped = "".join(
        f"\\{ord(c):x} " if c in '"\\<>&\n\r' or ord(c) < 32 else c for c in text
    )
    return f'"{escaped}"'


def portfolio_parts(export: Export, content) -> tuple:
    """The HTML of a long portfolio's parts: (front(toc), [later parts], targets).

    Every part states its running headers as literal strings (only the first has the
    cover that sets them), and none draws "Page N of M": it is stamped on the merged
    file, whose length no part knows.
    """
    context = _portfolio_context(export, content)
    lines = context["history_lines"]
    title = context["doc_title"]
    margins = (
        f"@top-left {{ content: {_css_string(content.enrolment.trainee.name)}; }} "
        f"@top-right {{ content: {_css_string(title)}; }} "
        "@bottom-left { content: "
        f"{_css_string('Verification code ' + export.verification_code)}; }} "
    )
    no_number = "@page { @bottom-right { content: none; } }"
    later_css = f"{no_number} @page {{ {margins} }} @page :first {{ {margins} }}"
    step = part_items()
    entries = content.entries

    def front(toc: dict | None) -> str:
        return render_template(
            "pdf/portfolio.jinja",
            **context,
            entries=[],
            show_appendices=False,
            toc=toc or {},
            part_css=no_number,
        )

    later = [
        render_template(
            "pdf/portfolio.jinja",
            **{**context, "history_lines": []},
            show_front=False,
            entries=entries[start : start + step],
            entry_start=start,
            evidence_heading=start == 0,
            show_appendices=False,
            part_css=later_css,
        )
        for start in range(0, len(entries), step)
    ]
    per_part = step * HISTORY_LINES_PER_ITEM
    chunks = [lines[i : i + per_part] for i in range(0, len(lines), per_part)] or [[]]
    for number, chunk in enumerate(chunks):
        if not chunk and not (number == 0 and content.attachments):
            continue
        later.append(
            render_template(
                "pdf/portfolio.jinja",
                **{**context, "history_lines": chunk},
                show_front=False,
                entries=[],
                show_attachments=number == 0,
                history_heading=number == 0,
                part_css=later_css,
            )
        )
    return front, later, ("evidence", "attachments", "history")


def render_portfolio_in_parts(export: Export, content) -> bytes:
    from portfolio.exports.pdf import render_in_parts

    front, later, targets = portfolio_parts(export, content)
    processes = int(current_app.config["PDF_PART_PROCESSES"])
    stage_parts = int(current_app.config["PDF_MERGE_STAGE_PARTS"])
    pdf, _parts, _merge = render_in_parts(
        front, later, targets=targets, processes=processes, stage_parts=stage_parts
    )
    return pdf


def portfolio_html(export: Export, content) -> str:
    route = content.route
    return render_template(
        "pdf/registration.jinja" if route else "pdf/portfolio.jinja",
        **_portfolio_context(export, content),
    )


def _portfolio_context(export: Export, content) -> dict:
    from portfolio.evidence.kinds import KIND_LABELS
    from portfolio.exports import charts
    from portfolio.exports import history
    from portfolio.exports.pdf import asset_url

    verify_path = f"/verify/{export.verification_code}"
    verify_url = public_url(verify_path)
    route = content.route
    title = (
        "Registration pack" if route else "Training portfolio"
    ) + f": {content.enrolment.curriculum.title}"
    return {
        "content": content,
        "export": export,
        "doc_title": title,
        "doc_author": content.enrolment.trainee.name,
        "doc_description": f"{title} for {content.enrolment.trainee.name}",
        "generated_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_label": utcnow().strftime("%d %B %Y %H:%M UTC"),
        "verify_url": verify_url,
        "qr_src": qr_data_url(verify_url),
        "audit_checkpoint": audit.latest_checkpoint(),
        "kind_labels": KIND_LABELS,
        "asset_url": asset_url,
        "history_lines": history.lines(
            content.history, {e.evidence.id: e.evidence.title for e in content.entries}
        ),
        "charts": [] if route else charts.for_portfolio(content),
    }


def qr_data_url(data: str) -> str:
    """The QR code of ``data`` as an SVG ``data:`` URL for an ``<img alt>``.

    An image element (not inline SVG with ``aria-label``, which WeasyPrint drops)
    is what carries alternative text into the PDF's /Figure structure element
    (PDF/UA-1, ISO 14289-1 7.3; WCAG technique PDF1,
    https://www.w3.org/WAI/WCAG22/Techniques/pdf/PDF1).
    """
    import base64

    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _store(
    export: Export, data: bytes, filename: str, media_type: str, summary: dict
) -> None:
    """Write to a temporary name, rename into place, then record the result."""
    directory = files_dir()
    stored_name = secrets.token_hex(16)
    temporary = directory / f".tmp-{stored_name}"
    final = directory / stored_name
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        old = export.stored_name
        export.stored_name = stored_name
        export.filename = filename
        export.media_type = media_type
        export.size = len(data)
        export.sha256 = hashlib.sha256(data).hexdigest()
        export.summary = summary
        export.status = "done"
        export.progress = 100
        export.finished_at = utcnow()
        if export.enrolment is not None:
            notify(
                export.requested_by,
                f"Your {summary.get('kind', export.kind).lower()} is ready to download.",
                f"/exports/{export.id}",
                email=False,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        temporary.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    if old and old != stored_name:
        (directory / old).unlink(missing_ok=True)


def _fail(export_id: str, reason: str) -> None:
    """Mark the row failed in a fresh transaction (the job's may be broken)."""
    db.session.rollback()
    export = db.session.get(Export, export_id)
    if export is None or export.status == "done":
        return
    export.status = "failed"
    export.error = reason[:2000]
    export.finished_at = utcnow()
    db.session.commit()


def on_job_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: the job raised (after its retries) or timed out."""
    from flask import has_app_context

    from portfolio.jobs import worker_app

    export_id = job.args[0] if job.args else None
    if not export_id:
        return
    reason = f"{getattr(exc_type, '__name__', 'Error')}: {exc_value}"
    if has_app_context():
        _fail(export_id, reason)
    else:
        with worker_app().app_context():
            _fail(export_id, reason)


def work_horse_killed(job, retpid, ret_val, rusage) -> None:
    """RQ worker hook: the process rendering the job died (killed, out of memory)."""
    from portfolio.jobs import worker_app

    if not job.func_name.endswith("render_export_job") or not job.args:
        return
    with worker_app().app_context():
        _fail(
            job.args[0],
            "The worker rendering this export stopped unexpectedly. Request it again.",
        )


def sweep_stuck(
    older_than: timedelta | None = None, now: datetime | None = None
) -> int:
    """Mark exports stuck in running (or queued for very long) as failed."""
    now = now or utcnow()
    older_than = older_than or timedelta(
        seconds=int(current_app.config["JOB_TIMEOUT"]) * 2
    )
    stuck = db.session.scalars(
        sa.select(Export).where(
            sa.or_(
                sa.and_(
                    Export.status == "running", Export.started_at < now - older_than
                ),
                sa.and_(
                    Export.status == "queued",
                    Export.created_at < now - timedelta(days=1),
                ),
            )
        )
    ).all()
    for export in stuck:
        export.status = "failed"
        export.error = (
            "The export did not finish in time and was stopped. Request it again."
        )
        export.finished_at = now
    db.session.commit()
    return len(stuck)


def retry_export(user: User, export: Export) -> Export:
    if export.status != "failed":
        raise Conflict("Only a failed export can be tried again.")
    if export.requested_by_id != user.id and not policy.is_admin(user):
        raise Forbidden("Only the person who asked for this export can retry it.")
    export.status = "queued"
    export.progress = 0
    export.error = None
    queue_job(export)
    db.session.commit()
    return export


# ---- verification -------------------------------------------------------------------------


def find_by_code(code: str) -> Export | None:
    code = (code or "").strip().upper().replace(" ", "")
    if len(code) == 16 and "-" not in code:
        code = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    return db.session.scalar(
        sa.select(Export).where(
            Export.verification_code == code, Export.status == "done"
        )
    )


def verify_digest(export: Export | None, sha256: str) -> bool:
    return export is not None and secrets.compare_digest(
        (sha256 or "").strip().lower(), export.sha256 or ""
    )


def sha256_of_stream(stream, limit: int) -> str:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size > limit:
            raise Invalid.field("file", "The file is too large to check here.")
        digest.update(chunk)
    return digest.hexdigest()


# The summary key listing the sign-offs an export contains (never shown as such).
SIGNOFF_IDS = "signoff_ids"


@dataclass
class Supersession:
    """What has changed since an export was issued: sign-offs in it withdrawn."""

    count: int = 0
    last_on: date | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def superseded(self) -> bool:
        return self.count > 0


def supersession(export: Export | None) -> Supersession:
    """The sign-offs inside ``export`` that were withdrawn (unlocked) since."""
    from portfolio.signoff.models import SignOff

    ids = list((export.summary or {}).get(SIGNOFF_IDS) or []) if export else []
    if not ids:
        return Supersession()
    rows: list[tuple[datetime, str | None]] = [
        (row[0], row[1])
        for row in db.session.execute(
            sa.select(SignOff.superseded_at, SignOff.superseded_reason)
            .where(SignOff.id.in_(ids), SignOff.superseded_at.is_not(None))
            .order_by(SignOff.superseded_at)
        )
        if row[0] is not None
    ]
    if not rows:
        return Supersession()
    return Supersession(
        count=len(rows),
        last_on=rows[-1][0].date(),
        reasons=list(dict.fromkeys(reason for _, reason in rows if reason)),
    )


def stale_exports_with(signoff_id: str, enrolment_ids: list[str]) -> list[Export]:
    """Done exports of these enrolments whose file contains the sign-off."""
    exports = db.session.scalars(
        sa.select(Export).where(
            Export.enrolment_id.in_(enrolment_ids or [""]), Export.status == "done"
        )
    )
    return [
        e for e in exports if signoff_id in ((e.summary or {}).get(SIGNOFF_IDS) or [])
    ]


def verification_json(export: Export | None) -> dict | None:
    if export is None:
        return None
    return {
        "kind": export.kind,
        "summary": {k: v for k, v in export.summary.items() if k != SIGNOFF_IDS},
        "created_at": export.finished_at.isoformat() if export.finished_at else None,
        "sha256": export.sha256,
        "verification_code": export.verification_code,
    }


# ---- share links ----------------------------------------------------------------------------


def create_share_link(
    user: User, enrolment: Enrolment, days: int, label: str = ""
) -> tuple[ShareLink, str]:
    """A read-only link that expires; returns the link row and its secret token (shown once)."""
    if not policy.can_export(user, enrolment):
        raise Forbidden(
            "Only the trainee, their training lead or an admin can share this portfolio."
        )
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise Invalid.field(
            "days", f"Choose an expiry between 1 and {MAX_SHARE_DAYS} days"
        )
    token = secrets.token_urlsafe(24)
    link = ShareLink(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        enrolment_id=enrolment.id,
        label=(label or "").strip()[:120],
        created_by_id=user.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        user,
        "share.created",
        "enrolment",
        enrolment.id,
        link=link.id,
        days=days,
        label=link.label,
    )
    db.session.commit()
    return link, token


def manageable_share_link(user: User, link_id: str) -> ShareLink:
    """A share link ``user`` may withdraw, or NotFound."""
    link = db.session.get(ShareLink, link_id)
    if link is None or not policy.can_export(user, link.enrolment):
        raise NotFound("No such link.")
    return link


def revoke_share_link(user: User, link_id: str) -> None:
    link = manageable_share_link(user, link_id)
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        audit.record(
            user, "share.revoked", "enrolment", link.enrolment_id, link=link.id
        )
        db.session.commit()


def open_share_link(token: str, ip: str | None) -> ShareLink:
    """The live link for a token; every view is written to the audit trail."""
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    link = db.session.scalar(sa.select(ShareLink).where(ShareLink.token_hash == digest))
    if link is None or not link.live(utcnow()):
        raise NotFound(
            "This link has expired or been withdrawn. Ask the trainee for a new one."
        )
    link.views += 1
    audit.record(
        None, "share.viewed", "enrolment", link.enrolment_id, link=link.id, ip=ip or ""
    )
    db.session.commit()
    return link


def share_links_of(enrolment: Enrolment) -> list[ShareLink]:
    return list(
        db.session.scalars(
            sa.select(ShareLink)
            .where(ShareLink.enrolment_id == enrolment.id)
            .order_by(ShareLink.created_at.desc())
        )
    )


def latest_done(enrolment: Enrolment, kind: str = "portfolio") -> Export | None:
    return db.session.scalar(
        sa.select(Export)
        .where(
            Export.enrolment_id == enrolment.id,
            Export.kind == kind,
            Export.status == "done",
        )
        .order_by(Export.finished_at.desc())
        .limit(1)
    )
