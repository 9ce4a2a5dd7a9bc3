"""People in the browser: a training lead invites a trainee from the People pages,
the trainee follows the emailed link, chooses a password and lands on their home
page; an admin finds a person and deactivates them; a person sets up a second
factor and signs in with it. Every page is axe-checked."""

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import emailed_link
from tests.browser.conftest import sign_in

PASSWORD = "kettle-orbit-meadow-42"


def test_a_lead_invites_a_trainee_who_signs_up_and_lands_home(page, live_app):
    email = f"nia.{uuid.uuid4().hex[:8]}@example.org"
    sign_in(page, "lead@example.org")
    page.goto(page.base + "/people/")
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    check_axe(page)
    page.get_by_role("link", name="Invite people").click()
    check_axe(page)
    page.get_by_role("button", name="Send invitation", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an email address")
    check_axe(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Full name").fill("Nia Newcomer")
    page.get_by_label("Role").select_option("trainee")
    page.get_by_label("Organisation").select_option("RBV")
    page.get_by_role("button", name="Send invitation", exact=True).click()
    expect(page.get_by_text(f"Invitation sent to {email}")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nia Newcomer")
    expect(page.locator("main")).to_contain_text("Not signed up yet (invited)")
    check_axe(page)
    page.get_by_role("button", name="Sign out").click()

    page.goto(page.base + emailed_link(live_app, email, "/auth/invitation/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your account")
    check_axe(page)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm new password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nia Newcomer")
    assert page.url.rstrip("/") == page.base
    check_axe(page)


def test_an_admin_finds_and_deactivates_a_person(page):
    sign_in(page, "admin@example.org")
    page.goto(page.base + "/people/")
    page.get_by_label("Name or email").fill("bennett")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Oliver Bennett").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oliver Bennett")
    check_axe(page)
    page.get_by_role("link", name="Deactivate account").click()
    check_axe(page)
    page.get_by_label("Why is the account being deactivated?").fill("Left the trust")
    page.get_by_role("button", name="Deactivate account").click()
    expect(page.get_by_text("account is deactivated")).to_be_visible()
    check_axe(page)
    page.get_by_role("button", name="Reactivate account").click()
    expect(page.get_by_text("can sign in again")).to_be_visible()


def test_a_person_sets_up_a_second_factor_and_signs_in_with_it(page, live_app):
    import time

    import pyotp

    from portfolio.accounts import services
    from portfolio.extensions import db

    email = f"tess.{uuid.uuid4().hex[:8]}@example.org"
    with live_app.app_context():
        services.add_person(email, "Tess Tester", PASSWORD, "trainee", "RBV")
        db.session.remove()
    sign_in(page, email, PASSWORD)
    page.goto(page.base + "/auth/account")
    page.get_by_role("link", name="Set up a second factor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second factor")
    check_axe(page)
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.get_by_label("Security code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    assert page.get_by_test_id("recovery-codes").get_by_role("listitem").count() == 10
    check_axe(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter your security code"
    )
    check_axe(page)
    page.get_by_label("Security code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the 6-digit code")
    check_axe(page)
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Tess Tester")
