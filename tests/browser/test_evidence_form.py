"""The evidence form in a browser: two files and an outcome ticked from the tree on a
390 px phone, a refused file named in the error summary at 320 px, and the progress
review flow (book, record, sign) -- axe and the accessibility tree on every page."""

import re
from datetime import date
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from portfolio.accounts.services import find_user
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db
from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in
from tests.test_attachments import PDF
from tests.test_attachments import png_with_metadata

CODE = "P-RP-S2-TA01"


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def fill_reflection(page, title: str) -> None:
    page.get_by_label("Title").fill(title)
    yesterday = date.today() - timedelta(days=1)
    group = page.get_by_role("group", name="When did it happen?")
    group.get_by_label("Day", exact=True).fill(str(yesterday.day))
    group.get_by_label("Month", exact=True).fill(str(yesterday.month))
    group.get_by_label("Year", exact=True).fill(str(yesterday.year))
    page.get_by_label("Description").fill("Morning QA on linac 3 with the physicist.")
    page.get_by_label("What happened?").fill("I ran the output check.")
    page.get_by_label("So what?").fill("Tolerances matter.")
    page.get_by_label("Now what?").fill("Do it alone next week.")


def test_evidence_with_two_files_and_an_outcome_from_the_tree_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/evidence/new?kind=reflection")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add evidence")
    check_axe(page)
    no_sideways_scroll(page, 390)
    fill_reflection(page, "Linac output check, two files")
    # The NHS.UK file upload keeps the real input (hidden) behind its drop zone.
    page.locator('input[type="file"][name="files"][multiple]').set_input_files(
        [
            {"name": "protocol.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {
                "name": "whiteboard.png",
                "mimeType": "image/png",
                "buffer": png_with_metadata(),
            },
        ]
    )
    files = page.locator("[data-file-list]")
    expect(files).to_contain_text("protocol.pdf")
    expect(files).to_contain_text("whiteboard.png")
    # Typing filters the tree in the page: no reload, the module opens.
    url = page.url
    page.get_by_label("Find outcomes to claim").fill(CODE)
    expect(page.locator("[data-tree-status]")).to_have_text("1 outcome matches")
    assert page.url == url
    expect(page.get_by_role("button", name="Find outcomes")).to_be_hidden()
    box = page.get_by_role("checkbox", name=re.compile(f"^{CODE} "))
    expect(box).to_be_visible()
    box.check()
    check_axe(page)
    no_sideways_scroll(page, 390)
    # Clearing the search shows the whole tree again, the ticked outcome still ticked.
    page.get_by_label("Find outcomes to claim").fill("")
    expect(box).to_be_checked()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("load")
    main = page.locator("main")
    expect(main).to_contain_text("Your draft was saved with 2 files")
    expect(main).to_contain_text("protocol.pdf")
    expect(main).to_contain_text("whiteboard.png")
    expect(main).to_contain_text(CODE)
    check_axe(page)
    no_sideways_scroll(page, 390)


def test_a_refused_file_is_named_in_the_error_summary_at_320_px(page):
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/evidence/new?kind=reflection")
    fill_reflection(page, "Refused file")
    page.locator('input[type="file"][name="files"][multiple]').set_input_files(
        [
            {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {
                "name": "program.pdf",
                "mimeType": "application/pdf",
                "buffer": b"MZ\x90\x00 not a PDF",
            },
        ]
    )
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("load")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    link = summary.get_by_role("link", name=re.compile("^program.pdf was not added"))
    expect(link).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Refused file")
    expect(page.get_by_role("checkbox", name=re.compile("^notes.pdf"))).to_be_checked()
    check_axe(page)
    no_sideways_scroll(page, 320)
    link.click()
    # The link takes you to the file field (the component's button has its id).
    assert page.evaluate("document.activeElement.id") == "files"
    # Saving again keeps the checked file without choosing it again.
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text("Your draft was saved with 1 file")
    expect(page.locator("main")).to_contain_text("notes.pdf")


def test_booking_recording_and_signing_a_review(page, live_app):
    with live_app.app_context():
        trainee = find_user("trainee@example.org")
        enrolment_id = db.session.scalar(
            sa.select(Enrolment.id)
            .join(Enrolment.curriculum)
            .where(Enrolment.trainee_id == trainee.id)
            .where(sa.text("curriculum.slug = 'stp-rp'"))
        )
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, "supervisor@example.org")
    page.goto(f"{page.base}/progress/{enrolment_id}")
    check_axe(page)
    day = date.today() + timedelta(days=14)
    group = page.get_by_role("group", name="When is the review?")
    group.get_by_label("Day", exact=True).fill(str(day.day))
    group.get_by_label("Month", exact=True).fill(str(day.month))
    group.get_by_label("Year", exact=True).fill(str(day.year))
    page.get_by_label("Note (optional)").fill("Seminar room 2")
    page.get_by_role("button", name="Book the review").click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text(
        f"Progress review on {day:%A %d %B %Y}: Seminar room 2"
    )
    check_axe(page)
    no_sideways_scroll(page, 320)
    page.get_by_label("Date of the review", exact=True).fill(date.today().isoformat())
    page.get_by_label("Summary of progress discussed").fill("A good first term.")
    page.get_by_role("button", name="Record review").click()
    page.wait_for_load_state("load")
    today = f"{date.today():%d %B %Y}"
    expect(page.locator("main")).to_contain_text(f"Signed on {today}")
    check_axe(page)
    page.context.clear_cookies()
    sign_in(page, "trainee@example.org")
    page.goto(f"{page.base}/progress/{enrolment_id}")
    expect(page.locator("main")).to_contain_text("Your signature is needed")
    check_axe(page)
    page.get_by_role("button", name=f"Sign the review of {today}").first.click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text(f"You signed the review of {today}.")
    expect(
        page.get_by_role("button", name=f"Sign the review of {today}")
    ).to_have_count(0)
    check_axe(page)
    no_sideways_scroll(page, 320)


def test_files_dropped_on_the_field_join_those_chosen(page):
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/evidence/new?kind=document")
    field = page.locator('input[type="file"][name="files"][multiple]')
    field.set_input_files(
        [{"name": "first.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    expect(page.locator("[data-drop-hint]")).to_be_visible()
    dropped = page.evaluate_handle(
        """() => { const data = new DataTransfer();
                   data.items.add(new File(["%PDF-1.4"], "dropped.pdf",
                                           {type: "application/pdf"}));
                   data.items.add(new File(["x"], "huge.gif", {type: "image/gif"}));
                   return data; }"""
    )
    page.locator("[data-drop-zone]").dispatch_event("drop", {"dataTransfer": dropped})
    assert field.evaluate("input => [...input.files].map(f => f.name)") == [
        "first.pdf",
        "dropped.pdf",
        "huge.gif",
    ]
    files = page.locator("[data-file-list]")
    expect(files).to_contain_text("dropped.pdf")
    expect(files).to_contain_text(
        "huge.gif (1 KB) will not be added: not a PDF, Word (.docx), PNG or JPEG file"
    )
    check_axe(page)


def test_without_javascript_the_server_search_finds_outcomes_to_tick(
    browser, live_server
):
    # No script runs in this page, so axe cannot either: the same form is checked
    # with JavaScript above.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server + "/auth/login")
        page.get_by_label("Email address").fill("trainee@example.org")
        page.get_by_label("Password", exact=True).fill("demo-password-1")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")
        page.goto(live_server + "/evidence/new?kind=reflection")
        fill_reflection(page, "Found by the server")
        page.get_by_label("Find outcomes to claim").fill(CODE)
        page.get_by_role("button", name="Find outcomes").click()
        page.wait_for_load_state("load")
        found = page.get_by_role("group", name=re.compile("^1 outcome matches"))
        found.get_by_role("checkbox", name=re.compile(f"^{CODE} ")).check()
        expect(page.get_by_label("Title")).to_have_value("Found by the server")
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_load_state("load")
        expect(page.locator("main")).to_contain_text("Your draft was saved.")
        expect(page.locator("main")).to_contain_text(CODE)
    finally:
        context.close()
