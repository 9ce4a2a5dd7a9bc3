"""The capacity report from the pages: the form, the job's progress and the file."""

import re

import pytest
import sqlalchemy as sa

from portfolio.exports.models import Export
from portfolio.extensions import db
from tests.conftest import PASSWORD
from tests.helpers.capacity import read_csv
from tests.helpers.capacity import seed_capacity

NEW = "/capacity/reports/new"


@pytest.fixture
def seeded(app, world):
    seed_capacity(app)
    return world


def text(response) -> str:
    return response.get_data(as_text=True)


def form(**fields) -> dict:
    return {"from_year": "2024", "to_year": "2028", "format": "csv", **fields}


def test_lead_creates_a_report_from_the_page_and_downloads_it(
    app, client, login, seeded, work_jobs
):
    login(seeded.lead)
    page = client.get("/capacity/organisations/RBV/")
    assert f'href="{NEW}?organisation=RBV"' in text(page)
    page = client.get(f"{NEW}?organisation=RBV")
    assert page.status_code == 200
    body = text(page)
    # A lead's report is of their own organisation: no region or national choice.
    assert 'name="region"' not in body and 'value="national"' not in body
    assert re.search(r'<option\s+value="RBV"\s+selected\s*>', body)
    response = client.post(NEW, data=form(organisation="RBV"))
    assert response.status_code == 302
    status_path = response.headers["Location"]
    assert status_path.startswith("/capacity/reports/")
    work_jobs()
    progress = client.get(f"{status_path}/progress")
    assert progress.get_json() == {"status": "done", "progress": 100, "finished": True}
    assert progress.headers["Cache-Control"] == "no-store"
    page = text(client.get(status_path))
    assert "Your report is ready." in page and "http-equiv" not in page
    export_id = status_path.rsplit("/", 1)[1]
    assert f'href="/exports/{export_id}/file"' in page
    download = client.get(f"/exports/{export_id}/file")
    assert download.status_code == 200
    rows = read_csv(download.data)
    download.close()
    assert {row["organisation"] for row in rows} == {"RBV"}


def test_status_page_refreshes_without_script_and_names_its_progress_address(
    app, client, login, seeded, work_jobs
):
    login(seeded.admin)
    response = client.post(NEW, data=form(scope="national", format="pdf"))
    assert response.status_code == 302
    status_path = response.headers["Location"]
    work_jobs()
    export_id = status_path.rsplit("/", 1)[1]
    with app.app_context():
        db.session.execute(
            sa.update(Export)
            .where(Export.id == export_id)
            .values(status="running", progress=40)
        )
        db.session.commit()
    page = text(client.get(status_path))
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'data-report-progress="{status_path}/progress"' in page
    assert "Making your report: 40% done." in page
    assert "app/report-progress.mjs" in page
    assert client.get(f"{status_path}/progress").get_json() == {
        "status": "running",
        "progress": 40,
        "finished": False,
    }


def test_admin_chooses_a_region(client, login, seeded, work_jobs):
    login(seeded.admin)
    body = text(client.get(NEW))
    assert 'value="national"' in body
    assert re.search(r'<option\s+value="North West"\s*>', body)
    response = client.post(NEW, data=form(scope="region", region="North West"))
    assert response.status_code == 302
    work_jobs()
    page = text(client.get(response.headers["Location"]))
    assert "North West region" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"from_year": "next year"},
            "Enter the first year as a whole number, like 2026",
        ),
        (
            {"to_year": "2020"},
            "The last year (2020) must not be before the first year (2024)",
        ),
        ({"to_year": "2060"}, "A report covers at most 20 years"),
        ({"uplift": "lots"}, "Enter the extra places a year as a number, like 5"),
        ({"uplift": "-3"}, "The extra places a year must be between 0 and 100,000"),
        ({"organisation": ""}, "Choose the organisation the report is for"),
        ({"organisation": "NOPE"}, "There is no organisation with code &#39;NOPE&#39;"),
    ],
)
def test_report_form_errors_are_shown_and_nothing_is_queued(
    app, client, login, seeded, fields, message
):
    login(seeded.lead)
    response = client.post(NEW, data=form(**{"organisation": "RBV", **fields}))
    assert response.status_code == 422
    body = text(response)
    assert "There is a problem" in body and message in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Export)) == 0


def test_a_lead_cannot_ask_for_another_organisation_or_see_others_reports(
    app, client, login, seeded, work_jobs
):
    login(seeded.lead)
    assert client.post(NEW, data=form(organisation="RR8")).status_code == 403
    # A lead's form is always for an organisation of theirs: "national" is ignored.
    refused = client.post(NEW, data=form(scope="national"))
    assert refused.status_code == 422
    assert "Choose the organisation the report is for" in text(refused)
    leeds = app.test_client()
    leeds.post("/auth/login", data={"email": seeded.leeds_lead, "password": PASSWORD})
    response = leeds.post(NEW, data=form(organisation="RR8"))
    theirs = response.headers["Location"]
    work_jobs()
    assert leeds.get(theirs).status_code == 200
    assert client.get(theirs).status_code == 404
    assert client.get(f"{theirs}/progress").status_code == 404
    assert client.get("/capacity/reports/no-such-id").status_code == 404


@pytest.mark.parametrize("who", ["trainee", "supervisor"])
def test_only_leads_and_admins_may_open_the_report_form(client, login, seeded, who):
    login(getattr(seeded, who))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, data=form(organisation="RBV")).status_code == 403
