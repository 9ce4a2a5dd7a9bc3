"""The trainee dashboard, an enrolment's page and the cohort view: axe-clean."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in


def test_trainee_dashboard(page):
    sign_in(page, "trainee@example.org")
    page.get_by_role("link", name="Progress", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")
    expect(page.get_by_role("table", name="Progress by module").first).to_be_visible()
    check_axe(page)
    page.get_by_role(
        "link",
        name="reviews and details for STP Radiotherapy Physics (2022 curriculum)",
    ).click()
    expect(page.get_by_role("heading", name="Progress reviews")).to_be_visible()
    check_axe(page)


def test_cohort_view_and_enrolment_page(page):
    sign_in(page, "lead@example.org")
    page.goto(page.base + "/cohort/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort")
    expect(page.locator("main")).to_contain_text("Aisha Rahman")
    check_axe(page)
    page.get_by_label("Flag", exact=True).select_option("any")
    page.get_by_role("button", name="Apply").click()
    check_axe(page)
    page.goto(page.base + "/cohort/")
    # One row per trainee: their programme's progress opens from the row.
    page.get_by_role(
        "link", name=re.compile(r"^Record or sign a review\s+for Jamie")
    ).click()
    expect(page.get_by_role("heading", name="Gateway readiness")).to_be_visible()
    check_axe(page)
