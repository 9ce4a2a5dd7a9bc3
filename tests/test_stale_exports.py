"""Exports that know when they are stale.

A file stays genuine (its hash still matches), but once a sign-off inside it is
withdrawn (a lead unlocked it), verification says so, share links stop serving the
old PDF, and the trainee is told, with a one-click fresh copy.
"""

import hashlib

import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.notifications.models import Notification
from tests.helpers.api import sign_off
from tests.world import REFLECTION

STP_ONLY = {
    **REFLECTION,
    "title": "Linac morning QA reflection",
    "claims": [{"curriculum": "stp-rp", "code": "P-RP-S2-TA01"}],
}


@pytest.fixture
def issued(as_, world, work_jobs):
    """A portfolio PDF holding one signed-off item; returns (export, evidence id, file)."""
    evidence_id = sign_off(as_, world, STP_ONLY)
    made = as_("trainee").post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    )
    assert made.status_code == 202, made.get_json()
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    assert export["status"] == "done", export
    with as_("trainee").get(f"/api/v1/exports/{export['id']}/file") as response:
        data = response.data
    assert data.startswith(b"%PDF")
    return export, evidence_id, data


def _verify(client, export, data):
    response = client.post(
        "/api/v1/verify",
        json={
            "code": export["verification_code"],
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_verification_reports_a_withdrawn_sign_off(client, as_, issued):
    export, evidence_id, data = issued
    before = _verify(client, export, data)
    assert before["valid"] is True and before["superseded"] is False
    assert before["superseded_signoffs"] == 0
    assert "signoff_ids" not in before["export"]["summary"]  # ids stay inside
    unlocked = as_("lead").post(
        f"/api/v1/evidence/{evidence_id}/unlock", json={"reason": "Wrong linac"}
    )
    assert unlocked.status_code == 200, unlocked.get_json()
    after = _verify(client, export, data)
    assert after["valid"] is True  # still the file that was issued
    assert after["superseded"] is True and after["superseded_signoffs"] == 1
    assert after["superseded_reasons"] == ["Wrong linac"] and after["superseded_on"]
    page = client.get(f"/verify/{export['verification_code']}").get_data(as_text=True)
    assert "genuine when issued" in page and "1 sign-off in it was withdrawn" in page
    assert "Wrong linac" in page


def test_the_trainee_is_told_and_can_issue_a_fresh_copy(
    app, client, as_, world, issued, login
):
    export, evidence_id, _ = issued
    as_("lead").post(f"/api/v1/evidence/{evidence_id}/unlock", json={"reason": "Redo"})
    with app.app_context():
        told = db.session.scalars(
            sa.select(Notification).where(
                Notification.link == f"/exports/{export['id']}"
            )
        ).all()
        stale = [n for n in told if "withdrawn" in n.message]
        assert len(stale) == 1 and "Issue a fresh copy" in stale[0].message
    login(world.trainee)
    page = client.get(f"/exports/{export['id']}").get_data(as_text=True)
    assert "Out of date" in page and "Issue a fresh copy" in page
    fresh = client.post(
        "/exports/", data={"kind": "portfolio", "enrolment": world.enrolment_id}
    )
    assert fresh.status_code == 302 and "/exports/" in fresh.headers["Location"]
    assert fresh.headers["Location"].rstrip("/").rsplit("/", 1)[-1] != export["id"]


def test_share_links_stop_serving_the_stale_pdf(client, as_, world, issued, login):
    export, evidence_id, data = issued
    login(world.trainee)
    created = client.post(
        "/exports/share",
        data={"enrolment": world.enrolment_id, "label": "Panel", "days": 7},
    )
    page = created.get_data(as_text=True)
    url = page.split('readonly value="')[1].split('"')[0]
    path = url.replace("http://localhost", "")
    anonymous = client.application.test_client()
    with anonymous.get(path + "/pdf") as current:
        assert current.data == data  # the current PDF, while it is valid
    as_("lead").post(f"/api/v1/evidence/{evidence_id}/unlock", json={"reason": "Redo"})
    stale = anonymous.get(path + "/pdf")
    assert stale.status_code == 302 and stale.headers["Location"].endswith(path)
    shown = anonymous.get(path).get_data(as_text=True)
    assert "Download the PDF" not in shown
