"""My trainees in the browser: reached from the navigation, readable and axe-clean
on a desktop and a phone, and its links lead into the trainee's progress."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in


@pytest.mark.parametrize("width", [1280, 390])
def test_my_trainees_on_desktop_and_phone(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "supervisor@example.org")
    if width < 1000:  # the header folds its links into a menu on narrow screens
        page.goto(page.base + "/trainees/")
    else:
        page.get_by_role("navigation").get_by_role("link", name="My trainees").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My trainees")
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    rows = table.get_by_role("row")
    assert rows.count() >= 2  # the header row and at least one trainee
    expect(table).to_contain_text("% complete")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_axe(page)
    link = table.get_by_role("link", name="progress of").first
    programme = link.inner_text().split(":")[0].strip()
    link.click()
    assert "/progress/" in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(programme)
    check_axe(page)
