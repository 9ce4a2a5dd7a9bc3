"""Each role's main task, started from the home page by clicking (no typed addresses),
on a desktop and on a phone: every page axe-clean and nothing scrolls sideways."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in

WIDTHS = [1280, 390]


def settle(page, width: int) -> None:
    """Axe and the accessibility tree on the page now shown, and no sideways scroll."""
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    check_axe(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_trainee_starts_their_next_step_from_home(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "trainee@example.org")
    expect(page.get_by_role("heading", name="Your progress", level=2)).to_be_visible()
    expect(page.get_by_role("heading", name="What to do next")).to_be_visible()
    expect(page.locator("progress").first).to_be_visible()
    settle(page, width)
    # The first next step names an outcome; its link opens the form with it chosen.
    step = page.locator("main ol.nhsuk-list--number li").first
    code = step.locator(".app-code").inner_text().strip()
    step.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add evidence")
    expect(page.locator("main")).to_contain_text(code)
    settle(page, width)
    # Home again, then the clear "Add evidence" button.
    page.go_back()
    page.get_by_role("button", name="Add evidence").or_(
        page.get_by_role("link", name="Add evidence", exact=True)
    ).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add evidence")
    settle(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_supervisor_opens_a_request_and_a_trainee_from_home(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "assessor@example.org")  # the demo's DOPS waits for her
    expect(
        page.get_by_role("heading", name="Waiting for your sign-off")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Your trainees")).to_be_visible()
    settle(page, width)
    queue = page.get_by_role("table", name="Requests waiting for you")
    expect(queue).to_contain_text("day")  # each request's age
    request = queue.get_by_role("link").first
    title = request.inner_text().strip()
    request.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    settle(page, width)
    page.go_back()
    # One click into a trainee's progress.
    link = page.get_by_role("link", name="progress of").first
    programme = link.inner_text().split(":")[0].strip()
    link.click()
    assert "/progress/" in page.url
    expect(page.locator("main")).to_contain_text(programme)
    settle(page, width)
    page.go_back()
    page.get_by_role("link", name="Evidence of").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Evidence:")
    settle(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_lead_finds_a_trainee_in_the_cohort_from_home(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "lead@example.org")
    expect(page.get_by_role("heading", name="Your cohort", level=2)).to_be_visible()
    settle(page, width)
    page.get_by_role("link", name="Open the cohort").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort")
    settle(page, width)
    page.get_by_label("Search by name or email").fill("Aisha")
    page.get_by_label("Sort by").select_option(label="Progress, lowest first")
    page.get_by_role("button", name="Apply").click()
    table = page.get_by_role("table").first
    expect(table.get_by_role("caption")).to_contain_text("1 trainee")
    expect(table).to_contain_text("Aisha Rahman")
    settle(page, width)
    # The heat-map of flags is on the page; choose a programme for its modules.
    stp = page.locator("#programme option", has_text="STP Radiotherapy").first
    page.get_by_label("Programme").select_option(stp.get_attribute("value"))
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Modules at a glance")).to_be_visible()
    settle(page, width)
    # The review action from the trainee's row.
    page.get_by_role("link", name="Record or sign a review").first.click()
    assert "/progress/" in page.url
    expect(page.get_by_role("heading", name="Progress reviews")).to_be_visible()
    settle(page, width)
