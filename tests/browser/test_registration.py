"""A referee without an account confirms a registration application by ticket:
the trainee starts the AHCS STP-equivalence workspace from their own portfolio,
names their line manager as a referee; the referee opens the emailed single-use
link without signing in, is refused until they say who they are, then confirms
with a statement; the link then no longer works and the trainee sees the
confirmation. Every page is axe-checked."""

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import emailed_link
from tests.browser.conftest import sign_in


def test_a_referee_confirms_an_application_by_ticket(page, live_app):
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/registration/")
    check_axe(page)
    page.get_by_label(
        "AHCS: certificate of equivalence to the Scientist Training Programme"
    ).check()
    page.get_by_label("STP specialism your portfolio maps to").select_option("stp-rp")
    page.get_by_role("button", name="Start the application").click()
    main = page.locator("main")
    expect(main).to_contain_text("Your application workspace is ready")
    expect(main).to_contain_text("Gap: No evidence yet for")
    check_axe(page)

    page.get_by_label("Full name").fill("Dr Ruth Ellis")
    page.get_by_label("Email address").fill("ruth.ellis@example.org")
    page.get_by_label("How they know your work").fill("Line manager")
    page.get_by_role("button", name="Email them a link to confirm").click()
    expect(main).to_contain_text("We emailed Dr Ruth Ellis a link to confirm")
    expect(main).to_contain_text("Waiting")
    check_axe(page)

    # The referee has no account: no cookies.
    page.context.clear_cookies()
    link = emailed_link(live_app, "ruth.ellis@example.org", "/ticket/")
    page.goto(page.base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm Aisha Rahman’s application"
    )
    assert "/referee/" in page.url
    check_axe(page)
    page.get_by_label("Yes, I confirm it").check()
    page.get_by_role("button", name="Send my answer").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Enter your job title or role")
    expect(alert).to_contain_text("Write a short statement")
    check_axe(page)
    page.get_by_label("Your job title or role").fill("Head of Radiotherapy Physics")
    page.locator('input[name="registration_body"][value="hcpc"]').check()
    page.get_by_label("Registration number").fill("CS01234")
    page.get_by_label("Your statement").fill("I have managed Aisha for three years.")
    page.get_by_label("Yes, I confirm it").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Application confirmed")
    check_axe(page)
    page.goto(page.base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link cannot be used"
    )

    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/registration/")
    page.get_by_role("link", name="AHCS: certificate of equivalence").click()
    expect(main).to_contain_text("Confirmed")
    check_axe(page)
    page.goto(page.base + "/cpd/")
    check_axe(page)
    page.goto(page.base + "/cpd/new")
    check_axe(page)
