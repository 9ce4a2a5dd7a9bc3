"""Assessor tickets: a DOPS, OCE or CBD sent by email to an assessor without an
account, completed on the single-use link, and countersigned where the curriculum
asks; and the curriculum's rules on who may sign what."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portfolio.audit.models import AuditEvent
from portfolio.curriculum.models import Curriculum
from portfolio.db import utcnow
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.signoff.models import SignOff
from portfolio.tickets.models import Ticket
from tests.helpers.capacity import pdf_text
from tests.helpers.outbox import emailed_link
from tests.helpers.people import find_id
from tests.helpers.people import make_evidence
from tests.helpers.people import status_of

DOPS_FORM = {"activity": "CBCT QC", "setting": "Linac 2"}
CLAIM = "stp-rp:P-RP-S2-TA03"
VISITOR = {"external_name": "Dr Vera Visitor", "external_email": "vera@elekta.example"}
IDENTITY = {
    "name": "Dr Vera Visitor",
    "role": "Consultant clinical scientist",
    "registration_body": "hcpc",
    "registration_number": "CS12345",
}
ASSESSMENT = {
    "assessment-ratings-preparation": "meets",
    "assessment-ratings-technical_skill": "above",
    "assessment-ratings-safety": "meets",
    "assessment-ratings-communication": "meets",
    "assessment-ratings-documentation": "not_observed",
    "assessment-overall": "meets",
    "assessment-strengths": "Methodical set-up",
    "assessment-development": "State the tolerances",
    "assessment-declaration": "y",
}


def link_in_outbox(app, email: str) -> str:
    return emailed_link(app, email, "/ticket/")


def send_to_visitor(app, client, people, as_user, kind="dops") -> str:
    evidence_id = make_evidence(
        app, people.aisha, kind=kind, form=DOPS_FORM, claims=[CLAIM]
    )
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Someone without an account" in page
    sent = client.post(
        f"/signoff/{evidence_id}/submit", data={"assessor": "external", **VISITOR}
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    return evidence_id


def set_rules(app, slug: str, **rules) -> None:
    with app.app_context():
        curriculum = db.session.scalars(
            sa.select(Curriculum).where(Curriculum.slug == slug)
        ).first()
        curriculum.programme = {**(curriculum.programme or {}), "assessment": rules}
        db.session.commit()


def test_an_assessor_without_an_account_completes_a_dops_on_a_phone_link(
    app, client, people, as_user
):
    evidence_id = send_to_visitor(app, client, people, as_user)
    assert status_of(app, evidence_id) == "submitted"
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Waiting for Dr Vera Visitor" in page and "Not opened yet" in page
    assert "Send the link again" in page and "Cancel the link" in page
    path = link_in_outbox(app, "vera@elekta.example")
    # The assessor is not signed in at all.
    client.delete_cookie("session")
    form = client.get(path)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in form.headers["Cache-Control"]
    assert "CBCT QC" in html and "Linac 2" in html  # what the trainee recorded
    assert 'name="assessment-ratings-safety"' in html
    assert 'name="registration_number"' in html
    # Everything missing is reported at once, and nothing is spent.
    bad = client.post(path, data={"decision": "approve", "registration_body": "hcpc"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    for message in (
        "Enter your job title or role",
        "Enter your HCPC registration number",
        "Confirm the assessor declaration",
        "Choose the overall judgement",
    ):
        assert message in text
    done = client.post(path, data={"decision": "approve", **IDENTITY, **ASSESSMENT})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Assessment signed off" in done.get_data(as_text=True)
    assert status_of(app, evidence_id) == "signed_off"
    with app.app_context():
        decision = db.session.scalars(sa.select(SignOff)).one()
        assert decision.assessor_id is None and decision.external
        assert decision.assessor.name == "Dr Vera Visitor"
        assert decision.assessor.registration == "HCPC CS12345"
        assert decision.assessment["ratings"]["technical_skill"] == "above"
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_type == "ticket")
        ).all()
        assert actions == ["ticket.issued", "ticket.opened", "ticket.used"]
    # A second use is refused, whatever is posted.
    again = client.post(path, data={"decision": "approve", **IDENTITY, **ASSESSMENT})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    # The trainee sees who completed which part.
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert (
        "Completed by Dr Vera Visitor (Consultant clinical scientist; HCPC CS12345"
        in page
    )
    assert "The context above was recorded by Aisha Rahman" in page


def test_a_ticket_cannot_be_guessed_used_after_expiry_or_after_revocation(
    app, client, people, as_user
):
    assert client.get("/ticket/" + "A" * 43).status_code == 404
    assert client.get("/ticket/short").status_code == 404
    evidence_id = send_to_visitor(app, client, people, as_user)
    first = link_in_outbox(app, "vera@elekta.example")
    with app.app_context():
        ticket = db.session.scalars(sa.select(Ticket)).one()
        # Its id is no key: only the secret in the emailed link opens it.
        assert client.get(f"/ticket/{ticket.id}").status_code == 404
        ticket.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    expired = client.get(first)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Expired" in page
    # One click sends a fresh link; the old one stays dead.
    assert client.post(f"/signoff/{evidence_id}/ticket/resend").status_code == 302
    second = link_in_outbox(app, "vera@elekta.example")
    assert second != first
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    # Cancelling makes the item a draft again and kills the link.
    assert client.post(f"/signoff/{evidence_id}/ticket/revoke").status_code == 302
    assert status_of(app, evidence_id) == "draft"
    revoked = client.get(second)
    assert revoked.status_code == 410 and "cancelled" in revoked.get_data(as_text=True)


def test_tickets_are_for_workplace_assessments_and_need_a_real_email(
    app, client, people, as_user
):
    reflection = make_evidence(app, people.aisha, claims=[CLAIM])
    as_user(people.aisha)
    refused = client.post(
        f"/signoff/{reflection}/submit", data={"assessor": "external", **VISITOR}
    )
    assert refused.status_code == 422
    assert "Only a DOPS, OCE or CBD" in refused.get_data(as_text=True)
    dops = make_evidence(app, people.aisha, kind="dops", form=DOPS_FORM, claims=[CLAIM])
    bad = client.post(
        f"/signoff/{dops}/submit",
        data={"assessor": "external", "external_name": "", "external_email": "nope"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Enter their full name" in html and "in the correct format" in html
    assert 'href="#external_name"' in html and 'href="#external_email"' in html
    assert status_of(app, dops) == "draft"


def test_the_curriculum_can_ask_the_training_officer_to_countersign(
    app, client, people, as_user
):
    set_rules(app, "stp-rp", ticket_countersign=True)
    evidence_id = send_to_visitor(app, client, people, as_user)
    path = link_in_outbox(app, "vera@elekta.example")
    client.delete_cookie("session")
    client.post(path, data={"decision": "approve", **IDENTITY, **ASSESSMENT})
    # Signed by the visitor, but it does not count until Tom countersigns.
    assert status_of(app, evidence_id) == "submitted"
    as_user(people.tom)
    queue = client.get("/signoff/queue").get_data(as_text=True)
    assert f"/evidence/{evidence_id}" in queue
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Countersign or return" in page and "Methodical set-up" in page
    assert 'name="assessment-overall"' not in page
    countersigned = client.post(
        f"/signoff/{evidence_id}/decide", data={"decision": "approve"}
    )
    assert countersigned.status_code == 302
    assert status_of(app, evidence_id) == "signed_off"
    with app.app_context():
        decision = db.session.scalars(sa.select(SignOff)).one()
        assert decision.countersigned_by_id == find_id(app, people.tom)
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Countersigned by Dr Tom Okafor" in page


def test_who_may_sign_comes_from_the_curriculum_and_is_explained(
    app, client, people, as_user
):
    set_rules(app, "stp-rp", signers={"dops": ["assessor"]})
    evidence_id = make_evidence(
        app, people.aisha, kind="dops", form=DOPS_FORM, claims=[CLAIM]
    )
    as_user(people.aisha)
    tom = client.post(
        f"/signoff/{evidence_id}/submit", data={"assessor": find_id(app, people.tom)}
    )
    assert tom.status_code == 422
    assert (
        "says only the trainee's assessor may sign off a DOPS; the person chosen "
        "is their training officer" in tom.get_data(as_text=True).replace("&#39;", "'")
    )
    visitor = client.post(
        f"/signoff/{evidence_id}/submit", data={"assessor": "external", **VISITOR}
    )
    assert visitor.status_code == 422
    assert "so it cannot go to an assessor by emailed link" in visitor.get_data(
        as_text=True
    )
    helen = client.post(
        f"/signoff/{evidence_id}/submit", data={"assessor": find_id(app, people.helen)}
    )
    assert helen.status_code == 302


@pytest.mark.parametrize("kind", ["dops"])
def test_a_reflection_links_to_the_signed_off_assessment(
    app, client, people, as_user, kind
):
    evidence_id = send_to_visitor(app, client, people, as_user, kind)
    path = link_in_outbox(app, "vera@elekta.example")
    client.delete_cookie("session")
    client.post(path, data={"decision": "approve", **IDENTITY, **ASSESSMENT})
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Add a reflection on this assessment" in page
    started = client.post(f"/evidence/{evidence_id}/reflect")
    assert started.status_code == 302 and started.headers["Location"].endswith("/edit")
    with app.app_context():
        reflection = db.session.scalars(
            sa.select(Evidence).where(Evidence.reflects_on_id == evidence_id)
        ).one()
        assert reflection.kind == "reflection" and reflection.status == "draft"
        assert [c.outcome.code for c in reflection.claims] == [CLAIM.split(":")[1]]
        reflection_id = reflection.id
    shown = client.get(f"/evidence/{reflection_id}").get_data(as_text=True)
    assert "Reflection on" in shown and f"/evidence/{evidence_id}" in shown


def test_the_portfolio_pdf_says_who_completed_which_part(
    app, client, people, as_user, api, work_jobs, tmp_path
):
    set_rules(app, "stp-rp", ticket_countersign=True)
    evidence_id = send_to_visitor(app, client, people, as_user)
    client.delete_cookie("session")
    path = link_in_outbox(app, "vera@elekta.example")
    client.post(path, data={"decision": "approve", **IDENTITY, **ASSESSMENT})
    as_user(people.tom)
    client.post(f"/signoff/{evidence_id}/decide", data={"decision": "approve"})
    with app.app_context():
        enrolment_id = db.session.scalars(
            sa.select(Enrolment.id)
            .join(Curriculum)
            .where(
                Enrolment.trainee_id == find_id(app, people.aisha),
                Curriculum.slug == "stp-rp",
            )
        ).one()
    made = api(people.aisha).post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": enrolment_id}
    )
    assert made.status_code == 202, made.get_json()
    work_jobs()
    export = (
        api(people.aisha).get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    )
    assert export["status"] == "done", export
    download = api(people.aisha).get(export["download_url"])
    text = " ".join(pdf_text(download.data, tmp_path).split())
    download.close()
    assert "Context recorded by the trainee, Aisha Rahman" in text
    assert (
        "completed by the assessor, Dr Vera Visitor (Consultant clinical scientist;"
        in text
    )
    assert "HCPC CS12345; no account, by a single-use link emailed to" in text
    assert "Countersigned by the training officer, Dr Tom Okafor" in text


def test_tickets_through_the_api(app, people, api):
    evidence_id = make_evidence(
        app, people.aisha, kind="dops", form=DOPS_FORM, claims=[CLAIM]
    )
    me = api(people.aisha)
    # The trainee cannot write the assessor's part: 422 naming the field.
    rated = me.patch(
        f"/api/v1/evidence/{evidence_id}", json={"form": {"overall": "meets"}}
    )
    assert rated.status_code == 422
    assert {e["field"] for e in rated.get_json()["errors"]} == {"form.overall"}
    both = me.post(
        f"/api/v1/evidence/{evidence_id}/submit",
        json={
            "assessor": people.tom,
            "external_assessor": {"name": "V", "email": "v@x.example"},
        },
    )
    assert both.status_code == 422
    sent = me.post(
        f"/api/v1/evidence/{evidence_id}/submit",
        json={
            "external_assessor": {
                "name": "Dr Vera Visitor",
                "email": "vera@elekta.example",
            }
        },
    )
    assert sent.status_code == 200, sent.get_json()
    body = sent.get_json()
    assert body["status"] == "submitted" and body["ticket"]["state"] == "open"
    assert (
        body["ticket"]["expires_at"]
        and body["ticket"]["email"] == "vera@elekta.example"
    )
    resent = me.post(f"/api/v1/evidence/{evidence_id}/ticket/resend")
    assert resent.status_code == 200 and resent.get_json()["ticket"]["sent_count"] == 2
    # Someone else's item is not found; revoking makes it a draft again.
    assert (
        api(people.ben)
        .post(f"/api/v1/evidence/{evidence_id}/ticket/revoke")
        .status_code
        == 404
    )
    revoked = me.post(f"/api/v1/evidence/{evidence_id}/ticket/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "draft"
    assert me.post(f"/api/v1/evidence/{evidence_id}/ticket/revoke").status_code == 409


def test_several_requests_are_reviewed_in_full_then_signed_off_together(
    app, client, people, as_user
):
    from tests.helpers.people import submit_to

    first = make_evidence(app, people.aisha, title="QA log one", claims=[CLAIM])
    second = make_evidence(
        app, people.aisha, title="QA log two", body="Full *text* here", claims=[CLAIM]
    )
    dops = make_evidence(app, people.aisha, kind="dops", form=DOPS_FORM, claims=[CLAIM])
    for item in (first, second, dops):
        submit_to(app, item, people.aisha, people.helen)
    as_user(people.helen)
    queue = client.get("/signoff/queue").get_data(as_text=True)
    assert f'value="{first}"' in queue and f'value="{dops}"' not in queue
    # A DOPS cannot be approved in bulk: it needs its own assessment.
    refused = client.get(f"/signoff/review?items={first}&items={dops}")
    assert refused.status_code == 302
    page = client.get(f"/signoff/review?items={first}&items={second}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "QA log one" in html and "<em>text</em>" in html and "Outcomes claimed" in html
    )
    unread = client.post("/signoff/review", data={"items": [first, second]})
    assert unread.status_code == 422
    assert "Confirm that you have read each item in full" in unread.get_data(
        as_text=True
    )
    assert status_of(app, first) == "submitted"
    done = client.post(
        "/signoff/review", data={"items": [first, second], "read_each": "y"}
    )
    assert done.status_code == 302
    assert status_of(app, first) == status_of(app, second) == "signed_off"
    assert status_of(app, dops) == "submitted"


def test_the_shipped_stp_curricula_keep_etas_for_officers_and_assessors(
    app, client, people, as_user
):
    """The STP files' own rule (marked a proposal): an ETA is signed by the training
    officer or an assessor, never by emailed link."""
    eta = make_evidence(
        app, people.aisha, kind="dops", form=DOPS_FORM, claims=["stp-rp:S-RP-S1-TA16"]
    )
    as_user(people.aisha)
    by_link = client.post(
        f"/signoff/{eta}/submit", data={"assessor": "external", **VISITOR}
    )
    assert by_link.status_code == 422
    assert (
        "may sign off ETA S-RP-S1-TA16, so it cannot go to an assessor by emailed"
        in (by_link.get_data(as_text=True).replace("&#39;", "'"))
    )
    to_officer = client.post(
        f"/signoff/{eta}/submit", data={"assessor": find_id(app, people.tom)}
    )
    assert to_officer.status_code == 302
