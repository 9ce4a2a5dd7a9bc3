"""Sign in, see the home page for each role, sign out; axe-clean throughout."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in

ROLE_ACCOUNTS = [
    ("trainee@example.org", "Aisha Rahman", "trainee"),
    ("supervisor@example.org", "Dr Tom Okafor", "supervisor"),
    ("lead@example.org", "Dr Priya Shah", "training lead"),
    ("admin@example.org", "Morgan Ellis", "admin"),
]


@pytest.mark.parametrize(("email", "name", "role"), ROLE_ACCOUNTS)
def test_sign_in_home_and_sign_out(page, email, name, role):
    sign_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {name}")
    expect(page.locator("main")).to_contain_text(role)
    assert "nhsuk-frontend-supported" in page.evaluate("document.body.className")
    check_axe(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    check_axe(page)
    page.goto(page.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to MPCE Portfolio"
    )


def test_wrong_password_shows_error_summary(page):
    sign_in(page, "trainee@example.org", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text(
        "Enter a correct email address and password"
    )
    assert page.title().startswith("Error:")
    check_axe(page)


def test_admin_pages_are_accessible(page):
    sign_in(page, "admin@example.org")
    for path in ("/admin/users", "/organisations/", "/auth/account", "/about"):
        page.goto(page.base + path)
        check_axe(page)
    page.goto(page.base + "/admin/users")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an email address")
    check_axe(page)
