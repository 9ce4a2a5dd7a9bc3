"""Progress reviews that guide: the people who must sign are told, a signature shows
as "Signed on DATE", reviews are booked ahead and reminded by
``flask progress remind-reviews``."""

import re
from datetime import date
from datetime import timedelta

import sqlalchemy as sa

from portfolio.accounts.services import find_user
from portfolio.db import utcnow
from portfolio.enrolments.models import ProgressReview
from portfolio.enrolments.models import ScheduledReview
from portfolio.extensions import db
from portfolio.notifications.models import Notification
from portfolio.notifications.models import OutboxEmail
from tests.helpers.html import date_fields


def sign_out(client):
    client.post("/auth/logout")
    client.delete_cookie("session")


def told(app, email) -> list[str]:
    """The notifications ``email`` has, and checks each came by email too."""
    with app.app_context():
        user = find_user(email)
        messages = list(
            db.session.scalars(
                sa.select(Notification.message)
                .where(Notification.user_id == user.id)
                .order_by(Notification.created_at)
            )
        )
        subjects = list(
            db.session.scalars(
                sa.select(OutboxEmail.subject).where(OutboxEmail.to_address == email)
            )
        )
    for message in messages:
        assert f"MPCE Portfolio: {message[:150]}" in subjects
    return messages


def record(client, world):
    return client.post(
        f"/progress/{world.enrolment_id}/reviews",
        data={"held_on": date.today().isoformat(), "summary": "Good first year"},
    )


def test_recording_a_review_asks_the_others_to_sign_and_shows_who_signed(
    app, client, world, login
):
    login(world.supervisor)
    assert record(client, world).status_code == 302
    today = f"{date.today():%d %B %Y}"
    # The trainee and the employer (no workplace supervisor: the training lead) are
    # told; the training officer who recorded it signed as the provider already.
    assert told(app, world.trainee) == [
        f"Your progress review of {today} needs your signature. Read it and sign it."
    ]
    assert [m for m in told(app, world.lead) if "needs your signature" in m] == [
        f"The progress review of {today} for Aisha Rahman, STP Radiotherapy "
        "Physics (2022 curriculum), needs your signature."
    ]
    assert told(app, world.supervisor) == []
    page = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    assert f"Signed on {today}" in page and "Your signature is needed" not in page
    assert "Sign<span" not in page  # the provider has signed: no button
    sign_out(client)

    login(world.trainee)
    page = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    assert "Your signature is needed" in page
    review_id = re.search(r'id="review-([^"]+)"', page).group(1)
    assert f'href="#review-{review_id}"' in page
    assert "Sign<span" in page
    signed = client.post(f"/progress/{world.enrolment_id}/reviews/{review_id}/sign")
    assert signed.status_code == 302
    assert signed.headers["Location"].endswith(f"#review-{review_id}")
    page = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    assert "Sign<span" not in page and "Your signature is needed" not in page
    assert f'nhsuk-tag--green">Signed on {today}' in page
    assert f"You signed the review of {today}." in page


def test_booking_a_review_tells_everyone_and_refuses_a_past_day(
    app, client, world, login
):
    login(world.supervisor)
    today = date.today()
    bad = client.post(
        f"/progress/{world.enrolment_id}/reviews/schedule",
        data={**date_fields(today, "scheduled_on"), "note": "Room 2"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    summary = html.split('class="nhsuk-error-summary"', 1)[1].split("</div>", 1)[0]
    assert "The date of the review must be in the future" in summary
    assert 'href="#scheduled_on-day"' in summary
    assert 'value="Room 2"' in html  # what was typed is kept
    missing = client.post(
        f"/progress/{world.enrolment_id}/reviews/schedule", data={"note": ""}
    )
    assert missing.status_code == 422
    assert "Enter the date of the review" in missing.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ScheduledReview.id))) == 0

    day = today + timedelta(days=20)
    ok = client.post(
        f"/progress/{world.enrolment_id}/reviews/schedule",
        data={**date_fields(day, "scheduled_on"), "note": "Room 2, 10am"},
    )
    assert ok.status_code == 302
    booked = f"{day:%A %d %B %Y}"
    assert told(app, world.trainee) == [
        f"Your progress review is booked for {booked}. Note: Room 2, 10am"
    ]
    assert any(f"is booked for {booked}" in m for m in told(app, world.lead))
    assert told(app, world.supervisor) == []
    page = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    assert f"Progress review on {booked}: Room 2, 10am" in page
    # Recording the review marks the booking held.
    assert record(client, world).status_code == 302
    with app.app_context():
        planned = db.session.scalar(sa.select(ScheduledReview))
        assert planned.review_id is not None
    page = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    assert f"Progress review on {booked}" not in page
    sign_out(client)

    login(world.trainee)
    refused = client.post(
        f"/progress/{world.enrolment_id}/reviews/schedule",
        data=date_fields(day, "scheduled_on"),
    )
    assert refused.status_code == 403
    sign_out(client)
    login(world.other_trainee)
    hidden = client.post(
        f"/progress/{world.enrolment_id}/reviews/schedule",
        data=date_fields(day, "scheduled_on"),
    )
    assert hidden.status_code == 404


def test_remind_reviews_reminds_bookings_once_and_unsigned_reviews_weekly(
    app, client, world, login, runner
):
    login(world.supervisor)
    soon = date.today() + timedelta(days=5)
    later = date.today() + timedelta(days=30)
    for day in (soon, later):
        client.post(
            f"/progress/{world.enrolment_id}/reviews/schedule",
            data=date_fields(day, "scheduled_on"),
        )
    assert record(client, world).status_code == 302  # holds the soonest booking
    client.post(
        f"/progress/{world.enrolment_id}/reviews/schedule",
        data=date_fields(soon, "scheduled_on"),
    )
    before = len(told(app, world.trainee))

    result = runner.invoke(args=["progress", "remind-reviews"])
    assert result.exit_code == 0, result.output
    # The review was recorded just now: its signers were told then, not again yet.
    assert "1 booked review and 0 unsigned reviews reminded." in result.output
    new = told(app, world.trainee)[before:]
    assert new == [f"Reminder: your progress review is on {soon:%A %d %B %Y}."]
    again = runner.invoke(args=["progress", "remind-reviews"])
    assert "0 booked reviews and 0 unsigned reviews reminded." in again.output

    with app.app_context():
        review = db.session.scalar(sa.select(ProgressReview))
        review.created_at = utcnow() - timedelta(days=8)
        db.session.commit()
    week = runner.invoke(args=["progress", "remind-reviews"])
    assert "0 booked reviews and 1 unsigned review reminded." in week.output
    assert told(app, world.trainee)[-1].startswith("Your progress review of ")
    assert runner.invoke(args=["progress", "remind-reviews"]).output.startswith(
        "0 booked reviews and 0 unsigned reviews"
    )
    # Thirty days on is outside the window until the day comes near.
    near = runner.invoke(
        args=[
            "progress",
            "remind-reviews",
            "--today",
            (later - timedelta(days=2)).isoformat(),
            "--every",
            "30",
        ]
    )
    assert "1 booked review and 0 unsigned reviews reminded." in near.output
