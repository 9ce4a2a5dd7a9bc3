"""A share link can be copied with one button (the Clipboard API, a script loaded
with the page's CSP nonce); the link stays on the page as selectable text."""

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in


def test_share_link_copy_button(page):
    page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=page.base
    )
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/exports/")
    page.locator("input[name=enrolment][id^=share-enrolment]").first.check()
    page.get_by_label("Who is it for?").fill("Registration panel")
    page.get_by_label("Expires after (days)").fill("7")
    page.get_by_role("button", name="Create share link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Share link created")
    link = page.get_by_label("Link for Registration panel")
    url = link.input_value()
    assert "/share/" in url
    copy = page.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible()
    check_axe(page)
    copy.click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url
    # Still plain text to select by hand.
    link.select_text()
    assert (
        page.evaluate(
            "window.getSelection().toString() || document.activeElement.value"
        )
        == url
    )


def test_no_copy_button_without_the_clipboard(browser, live_server):
    """Without the Clipboard API (an insecure context, say) no button is offered."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(
        "Object.defineProperty(navigator, 'clipboard', {value: undefined})"
    )
    page.base = live_server
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/exports/")
    page.locator("input[name=enrolment][id^=share-enrolment]").first.check()
    page.get_by_role("button", name="Create share link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Share link created")
    expect(page.get_by_role("button", name="Copy link")).to_have_count(0)
    assert "/share/" in page.locator("#share-url").input_value()
    context.close()
