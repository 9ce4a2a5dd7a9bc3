"""The outbox, as tests read it: the link in the latest email to someone."""

import re

import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.notifications.models import OutboxEmail


def emailed_link(app, email: str, prefix: str) -> str:
    """The app path (``/ticket/...``, ``/auth/invitation/...``) in the latest email
    the outbox holds for ``email``; ``app`` is the test app or the browser tests'
    live app."""
    with app.app_context():
        body = db.session.scalars(
            sa.select(OutboxEmail.body)
            .where(OutboxEmail.to_address == email)
            .order_by(OutboxEmail.created_at.desc())
        ).first()
        db.session.remove()
    assert body, f"nothing emailed to {email}"
    found = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"\S+)", body)
    assert found, f"no {prefix} link in the email to {email}"
    return found.group(1)
