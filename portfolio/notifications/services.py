"""Queue emails in the outbox and deliver them: console in development, else SMTP."""

import logging
import smtplib
import sys
from email.message import EmailMessage

from flask import current_app

from portfolio import jobs
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.notifications.models import OutboxEmail

log = logging.getLogger(__name__)


def queue_email(to_address: str, subject: str, body: str) -> OutboxEmail:
    """Add an email to the outbox; it is delivered after the caller commits."""
    email = OutboxEmail(to_address=to_address, subject=subject, body=body)
    db.session.add(email)
    db.session.flush()
    jobs.enqueue("portfolio.notifications.services.deliver_email_job", email.id)
    return email


def deliver_email_job(email_id: str) -> None:
    """Send one outbox email, once: a delivered row is never sent again."""
    email = db.session.get(OutboxEmail, email_id)
    if email is None or email.sent_at is not None:
        return
    email.attempts += 1
    try:
        _send(email)
    except (OSError, smtplib.SMTPException) as error:
        email.last_error = str(error)[:2000]
        db.session.commit()
        raise
    email.sent_at = utcnow()
    email.last_error = None
    db.session.commit()


def _send(email: OutboxEmail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message.set_content(email.body)
    if config.get("MAIL_SUPPRESS"):
        return  # tests and benchmarks: keep the outbox row, send nothing
    if not config.get("MAIL_SERVER"):
        # Development: print instead of sending, as written (not the quoted-printable
        # or base64 of the wire, whose soft line breaks cut links), so reset links can
        # be read and followed.
        sys.stderr.write(
            "\n---- email (console outbox) ----\n"
            f"From: {message['From']}\nTo: {message['To']}\n"
            f"Subject: {message['Subject']}\n\n{message.get_content()}----\n"
        )
        return
    with smtplib.SMTP(
        config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def notify(
    user, message: str, link: str = "", email: bool = True, comment: str = ""
) -> None:
    """Tell ``user`` something in the app and, by default, by email (caller commits).

    ``comment`` (for example an assessor's feedback on returned evidence) goes into
    the email in full, so the trainee can act on it before opening the item. The
    email links through the notification (``/notifications/<id>``), so opening it
    from the email marks it read too.
    """
    from portfolio.notifications.models import Notification

    notification = Notification(user_id=user.id, message=message[:300], link=link)
    db.session.add(notification)
    if email:
        from portfolio.urls import absolute

        url = ""
        if link:
            db.session.flush()
            url = absolute(f"/notifications/{notification.id}")
        quoted = (
            "\n\nTheir comment:\n\n"
            + "\n".join(f"  {line}" for line in comment.strip().splitlines())
            if comment.strip()
            else ""
        )
        queue_email(
            user.email,
            f"MPCE Portfolio: {message[:150]}",
            f"Hello {user.name},\n\n{message}{quoted}\n\n{url}\n",
        )


def unread_count(user) -> int:
    import sqlalchemy as sa

    from portfolio.notifications.models import Notification

    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_all_read(user) -> None:
    """Mark every unread notification of ``user`` as read (commits)."""
    import sqlalchemy as sa

    from portfolio.db import utcnow
    from portfolio.notifications.models import Notification

    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()


def own_notification(user, notification_id: str):
    """``user``'s notification, or NotFound (another's is never revealed)."""
    from portfolio.notifications.models import Notification
    from portfolio.rules import NotFound

    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("No such notification.")
    return notification


def mark_read(user, notification_id: str):
    """Mark one of ``user``'s notifications read (commits); returns it."""
    from portfolio.db import utcnow

    notification = own_notification(user, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification
