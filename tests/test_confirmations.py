"""Destructive actions ask first: deleting a draft, removing a file and withdrawing a
share link each have an "Are you sure?" page with a warning button and a way back;
the page does nothing itself, and only its POST acts."""

import io
import re

import sqlalchemy as sa

from portfolio.extensions import db
from tests.helpers.factory import PASSWORD
from tests.helpers.people import make_evidence
from tests.helpers.people import status_of
from tests.helpers.people import submit_to

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def confirm_form(html: str, action: str) -> str:
    """The confirmation page's form posting to ``action``, as HTML."""
    match = re.search(
        rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S
    )
    assert match, f"no form posting to {action}"
    return match.group(0)


def test_deleting_a_draft_asks_first(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="To go")
    as_user(people.aisha)
    item = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert f'href="/evidence/{evidence_id}/delete"' in item
    assert f'action="/evidence/{evidence_id}/delete"' not in item  # no one-click delete
    page = client.get(f"/evidence/{evidence_id}/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Are you sure you want to delete “To go”?" in html
    form = confirm_form(html, f"/evidence/{evidence_id}/delete")
    assert "nhsuk-button--warning" in form and 'name="csrf_token"' in form
    assert f'href="/evidence/{evidence_id}">No, go back' in html
    assert status_of(app, evidence_id) == "draft"  # asking deleted nothing
    assert client.post(f"/evidence/{evidence_id}/delete").status_code == 302
    assert client.get(f"/evidence/{evidence_id}").status_code == 404


def test_delete_question_is_only_for_what_may_be_deleted(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="Sent")
    as_user(people.ben)
    assert client.get(f"/evidence/{evidence_id}/delete").status_code == 404
    submit_to(app, evidence_id, people.aisha, people.tom)
    as_user(people.aisha)
    refused = client.get(f"/evidence/{evidence_id}/delete")
    assert refused.status_code == 409
    assert "Only drafts that were never signed off" in refused.get_data(as_text=True)


def test_removing_a_file_asks_first(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    as_user(people.aisha)
    client.post(
        f"/evidence/{evidence_id}/files",
        data={"file": (io.BytesIO(PDF), "scan.pdf")},
        content_type="multipart/form-data",
    )
    item = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    ask = re.search(rf'href="(/evidence/{evidence_id}/files/[^"/]+/remove)"', item)
    assert ask, "the evidence page links to the question"
    page = client.get(ask.group(1))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Are you sure you want to remove “scan.pdf”?" in html
    assert "nhsuk-button--warning" in confirm_form(html, ask.group(1))
    assert "scan.pdf" in client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert client.get(f"/evidence/{evidence_id}/files/nope/remove").status_code == 404
    assert client.post(ask.group(1)).status_code == 302
    assert ask.group(1) not in client.get(f"/evidence/{evidence_id}").get_data(
        as_text=True
    )
    assert client.get(ask.group(1)).status_code == 404


def test_withdrawing_a_share_link_asks_first(app, client, world, login):
    from portfolio.exports.models import ShareLink

    login(world.trainee)
    created = client.post(
        "/exports/share",
        data={"enrolment": world.enrolment_id, "label": "Panel", "days": 7},
    )
    assert created.status_code == 200
    with app.app_context():
        link_id = db.session.scalars(sa.select(ShareLink.id)).one()
    index = client.get("/exports/").get_data(as_text=True)
    assert f'href="/exports/share/{link_id}/revoke"' in index
    page = client.get(f"/exports/share/{link_id}/revoke")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Are you sure you want to withdraw “Panel”?" in html
    assert "nhsuk-button--warning" in confirm_form(
        html, f"/exports/share/{link_id}/revoke"
    )
    with app.app_context():
        assert db.session.get(ShareLink, link_id).revoked_at is None
    assert client.post(f"/exports/share/{link_id}/revoke").status_code == 302
    again = client.get(f"/exports/share/{link_id}/revoke")
    assert again.status_code == 302  # already withdrawn: back to the list
    other = app.test_client()  # another trust's trainee: not found
    signed_in = other.post(
        "/auth/login", data={"email": world.leeds_trainee, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert other.get(f"/exports/share/{link_id}/revoke").status_code == 404
