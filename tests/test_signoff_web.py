"""Sign-off on the web: submit, withdraw, decide (on the item's page, reached from
the queue), the assessor completing a DOPS, OCE or CBD, unlock, the feedback and
the notifications that go with them."""

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

DOPS_FORM = {"activity": "CBCT QC", "setting": "Linac 2"}
# The assessor's part, as the decision form posts it.
DOPS_ASSESSMENT = {
    "assessment-ratings-preparation": "meets",
    "assessment-ratings-technical_skill": "meets",
    "assessment-ratings-safety": "above",
    "assessment-ratings-communication": "below",
    "assessment-ratings-documentation": "not_observed",
    "assessment-overall": "meets",
    "assessment-strengths": "Careful phantom set-up",
    "assessment-development": "Explain the action levels",
    "assessment-declaration": "y",
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
    # The assessor sees it in the queue, with the trainee, kind, title and age, and
    # opens it to read it in full: the queue has no decision forms of its own.
    as_user(people.helen)
    queue = client.get("/signoff/queue").get_data(as_text=True)
    assert "Linac QA reflection" in queue and "Aisha Rahman" in queue
    # Sent today: "less than a day", as the home page says it.
    assert "less than a day" in queue and "0 days" not in queue
    assert "Reflection" in queue
    assert f'<a href="/evidence/{evidence_id}">Review and decide' in queue
    assert 'name="decision"' not in queue and "Save decision" not in queue
    # Returning needs feedback: the item's page comes back with the error.
    empty = client.post(f"/signoff/{evidence_id}/decide", data={"decision": "return"})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert "Say what needs to change" in html and 'href="#comment"' in html
    assert "Linac QA reflection" in html and "Outcomes claimed" in html
    returned = client.post(
        f"/signoff/{evidence_id}/decide",
        data={"decision": "return", "comment": "Add the numbers."},
    )
    assert returned.status_code == 302
    assert status_of(app, evidence_id) == "returned"
    assert "Nothing is waiting for you" in client.get("/signoff/queue").get_data(
        as_text=True
    )
    # The trainee reads the feedback, edits (a draft again) and resubmits.
    # The feedback is at the top of the item and of its edit form.
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    top = page.split("<h2>Description")[0]
    assert "nhsuk-card--warning" in top and "Returned with feedback" in top
    assert "Add the numbers." in top and "Helen Walsh returned this" in top
    edit = client.get(f"/evidence/{evidence_id}/edit")
    assert edit.status_code == 200
    form_top = edit.get_data(as_text=True).split('name="title"')[0]
    assert "nhsuk-card--warning" in form_top and "Add the numbers." in form_top
    data = {
        "title": "Linac QA reflection",
        **date_fields(date.today()),
        "body": "With the numbers: 1.8% high.",
        "answers-what_happened": "A",
        "answers-so_what": "B",
        "answers-now_what": "C",
        "claims": ["stp-rp:P-RP-S2-TA01"],
        "action": "save",
    }
    assert client.post(f"/evidence/{evidence_id}/edit", data=data).status_code == 302
    assert status_of(app, evidence_id) == "draft"
    assert (
        "Add the numbers."
        in client.get(f"/evidence/{evidence_id}")
        .get_data(as_text=True)
        .split("<h2>Description")[0]
    )
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
    # Approved since: the old return's comment is history, not a callout.
    assert "nhsuk-card--warning" not in page


def test_the_assessor_completes_a_dops_when_signing_it_off(
    app, client, people, as_user
):
    evidence_id = make_evidence(app, people.aisha, kind="dops", form=DOPS_FORM)
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.helen)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert signoff.DECLARATION.replace("'", "&#39;") in page
    # The decision form carries the assessor's fields, after the whole item.
    assert 'name="assessment-ratings-technical_skill"' in page
    assert 'name="assessment-overall"' in page
    assert 'name="assessment-strengths"' in page
    assert 'name="assessment-development"' in page
    assert page.index("CBCT QC") < page.index('name="assessment-overall"')
    missing = client.post(
        f"/signoff/{evidence_id}/decide", data={"decision": "approve"}
    )
    assert missing.status_code == 422
    html = missing.get_data(as_text=True)
    assert "Confirm the assessor declaration" in html
    assert 'href="#assessment-ratings-safety"' in html
    assert 'href="#assessment-overall"' in html
    assert 'href="#assessment-strengths"' in html
    assert 'href="#assessment-development"' in html
    assert status_of(app, evidence_id) == "submitted"
    # Returning needs only the comment.
    done = client.post(
        f"/signoff/{evidence_id}/decide",
        data={"decision": "approve", **DOPS_ASSESSMENT},
    )
    assert done.status_code == 302
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item.status == "signed_off"
        assert item.form == DOPS_FORM  # the trainee's context, untouched
        decision = db.session.scalars(db.select(SignOff)).one()
        assessment = decision.assessment
        assert assessment["ratings"]["safety"] == "above"
        assert assessment["overall"] == "meets"
        assert assessment["strengths"] == "Careful phantom set-up"
        assert assessment["declaration"] == signoff.DECLARATION
        assert assessment["assessor_id"] == find_id(app, people.helen)
        assert assessment["completed_at"]
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Recorded by the trainee" in page and "Assessor's judgement" in page
    assert "Completed by Helen Walsh" in page and "Above the expected level" in page
    assert "Explain the action levels" in page and "Assessor declaration:" in page


def test_a_dops_can_be_returned_without_the_assessment(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, kind="dops", form=DOPS_FORM)
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.helen)
    response = client.post(
        f"/signoff/{evidence_id}/decide",
        data={"decision": "return", "comment": "Add the phantom serial number."},
    )
    assert response.status_code == 302
    assert status_of(app, evidence_id) == "returned"
    with app.app_context():
        assert db.session.scalars(db.select(SignOff)).one().assessment is None


def test_previous_flow_wbas_keep_the_trainees_ratings(app, client, people, as_user):
    legacy = {
        **DOPS_FORM,
        "strengths": "My own view: careful",
        "development": "My own view: explain more",
        "ratings": {"safety": "above", "communication": "below"},
    }
    evidence_id = make_evidence(app, people.aisha, kind="dops", form=DOPS_FORM)
    with app.app_context():
        # As the migration leaves a WBA recorded before assessors rated them.
        item = db.session.get(Evidence, evidence_id)
        item.form = legacy
        item.ratings_by_trainee = True
        db.session.commit()
    as_user(people.aisha)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Recorded under the previous flow (ratings by the trainee)" in page
    assert "My own view: careful" in page
    # Editing the context keeps what was recorded then, and it can still be sent.
    data = {
        "title": "DOPS",
        **date_fields(date.today()),
        "answers-activity": "CBCT QC, weekly",
        "answers-setting": "Linac 2",
        "claims": ["stp-rp:P-RP-S2-TA01"],
        "action": "save",
    }
    assert client.post(f"/evidence/{evidence_id}/edit", data=data).status_code == 302
    with app.app_context():
        form = db.session.get(Evidence, evidence_id).form
        assert form["activity"] == "CBCT QC, weekly"
        assert form["ratings"] == legacy["ratings"]
        assert form["strengths"] == "My own view: careful"
    helen = find_id(app, people.helen)
    assert (
        client.post(
            f"/signoff/{evidence_id}/submit", data={"assessor": helen}
        ).status_code
        == 302
    )
    assert status_of(app, evidence_id) == "submitted"


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
    # Each row: age, trainee, kind, title and a link to review and decide.
    row = only.split(f'href="/evidence/{first}">First request')[1].split("</tr>")[0]
    assert f'href="/evidence/{first}">Review and decide' in row


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
    with app.app_context():
        from portfolio.notifications.models import Notification

        note = db.session.scalars(db.select(Notification)).one()
        note_id = note.id
    assert f'href="/notifications/{note_id}"' in page and "New" in page
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


def _notes(app, email):
    from portfolio.notifications.models import Notification

    with app.app_context():
        user_id = find_id(app, email)
        return {
            n.id: n.read_at
            for n in db.session.scalars(
                db.select(Notification).where(Notification.user_id == user_id)
            )
        }


def test_opening_a_notification_marks_it_read_and_goes_to_its_item(
    app, client, people, as_user
):
    first = make_evidence(app, people.aisha, title="First")
    second = make_evidence(app, people.aisha, title="Second")
    submit_to(app, first, people.aisha, people.helen)
    submit_to(app, second, people.aisha, people.helen)
    (one, two) = sorted(_notes(app, people.helen))
    as_user(people.aisha)  # not theirs: not found, and left unread
    assert client.get(f"/notifications/{one}").status_code == 404
    assert client.post(f"/notifications/{one}/read").status_code == 404
    as_user(people.helen)
    opened = client.get(f"/notifications/{one}")
    assert opened.status_code == 302
    assert opened.headers["Location"] in (f"/evidence/{first}", f"/evidence/{second}")
    notes = _notes(app, people.helen)
    assert notes[one] is not None and notes[two] is None
    # Marked read one at a time, without opening it.
    page = client.get("/notifications/").get_data(as_text=True)
    assert f'action="/notifications/{two}/read"' in page
    assert f'action="/notifications/{one}/read"' not in page
    assert client.post(f"/notifications/{two}/read").status_code == 302
    assert _notes(app, people.helen)[two] is not None
    assert client.get("/notifications/no-such-id").status_code == 404


def test_the_return_email_carries_the_comment_and_links_through_the_notification(
    app, client, people, as_user
):
    from portfolio.notifications.models import OutboxEmail

    evidence_id = make_evidence(app, people.aisha, title="Needs work")
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.helen)
    client.post(
        f"/signoff/{evidence_id}/decide",
        data={"decision": "return", "comment": "Add the chamber serial.\nAnd units."},
    )
    (note_id,) = _notes(app, people.aisha)
    with app.app_context():
        email = db.session.scalars(
            db.select(OutboxEmail).where(OutboxEmail.to_address == people.aisha)
        ).all()[-1]
        assert "returned “Needs work” with feedback" in email.body
        assert "Add the chamber serial." in email.body and "And units." in email.body
        assert f"/notifications/{note_id}" in email.body
    as_user(people.aisha)
    assert client.get(f"/notifications/{note_id}").headers["Location"] == (
        f"/evidence/{evidence_id}"
    )
    assert _notes(app, people.aisha)[note_id] is not None
