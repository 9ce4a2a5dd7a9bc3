"""The home page as each role's workspace: the trainee's dashboard, the supervisor's
caseload, the lead's cohort at a glance; and the evidence link that starts a form
with its outcome chosen."""

import re
from datetime import timedelta

from portfolio.accounts.services import find_user
from portfolio.enrolments import services as training
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.progress import dashboard
from portfolio.signoff import services as signoff
from tests.helpers.people import TODAY
from tests.helpers.people import find_id
from tests.helpers.people import make_evidence
from tests.helpers.people import submit_to


def main_text(html: str) -> str:
    """The page's main content as plain words."""
    body = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_an_evidence_link_starts_the_form_with_its_outcome_chosen(
    app, client, people, as_user
):
    as_user(people.aisha)
    page = client.get("/evidence/new?kind=reflection&claim=stp-rp:P-RP-S2-TA01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "stp-rp:P-RP-S2-TA01" in chosen(html)
    # Without the parameter nothing is chosen; a value without a curriculum is ignored.
    plain = client.get("/evidence/new?kind=reflection&claim=nonsense").get_data(
        as_text=True
    )
    assert chosen(plain) == []


def chosen(html: str) -> list[str]:
    """The outcomes ticked on an evidence form."""
    found = []
    for tag in re.findall(r"<input[^>]*>", html):
        if 'name="claims"' in tag and ("checked" in tag or 'type="hidden"' in tag):
            found += re.findall(r'value="([^"]+)"', tag)
    return found


def test_percentages_are_written_as_people_write_them():
    assert dashboard.percent_text(0.0) == "0%"
    assert dashboard.percent_text(12.5) == "12.5%"
    assert dashboard.percent_text(100.0) == "100%"
    assert dashboard.percent_text(33.333) == "33.3%"


def test_the_trainee_home_is_a_dashboard(app, client, people, as_user):
    waiting = make_evidence(app, people.aisha, title="Waiting on Tom")
    submit_to(app, waiting, people.aisha, people.tom)
    returned = make_evidence(app, people.aisha, title="Sent back to me")
    submit_to(app, returned, people.aisha, people.tom)
    with app.app_context():
        item = db.session.get(Evidence, waiting)
        item.submitted_at = item.submitted_at - timedelta(days=5)
        signoff.decide(
            find_user(people.tom),
            db.session.get(Evidence, returned),
            "return",
            "Say what you would change next time",
        )
        db.session.commit()
        db.session.remove()
    make_evidence(app, people.aisha, title="A draft of mine")
    as_user(people.aisha)
    html = client.get("/").get_data(as_text=True)
    text = main_text(html)
    # Returned first, before the next steps and what waits on others.
    assert text.index("Returned to you with feedback") < text.index("What to do next")
    assert text.index("What to do next") < text.index("Waiting on someone")
    assert "Sent back to me" in text and "returned today" in text
    # Waiting on a named supervisor, with its age.
    row = re.search(r"Waiting on Tom.*?</tr>", html, re.S).group(0)
    assert "Dr Tom Okafor" in row and "5 days" in row
    # Next steps name the outcome and link to the right form with it chosen.
    assert "P-RP-S2-TA01" in text and "Run routine mechanical" in text
    assert 'href="/evidence/new?kind=reflection&amp;claim=stp-rp:P-RP-S2-TA01"' in html
    # A module's assessments: the form of the kind it needs, claiming the module.
    assert re.search(r'href="/evidence/new\?kind=dops&amp;claim=stp-rp:S-C1"', html)
    # Progress per programme, per phase and per module, without "0.0%".
    assert (
        "0.0%" not in html and "STP Radiotherapy Physics (2022 curriculum) 0%" in text
    )
    assert "Phase 1: rotations" in text and "<progress" in html
    rotation = re.search(r"P-MP-R1.*?</tr>", html, re.S).group(0)
    assert "0 of 8" in rotation and "8 outcomes to be signed off" in rotation
    assert ">Nothing<" not in rotation
    # Drafts, the add button, upcoming reviews and deadlines.
    assert "1 draft not yet sent" in text and "A draft of mine" in text
    assert 'class="nhsuk-button" href="/evidence/new"' in html
    assert "Coming up" in text and "Progress review due" in text
    assert "Expected end of STP Radiotherapy Physics" in text
    for link in re.findall(r'href="(/(?:evidence|progress)/[^"#]*)"', html):
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_an_item_waiting_on_an_emailed_link_shows_who_and_since(
    app, client, people, as_user
):
    from tests.test_tickets import send_to_visitor

    send_to_visitor(app, client, people, as_user)
    html = client.get("/").get_data(as_text=True)
    assert "Dr Vera Visitor, by emailed link" in main_text(html)
    assert "link expired" not in html


def test_an_msf_round_in_progress_is_on_the_home_page(app, client, people, as_user):
    from tests.test_msf import start

    round_id = start(app, client, people, as_user)
    html = client.get("/").get_data(as_text=True)
    assert "Multi-source feedback in progress" in html
    assert f'href="/msf/{round_id}"' in html and 'href="/msf/"' in html
    assert "0 of 3 raters have answered (at least 3 needed)" in main_text(html)


def test_the_progress_page_says_what_a_module_still_needs(app, client, people, as_user):
    as_user(people.aisha)
    html = client.get("/progress/").get_data(as_text=True)
    assert "0.0%" not in html
    rotation = re.search(r"P-MP-R1.*?</tr>", html, re.S).group(0)
    assert "8 outcomes to be signed off" in rotation and ">Nothing<" not in rotation


def test_the_supervisor_home_is_their_caseload(app, client, people, as_user):
    first = make_evidence(app, people.aisha, title="Please sign")
    submit_to(app, first, people.aisha, people.tom)
    with app.app_context():
        item = db.session.get(Evidence, first)
        item.submitted_at = item.submitted_at - timedelta(days=3)
        db.session.commit()
        db.session.remove()
    aisha = find_id(app, people.aisha)
    as_user(people.tom)
    html = client.get("/").get_data(as_text=True)
    text = main_text(html)
    assert "Waiting for your sign-off" in text and "1 request waiting" in text
    queue_row = next(r for r in html.split("<tr") if "Please sign" in r)
    assert "3 days" in queue_row
    assert f'href="/evidence/{first}"' in html
    # My trainees: progress link, evidence, what waits, last activity, next review.
    assert "Your trainees" in text and "Aisha Rahman" in text
    assert f'href="/evidence/?trainee={aisha}"' in html
    assert f'href="/signoff/queue?trainee={aisha}"' in html
    assert re.search(r'href="/progress/[^"]+">STP Radiotherapy Physics', html)
    assert "Due by 30 September" in text
    assert "Caseload summary" not in html  # one trainee: no summary needed
    assert 'href="/trainees/"' in html and 'href="/signoff/queue"' in html


def test_many_trainees_give_a_caseload_summary(app, client, factory, people, as_user):
    with app.app_context():
        priya = find_user(people.priya)
        for n in range(dashboard.CASELOAD_SUMMARY_FROM):
            email = factory.user("trainee", "RBV", f"t{n}@example.org", f"Trainee {n}")
            training.create_enrolment(
                priya,
                email,
                "stp-rp",
                "RBV",
                TODAY - timedelta(days=30),
                TODAY + timedelta(days=1000),
                [training.SupervisorInput(people.tom, "training_officer")],
            )
        db.session.remove()
    as_user(people.tom)
    html = client.get("/").get_data(as_text=True)
    summary = re.search(r'aria-label="Caseload summary">(.*?)</ul>', html, re.S)
    assert summary, "no caseload summary"
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.group(1)))
    assert f"{dashboard.CASELOAD_SUMMARY_FROM + 1} trainees" in words
    assert "0 waiting for you" in words and "0 reviews overdue" in words
    # Aisha started 200 days ago and has recorded nothing; the new ones just began.
    assert "1 with no recent evidence" in words


def test_a_lead_home_summarises_the_cohort_with_links(app, client, people, as_user):
    as_user(people.priya)
    html = client.get("/").get_data(as_text=True)
    text = main_text(html)
    assert "Your cohort" in text and "2 trainees in training" in text
    assert 'href="/cohort/?flag=no_evidence"' in html
    # A lead who supervises no one is not shown an empty supervisor workspace.
    assert "Waiting for your sign-off" not in text


def test_home_pages_write_nothing(app, client, people, as_user):
    from tests.test_progress_read_model import _writes_during

    submit_to(app, make_evidence(app, people.aisha), people.aisha, people.tom)
    for who in (people.aisha, people.tom, people.priya):
        as_user(who)
        client.get("/")  # a first visit may record a session detail
        assert _writes_during(app, lambda: client.get("/")) == [], who


def _enrolment_of(app, email, slug):
    with app.app_context():
        return db.session.scalars(
            db.select(Enrolment.id).where(
                Enrolment.trainee_id == find_id(app, email),
                Enrolment.curriculum.has(slug=slug),
            )
        ).first()


def test_a_review_held_but_not_signed_shows_on_the_supervisor_home(
    app, client, people, as_user
):
    enrolment = _enrolment_of(app, people.aisha, "stp-rp")
    as_user(people.tom)
    recorded = client.post(
        f"/progress/{enrolment}/reviews",
        data={"held_on": TODAY.isoformat(), "summary": "Going well"},
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)
    text = main_text(client.get("/").get_data(as_text=True))
    assert f"Held {TODAY.day} {TODAY:%B %Y}, not signed by everyone yet" in text
    as_user(people.aisha)  # and the trainee is asked to sign it
    text = main_text(client.get("/").get_data(as_text=True))
    assert f"Sign your review of {TODAY.day} {TODAY:%B %Y}" in text
