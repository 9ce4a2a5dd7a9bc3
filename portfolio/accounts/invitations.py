"""Invitations: an admin, or a training lead for their own organisation's trainees
and supervisors, invites a person by email (one, or a CSV of many); the link lasts
INVITATION_DAYS, can be resent (a new link) and revoked; following it sets a
password (the rules of :mod:`portfolio.accounts.passwords`) and signs the person in.

The role is given when the invitation is made, so a lead can enrol the trainee at
once; an existing account simply gains the role (and is told by email). Every change
writes an audit event and commits in one transaction.
"""

import secrets
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portfolio import policy
from portfolio.accounts import lifecycle
from portfolio.accounts import services as accounts
from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.accounts.models import ROLES
from portfolio.accounts.models import Invitation
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.csvimport import CsvImportError
from portfolio.csvimport import LineError
from portfolio.csvimport import read_rows
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.notifications.services import queue_email
from portfolio.organisations.models import Organisation
from portfolio.organisations.services import not_an_employer
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound

CSV_COLUMNS = ("email", "name", "role", "organisation")
NOT_VALID = (
    "This invitation link is not valid. Ask the person who invited you for a new one."
)


def invitation_days() -> int:
    return int(current_app.config["INVITATION_DAYS"])


@dataclass
class Checked:
    """An invitation that passed every rule, ready to be made."""

    email: str
    name: str
    role: str
    organisation: Organisation | None
    user: User | None


def check(
    actor: User | None,
    email: str,
    name: str,
    role: str,
    organisation_code: str | None,
) -> Checked:
    """Every rule for one invitation, writing nothing; Invalid lists each problem.

    ``actor`` None is the command line (an operator on the server).
    """
    errors = FieldErrors()
    email = accounts.normalise_email(email if isinstance(email, str) else "")
    name = (name if isinstance(name, str) else "").strip()
    role = role if isinstance(role, str) else ""
    code = (organisation_code if isinstance(organisation_code, str) else "").strip()
    if not email:
        errors.add("email", "Enter an email address")
    elif len(email) > EMAIL_MAX or not accounts.EMAIL_SHAPE.match(email):
        errors.add("email", "Enter an email address like name@nhs.net")
    user = accounts.find_user(email) if email else None
    if user is None and not name:
        errors.add("name", "Enter the person's name")
    elif len(name) > NAME_MAX:
        errors.add("name", f"Name must be {NAME_MAX} characters or fewer")
    organisation = accounts.find_organisation(code.upper()) if code else None
    if role not in ROLES:
        errors.add("role", f"Choose a role from: {', '.join(ROLES)}")
    if code and organisation is None:
        errors.add("organisation", f"No organisation with code {code!r}")
    elif not code and role != "admin":
        errors.add("organisation", "Choose the organisation the role is at")
    elif organisation is not None and role == "trainee":
        if problem := not_an_employer(organisation):
            errors.add("organisation", problem)
    if user is not None and not user.active:
        errors.add(
            "email",
            "This person's account is deactivated: an admin can reactivate it",
        )
    errors.raise_if_any()
    org_id = organisation.id if organisation else None
    if actor is not None and not policy.can_invite(actor, role, org_id):
        raise Forbidden(
            "You can invite trainees and supervisors to your own organisation only"
        )
    return Checked(email, name, role, organisation, user)


@dataclass
class Sent:
    invitation: Invitation
    created: bool  # a new account; False: an existing one gained the role


def _new_link(invitation: Invitation) -> str:
    from portfolio.urls import external_url

    secret = secrets.token_urlsafe(32)
    now = utcnow()
    invitation.token_hash = Invitation.token_hash_of(secret)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=invitation_days())
    return external_url("people.accept_invitation", token=secret)


def _where(invitation: Invitation) -> str:
    role = lifecycle.role_label(invitation.role)
    org = invitation.organisation
    return f"{role} at {org.name} ({org.code})" if org else role


def _send_link(invitation: Invitation, url: str, inviter: User | None) -> None:
    user = invitation.user
    by = f"{inviter.name} has invited you" if inviter else "You have been invited"
    expires = f"{invitation.expires_at:%d %B %Y at %H:%M} UTC"
    queue_email(
        invitation.email,
        "You are invited to MPCE Portfolio",
        f"Hello {user.name},\n\n{by} to MPCE Portfolio, the training e-portfolio, "
        f"as {_where(invitation)}.\n\nChoose your password with this link. It works "
        f"until {expires} ({invitation_days()} days):\n\n{url}\n\n"
        "If you were not expecting this, you can ignore this email.\n",
    )


def _make(actor: User | None, checked: Checked) -> Sent:
    user = checked.user
    created = user is None
    if user is None:
        user = User(email=checked.email, name=checked.name)
        db.session.add(user)
    lifecycle._give_role(user, checked.role, checked.organisation, date.today())
    invitation = Invitation(
        user=user,
        email=checked.email,
        role=checked.role,
        organisation=checked.organisation,
        invited_by_id=getattr(actor, "id", None),
    )
    url = _new_link(invitation)
    db.session.add(invitation)
    if user.password_hash:
        # Nothing to sign up for: the account has a password; it gains the role.
        invitation.accepted_at = utcnow()
        from portfolio.urls import external_url

        queue_email(
            user.email,
            "You have a new role in MPCE Portfolio",
            f"Hello {user.name},\n\nYou are now {_where(invitation)} in MPCE "
            f"Portfolio. Sign in as usual:\n\n{external_url('accounts.login')}\n",
        )
    else:
        _send_link(invitation, url, actor)
    db.session.flush()
    audit.record(
        lifecycle.by(actor),
        "invitation.sent",
        "invitation",
        invitation.id,
        user_id=user.id,
        email=checked.email,
        role=checked.role,
        organisation=checked.organisation.code if checked.organisation else None,
        existing_account=not created,
    )
    return Sent(invitation, created)


def invite(
    actor: User | None,
    email: str,
    name: str,
    role: str,
    organisation_code: str | None,
) -> Sent:
    """Invite one person; commits. Refused input writes nothing."""
    try:
        sent = _make(actor, check(actor, email, name, role, organisation_code))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return sent


@dataclass
class CsvReport:
    lines: list[tuple[int, str]]  # (line number, what happened)


def invite_csv(actor: User | None, text: str, filename: str) -> CsvReport:
    """Invite everyone in a CSV (columns email, name, role, organisation).

    Every line is checked first; if any is refused, CsvImportError reports each
    refused line and nothing is created.
    """
    rows = read_rows(text, filename, CSV_COLUMNS)
    problems: list[LineError] = []
    checked: list[tuple[int, Checked]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            item = check(
                actor, row["email"], row["name"], row["role"], row["organisation"]
            )
        except (Invalid, Forbidden) as error:
            detail = "; ".join(e["message"] for e in error.errors) or error.message
            problems.append(LineError(line, detail))
            continue
        key = f"{item.email} {item.role} {getattr(item.organisation, 'id', '')}"
        if key in seen:
            problems.append(LineError(line, f"the same as line {seen[key]}"))
            continue
        seen[key] = line
        checked.append((line, item))
    if problems:
        raise CsvImportError(filename, problems)
    report = []
    made: dict[str, User] = {}  # an address on several lines gets one account
    try:
        for line, item in checked:
            if item.user is None and item.email in made:
                item.user = made[item.email]
            sent = _make(actor, item)
            made[item.email] = sent.invitation.user
            has_password = bool(sent.invitation.user.password_hash)
            what = "existing account given the role" if has_password else "invited"
            report.append((line, f"{item.email}: {what} ({_where(sent.invitation)})"))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return CsvReport(report)


# ---- managing invitations -------------------------------------------------------------


def get_invitation(actor: User, invitation_id: str) -> Invitation:
    invitation = db.session.scalar(
        policy.visible_invitations(actor).where(Invitation.id == (invitation_id or ""))
    )
    if invitation is None:
        raise NotFound("No such invitation")
    if not policy.can_manage_invitation(actor, invitation):
        raise Forbidden("You cannot manage this invitation")
    return invitation


def _still_open(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been accepted")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was revoked: invite the person again")


def resend(actor: User, invitation_id: str) -> Invitation:
    """A new link (the old one stops working) lasting INVITATION_DAYS from now."""
    invitation = get_invitation(actor, invitation_id)
    _still_open(invitation)
    url = _new_link(invitation)
    _send_link(invitation, url, actor)
    audit.record(
        actor,
        "invitation.resent",
        "invitation",
        invitation.id,
        expires_at=invitation.expires_at.isoformat(),
    )
    db.session.commit()
    return invitation


def revoke(actor: User, invitation_id: str) -> Invitation:
    """The link stops working; the account and its role stay (remove the role on
    the person's page if it should go too)."""
    invitation = get_invitation(actor, invitation_id)
    _still_open(invitation)
    invitation.revoked_at = utcnow()
    audit.record(actor, "invitation.revoked", "invitation", invitation.id)
    db.session.commit()
    return invitation


def pending(actor: User, limit: int = 50) -> list[Invitation]:
    """Invitations not yet accepted or revoked, newest first."""
    return list(
        db.session.scalars(
            policy.visible_invitations(actor)
            .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.sent_at.desc())
            .limit(limit)
        )
    )


# ---- accepting -----------------------------------------------------------------------


def for_token(secret: str) -> Invitation:
    """The open invitation a link is for, or Invalid saying why not."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.token_hash == Invitation.token_hash_of(secret or "")
        )
    )
    if invitation is None:
        raise Invalid(NOT_VALID)
    if invitation.accepted_at is not None:
        raise Invalid("This invitation has already been used. Sign in instead.")
    if invitation.revoked_at is not None:
        raise Invalid("This invitation was withdrawn. " + NOT_VALID.split(". ")[1])
    if invitation.expires_at <= utcnow():
        raise Invalid(
            f"This invitation expired on {invitation.expires_at:%d %B %Y}. Ask the "
            "person who invited you to send it again."
        )
    if not invitation.user.active or invitation.user.password_hash:
        raise Invalid("This invitation can no longer be used. Sign in instead.")
    return invitation


def accept(secret: str, password: str) -> User:
    """Set the invited person's password; the caller signs them in."""
    invitation = for_token(secret)
    user = invitation.user
    accounts.check_password_rules(password, user.email, user.name)
    user.password_hash = accounts.hash_password(password)
    user.session_token = accounts.new_session_token()
    now = utcnow()
    invitation.accepted_at = now
    # Any other open invitation to the same account is done with too.
    for other in db.session.scalars(
        sa.select(Invitation).where(
            Invitation.user_id == user.id,
            Invitation.id != invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        other.accepted_at = now
    audit.record(user, "invitation.accepted", "invitation", invitation.id)
    db.session.commit()
    return user
