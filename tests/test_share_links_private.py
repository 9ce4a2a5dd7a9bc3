"""Share pages and shared PDFs are never cached: Cache-Control: no-store.

A share link is read by someone with no account, so the signed-in rule that marks
responses no-store does not apply; without it a browser or proxy could keep the
portfolio after the link expires or is withdrawn.
"""

import hashlib
import secrets

from portfolio.accounts.services import find_user
from portfolio.db import utcnow
from portfolio.enrolments.models import Enrolment
from portfolio.exports import services as exports
from portfolio.exports.models import Export
from portfolio.extensions import db


def share_with_pdf(app, world) -> tuple[str, str]:
    """A share link and a finished portfolio PDF on disk; returns (token, link id)."""
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with app.app_context():
        trainee = find_user(world.trainee)
        enrolment = db.session.get(Enrolment, world.enrolment_id)
        stored = secrets.token_hex(16)
        (exports.files_dir() / stored).write_bytes(pdf)
        db.session.add(
            Export(
                kind="portfolio",
                enrolment_id=enrolment.id,
                requested_by_id=trainee.id,
                status="done",
                progress=100,
                stored_name=stored,
                filename="portfolio.pdf",
                media_type="application/pdf",
                size=len(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(),
                finished_at=utcnow(),
            )
        )
        db.session.commit()
        link, token = exports.create_share_link(trainee, enrolment, 7)
        return token, link.id


def test_share_page_and_pdf_are_no_store(app, world):
    token, _ = share_with_pdf(app, world)
    assessor = app.test_client()
    page = assessor.get(f"/share/{token}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    pdf = assessor.get(f"/share/{token}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    pdf.close()


def test_withdrawn_share_link_answer_is_no_store_too(app, world):
    token, link_id = share_with_pdf(app, world)
    with app.app_context():
        exports.revoke_share_link(find_user(world.trainee), link_id)
    assessor = app.test_client()
    for path in (f"/share/{token}", f"/share/{token}/pdf"):
        gone = assessor.get(path)
        assert gone.status_code == 404
        assert gone.headers["Cache-Control"] == "no-store"


def test_public_pages_without_private_content_may_be_cached(client):
    assert "no-store" not in client.get("/auth/login").headers.get("Cache-Control", "")
