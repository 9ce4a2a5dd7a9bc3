"""An assessor without an account, on a phone (390 CSS pixels wide): the trainee
sends a DOPS to a visiting consultant by name and email; the consultant opens the
emailed single-use link without signing in, confirms who they are, completes the
assessment and signs it off; the link then no longer works, and the trainee sees
who completed which part. Every page is axe-checked and none scrolls sideways."""

import re
from datetime import date

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import emailed_link
from tests.browser.conftest import sign_in

TITLE = "DOPS: MLC leaf-position check with the visiting physicist"


def _draft_dops(live_app) -> None:
    from portfolio.accounts.services import find_user
    from portfolio.evidence import services
    from portfolio.evidence.services import ClaimRef
    from portfolio.evidence.services import EvidenceInput
    from portfolio.extensions import db

    with live_app.app_context():
        services.create_evidence(
            find_user("trainee@example.org"),
            EvidenceInput(
                title=TITLE,
                kind="dops",
                occurred_on=date.today(),
                form={"activity": "MLC picket fence", "setting": "Linac 3"},
                claims=[ClaimRef("stp-rp", "P-RP-S2-TA04")],
            ),
        )
        db.session.remove()


def _fits(page) -> None:
    page.wait_for_load_state("load")  # measured with the page's styles applied
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways at 390 px"
    )


def test_an_assessor_without_an_account_signs_off_on_a_phone(page, live_app):
    _draft_dops(live_app)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/evidence/?status=draft")
    page.get_by_role("link", name=TITLE).click()
    page.get_by_label("Someone without an account").check()
    page.get_by_label("Assessor's full name").fill("Dr Vera Visitor")
    page.get_by_label("Assessor's email address").fill("vera.visitor@example.org")
    check_axe(page)
    page.get_by_role("button", name="Ask for sign-off").click()
    main = page.locator("main")
    expect(main).to_contain_text("We emailed Dr Vera Visitor a link")
    expect(main).to_contain_text("Not opened yet")
    check_axe(page)
    _fits(page)

    # The assessor has no account: a fresh browser, no cookies.
    page.context.clear_cookies()
    link = emailed_link(live_app, "vera.visitor@example.org", "/ticket/")
    page.goto(page.base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(main).to_contain_text("MLC picket fence")
    check_axe(page)
    _fits(page)
    page.get_by_label("Sign it off").check()
    page.get_by_role("button", name="Send my assessment").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Enter your job title or role")
    expect(alert).to_contain_text("Choose the overall judgement")
    check_axe(page)
    page.get_by_label("Your job title or role").fill("Consultant clinical scientist")
    page.locator('input[name="registration_body"][value="hcpc"]').check()
    page.get_by_label("Registration number").fill("CS54321")
    for group in page.get_by_role(
        "group",
        name=re.compile("^(Preparation|Technical|Safety|Communication|Documentation)"),
    ).all():
        group.get_by_label("At the expected level").check()
    page.get_by_label("At the level expected at this stage of training").check()
    page.get_by_label("Strengths shown").fill("Calm, careful set-up.")
    page.get_by_label("Points for development").fill("Quote the tolerance.")
    page.get_by_role("group", name=re.compile("^Assessor declaration")).get_by_role(
        "checkbox"
    ).check()
    page.get_by_label("Sign it off").check()
    page.get_by_role("button", name="Send my assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment signed off")
    check_axe(page)
    # The link works once.
    page.goto(page.base + link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link cannot be used"
    )

    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/evidence/?status=signed_off")
    page.get_by_role("link", name=TITLE).click()
    expect(main).to_contain_text(
        "Completed by Dr Vera Visitor (Consultant clinical scientist; HCPC CS54321"
    )
    expect(main).to_contain_text("Calm, careful set-up.")
    check_axe(page)
    _fits(page)
