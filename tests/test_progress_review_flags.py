"""One flag for one fact: an STP trainee's overdue review is flagged by the NSHCS
review of progression's rules (``stp_review.flags``: ``stp_review_missed``), not by
the generic "Progress review overdue" as well; an apprentice keeps the progress
review flag (``review_overdue``, the apprenticeship funding rules' review interval).
Both on the progress page's API and in the cohort."""

from datetime import date
from datetime import timedelta

from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db

STP_FLAGS = {"stp_review_missed", "stp_review_due", "stp_exception"}


def _started(app, enrolment_id: str, days_ago: int) -> None:
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        enrolment.start_date = date.today() - timedelta(days=days_ago)
        enrolment.expected_end_date = date.today() + timedelta(days=700)
        db.session.commit()
        db.session.remove()


def _progress_flags(as_, enrolment_id: str) -> dict[str, str]:
    body = as_("lead").get(f"/api/v1/enrolments/{enrolment_id}/progress").get_json()
    return {f["code"]: f["message"] for f in body["flags"]}


def _cohort_flags(as_, enrolment_id: str) -> dict[str, str]:
    items = as_("lead").get("/api/v1/cohort").get_json()["items"]
    row = next(r for r in items if r["enrolment"] == enrolment_id)
    return {f["code"]: f["message"] for f in row["flags"]}


def test_an_stp_trainee_gets_the_review_of_progression_flag_only(app, as_, world):
    # Started two and a half years ago with no review recorded: every generic
    # anniversary review has passed, and so has the end-of-year-1 review point.
    _started(app, world.enrolment_id, 900)
    for flags in (
        _progress_flags(as_, world.enrolment_id),
        _cohort_flags(as_, world.enrolment_id),
    ):
        assert "review_overdue" not in flags
        assert "stp_review_missed" in flags
        assert "not met by" in flags["stp_review_missed"]
        assert not any(
            "Progress review overdue" in message for message in flags.values()
        )


def test_an_apprentice_keeps_the_progress_review_flag(app, as_, world):
    made = as_("lead").post(
        "/api/v1/enrolments",
        json={
            "trainee": world.other_trainee,
            "curriculum": "app-hcsa-st0218",
            "organisation": "RBV",
            "start_date": "2025-09-01",
            "expected_end_date": "2026-11-01",
            "contracted_hours_per_week": 37.5,
            "supervisors": [world.other_supervisor],
        },
    )
    assert made.status_code == 201, made.get_json()
    apprentice = made.get_json()["id"]
    _started(app, apprentice, 200)  # no progress review in 200 days
    for flags in (_progress_flags(as_, apprentice), _cohort_flags(as_, apprentice)):
        assert "review_overdue" in flags
        assert flags["review_overdue"].startswith("Progress review overdue since")
        assert not STP_FLAGS & set(flags)


def test_an_stp_trainee_sees_one_next_review_date_the_review_point(
    app, client, as_, as_user, world
):
    """The home page's deadlines and the progress page name the NSHCS review point
    (and the API's next_review_due is its date), not a generic "Progress review due"
    beside it; an apprentice's pages keep the progress review's date."""
    _started(app, world.enrolment_id, 300)
    body = as_("lead").get(f"/api/v1/enrolments/{world.enrolment_id}/progress")
    due = body.get_json()["next_review_due"]
    assert due is not None
    as_user("aisha@example.org")
    home = client.get("/").get_data(as_text=True)
    page = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    # (Aisha's other programme, the AI framework, keeps its progress review.)
    assert "Progress review due (STP" not in home
    assert "Next progress review due by" not in page
    shown = date.fromisoformat(due)
    assert f"{shown.day} {shown:%B %Y}" in home or f"{shown:%d %B %Y}" in home
