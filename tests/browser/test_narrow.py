"""At 320 CSS pixels wide (WCAG 2.2 reflow, 1.4.10) no main page scrolls sideways:
tables stack their cells under their headings (the NHS.UK responsive table)."""

import pytest

from tests.browser.conftest import check_axe
from tests.browser.conftest import sign_in

EVERYONE = [
    "/",
    "/evidence/",
    "/progress/",
    "/curricula/",
    "/curricula/stp-rp/",
    "/curricula/rct-scopes/",
    "/enrolments/",
    "/notifications/",
    "/auth/account",
    "/about",
    "/capacity/scenarios",
]
# Pages whose tables stack (or, for figures, scroll in a region of their own).
PAGES = {
    "trainee@example.org": [
        *EVERYONE,
        "/evidence/new",
        "/evidence/new?kind=reflection",  # the file field and the outcome tree
        "/exports/",
    ],
    "supervisor@example.org": [*EVERYONE, "/signoff/queue", "/trainees/"],
    "lead@example.org": [
        *EVERYONE,
        "/signoff/queue",
        "/trainees/",
        "/cohort/",
        "/cohort/?programme=stp-rp",  # its modules heat-map scrolls in its own region
        "/enrolments/new",
        "/exports/",
        "/organisations/",
        "/capacity/",
    ],
    "admin@example.org": [*EVERYONE, "/admin/users", "/organisations/", "/capacity/"],
}


@pytest.mark.parametrize("email", list(PAGES))
def test_no_page_scrolls_sideways_at_320_px(page, email):
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, email)
    wide = {}
    for path in PAGES[email]:
        response = page.goto(page.base + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide[path] = width
        check_axe(page)  # axe and the accessibility tree, at 320 px too
    # And an enrolment's own page (its supervisors table).
    page.goto(page.base + "/enrolments/")
    page.locator("main table a").first.click()
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 320:
        wide[page.url] = width
    assert wide == {}, wide


# Each word of the table cells on one line: where wrapping anywhere inside a word let a
# full-width table shrink a column to a letter ("Aisha Rahma / n").
WORDS_BROKEN = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("main table td, main table th")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[A-Za-z]{2,}/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        if (range.getClientRects().length > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


def test_on_a_desktop_no_word_in_a_table_breaks_across_lines(page):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "lead@example.org")
    for path in ("/cohort/", "/enrolments/", "/organisations/", "/curricula/"):
        response = page.goto(page.base + path)
        assert response is not None and response.status == 200, path
        assert page.locator("main table").count(), path
        assert page.evaluate(WORDS_BROKEN) == [], path
