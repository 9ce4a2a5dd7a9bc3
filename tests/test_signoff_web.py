"""Sign-off on the web: submit, withdraw, decide (on the page and in the queue),
unlock, and the notifications that go with them."""

import re
from datetime import date

from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.signoff import services as signoff
from portfolio.signoff.models import SignOff
from tests.helpers.html import checked
from tests.helpers.html import date_fields
from tests.helpers.people import find_id
from tests.helpers.people import make_evidence
from tests.helpers.people import status_of
from tests.helpers.people import submit_to

DOPS_FORM = {
    "activity": "CBCT QC",
    "setting": "Linac 2",
    "strengths": "Careful",
    "development": "Explain more",
    "ratings": {
        "preparation": "meets",
        "technical_skill": "meets",
        "safety": "above",
        "communication": "below",
        "documentation": "not_observed",
    },
}


def test_submit_return_resubmit_approve(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="Linac QA reflection")
    helen = find_id(app, people.helen)
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert checked(page, "assessor", helen) is False
    response = client.post(f"/signoff/{evidence_id}/submit", data={"assessor": helen})
    assert response.status_code == 302
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Waiting for sign-off" in page and "Withdraw from sign-off" in page
    assert "Edit" not in re.findall(r">\s*(Edit)\s*<", page)
    # The assessor sees it in the queue, with the trainee, kind, title and age.
    as_user(people.helen)
    queue = client.get("/signoff/queue").get_data(as_text=True)
    assert "Linac QA reflection" in queue and "Aisha Rahman" in queue
    assert "0 days" in queue and "Reflection" in queue
    prefix = f"e{evidence_id}-"
    assert f'name="{prefix}decision"' in queue and f'name="{prefix}comment"' in queue
    # Returning needs feedback: the row's form comes back with the error.
    empty = client.post(
        f"/signoff/queue/{evidence_id}", data={f"{prefix}decision": "return"}
    )
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert "Say what needs to change" in html and f'href="#{prefix}comment"' in html
    returned = client.post(
        f"/signoff/queue/{evidence_id}",
        data={f"{prefix}decision": "return", f"{prefix}comment": "Add the numbers."},
    )
    assert returned.status_code == 302
    assert status_of(app, evidence_id) == "returned"
    assert "Nothing is waiting for you" in client.get("/signoff/queue").get_data(
        as_text=True
    )
    # The trainee reads the feedback, edits (a draft again) and resubmits.
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Returned" in page and "Add the numbers." in page
    edit = client.get(f"/evidence/{evidence_id}/edit")
    assert edit.status_code == 200
    data = {
        "title": "Linac QA reflection",
        **date_fields(date.today()),
        "body": "With the numbers: 1.8% high.",
        "answers-what_happened": "A",
        "answers-so_what": "B",
        "answers-now_what": "C",
        "claims": ["stp-rp:STP-RP-S2-TA01"],
        "action": "save",
    }
    assert client.post(f"/evidence/{evidence_id}/edit", data=data).status_code == 302
    assert status_of(app, evidence_id) == "draft"
    client.post(f"/signoff/{evidence_id}/submit", data={"assessor": helen})
    assert status_of(app, evidence_id) == "submitted"
    # The assessor signs off from the evidence page.
    as_user(people.helen)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Your decision" in page and "With the numbers" in page
    assert "Assessor declaration" not in page  # only for DOPS, OCE and CBD
    approved = client.post(
        f"/signoff/{evidence_id}/decide", data={"decision": "approve", "comment": ""}
    )
    assert approved.status_code == 302
    assert approved.headers["Location"].endswith("/signoff/queue")
    assert status_of(app, evidence_id) == "signed_off"
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Signed off" in page and "Helen Walsh" in page
    assert "Returned with feedback" in page and "Asked for sign-off" in page
    assert "Ask for sign-off" not in re.sub(r"<[^>]+>", "", page).split("History")[0]


def test_dops_needs_the_declaration(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, kind="dops", form=DOPS_FORM)
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.helen)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert signoff.DECLARATION.replace("'", "&#39;") in page
    missing = client.post(
        f"/signoff/{evidence_id}/decide", data={"decision": "approve"}
    )
    assert missing.status_code == 422
    assert "Confirm the assessor declaration" in missing.get_data(as_text=True)
    prefix = f"e{evidence_id}-"
    from_queue = client.post(
        f"/signoff/queue/{evidence_id}", data={f"{prefix}decision": "approve"}
    )
    assert from_queue.status_code == 422
    assert f'href="#{prefix}declaration"' in from_queue.get_data(as_text=True)
    done = client.post(
        f"/signoff/queue/{evidence_id}",
        data={f"{prefix}decision": "approve", f"{prefix}declaration": "y"},
    )
    assert done.status_code == 302
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item.status == "signed_off"
        assert item.form["assessor_declaration"] == signoff.DECLARATION
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Assessor declaration:" in page


def test_submit_errors_point_to_what_to_fix(app, client, people, as_user):
    evidence_id = make_evidence(
        app, people.aisha, claims=[], form={"what_happened": "Only this"}
    )
    as_user(people.aisha)
    none = client.post(f"/signoff/{evidence_id}/submit", data={})
    assert none.status_code == 422
    html = none.get_data(as_text=True)
    assert "Choose who should sign this off" in html and 'href="#assessor"' in html
    assert "Map the evidence to at least one outcome" in html
    assert f'href="/evidence/{evidence_id}/edit#q"' in html
    assert f'href="/evidence/{evidence_id}/edit#answers-so_what"' in html
    sam = find_id(app, people.sam)
    wrong = client.post(f"/signoff/{evidence_id}/submit", data={"assessor": sam})
    assert "No supervisor with that email can sign off" in wrong.get_data(as_text=True)
    assert status_of(app, evidence_id) == "draft"


def test_withdraw(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.tom)
    assert client.post(f"/signoff/{evidence_id}/withdraw").status_code == 403
    as_user(people.aisha)
    assert client.post(f"/signoff/{evidence_id}/withdraw").status_code == 302
    assert status_of(app, evidence_id) == "draft"
    assert client.post(f"/signoff/{evidence_id}/withdraw").status_code == 409


def test_only_the_assessor_asked_decides(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.tom)  # supervises Aisha, but was not asked
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Your decision" not in page
    data = {"decision": "approve"}
    assert client.post(f"/signoff/{evidence_id}/decide", data=data).status_code == 403
    assert client.post(f"/signoff/queue/{evidence_id}", data=data).status_code == 403
    as_user(people.sam)  # does not supervise Aisha: cannot even see it
    assert client.post(f"/signoff/{evidence_id}/decide", data=data).status_code == 404
    as_user(people.aisha)
    assert client.get("/signoff/queue").status_code == 403
    assert status_of(app, evidence_id) == "submitted"


def test_queue_oldest_first_and_per_trainee(app, client, people, as_user):
    first = make_evidence(app, people.aisha, title="First request")
    second = make_evidence(app, people.aisha, title="Second request")
    bens = make_evidence(app, people.ben, title="Ben request")
    submit_to(app, first, people.aisha, people.tom)
    submit_to(app, second, people.aisha, people.tom)
    submit_to(app, bens, people.ben, people.sam)
    as_user(people.tom)
    html = client.get("/signoff/queue").get_data(as_text=True)
    assert html.index("First request") < html.index("Second request")
    assert "Ben request" not in html
    aisha = find_id(app, people.aisha)
    ben = find_id(app, people.ben)
    only = client.get(f"/signoff/queue?trainee={aisha}").get_data(as_text=True)
    assert "Requests from Aisha Rahman" in only and "First request" in only
    assert "Ben request" not in client.get(f"/signoff/queue?trainee={ben}").get_data(
        as_text=True
    )
    prefix = f"e{first}-"
    done = client.post(
        f"/signoff/queue/{first}?trainee={aisha}",
        data={f"{prefix}decision": "approve"},
    )
    assert done.status_code == 302 and f"trainee={aisha}" in done.headers["Location"]
    assert status_of(app, first) == "signed_off"


def test_lead_unlocks_with_a_reason(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    submit_to(app, evidence_id, people.aisha, people.helen)
    with app.app_context():
        from portfolio.accounts.services import find_user

        signoff.decide(
            find_user(people.helen), db.session.get(Evidence, evidence_id), "approve"
        )
    as_user(people.tom)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Unlock for changes" not in page
    data = {"reason": "Wrong outcome claimed"}
    assert client.post(f"/signoff/{evidence_id}/unlock", data=data).status_code == 403
    as_user(people.gareth)
    assert client.post(f"/signoff/{evidence_id}/unlock", data=data).status_code == 404
    as_user(people.priya)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Unlock for changes" in page
    empty = client.post(f"/signoff/{evidence_id}/unlock", data={"reason": " "})
    assert empty.status_code == 422
    assert "Give the reason for unlocking" in empty.get_data(as_text=True)
    assert client.post(f"/signoff/{evidence_id}/unlock", data=data).status_code == 302
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert (item.status, item.version) == ("draft", 2)
        superseded = db.session.scalars(db.select(SignOff)).one()
        assert superseded.superseded_reason == "Wrong outcome claimed"
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Superseded" in page and "Wrong outcome claimed" in page
    assert "Unlocked for changes" in page
    assert client.post(f"/evidence/{evidence_id}/delete").status_code == 409


def test_notifications(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="Please sign")
    as_user(people.aisha)
    client.post(
        f"/signoff/{evidence_id}/submit", data={"assessor": find_id(app, people.helen)}
    )
    as_user(people.helen)
    home = client.get("/").get_data(as_text=True)
    assert "Notifications (1 unread)" in home
    page = client.get("/notifications/").get_data(as_text=True)
    assert "asked you to sign off" in page and "Please sign" in page
    assert f'href="/evidence/{evidence_id}"' in page and "New" in page
    assert client.post("/notifications/read").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "unread)" not in home and 'href="/notifications/"' in home
    assert "Mark all as read" not in client.get("/notifications/").get_data(
        as_text=True
    )
    # Another person's notifications are not touched by mine.
    as_user(people.aisha)
    assert client.post("/notifications/read").status_code == 302
    client.post(f"/signoff/{evidence_id}/withdraw")
    as_user(people.helen)
    assert "Notifications (1 unread)" in client.get("/").get_data(as_text=True)
