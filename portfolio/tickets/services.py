"""Tickets: issue, re-send, revoke, open and use a single-use link.

A ticket is named to one email address and sent only there; its link carries a
secret of 256 random bits, of which only a SHA-256 hash is stored. It works once,
until it expires (``TICKET_DAYS``, 14 by default) or is revoked, and every issue,
re-send, revocation, opening and use is an audit event.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.notifications.services import queue_email
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import NotFound
from portfolio.tickets.models import REGISTERS
from portfolio.tickets.models import REGISTRATION_MAX
from portfolio.tickets.models import ROLE_MAX
from portfolio.tickets.models import Ticket
from portfolio.urls import external_url

# Something@something.something, no spaces: the address the link goes to.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNUSABLE = {
    "used": "This link has already been used. Each link works once.",
    "revoked": "This link was cancelled by the person who sent it.",
    "expired": "This link has expired. Ask the person who sent it to send a new one.",
}
# The same words for a link that never existed as for a mistyped one.
NO_SUCH_TICKET = "This link is not valid. Check that you copied all of it."


@dataclass(frozen=True)
class TicketHolder:
    """The person using a ticket, as the audit trail names them."""

    name: str
    id: None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_person(name: str, email: str, errors: FieldErrors, prefix: str) -> tuple:
    """A named person's name and email, cleaned; errors under ``prefix``."""
    name = (name or "").strip() if isinstance(name, str) else ""
    email = (email or "").strip().lower() if isinstance(email, str) else ""
    if not name:
        errors.add(f"{prefix}name", "Enter their full name")
    elif len(name) > NAME_MAX:
        errors.add(f"{prefix}name", f"The name must be {NAME_MAX} characters or fewer")
    if not email:
        errors.add(f"{prefix}email", "Enter their email address")
    elif len(email) > EMAIL_MAX or not _EMAIL.match(email):
        errors.add(
            f"{prefix}email",
            "Enter an email address in the correct format, like name@nhs.net",
        )
    return name, email


def _new_secret(ticket: Ticket) -> str:
    token = secrets.token_urlsafe(32)
    ticket.token_hash = _hash(token)
    ticket.expires_at = utcnow() + timedelta(days=current_app.config["TICKET_DAYS"])
    return token


def link(token: str) -> str:
    return external_url("tickets.open_ticket", token=token)


def _send(ticket: Ticket, token: str, subject: str, body: str) -> None:
    queue_email(
        ticket.email,
        subject,
        f"Hello {ticket.name},\n\n{body}\n\nOpen this link (it works once, "
        f"until {ticket.expires_at:%d %B %Y}; no account is needed):\n\n"
        f"{link(token)}\n\nIf you were not expecting this, ignore it: nothing "
        "happens unless you open the link.\n",
    )


def issue(
    actor: User,
    purpose: str,
    subject_id: str,
    name: str,
    email: str,
    subject: str,
    body: str,
) -> Ticket:
    """A new ticket for ``name <email>``, emailed through the outbox (caller commits)."""
    ticket = Ticket(
        purpose=purpose,
        subject_id=subject_id,
        name=name,
        email=email,
        created_by_id=actor.id,
    )
    token = _new_secret(ticket)
    ticket.last_sent_at = utcnow()
    db.session.add(ticket)
    db.session.flush()
    audit.record(
        actor,
        "ticket.issued",
        "ticket",
        ticket.id,
        purpose=purpose,
        subject=subject_id,
        email=email,
        expires_at=ticket.expires_at.isoformat(),
    )
    _send(ticket, token, subject, body)
    return ticket


def resend(actor: User, ticket: Ticket, subject: str, body: str) -> Ticket:
    """A fresh link (and expiry) for an unused ticket; the old link stops working."""
    if ticket.created_by_id != actor.id:
        raise Forbidden("Only the person who sent this link can send it again.")
    state = ticket.state()
    if state in ("used", "revoked"):
        raise Conflict(
            "This link has been used, so it cannot be sent again."
            if state == "used"
            else "This link was cancelled, so it cannot be sent again."
        )
    token = _new_secret(ticket)
    ticket.sent_count += 1
    ticket.last_sent_at = utcnow()
    audit.record(
        actor,
        "ticket.resent",
        "ticket",
        ticket.id,
        was=state,
        expires_at=ticket.expires_at.isoformat(),
    )
    _send(ticket, token, subject, body)
    return ticket


def revoke(actor: User, ticket: Ticket) -> Ticket:
    if ticket.created_by_id != actor.id:
        raise Forbidden("Only the person who sent this link can cancel it.")
    if ticket.used_at is not None:
        raise Conflict("This link has been used, so there is nothing to cancel.")
    if ticket.revoked_at is None:
        ticket.revoked_at = utcnow()
        ticket.revoked_by_id = actor.id
        audit.record(actor, "ticket.revoked", "ticket", ticket.id)
    return ticket


def find(token: str, purpose: str | None = None) -> Ticket:
    """The ticket a link names, usable or not, or NotFound."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound(NO_SUCH_TICKET)
    ticket = db.session.scalar(
        sa.select(Ticket).where(Ticket.token_hash == _hash(token))
    )
    if ticket is None or (purpose and ticket.purpose != purpose):
        raise NotFound(NO_SUCH_TICKET)
    return ticket


def usable(ticket: Ticket) -> None:
    """Raise Conflict, in words for the holder, unless the ticket can be used now."""
    state = ticket.state()
    if state != "open":
        raise Conflict(UNUSABLE[state])


def opened(ticket: Ticket) -> None:
    """Record that the holder opened the link (each time; caller commits)."""
    if ticket.opened_at is None:
        ticket.opened_at = utcnow()
    audit.record(TicketHolder(ticket.name), "ticket.opened", "ticket", ticket.id)


def check_identity(data: dict, errors: FieldErrors) -> dict:
    """The holder's confirmed name, role and professional registration."""
    name = data.get("name")
    name = name.strip() if isinstance(name, str) else ""
    role = data.get("role")
    role = role.strip() if isinstance(role, str) else ""
    body = data.get("registration_body") or ""
    number = data.get("registration_number")
    number = number.strip() if isinstance(number, str) else ""
    if not name:
        errors.add("name", "Enter your full name")
    elif len(name) > NAME_MAX:
        errors.add("name", f"Your name must be {NAME_MAX} characters or fewer")
    if not role:
        errors.add("role", "Enter your job title or role")
    elif len(role) > ROLE_MAX:
        errors.add("role", f"Your role must be {ROLE_MAX} characters or fewer")
    if body not in REGISTERS:
        errors.add(
            "registration_body",
            "Choose your professional register, or 'None' if you are not registered",
        )
    elif body != "none":
        if not number:
            errors.add(
                "registration_number",
                f"Enter your {REGISTERS[body].split(' (')[0]} registration number",
            )
        elif len(number) > REGISTRATION_MAX or not re.fullmatch(
            r"[A-Za-z0-9 /-]+", number
        ):
            errors.add(
                "registration_number",
                "Enter the registration number as it appears on the register, "
                "letters and numbers only",
            )
    return {
        "name": name,
        "role": role,
        "registration_body": body,
        "registration_number": number if body != "none" else "",
    }


def use(ticket: Ticket, identity: dict | None = None) -> TicketHolder:
    """Spend the ticket, once: of two concurrent uses only one succeeds.

    The UPDATE checks that it is still unused, unrevoked and unexpired, so a second
    use (or one racing the first) gets Conflict. Caller commits with its changes.
    """
    now = utcnow()
    values: dict = {"used_at": now}
    if identity:
        values.update(
            confirmed_name=identity["name"],
            confirmed_role=identity["role"],
            registration_body=identity["registration_body"],
            registration_number=identity["registration_number"] or None,
        )
    result = db.session.execute(
        sa.update(Ticket)
        .where(
            Ticket.id == ticket.id,
            Ticket.used_at.is_(None),
            Ticket.revoked_at.is_(None),
            Ticket.expires_at > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        db.session.rollback()
        db.session.refresh(ticket)
        usable(ticket)
        raise Conflict(UNUSABLE["used"])
    db.session.refresh(ticket)
    holder = TicketHolder(
        f"{(identity or {}).get('name') or ticket.name} (by emailed link)"
    )
    audit.record(holder, "ticket.used", "ticket", ticket.id, purpose=ticket.purpose)
    return holder


def for_subject(purpose: str, subject_id: str) -> list[Ticket]:
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(Ticket.purpose == purpose, Ticket.subject_id == subject_id)
            .order_by(Ticket.created_at)
        )
    )


def live_for_subject(purpose: str, subject_id: str) -> Ticket | None:
    """The latest ticket for a subject that is neither used nor revoked."""
    pending = [
        t
        for t in for_subject(purpose, subject_id)
        if t.used_at is None and t.revoked_at is None
    ]
    return pending[-1] if pending else None
