"""Browse curricula: the list, a tree, search and an outcome's crosswalks."""

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in


def test_browse_and_search_curricula(page):
    sign_in(page, "trainee@example.org")
    page.get_by_role("link", name="Curricula").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Curricula")
    check_axe(page)
    page.get_by_role("link", name="STP Radiotherapy Physics (2022 curriculum)").click()
    expect(page.locator("main")).to_contain_text("P-RP-S1-TA01")
    check_axe(page)
    page.get_by_label("Search this curriculum by code or words").fill("P-RP-S1-TA01")
    page.get_by_role("button", name="Search").click()
    expect(
        page.get_by_role("heading", name="1 result for “P-RP-S1-TA01”")
    ).to_be_visible()
    check_axe(page)
    page.locator("main ul.nhsuk-list a").first.click()
    expect(page.get_by_role("heading", name="Crosswalks")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Maps to")
    check_axe(page)
    page.goto(page.base + "/curricula/?q=leadership")
    expect(page.locator("main")).to_contain_text("GSP5")
    check_axe(page)
