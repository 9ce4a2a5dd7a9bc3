"""The exports page: every radio has a name, and clicking its label chooses it."""

from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.browser.conftest import check_names_and_ids
from tests.browser.conftest import sign_in


def test_export_radios_are_named_and_their_labels_choose_them(page):
    sign_in(page, "trainee@example.org")
    page.goto(page.base + "/exports/")
    check_axe(page)  # also checks names in the accessibility tree and duplicate ids
    check_names_and_ids(page)
    bundle = page.get_by_role("radio", name="Portable bundle for another system (zip)")
    expect(bundle).not_to_be_checked()
    page.get_by_text("Portable bundle for another system (zip)").click()
    expect(bundle).to_be_checked()
    # The two programme questions (export and share) have separate, named radios.
    expect(
        page.get_by_role("group", name="Which programme?").first.get_by_role("radio")
    ).not_to_have_count(0)
