"""Multi-source feedback in the browser: the trainee rates themselves and invites
raters; raters answer on their emailed links without an account (one on a 390 px
phone); the supervisor reviews the collated answers and releases them; the trainee
then reads them. Every page is axe-checked."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import emailed_link
from tests.browser.conftest import sign_in
from tests.browser.test_signoff_flow import switch_to

RATERS = (
    ("Sam Patel", "sam.msf@example.org", "clinical scientist"),
    ("Jo Reid", "jo.msf@example.org", "doctor"),
)


def _set_minimum(live_app, minimum: int | None) -> None:
    """Every curriculum's MSF minimum (None: the setting's default again)."""
    from portfolio.curriculum.models import Curriculum
    from portfolio.extensions import db

    with live_app.app_context():
        for curriculum in db.session.scalars(sa.select(Curriculum)):
            programme = dict(curriculum.programme or {})
            rules = dict(programme.get("assessment", {}))
            rules.pop("msf_min_raters", None)
            if minimum is not None:
                rules["msf_min_raters"] = minimum
            programme["assessment"] = rules
            curriculum.programme = programme
        db.session.commit()
        db.session.remove()


def _rate(page, prefix: str, value: str) -> None:
    from portfolio.msf import questionnaire

    for domain in questionnaire.DOMAINS:
        page.locator(f'input[name="{prefix}-{domain}"][value="{value}"]').check()


def _answer(page, rating: str, comment: str) -> None:
    _rate(page, "answers", rating)
    page.get_by_label("Something they do well").fill(comment)
    page.get_by_role("button", name="Send my feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your feedback has been sent"
    )


def test_msf_round_from_invitation_to_release(page, live_app):
    _set_minimum(live_app, 2)
    try:
        sign_in(page, "trainee@example.org")
        page.get_by_role("link", name="Feedback").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Multi-source feedback"
        )
        check_axe(page)
        page.get_by_role("button", name="Start a feedback round").click()
        _rate(page, "self_assessment", "meets")
        page.get_by_label("Who should give you feedback?").fill(
            "\n".join(", ".join(r) for r in RATERS)
        )
        check_axe(page)
        page.get_by_role("button", name="Start the round and email the raters").click()
        main = page.locator("main")
        expect(main).to_contain_text("We emailed 2 people")
        expect(main).to_contain_text("Not opened yet")
        check_axe(page)

        # Raters have no account; one answers on a phone.
        page.get_by_role("button", name="Sign out").click()
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(page.base + emailed_link(live_app, "sam.msf@example.org", "/ticket/"))
        expect(main).to_contain_text("Your answers are anonymous")
        check_axe(page)
        page.wait_for_load_state("load")  # measured with the page's styles applied
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        ), "the questionnaire scrolls sideways at 390 px"
        _answer(page, "above", "Unflappable")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(page.base + emailed_link(live_app, "jo.msf@example.org", "/ticket/"))
        _answer(page, "meets", "Clear handovers")

        # The supervisor reviews the collated answers, then releases them.
        sign_in(page, "supervisor@example.org")
        page.goto(page.base + "/msf/")
        page.get_by_role(
            "link", name=re.compile("^Aisha Rahman: started")
        ).first.click()
        expect(main).to_contain_text("Collated results")
        expect(main).to_contain_text("Unflappable")
        check_axe(page)
        page.get_by_role("button", name="Release the feedback").click()
        expect(page.get_by_role("alert")).to_contain_text("Enter the date you reviewed")
        check_axe(page)
        from datetime import date

        today = date.today()
        page.get_by_label("Day").fill(str(today.day))
        page.get_by_label("Month").fill(str(today.month))
        page.get_by_label("Year").fill(str(today.year))
        page.get_by_label("Development plan agreed with the trainee").fill(
            "Lead the next QA huddle."
        )
        page.get_by_role("button", name="Release the feedback").click()
        expect(main).to_contain_text("Released")

        switch_to(page, "trainee@example.org")
        page.goto(page.base + "/msf/")
        page.get_by_role(
            "link", name=re.compile("^Your feedback: started")
        ).first.click()
        expect(main).to_contain_text("Clear handovers")
        expect(main).to_contain_text("Reviewed with the trainee")
        check_axe(page)
        page.get_by_role("link", name="Open the MSF evidence in the portfolio").click()
        expect(main).to_contain_text("2 of 2 invited colleagues answered")
        check_axe(page)
    finally:
        _set_minimum(live_app, None)
