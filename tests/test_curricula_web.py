"""The curriculum browser and the curriculum API."""

import pytest

from tests.curricula_helpers import load_subset


@pytest.fixture
def loaded(app):
    load_subset(app)
    return app


def test_list_groups_by_kind(loaded, client, login_as):
    login_as("trainee")
    page = client.get("/curricula/").get_data(as_text=True)
    assert "Scientist Training Programme" in page and "Registration standards" in page
    assert "STP Radiotherapy Physics" in page


def test_tree_shows_modules_and_activities(loaded, client, login_as):
    login_as("trainee")
    page = client.get("/curricula/stp-rp/").get_data(as_text=True)
    for code in ("S-C1", "P-MP-R1", "S-RP-S1", "P-RP-S1-TA01"):
        assert code in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [("P-RP-S1-TA03", "P-RP-S1-TA03"), ("clinical leadership", "GSP5")],
)
def test_search_by_code_or_words(loaded, client, login_as, query, expected):
    login_as("trainee")
    page = client.get("/curricula/", query_string={"q": query}).get_data(as_text=True)
    assert expected in page and "result" in page


def test_search_escapes_wildcards_and_markup(loaded, client, login_as):
    login_as("trainee")
    page = client.get("/curricula/", query_string={"q": "<script>%_"}).get_data(
        as_text=True
    )
    assert "<script>%_" not in page and "&lt;script&gt;" in page
    assert "Nothing matches" in page


def test_outcome_page_shows_rules_and_crosswalks(loaded, client, login_as):
    login_as("trainee")
    page = client.get("/curricula/stp-rp/P-C1-TA01").get_data(as_text=True)
    assert "What sign-off needs" in page and "Crosswalks" in page
    assert "Good Scientific Practice" in page
    gsp = client.get("/curricula/gsp/GSP1").get_data(as_text=True)
    assert "Mapped from" in gsp


def test_unknown_curriculum_or_code_is_404(loaded, client, login_as):
    login_as("trainee")
    assert client.get("/curricula/nope/").status_code == 404
    assert client.get("/curricula/gsp/NOPE").status_code == 404


def test_api_list_and_detail(loaded, api, factory):
    caller = api(factory.user("trainee"))
    listing = caller.get("/api/v1/curricula").get_json()
    rp = next(c for c in listing if c["id"] == "stp-rp")
    assert (
        rp["kind"] == "stp" and rp["version"] == "2022.1" and rp["outcome_count"] > 100
    )
    detail = caller.get("/api/v1/curricula/stp-rp").get_json()
    first = detail["outcomes"][0]
    assert {"code", "title", "type", "parent"} <= set(first)
    by_code = {o["code"]: o for o in detail["outcomes"]}
    assert by_code["P-RP-S1-TA01"]["parent"] == "S-RP-S1"
    missing = caller.get("/api/v1/curricula/nope")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
