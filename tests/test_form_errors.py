"""Forms say every problem at once, in plain words, each linked from the summary."""

from tests.helpers.people import make_evidence
from tests.helpers.people import submit_to


def test_a_decision_left_unchosen_is_said_in_plain_words(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="Linac QA reflection")
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.helen)
    page = client.post(f"/signoff/{evidence_id}/decide", data={"comment": "Fine"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Choose whether to sign it off or return it" in html
    assert 'href="#decision' in html
    assert "approve" not in html.split("nhsuk-error-summary", 1)[1].split("</div>")[0]
