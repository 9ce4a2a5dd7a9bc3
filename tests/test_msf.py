"""Multi-source feedback: a self-assessment, raters invited by single-use links,
anonymous answers, release only with enough answers and after the supervisor's
review, and the collated summary as the evidence that counts."""

import re
from datetime import date

import sqlalchemy as sa

from portfolio.enrolments.models import Enrolment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.msf import questionnaire as q
from portfolio.msf.models import MsfResponse
from portfolio.msf.models import MsfRound
from portfolio.notifications.models import OutboxEmail
from tests.helpers.html import date_fields
from tests.helpers.people import find_id
from tests.test_tickets import set_rules

RATERS = [
    ("Sam Patel", "sam.patel@nhs.example", "clinical scientist"),
    ("Jo Reid", "jo.reid@nhs.example", "doctor"),
    ("Kim Lee", "kim.lee@nhs.example", "technologist"),
]
SELF = {f"self_assessment-{d}": "meets" for d in q.DOMAINS}


def links(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxEmail.to_address, OutboxEmail.body).where(
                OutboxEmail.body.contains("/ticket/")
            )
        ).all()
    return {
        to: re.search(r"http://localhost(/ticket/[A-Za-z0-9_-]+)", body).group(1)
        for to, body in rows
    }


def enrolment_of(app, email) -> str:
    with app.app_context():
        return db.session.scalars(
            sa.select(Enrolment.id).where(Enrolment.trainee_id == find_id(app, email))
        ).first()


def start(app, client, people, as_user) -> str:
    set_rules(app, "stp-rp", msf_min_raters=3)
    as_user(people.aisha)
    lines = "\n".join(", ".join(r) for r in RATERS)
    started = client.post(
        "/msf/new",
        data={"enrolment": enrolment_of(app, people.aisha), **SELF, "raters": lines},
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    return started.headers["Location"].rsplit("/", 1)[1]


def answer(client, path, rating="above", well="Clear explanations", better=""):
    data = {f"answers-{d}": rating for d in q.DOMAINS}
    data |= {"answers-well": well, "answers-better": better}
    return client.post(path, data=data)


def test_starting_a_round_checks_every_rater_line(app, client, people, as_user):
    as_user(people.aisha)
    bad = client.post(
        "/msf/new",
        data={
            "enrolment": enrolment_of(app, people.aisha),
            "raters": "Sam Patel, sam.patel@nhs.example\nJo, not-an-email, doctor",
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Line 1: give a name, an email and a role" in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(MsfRound.id))) == 0
    bad = client.post(
        "/msf/new",
        data={
            "enrolment": enrolment_of(app, people.aisha),
            "raters": "Jo, not-an-email, doctor\nAisha, aisha@example.org, doctor",
        },
    )
    html = bad.get_data(as_text=True)
    assert "Line 1: Enter an email address in the correct format" in html
    assert "Line 2: You cannot rate yourself" in html
    assert "Choose a rating for" in html  # the self-assessment, all at once


def test_answers_are_anonymous_and_released_only_after_review(
    app, client, people, as_user, api
):
    round_id = start(app, client, people, as_user)
    sent = links(app)
    assert set(sent) == {r[1] for r in RATERS}
    client.delete_cookie("session")
    # Raters answer without an account; each link works once.
    page = client.get(sent["sam.patel@nhs.example"]).get_data(as_text=True)
    assert "Your answers are anonymous" in page and "Proposal" in page
    incomplete = client.post(sent["sam.patel@nhs.example"], data={})
    assert incomplete.status_code == 422
    assert (
        answer(client, sent["sam.patel@nhs.example"], well="Unflappable").status_code
        == 200
    )
    assert answer(client, sent["sam.patel@nhs.example"]).status_code == 410
    assert (
        answer(client, sent["jo.reid@nhs.example"], rating="meets").status_code == 200
    )
    # Two of the three needed: nobody sees any answer, and it cannot be released.
    as_user(people.aisha)
    mine = client.get(f"/msf/{round_id}").get_data(as_text=True)
    assert "Unflappable" not in mine and "Collated results" not in mine
    assert (
        api(people.aisha).get(f"/api/v1/msf/{round_id}").get_json()["summary"] is None
    )
    as_user(people.tom)
    early = client.post(
        f"/msf/{round_id}/release",
        data={**date_fields(date.today(), "reviewed_on"), "plan": "Keep going"},
    )
    assert early.status_code == 422
    assert "2 of the 3 answers needed" in early.get_data(as_text=True)
    client.delete_cookie("session")
    answer(client, sent["kim.lee@nhs.example"], rating="meets", better="Speak up more")
    # The supervisor reviews the collated answers, then releases them.
    as_user(people.tom)
    review = client.get(f"/msf/{round_id}").get_data(as_text=True)
    assert "Collated results" in review and "Unflappable" in review
    for name, _email, _role in RATERS:  # no one's answers carry their name
        assert (
            name not in review.split("Collated results")[1].split("People invited")[0]
        )
    released = client.post(
        f"/msf/{round_id}/release",
        data={**date_fields(date.today(), "reviewed_on"), "plan": "Lead a QA huddle"},
    )
    assert released.status_code == 302, released.get_data(as_text=True)
    with app.app_context():
        msf_round = db.session.get(MsfRound, round_id)
        assert msf_round.status == "released"
        evidence = db.session.get(Evidence, msf_round.evidence_id)
        assert evidence.kind == "msf" and evidence.status == "signed_off"
        assert evidence.owner_id == find_id(app, people.aisha)
        assert "3 of 3 invited colleagues answered" in evidence.form["summary"]
        assert evidence.form["plan"] == "Lead a QA huddle"
        # Nothing stored with an answer says whose it is, or when it came.
        assert set(MsfResponse.__table__.columns.keys()) == {
            "id",
            "round_id",
            "ratings",
            "comments",
        }
    as_user(people.aisha)
    mine = client.get(f"/msf/{round_id}").get_data(as_text=True)
    assert "Unflappable" in mine and "Speak up more" in mine
    summary = api(people.aisha).get(f"/api/v1/msf/{round_id}").get_json()["summary"]
    professional = next(a for a in summary["areas"] if a["domain"] == "professional")
    assert professional["counts"]["above"] == 1 and professional["counts"]["meets"] == 2
    assert professional["self"] == "meets"


def test_msf_through_the_api(app, client, people, api):
    set_rules(app, "stp-rp", msf_min_raters=1)
    body = {
        "enrolment": enrolment_of(app, people.aisha),
        "raters": [
            {"name": "Sam Patel", "email": "sam.patel@nhs.example", "role": "doctor"}
        ],
        "self_assessment": {"ratings": dict.fromkeys(q.DOMAINS, "meets")},
    }
    created = api(people.aisha).post("/api/v1/msf", json=body)
    assert created.status_code == 201, created.get_json()
    round_id = created.get_json()["id"]
    assert created.get_json()["responses_received"] == 0
    bad = api(people.aisha).post(
        "/api/v1/msf",
        json={**body, "raters": [{"name": "X", "email": "x", "role": "pilot"}]},
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} >= {"raters[0].role"}
    assert (
        api(people.tom)
        .post(
            f"/api/v1/msf/{round_id}/release",
            json={"reviewed_on": date.today().isoformat(), "plan": "x"},
        )
        .status_code
        == 422
    )
    answer(client, links(app)["sam.patel@nhs.example"])
    # Only a supervisor releases; the trainee cannot release their own.
    release = {"reviewed_on": date.today().isoformat(), "plan": "Keep it up"}
    assert (
        api(people.aisha)
        .post(f"/api/v1/msf/{round_id}/release", json=release)
        .status_code
        == 403
    )
    done = api(people.tom).post(f"/api/v1/msf/{round_id}/release", json=release)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "released" and done.get_json()["evidence"]


def test_trainees_cannot_type_in_msf_evidence(app, people, api):
    refused = api(people.aisha).post(
        "/api/v1/evidence",
        json={"title": "MSF", "kind": "msf", "occurred_on": date.today().isoformat()},
    )
    assert refused.status_code == 422
    assert "comes from a feedback round" in refused.get_json()["detail"]
