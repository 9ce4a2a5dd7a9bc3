"""On a phone (390 CSS pixels wide) an assessor opens a DOPS from the sign-off queue,
reads it, and completes its ratings, overall judgement, strengths, development points
and declaration to sign it off; the trainee then sees who completed which part. Every
page is checked with axe."""

import re

from playwright.sync_api import expect

from tests.browser.test_signoff_flow import check_axe
from tests.browser.test_signoff_flow import sign_in
from tests.browser.test_signoff_flow import switch_to

DOPS = "DOPS: imaging QC on the cone-beam CT"  # the demo's, waiting for the assessor
DOMAINS = (
    "Preparation and consent",
    "Technical skill",
    "Safety and infection control",
    "Communication with patient and team",
    "Documentation and follow-up",
)


def test_assessor_completes_a_dops_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "assessor@example.org")
    page.goto(page.base + "/signoff/queue")
    check_axe(page)
    page.get_by_role("link", name=re.compile("^Review and decide “" + DOPS)).click()
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_have_text(DOPS)
    expect(main).to_contain_text("Weekly CBCT image-quality QC")
    check_axe(page)
    # Signing off without the assessment names every part still to complete.
    page.get_by_label("Sign it off").check()
    page.get_by_role("button", name="Save decision").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Rate 'Technical skill'")
    expect(alert).to_contain_text("Choose the overall judgement")
    expect(alert).to_contain_text("Confirm the assessor declaration")
    check_axe(page)
    for domain in DOMAINS:
        page.get_by_role("group", name=domain).get_by_label(
            "At the expected level"
        ).check()
    page.get_by_role("group", name="Safety and infection control").get_by_label(
        "Above the expected level"
    ).check()
    page.get_by_label("At the level expected at this stage of training").check()
    page.get_by_label("Strengths shown").fill("Methodical phantom set-up.")
    page.get_by_label("Points for development").fill("Explain the action levels.")
    declaration = page.get_by_role("group", name=re.compile("^Assessor declaration"))
    expect(declaration).to_contain_text("I observed or discussed this activity myself")
    declaration.get_by_role("checkbox").check()
    page.get_by_label("Sign it off").check()
    page.get_by_role("button", name="Save decision").click()
    expect(main).to_contain_text(f"You signed off “{DOPS}”")
    check_axe(page)

    switch_to(page, "trainee@example.org")
    page.goto(page.base + "/evidence/?status=signed_off")
    page.get_by_role("link", name=DOPS).click()
    expect(main).to_contain_text("Recorded by the trainee")
    expect(main).to_contain_text("Completed by Helen Walsh")
    expect(main).to_contain_text("Methodical phantom set-up.")
    expect(main).to_contain_text("Above the expected level")
    # Nothing on the page is wider than the phone, once its styles have loaded (the
    # text above can be there first: measured before, an unstyled page is wider).
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "the page scrolls sideways at 390 px"
    )
    check_axe(page)
