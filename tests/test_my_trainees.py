"""My trainees: a supervisor's workspace, for people who can sign off."""

import re
from datetime import timedelta

from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from tests.helpers.people import find_id
from tests.helpers.people import make_evidence
from tests.helpers.people import submit_to


def rows(html: str) -> list[str]:
    body = html.split('<tbody class="nhsuk-table__body">', 1)[1].split("</tbody>")[0]
    return re.findall(r'<tr class="nhsuk-table__row" role="row">.*?</tr>', body, re.S)


def test_a_supervisor_sees_the_trainees_they_supervise(app, client, people, as_user):
    first = make_evidence(app, people.aisha, title="Older request")
    make_evidence(app, people.aisha, title="Newer request")
    submit_to(app, first, people.aisha, people.tom)
    with app.app_context():
        item = db.session.get(Evidence, first)
        item.submitted_at = item.submitted_at - timedelta(days=4)
        db.session.commit()
        db.session.remove()
    aisha = find_id(app, people.aisha)
    as_user(people.tom)
    page = client.get("/trainees/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = rows(html)
    assert len(found) == 1  # Aisha only: Ben is Sam's, Oliver is at another trust
    row = found[0]
    assert "Aisha Rahman" in row and "Ben Other" not in html
    # Her programme with Tom (not the one he does not supervise), its percent.
    progress = re.search(r'href="/progress/([^"]+)">STP Radiotherapy Physics', row)
    assert progress and "% complete" in row and "training officer" in row
    assert row.count("<li>") == 1 and re.search(r"\b\d+% complete", row)
    assert f'href="/evidence/?trainee={aisha}"' in row
    assert f'href="/signoff/queue?trainee={aisha}"' in row
    assert "1 request" in row and "oldest 4 days" in row
    assert "Nothing recorded yet" not in row  # she recorded evidence today
    for link in (
        f"/progress/{progress.group(1)}",
        f"/evidence/?trainee={aisha}",
        f"/signoff/queue?trainee={aisha}",
    ):
        assert client.get(link).status_code == 200, link
    # Linked from the navigation and from the home page.
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/trainees/"') >= 2


def test_each_supervisor_sees_their_own(app, client, people, as_user):
    submit_to(app, make_evidence(app, people.aisha), people.aisha, people.tom)
    as_user(people.helen)  # Aisha's assessor: the request went to Tom
    row = rows(client.get("/trainees/").get_data(as_text=True))[0]
    assert "Aisha Rahman" in row and "assessor" in row and "Nothing" in row
    as_user(people.sam)
    html = client.get("/trainees/").get_data(as_text=True)
    assert "Ben Other" in html and "Aisha Rahman" not in html
    assert "Nothing recorded yet" in html


def test_only_people_who_sign_off_have_the_page(client, people, as_user):
    as_user(people.aisha)
    assert client.get("/trainees/").status_code == 403
    assert 'href="/trainees/"' not in client.get("/").get_data(as_text=True)
    as_user(people.morgan)
    assert client.get("/trainees/").status_code == 403
    as_user(people.priya)  # a lead who supervises no one
    html = client.get("/trainees/").get_data(as_text=True)
    assert "You are not supervising anyone" in html
