"""The scenarios page: two scenarios from the address, results tables and the chart."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from portfolio.capacity.chart import Line
from portfolio.capacity.chart import gap_chart
from portfolio.capacity.projection import parse_scenario
from portfolio.capacity.projection import project

SVG = "{http://www.w3.org/2000/svg}"
CHART = re.compile(r'<svg\b[^>]*aria-labelledby="capacity-chart-title.*?</svg>', re.S)


def scenario_url(**fields) -> str:
    return "/capacity/scenarios?" + urlencode(fields)


def text(response) -> str:
    return response.get_data(as_text=True)


def chart_of(page: str) -> ET.Element:
    match = CHART.search(page)
    assert match, "no inline SVG chart"
    return ET.fromstring(match.group(0))


@pytest.fixture
def signed_in(login_as):
    login_as("training_lead", "RBV")


def test_defaults_show_the_published_plan_with_and_without_training_years(
    client, signed_in
):
    response = client.get("/capacity/scenarios")
    assert response.status_code == 200
    page = text(response)
    assert "Scenario A: Published plan" in page
    assert "Scenario B: Published plan, 3-year STP" in page
    assert "The gap closes in 2053, after 29 years." in page
    assert "The gap closes in 2056, after 32 years." in page
    # Each scenario's year-by-year table: 60 years from 2025.
    assert page.count("year by year</caption>") == 2
    assert "<strong>2053</strong> (closes)" in page
    assert "<strong>2056</strong> (closes)" in page
    assert "\u22123" in page  # 2053's gap of -3, with a real minus sign
    assert 'id="a-schedule"' in page and 'id="b-schedule"' in page
    assert "2025: 15\n2028: 33</textarea>" in page


def test_the_chart_is_accessible_inline_svg(client, signed_in):
    page = text(client.get("/capacity/scenarios"))
    svg = chart_of(page)
    assert svg.get("role") == "img"
    title, desc = svg[0], svg[1]
    assert title.tag == f"{SVG}title" and title.text == "Workforce gap by year"
    assert desc.tag == f"{SVG}desc" and "closes in 2053" in desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert svg.get("viewBox") and svg.get("height") is None
    words = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    for label in ("Year", "Workforce gap", "Scenario A: Published plan (closes 2053)"):
        assert label in words, label
    assert "Scenario B: Published plan, 3-year STP (closes 2056)" in words
    # Nothing the Content-Security-Policy would block, and no clashing ids.
    chart = CHART.search(page).group(0)
    assert " style=" not in chart and "<style" not in chart and "<script" not in chart
    ids = [e.get("id") for e in svg.iter() if e.get("id")]
    assert all(i.startswith("capacity-chart-") for i in ids)
    assert len(ids) == len(set(ids))


def test_shared_address_gives_the_same_results(client, signed_in):
    url = scenario_url(
        **{
            "a-name": "Ten a year",
            "a-start_year": "2025",
            "a-gap": "100",
            "a-schedule": "2025: 10",
            "b-name": "With leavers",
            "b-start_year": "2025",
            "b-gap": "100",
            "b-schedule": "2025: +10",
            "b-leaver_rate": "0.1",
            "b-horizon_years": "40",
        }
    )
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert "Scenario A: Ten a year" in page and "closes in 2034, after 10 years" in page
    # 10 a year with 10% leavers levels off at 100: never quite closes.
    assert "The gap does not close within 40 years." in page
    assert 'value="0.1"' in page and '<details class="nhsuk-details" open>' in page
    words = " ".join(t.text or "" for t in chart_of(page).iter(f"{SVG}text"))
    assert "Scenario B: With leavers (does not close)" in words


def test_bad_input_gives_field_errors_and_keeps_it(client, signed_in):
    url = scenario_url(
        **{
            "a-start_year": "2025.5",
            "a-gap": "-5",
            "a-schedule": "2028: 33\n\n2025: 15\nsoon",
            "a-completion_rate": "1.2",
            "a-demand_growth": "2%",
            "b-start_year": "2025",
            "b-gap": "900",
            "b-schedule": "2020: 15",
        }
    )
    response = client.get(url)
    assert response.status_code == 422
    page = text(response)
    assert "<title>Error: Compare workforce scenarios" in page
    for message in (
        "Scenario A: Enter the demand growth as a number, like 0.02",
        "Line 4: write the year and the extra places, like 2028: 33",
    ):
        assert message in page
    assert 'href="#a-demand_growth"' in page and 'href="#a-schedule"' in page
    assert 'value="2025.5"' in page and 'value="2%"' in page and 'value="-5"' in page
    # Scenario B's own problem, named against its line.
    assert (
        "Scenario B: Line 1: the year must not be before the start year (2025)" in page
    )
    assert "capacity-chart" not in page
    # Fix the shape and the model's own rules show, every one at once.
    url = scenario_url(
        **{
            "a-start_year": "2025.5",
            "a-gap": "-5",
            "a-schedule": "2028: 33\n\n2025: 15",
            "a-completion_rate": "1.2",
            "b-start_year": "2025",
            "b-gap": "900",
            "b-schedule": "2025: 15",
        }
    )
    page = text(client.get(url))
    for message in (
        "The start year must be a whole number",
        "The gap must not be negative",
        "The completion rate must be between 0 and 1",
        "Line 3: the year must be later than the step before it (2028)",
    ):
        assert message in page, message
    assert "The gap closes in 2084, after 60 years." in page  # B still works
    assert "Fix the answers in this scenario to see its results." in page


def test_empty_and_oversized_input(client, signed_in):
    page = text(client.get(scenario_url(**{"a-gap": "", "b-start_year": "2025"})))
    assert "Scenario A: Enter the start year" in page
    assert "Scenario A: Enter the gap" in page
    assert "Scenario B: Enter the gap" in page
    huge = scenario_url(
        **{
            "a-start_year": "2025",
            "a-gap": "1e308",
            "a-schedule": "",
            "a-demand_growth": "1",
            "a-horizon_years": "200",
            "b-start_year": "2025",
            "b-gap": "9",
            "b-schedule": "\n".join(f"{2025 + i}: 1" for i in range(120)),
        }
    )
    response = client.get(huge)
    assert response.status_code == 422
    page = text(response)
    assert "The figures are too large to project" in page
    assert "The schedule can have at most 100 lines" in page


def test_anonymous_users_sign_in_first(client):
    response = client.get("/capacity/scenarios")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_chart_labels_are_plain_text(app):
    result = project(parse_scenario({"start_year": 2025, "gap": 10, "schedule": []}))
    with app.app_context():
        svg = gap_chart(
            [Line("$x^2$ <b>&", result), Line("_hidden", result)],
            "T <i>",
            "D & <script>",
            "c",
        )
    root = ET.fromstring(str(svg))
    words = [t.text for t in root.iter(f"{SVG}text")]
    assert "$x^2$ <b>& (does not close)" in words
    assert "hidden (does not close)" in words
    assert root[0].text == "T <i>" and root[1].text == "D & <script>"
    assert "<script>" not in str(svg)
