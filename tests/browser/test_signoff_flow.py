"""The core loop in a browser: a trainee records evidence with claims in two curricula
and asks for sign-off; the supervisor reads it from the queue and returns it with
feedback; the trainee edits and resubmits; the supervisor signs it off. Every page
is checked with axe."""

import re
from datetime import date
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import check_axe as axe
from tests.browser.conftest import sign_in

TITLE = "Output check after linac service"


def check_axe(page) -> None:
    """Let the page finish loading, then check it with axe.

    Leaving a page while its stylesheet is still downloading drops the connection,
    and the development server then leaks the open file (a ResourceWarning).
    """
    page.wait_for_load_state("load")
    axe(page)


def switch_to(page, email):
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    sign_in(page, email)
    page.wait_for_load_state("load")


def test_evidence_signoff_flow(page):
    sign_in(page, "trainee@example.org")
    check_axe(page)
    page.get_by_role("link", name="Evidence", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your evidence")
    check_axe(page)
    page.get_by_role("link", name="Add evidence").click()
    check_axe(page)
    page.get_by_role("button", name="Continue").click()  # nothing chosen
    expect(page.get_by_role("alert")).to_contain_text("Choose the kind of evidence")
    check_axe(page)
    page.get_by_label("Reflection", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add evidence")
    check_axe(page)

    page.get_by_label("Title").fill(TITLE)
    day = date.today() - timedelta(days=1)
    # (The outcome tree's labels hold words like "day" too: the exact box.)
    page.get_by_label("Day", exact=True).fill(str(day.day))
    page.get_by_label("Month", exact=True).fill(str(day.month))
    page.get_by_label("Year", exact=True).fill(str(day.year))
    page.get_by_label("Description").fill("After the **magnetron** change.")
    page.get_by_label("What happened?").fill("Checked output on 6 MV and 10 MV.")
    page.get_by_label("So what?").fill("Both within 0.5%.")
    page.get_by_label("Now what?").fill("Do the next one unsupervised.")
    # The outcome picker's tree: typing filters it in the page, ticks stay as the
    # filter changes (the search without JavaScript: tests/browser/test_evidence_form.py).
    page.get_by_label("Find outcomes to claim").fill("linear accelerator quality")
    check_axe(page)
    page.get_by_label(re.compile("P-RP-S2-TA01 Run")).check()
    page.get_by_label("Find outcomes to claim").fill("AIDHT-1-01")
    expect(page.get_by_label(re.compile("P-RP-S2-TA01 Run"))).to_be_checked()
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("So what?")).to_have_value("Both within 0.5%.")
    check_axe(page)
    page.get_by_label(re.compile("AIDHT-1-01 ")).check()
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    main = page.locator("main")
    expect(main).to_contain_text("Your draft was saved.")
    expect(main.locator("strong", has_text="magnetron")).to_be_visible()
    expect(main).to_contain_text("P-RP-S2-TA01")
    expect(main).to_contain_text("AIDHT-1-01")
    check_axe(page)
    page.get_by_label("Dr Tom Okafor (training officer)").check()
    page.get_by_role("button", name="Ask for sign-off").click()
    expect(main).to_contain_text("Sent to Dr Tom Okafor for sign-off")
    expect(main).to_contain_text("Waiting for sign-off")
    check_axe(page)

    # The supervisor returns it from the queue with feedback.
    switch_to(page, "supervisor@example.org")
    page.get_by_role("link", name="Sign-off queue").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-off queue")
    expect(main).to_contain_text(TITLE)
    check_axe(page)
    page.get_by_role("link", name=re.compile("^Review and decide “" + TITLE)).click()
    expect(main).to_contain_text("Checked output on 6 MV and 10 MV.")
    page.get_by_label("Return it with feedback").check()
    page.get_by_label("Comment for the trainee").fill("Add the measured values.")
    page.get_by_role("button", name="Save decision").click()
    expect(main).to_contain_text(f"You returned “{TITLE}”")
    check_axe(page)

    # The trainee reads the feedback, edits and asks again.
    switch_to(page, "trainee@example.org")
    page.get_by_role("link", name=re.compile("^Notifications")).first.click()
    expect(main).to_contain_text("returned")
    check_axe(page)
    page.get_by_role("link", name=re.compile("returned “" + TITLE)).first.click()
    expect(main).to_contain_text("Add the measured values.")
    expect(main).to_contain_text("Returned")
    check_axe(page)
    page.get_by_role("button", name="Edit").click()
    expect(page.get_by_label(re.compile("AIDHT-1-01 "))).to_be_checked()
    check_axe(page)
    page.get_by_label("What happened?").fill("6 MV +0.3%, 10 MV -0.2%.")
    page.get_by_role("button", name="Save draft").click()
    expect(main).to_contain_text("Your changes were saved.")
    check_axe(page)
    page.get_by_label("Dr Tom Okafor (training officer)").check()
    page.get_by_role("button", name="Ask for sign-off").click()
    expect(main).to_contain_text("Waiting for sign-off")

    # The supervisor opens it and signs it off.
    switch_to(page, "supervisor@example.org")
    page.goto(page.base + "/signoff/queue")
    check_axe(page)
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(main).to_contain_text("6 MV +0.3%, 10 MV -0.2%.")
    check_axe(page)
    page.get_by_label("Sign it off").check()
    page.get_by_label("Comment for the trainee").fill("Good.")
    page.get_by_role("button", name="Save decision").click()
    expect(main).to_contain_text(f"You signed off “{TITLE}”")
    check_axe(page)

    switch_to(page, "trainee@example.org")
    page.goto(page.base + "/evidence/?status=signed_off")
    check_axe(page)
    page.get_by_role("link", name=TITLE).click()
    expect(main).to_contain_text("Signed off")
    expect(main).to_contain_text("Add the measured values.")
    expect(main).to_contain_text("Good.")
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    check_axe(page)


def test_other_pages_are_accessible(page):
    sign_in(page, "lead@example.org")
    check_axe(page)
    page.get_by_role("link", name="Enrolments").first.click()
    expect(page.locator("main")).to_contain_text("Aisha Rahman")
    check_axe(page)
    page.get_by_role("link", name=re.compile("^Aisha Rahman on STP")).click()
    expect(page.locator("main")).to_contain_text("Dr Tom Okafor")
    check_axe(page)
    page.get_by_role("button", name="Add supervisor").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the supervisor")
    check_axe(page)
    page.goto(page.base + "/enrolments/new")
    check_axe(page)
    page.get_by_role("button", name="Enrol trainee").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the trainee")
    check_axe(page)
    page.goto(page.base + "/evidence/")
    check_axe(page)
    page.get_by_role("link", name="Morning QA run-up on linac 3").click()
    expect(page.locator("main")).to_contain_text("Unlock for changes")
    check_axe(page)
    switch_to(page, "assessor@example.org")
    page.goto(page.base + "/signoff/queue")
    expect(page.locator("main")).to_contain_text("DOPS: imaging QC")
    check_axe(page)
    page.get_by_role(
        "link", name="DOPS: imaging QC on the cone-beam CT", exact=True
    ).click()
    expect(page.locator("main")).to_contain_text("Assessor declaration")
    check_axe(page)
    page.goto(page.base + "/notifications/")
    check_axe(page)
