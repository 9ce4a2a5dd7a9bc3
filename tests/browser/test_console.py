"""The ``page`` fixture's console check: a Content-Security-Policy violation fails a
test (Chromium reports it at the page's own URL), a form re-shown with errors does not."""

from playwright.sync_api import expect

from tests.browser.conftest import ERROR_PAGE
from tests.browser.conftest import console_fault


def test_csp_violations_are_faults_and_form_errors_are_not(context, live_server):
    page = context.new_page()
    seen, faults = [], []

    def on_console(message):
        seen.append(message.text)
        if console_fault(message, page.url):
            faults.append(message.text)

    page.on("console", on_console)
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email address").fill("trainee@example.org")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a correct email address")
    page.wait_for_load_state("load")
    # The 4xx document of a form re-shown with its errors is logged, and not a fault.
    assert any(ERROR_PAGE.match(text) for text in seen), seen
    assert faults == []

    # What an inline style="" in a template does: blocked by style-src 'self'.
    page.evaluate("document.querySelector('main').setAttribute('style', 'color: red')")
    page.wait_for_timeout(200)  # console messages arrive asynchronously
    assert faults and "Content Security Policy" in faults[0], faults
    page.close()
