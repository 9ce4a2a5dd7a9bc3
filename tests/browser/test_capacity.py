"""Capacity in the browser: totals, a lead's figures, comparing two scenarios and
making a capacity report."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in

CHART = "main svg[role='img'][aria-labelledby^='capacity-chart-title']"


def test_compare_scenarios(page):
    sign_in(page, "lead@example.org")
    page.get_by_role("link", name="Capacity").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workforce capacity")
    check_axe(page)
    page.get_by_role("link", name="Compare workforce scenarios").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Compare workforce scenarios"
    )
    main = page.locator("main")
    expect(main).to_contain_text("The gap closes in 2053, after 29 years.")
    expect(main).to_contain_text("The gap closes in 2056, after 32 years.")
    chart = page.locator(CHART)
    expect(chart).to_be_visible()
    expect(chart.locator("title")).to_have_text("Workforce gap by year")
    check_axe(page)

    # Scenario B: IPEM's larger 2025 figure, with leavers.
    page.get_by_label("Name (optional)").nth(1).fill("Spending Review gap")
    page.locator("#b-gap").fill("1000")
    page.locator("#b-schedule").fill("2025: 15\n2028: 40")
    page.locator("#b-training_years").fill("")
    # B's assumptions start open (it sets training years); A's open on request.
    expect(page.locator("#a-leaver_rate")).to_be_hidden()
    page.get_by_text("More assumptions").first.click()
    expect(page.locator("#a-leaver_rate")).to_be_visible()
    page.locator("#b-leaver_rate").fill("0.01")
    page.get_by_role("button", name="Compare scenarios").click()
    expect(page).to_have_url(re.compile(r"b-gap=1000.*b-leaver_rate=0\.01"))
    expect(main).to_contain_text("Scenario B: Spending Review gap")
    expect(
        chart.locator("text", has_text="Scenario B: Spending Review gap")
    ).to_have_count(1)
    expect(page.locator("#b-leaver_rate")).to_have_value("0.01")
    check_axe(page)

    # The address is the result: opening it again shows the same.
    shared = page.url
    page.goto(shared)
    expect(main).to_contain_text("Scenario B: Spending Review gap")
    expect(page.locator("#b-gap")).to_have_value("1000")

    # Mistakes are shown against their fields, with what was typed kept.
    page.locator("#a-schedule").fill("2028: 33\n2025: 15")
    page.locator("#a-gap").fill("-900")
    page.get_by_role("button", name="Compare scenarios").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Scenario A: The gap must not be negative")
    expect(summary).to_contain_text(
        "Scenario A: Line 2: the year must be later than the step before it (2028)"
    )
    expect(page.locator("#a-gap")).to_have_value("-900")
    expect(page).to_have_title(re.compile(r"^Error: "))
    check_axe(page)
    summary.get_by_role("link", name=re.compile("gap must not be negative")).click()
    expect(page.locator("#a-gap")).to_be_focused()


def test_lead_records_training_places(page):
    sign_in(page, "lead@example.org")
    page.goto(page.base + "/capacity/")
    page.get_by_role(
        "link", name="The Christie NHS Foundation Trust: places and workforce figures"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The Christie NHS Foundation Trust"
    )
    check_axe(page)
    page.get_by_role("link", name="Add training places").click()
    check_axe(page)
    page.get_by_label("Specialism").select_option("NM")
    page.get_by_label("Programme").select_option("stp")
    page.get_by_label("Intake year").fill("2031")
    page.get_by_label("Places commissioned").fill("2")
    page.get_by_label("Places filled").fill("3")
    page.get_by_role("button", name="Save training places").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Places filled (3) cannot be more than places commissioned (2)"
    )
    check_axe(page)
    page.get_by_label("Places filled").fill("1")
    page.get_by_role("button", name="Save training places").click()
    expect(page.locator("main")).to_contain_text(
        "Added NM Scientist Training Programme (STP) places for the 2031 intake."
    )
    expect(
        page.get_by_role("table", name="Nuclear Medicine (NM)").get_by_role(
            "row", name=re.compile("2031")
        )
    ).to_contain_text("Scientist Training Programme (STP)")
    page.get_by_role("link", name="Add workforce figures").click()
    check_axe(page)


def test_lead_creates_a_report_and_downloads_it_when_ready(page, live_app, live_jobs):
    sign_in(page, "lead@example.org")
    page.goto(page.base + "/capacity/")
    page.get_by_role("link", name="Create a capacity report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Create a capacity report"
    )
    check_axe(page)
    page.get_by_label("Last year").fill("1990")
    page.get_by_role("button", name="Create report").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "The last year (1990) must not be before the first year"
    )
    check_axe(page)
    page.get_by_label("Last year").fill(page.get_by_label("First year").input_value())
    page.get_by_label("CSV file (a spreadsheet)").check()
    # The job waits a moment, so the page shows it running before the file is ready.
    live_app.config["EXPORT_TEST_DELAY_SECONDS"] = 1.5
    try:
        page.get_by_role("button", name="Create report").click()
        status = page.get_by_role("status")
        expect(status).to_contain_text(
            re.compile(r"Waiting to start|Making your report")
        )
        expect(page.locator("progress")).to_be_visible()
        check_axe(page)
        live_jobs()  # the PostgreSQL pass's worker; on SQLite the app's own thread
    finally:
        live_app.config["EXPORT_TEST_DELAY_SECONDS"] = 0
    # The script sees the job finish and loads the page again, with the file.
    expect(page.get_by_text("Your report is ready.")).to_be_visible(timeout=20_000)
    check_axe(page)
    link = page.get_by_role("link", name=re.compile(r"^Download capacity-report-RBV-"))
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".csv")
    assert "organisation" in Path(download.value.path()).read_text().splitlines()[0]
