"""The trainee dashboard and the cohort view (web)."""

import re

from tests.helpers import api
from tests.helpers.api import As
from tests.helpers.world import REFLECTION


def sign_off(client, world, payload):
    api.sign_off(lambda who: As(client, world, who), world, payload)


def test_dashboard_explains_missing_and_next_actions(client, world, login):
    sign_off(
        client,
        world,
        {**REFLECTION, "claims": [{"curriculum": "stp-rp", "code": "P-RP-S1-TA01"}]},
    )
    # A draft against a published outcome (no proposal tag) puts it under way too.
    draft = As(client, world, "trainee").post(
        "/api/v1/evidence",
        json={
            **REFLECTION,
            "claims": [{"curriculum": "stp-rp", "code": "S-RP-S3-TA3"}],
        },
    )
    assert draft.status_code == 201, draft.get_json()
    login(world.trainee, "correct-horse-battery")
    page = client.get("/progress/").get_data(as_text=True)
    assert "STP Radiotherapy Physics" in page and "Progress by module" in page
    assert "needs 1 more reflection signed off" in page
    assert "What to do next" in page
    # Each outcome under way reads "code title: what it needs", the title's own full
    # stop dropped and no space left where there is no proposal tag.
    started = page.split("Outcomes under way</h3>", 1)[1].split("</ul>", 1)[0]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", started))
    assert "P-RP-S1-TA01" in words and "small photon fields: needs" in words
    assert " :" not in words and ".:" not in words


def test_enrolment_progress_visibility(client, world, factory, login):
    login(world.other_trainee, "correct-horse-battery")
    assert client.get(f"/progress/{world.enrolment_id}").status_code == 404
    client.post("/auth/logout")
    client.delete_cookie("session")
    login(world.supervisor, "correct-horse-battery")
    page = client.get(f"/progress/{world.enrolment_id}")
    assert page.status_code == 200 and "Record a review" in page.get_data(as_text=True)


def test_review_recorded_from_the_page_keeps_input_on_error(client, world, login):
    login(world.supervisor, "correct-horse-battery")
    bad = client.post(
        f"/progress/{world.enrolment_id}/reviews",
        data={"held_on": "2026-01-10", "summary": ""},
    )
    assert (
        bad.status_code == 422
        and "Summarise the progress discussed" in bad.get_data(as_text=True)
    )
    ok = client.post(
        f"/progress/{world.enrolment_id}/reviews",
        data={
            "held_on": "2026-01-10",
            "summary": "Good start <script>x</script>",
            "actions": "Book MRI shadowing",
        },
    )
    assert ok.status_code == 302
    page = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    assert "Good start &lt;script&gt;" in page and "<script>x" not in page


def test_cohort_page_filters_and_csv(client, world, login):
    login(world.lead, "correct-horse-battery")
    page = client.get("/cohort/").get_data(as_text=True)
    assert "Aisha Rahman" in page and "Ben Other" in page and "Oliver Leeds" not in page
    assert "Supervisor load" in page
    only = client.get("/cohort/?programme=ai-dht").get_data(as_text=True)
    assert "Ben Other" not in only and "Aisha Rahman" in only
    csv = client.get("/cohort.csv")
    text = csv.get_data(as_text=True)
    assert csv.mimetype == "text/csv" and text.startswith("trainee,email,programme")
    assert "Oliver Leeds" not in text


def test_cohort_is_for_leads(client, world, login):
    login(world.trainee, "correct-horse-battery")
    assert client.get("/cohort/").status_code == 403
    assert client.get("/cohort.csv").status_code == 403


def test_csv_cells_cannot_start_formulas(app, world, factory):
    from portfolio.csvsafe import safe_text

    assert safe_text("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_text("Ann") == "Ann"
