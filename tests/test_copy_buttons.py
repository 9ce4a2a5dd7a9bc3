"""Copy buttons: the pages mark what can be copied and load the script that adds
the buttons with the page's CSP nonce (the browser test clicks one)."""

import re

from tests.helpers.api import sign_off as signed
from tests.world import REFLECTION


def nonce_of(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"'nonce-([^']+)'", policy).group(1)


def test_exports_page_offers_to_copy_verification_codes(
    as_, world, client, login, work_jobs
):
    signed(as_, world, {**REFLECTION, "title": "Linac QA"})
    made = as_("trainee").post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    )
    assert made.status_code == 202
    work_jobs()
    code = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    assert code["status"] == "done", code
    login(world.trainee)
    page = client.get("/exports/")
    html = page.get_data(as_text=True)
    copyable = re.search(
        r'<span data-copy-label="Copy" data-copy-context="verification code ([^"]+)">'
        r"([^<]+)</span>",
        html,
    )
    assert copyable and copyable.group(1) == copyable.group(2)
    script = (
        f'<script type="module" nonce="{nonce_of(page)}" src="/static/app/copy.mjs">'
    )
    assert script in html


def test_share_created_page_marks_the_link_to_copy(client, world, login):
    login(world.trainee)
    page = client.post(
        "/exports/share", data={"enrolment": world.enrolment_id, "days": 7}
    )
    html = page.get_data(as_text=True)
    field = re.search(r'<input id="share-url"[^>]*>', html).group(0)
    assert 'readonly value="http' in field and 'data-copy-label="Copy link"' in field
    assert f'nonce="{nonce_of(page)}" src="/static/app/copy.mjs"' in html
    with client.get("/static/app/copy.mjs") as script:
        assert script.status_code == 200 and b"navigator.clipboard" in script.data
