"""The capacity report: POST /api/v1/reports/capacity, and the PDF and CSV it makes.

Jobs run in-process here (no Redis); tests/test_capacity_report_worker.py does the
same through a real worker. The seeded figures are small enough to check by hand.
"""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.capacity import report
from portfolio.extensions import db
from portfolio.paths import PROJECT_ROOT
from tests.helpers.capacity import CHRISTIE
from tests.helpers.capacity import HOSTILE
from tests.helpers.capacity import LEEDS
from tests.helpers.capacity import MARSDEN
from tests.helpers.capacity import PATH
from tests.helpers.capacity import PEOPLE
from tests.helpers.capacity import csv_place_sums
from tests.helpers.capacity import pdf_text
from tests.helpers.capacity import read_csv
from tests.helpers.capacity import seed_capacity
from tests.helpers.capacity import sql_place_sums
from tests.world import As


@pytest.fixture
def seeded(app, world):
    seed_capacity(app)
    return world


@pytest.fixture
def as_(client, seeded):
    return lambda who: As(client, seeded, who)


def ask(as_, who, work=None, **body):
    """Ask for a report; return the export as GET /api/v1/exports/{id} shows it."""
    body = {"from_year": 2024, "to_year": 2028, "format": "pdf", **body}
    response = as_(who).post(PATH, json=body)
    assert response.status_code == 202, response.get_json()
    made = response.get_json()
    assert made["kind"] == "capacity" and made["enrolment"] is None
    assert response.headers["Location"] == f"/api/v1/exports/{made['id']}"
    if work:
        work()
    return as_(who).get(f"/api/v1/exports/{made['id']}").get_json()


def download(as_, who, export) -> bytes:
    assert export["status"] == "done", export
    response = as_(who).get(export["download_url"])
    assert response.status_code == 200
    data = response.data
    response.close()
    return data


# ---- who may ask -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("trainee", {"organisation": "RBV"}, 403),
        ("supervisor", {"organisation": "RBV"}, 403),
        ("lead", {"organisation": "RBV"}, 202),
        ("lead", {"organisation": "rbv"}, 202),
        ("lead", {"organisation": "RR8"}, 403),
        ("lead", {"region": "North West"}, 403),
        ("lead", {"national": True}, 403),
        ("lead", {"scope": "national"}, 403),
        ("leeds_lead", {"organisation": "RR8"}, 202),
        ("leeds_lead", {"organisation": "RBV"}, 403),
        ("admin", {"organisation": "RBV"}, 202),
        ("admin", {"region": "north west"}, 202),
        ("admin", {"national": True}, 202),
        ("admin", {"scope": "national"}, 202),
        ("admin", {"organisation": "RPY", "format": "csv"}, 202),
        ("admin", {"region": "national"}, 202),
        ("lead", {"organisation": "National"}, 403),
    ],
)
def test_who_may_ask(as_, who, body, status):
    # CSV: who may ask does not depend on the format, and rendering a PDF for each
    # case (in-process on SQLite) costs seconds; the PDF tests below render them.
    body = {"from_year": 2024, "to_year": 2028, "format": "csv", **body}
    response = as_(who).post(PATH, json=body)
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"]


def test_no_token_and_no_body(client, as_):
    assert client.post(PATH, json={"national": True}).status_code == 401
    bad = as_("admin").post(PATH, data="nope", content_type="application/json")
    assert bad.status_code == 400
    # Role first: a trainee learns nothing about the body.
    assert as_("trainee").post(PATH, data="nope").status_code == 403


def test_the_export_is_visible_to_who_asked_and_admins(as_):
    made = as_("lead").post(
        PATH, json={"organisation": "RBV", "from_year": 2024, "to_year": 2028}
    )
    export_id = made.get_json()["id"]
    assert as_("lead").get(f"/api/v1/exports/{export_id}").status_code == 200
    assert as_("admin").get(f"/api/v1/exports/{export_id}").status_code == 200
    for other in ("leeds_lead", "trainee", "supervisor"):
        assert as_(other).get(f"/api/v1/exports/{export_id}").status_code == 404
        assert as_(other).get(f"/api/v1/exports/{export_id}/file").status_code == 404


# ---- what is checked -------------------------------------------------------------------


def problem_fields(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["detail"]
    return {error["field"]: error["message"] for error in body["errors"]}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"from_year": 2028, "to_year": 2024}, "to_year", "must not be before"),
        ({"from_year": 2000, "to_year": 2020}, "to_year", "at most 20 years"),
        ({"format": "xlsx"}, "format", '"pdf" or "csv"'),
        ({"format": 7}, "format", '"pdf" or "csv"'),
        ({"organisation": "NOPE"}, "organisation", "no organisation with code"),
        (
            {"region": "Atlantis", "organisation": None},
            "region",
            "no region called",
        ),
        ({"from_year": None}, "from_year", "required"),
        ({"to_year": "2028"}, "to_year", "whole number"),
        ({"from_year": 1800}, "from_year", "between 1900 and 2200"),
        ({"uplift": -1}, "uplift", "between 0"),
        ({"uplift": "lots"}, "uplift", "number of places"),
        ({"uplift": True}, "uplift", "number of places"),
        ({"colour": "blue"}, "colour", "Unknown field"),
        ({"organisation": None}, "organisation", "Say what the report is for"),
        ({"region": "London"}, "organisation", "exactly one"),
        ({"national": "yes", "organisation": None}, "national", "true or false"),
        ({"scope": "planet", "organisation": None}, "scope", "organisation, region"),
    ],
)
def test_validation(as_, body, field, words):
    full = {
        "organisation": "RBV",
        "from_year": 2024,
        "to_year": 2028,
        "format": "pdf",
        **body,
    }
    full = {key: value for key, value in full.items() if value is not None}
    fields = problem_fields(as_("admin").post(PATH, json=full))
    assert field in fields and words in fields[field], fields


def test_twenty_years_is_the_most(as_):
    body = {"organisation": "RBV", "from_year": 2009, "to_year": 2028}
    assert as_("admin").post(PATH, json=body).status_code == 202
    fields = problem_fields(as_("admin").post(PATH, json={**body, "from_year": 2008}))
    assert "to_year" in fields


def test_every_problem_at_once(as_):
    fields = problem_fields(
        as_("admin").post(
            PATH,
            json={
                "organisation": "NOPE",
                "from_year": 2030,
                "to_year": 2020,
                "format": "doc",
            },
        )
    )
    assert set(fields) == {"organisation", "to_year", "format"}


def test_a_lead_asking_for_an_unknown_organisation_gets_422(as_):
    fields = problem_fields(
        as_("lead").post(
            PATH, json={"organisation": "NOPE", "from_year": 2024, "to_year": 2028}
        )
    )
    assert "organisation" in fields


def test_nothing_is_created_when_the_request_is_refused(app, as_):
    from portfolio.exports.models import Export

    as_("lead").post(
        PATH, json={"organisation": "RR8", "from_year": 2024, "to_year": 2028}
    )
    as_("admin").post(
        PATH, json={"organisation": "NOPE", "from_year": 2024, "to_year": 2028}
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 0


# ---- the CSV file -------------------------------------------------------------------------


def test_csv_for_an_organisation(app, as_, work_jobs):
    export = ask(as_, "lead", work_jobs, organisation="RBV", format="csv", uplift=2)
    data = download(as_, "lead", export)
    rows = read_csv(data)
    assert list(rows[0]) == list(report.CSV_HEADER)
    # One row per organisation x specialism x year: RBV's RP, NM and CE, 5 years.
    assert {(r["organisation"], r["specialism"]) for r in rows} == {
        ("RBV", "RP"),
        ("RBV", "NM"),
        ("RBV", "CE"),
    }
    assert len(rows) == 3 * 5
    assert csv_place_sums(rows) == {"RBV": sql_place_sums(app, 2024, 2028)["RBV"]}
    rp = {int(r["year"]): r for r in rows if r["specialism"] == "RP"}
    assert [int(rp[y]["commissioned"]) for y in range(2024, 2029)] == [3, 4, 4, 5, 4]
    assert rp[2028]["unfilled"] == "2" and rp[2028]["fill_rate"] == "0.5"
    # The world's two STP RP trainees at RBV end in 2028, with three supervisors.
    assert (
        rp[2028]["expected_completions"] == "2"
        and rp[2027]["expected_completions"] == "0"
    )
    assert rp[2024]["trainees"] == "2" and rp[2024]["supervisors"] == "3"
    assert rp[2024]["trainees_per_supervisor"] == "0.6667"
    # The latest workforce record; the gap adds the 9 retiring within 5 years.
    assert rp[2024]["workforce_as_of"] == "2026-03-31"
    assert Decimal(rp[2024]["vacancies_wte"]) == Decimal("10.20")
    assert rp[2024]["vacancy_rate"] == "0.1058" and rp[2024]["gap"] == "19.2"
    # Worked by hand: 4 places a year (2028's) close 19.2 in 5 years; the uplift
    # of 2 is shared by gap (RP 19.2, NM 3 of 22.2): RP gets 1.7297, so 5.7297 a
    # year closes it in 4.
    assert rp[2024]["projection_start_year"] == "2028"
    assert rp[2024]["baseline_places_per_year"] == "4"
    assert rp[2024]["uplift_places_per_year"] == "1.7297"
    assert (rp[2024]["closes_in_year_current"], rp[2024]["years_to_close_current"]) == (
        "2032",
        "5",
    )
    assert (rp[2024]["closes_in_year_uplift"], rp[2024]["years_to_close_uplift"]) == (
        "2031",
        "4",
    )
    nm = next(r for r in rows if r["specialism"] == "NM")
    assert nm["retiring_5y"] == "" and nm["gap"] == "3"  # not given: counts as 0
    assert nm["baseline_places_per_year"] == "0" and nm["closes_in_year_current"] == ""
    ce = next(r for r in rows if r["specialism"] == "CE")
    assert ce["establishment_wte"] == "" and ce["gap"] == ""  # no workforce figures


def test_national_csv_totals_match_the_database(app, as_, work_jobs):
    export = ask(as_, "admin", work_jobs, national=True, format="csv")
    rows = read_csv(download(as_, "admin", export))
    assert csv_place_sums(rows) == sql_place_sums(app, 2024, 2028)
    assert {r["organisation"] for r in rows} == {"RBV", "RR8", "RPY", "XF1"}
    # Formula injection: the hostile organisation name is quoted.
    hostile = {r["organisation_name"] for r in rows if r["organisation"] == "XF1"}
    assert hostile == {"'" + HOSTILE}
    # Leeds' trainee is counted, never named; nobody is named anywhere.
    text = "\n".join(",".join(r.values()) for r in rows)
    for name in PEOPLE:
        assert name not in text
    leeds = next(r for r in rows if r["organisation"] == "RR8")
    assert leeds["trainees"] == "1" and leeds["region"] == "North East and Yorkshire"


def test_regional_csv_has_only_that_region(app, as_, work_jobs):
    export = ask(as_, "admin", work_jobs, region="London", format="csv")
    rows = read_csv(download(as_, "admin", export))
    assert {r["organisation"] for r in rows} == {"RPY", "XF1"}
    sums = sql_place_sums(app, 2024, 2028)
    assert csv_place_sums(rows) == {code: sums[code] for code in ("RPY", "XF1")}
    assert export["status"] == "done"


def test_csv_header_is_documented():
    docs = (PROJECT_ROOT / "docs" / "capacity.md").read_text()
    assert ",".join(report.CSV_HEADER) in docs
    for column in report.CSV_HEADER:
        assert f"| {column} |" in docs or f"| `{column}` |" in docs, column


# ---- the PDF ----------------------------------------------------------------------------


def test_pdf_for_a_lead_names_no_one(app, as_, work_jobs, tmp_path):
    export = ask(as_, "lead", work_jobs, organisation="RBV", uplift=2)
    data = download(as_, "lead", export)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    flat = " ".join(text.split())
    assert export["verification_code"] in flat
    # (the random code could spell an organisation's code: leave it out below)
    flat = flat.replace(export["verification_code"], "")
    assert "Workforce capacity report" in flat and CHRISTIE in flat
    for heading in (
        "Radiotherapy Physics (RP)",
        "Nuclear Medicine (NM)",
        "Clinical Engineering (CE)",
    ):
        assert heading in flat
    assert report.PLACES_TITLE in flat and report.PROJECTION_TITLE in flat
    assert "How the figures are worked out" in flat
    assert "closes in 2032 (5 years)" in flat  # RP at the current intake
    for name in PEOPLE:
        assert name not in flat
    for other in (LEEDS, MARSDEN, "RR8", "RPY"):
        assert other not in flat
    assert b"/EmbeddedFile" not in data and b"/JavaScript" not in data


def test_national_pdf_has_every_organisation_and_the_totals(
    app, as_, work_jobs, tmp_path
):
    export = ask(as_, "admin", work_jobs, national=True)
    text = " ".join(pdf_text(download(as_, "admin", export), tmp_path).split())
    for name in (CHRISTIE, LEEDS, MARSDEN, "=HYPERLINK"):
        assert name in text
    assert "All organisations (national)" in text and "By region" in text
    assert "North East and Yorkshire" in text and "Organisations" in text
    assert "Radiation Safety and Diagnostic Radiology (DR)" in text
    for name in PEOPLE:
        assert name not in text
    with app.app_context():
        from portfolio.exports.models import Export

        row = db.session.get(Export, export["id"])
        assert row.summary["kind"] == "Workforce capacity report"
        assert row.summary["organisations"] == 4
        assert row.filename == "capacity-report-national-2024-2028.pdf"
        assert row.media_type == "application/pdf"


def test_verification_of_a_report(as_, work_jobs):
    export = ask(as_, "admin", work_jobs, region="North West", format="csv")
    data = download(as_, "admin", export)
    import hashlib

    assert hashlib.sha256(data).hexdigest() == export["sha256"]
    check = as_("trainee").client.post(
        "/api/v1/verify",
        json={"code": export["verification_code"], "sha256": export["sha256"]},
    )
    assert check.get_json()["valid"] is True
    assert check.get_json()["export"]["summary"]["covers"] == "North West region"


# ---- the figures, directly ----------------------------------------------------------------


def test_figures_add_up_across_levels(app, seeded):
    with app.app_context():
        scope = report.ReportScope("national", "All", None)
        data = report.compute(scope, 2024, 2028, 3.0, detail=True)
        places = sql_place_sums(app, 2024, 2028)
        assert data.total.total_commissioned == sum(c for c, _ in places.values())
        assert sum(u.total_filled for u in data.specialisms) == data.total.total_filled
        # Uplift shares add up to the uplift, at every level.
        assert sum(u.uplift for u in data.specialisms) == pytest.approx(3.0)
        assert sum(b.total.uplift for b in data.organisations) == pytest.approx(3.0)
        assert sum(u.uplift for u in data.regions) == pytest.approx(3.0)
        # People are counted once per level, not added up.
        assert data.total.trainees == 3  # Aisha, Ben and Oliver (ai-dht not counted)
        rp = next(u for u in data.specialisms if u.specialism == "RP")
        assert rp.trainees == 3 and rp.supervisors == 3
        assert data.total.workforce.retiring_5y == 12  # 9 + 2 + 1; NM not given
        assert data.baseline_year == 2028 and data.start_year == 2028


def test_default_uplift_is_13_percent_of_the_current_intake(app, seeded):
    with app.app_context():
        scope = report.ReportScope("national", "All", None)
        data = report.compute(scope, 2024, 2028)
        # 2028 intake: RBV RP 4 + RR8 RP 2 = 6 places; 13% is 0.8: at least 1.
        assert data.uplift == 1.0 and not data.uplift_given
        big = report.compute(scope, 2024, 2026)  # 2026: 4+2+2+2+3+1 = 14 places
        assert big.uplift == 1.8


def test_safe_cell():
    assert report.safe_cell("=1+2") == "'=1+2"
    assert report.safe_cell("+44") == "'+44"
    assert report.safe_cell("-x") == "'-x"
    assert report.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert report.safe_cell("\tx") == "'\tx"
    assert report.safe_cell("Leeds") == "Leeds"
    assert report.safe_cell(-3) == "-3"  # numbers are never formulas
    assert report.safe_cell(0.125) == "0.125" and report.safe_cell(None) == ""


def test_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/reports/capacity"]["post"]
    # 429: the API blueprint's rate limit, documented on every operation.
    assert set(operation["responses"]) == {"202", "400", "401", "403", "422", "429"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {
        "organisation",
        "region",
        "national",
        "from_year",
        "to_year",
        "format",
        "uplift",
    } <= set(body["properties"])
    assert body["properties"]["format"]["enum"] == ["pdf", "csv"]


def test_short_projections_close_in_the_same_year_as_full_ones():
    """The CSV's uncharted projections stop early; the answer must not change."""
    import random

    rng = random.Random(20261128)
    cases = [(0, 0, 0), (5, 0, 0), (0.9, 0.3, 0), (19.2, 4, 1.7297), (900, 15, 0)]
    for _ in range(3000):
        cases.append(
            (
                rng.choice([0, rng.randint(0, 60), rng.uniform(0, 400)]),
                rng.choice([0.0, float(rng.randint(0, 12)), rng.uniform(0, 6)]),
                rng.choice([0.0, 1 / 3, rng.uniform(0, 5)]),
            )
        )
    for gap, baseline, extra in cases:
        full = report._project(2026, gap, baseline, extra)
        short = report._project(2026, gap, baseline, extra, full=False)
        assert len(full.series) == report.HORIZON_YEARS
        assert (short.closes_in_year, short.years_to_close) == (
            full.closes_in_year,
            full.years_to_close,
        ), (gap, baseline, extra)


def test_the_web_pages_of_a_report(client, as_, seeded, login, work_jobs):
    export = ask(as_, "lead", work_jobs, organisation="RBV", format="csv")
    login(seeded.lead)
    page = client.get(f"/exports/{export['id']}")
    assert page.status_code == 200
    assert "Workforce capacity report" in page.get_data(as_text=True)
    download = client.get(f"/exports/{export['id']}/file")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.data.startswith(b"organisation,organisation_name,")
    download.close()
    check = client.get(f"/verify/{export['verification_code']}")
    assert check.status_code == 200
