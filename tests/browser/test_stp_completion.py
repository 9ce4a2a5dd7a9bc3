"""STP completion on an enrolment's page and a refused form: axe-clean, NHS.UK patterns.

Rules: https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-departments-on-stp-2025-completion/what-are-you-expected-to-complete
"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in


def test_lead_sees_stp_completion_and_a_refused_sitting_keeps_its_input(page):
    """The enrolment page's completion forms, then a sitting with no date: the error
    summary links to the day box and what was chosen is kept.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/preparing-for-the-stp-final-year-assessment/preparing-to-re-sit-the-assessment"""
    sign_in(page, "lead@example.org")
    page.goto(page.base + "/enrolments/")
    page.get_by_role(
        "link", name=re.compile(r"Aisha Rahman on STP Radiotherapy Physics")
    ).first.click()
    expect(page.get_by_role("heading", name="STP completion")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Record a Final Year Assessment sitting")
    ).to_be_visible()
    check_axe(page)
    form = page.locator(
        "form", has=page.get_by_role("button", name="Record the sitting")
    )
    form.get_by_label("Fail", exact=True).check()
    form.get_by_role("button", name="Record the sitting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Record a Final Year Assessment sitting"
    )
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter the date of the sitting")
    expect(page.get_by_label("Fail", exact=True)).to_be_checked()
    check_axe(page)
