"""People's accounts over time: finding and editing people, roles that start and end
(a person moving trust keeps their account), deactivating a leaver, and changing an
email address (confirmed from the new address).

Every change is checked against :mod:`portfolio.policy`, writes an audit event and
commits in one transaction. A leaver's sign-offs stay valid: deactivation only stops
them signing in (their session and API tokens answer 401 on the next request).
"""

import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer

from portfolio import policy
from portfolio.accounts import services as accounts
from portfolio.accounts.models import NAME_MAX
from portfolio.accounts.models import REASON_MAX
from portfolio.accounts.models import REGISTER_LABELS
from portfolio.accounts.models import REGISTERS
from portfolio.accounts.models import REGISTRATION_MAX
from portfolio.accounts.models import ROLES
from portfolio.accounts.models import ApiToken
from portfolio.accounts.models import RoleAssignment
from portfolio.accounts.models import User
from portfolio.audit import services as audit
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

NO_SUCH_PERSON = "No such person"


class _CommandLine:
    """Who the audit trail names when a command acts (no signed-in person)."""

    id = None
    name = "command line"


COMMAND_LINE = _CommandLine()


def by(actor: User | None):
    """The actor to record: the person, or the command line."""
    return COMMAND_LINE if actor is None else actor


Q_MAX = 200
HISTORY_SHOWN = 50
# What the account's audit events say, on its page.
HISTORY_LABELS = {
    "user.updated": "Details changed",
    "user.deactivated": "Deactivated",
    "user.reactivated": "Reactivated",
    "user.email_change_requested": "Email change asked for",
    "user.email_changed": "Email address changed",
    "role.added": "Role added",
    "role.removed": "Role removed",
    "totp.enabled": "Second factor set up",
    "totp.reset": "Second factor reset",
    "totp.recovery_code_used": "Recovery code used",
    "totp.recovery_codes_replaced": "New recovery codes made",
}
# Letters, digits, spaces and hyphens: "CS12345", "RCT 0123", "7654321", "12A3456E".
_REGISTRATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]*$")


def role_label(role: str) -> str:
    return role.replace("_", " ")


# ---- finding people -------------------------------------------------------------


def people(
    actor: User,
    q: str | None = None,
    role: str | None = None,
    organisation: str | None = None,
    status: str | None = None,
) -> sa.Select:
    """People ``actor`` may see, matching a name or email search and the filters.

    ``role`` and ``organisation`` (a code) match roles in force today; ``status`` is
    ``active`` or ``deactivated``. Ordered by name.
    """
    if not policy.can_list_people(actor):
        raise Forbidden("Only admins and training leads can see the people pages")
    errors = FieldErrors()
    if role and role not in ROLES:
        errors.add("role", f"Choose a role from: {', '.join(ROLES)}")
    if status and status not in ("active", "deactivated"):
        errors.add("status", "Choose active or deactivated")
    if q and len(q) > Q_MAX:
        errors.add("q", f"Search for {Q_MAX} characters or fewer")
    errors.raise_if_any()
    query = policy.visible_users(actor)
    if q and q.strip():
        like = "%" + q.strip().lower().replace("\\", "").replace("%", "") + "%"
        query = query.where(
            sa.or_(sa.func.lower(User.name).like(like), User.email.like(like))
        )
    if role or organisation:
        today = date.today()
        held = sa.select(RoleAssignment.user_id).where(
            sa.or_(
                RoleAssignment.start_date.is_(None), RoleAssignment.start_date <= today
            ),
            sa.or_(RoleAssignment.end_date.is_(None), RoleAssignment.end_date >= today),
        )
        if role:
            held = held.where(RoleAssignment.role == role)
        if organisation:
            held = held.join(
                Organisation, Organisation.id == RoleAssignment.organisation_id
            ).where(Organisation.code == organisation.strip().upper())
        query = query.where(User.id.in_(held))
    if status:
        query = query.where(User.active.is_(status == "active"))
    return query.order_by(User.name, User.email)


def get_person(actor: User | None, user_id: str) -> User:
    """A person ``actor`` may see, or NotFound (``actor`` None: the command line)."""
    if actor is None:
        person = db.session.get(User, user_id or "")
        if person is None:
            raise NotFound(NO_SUCH_PERSON)
        return person
    if not policy.can_list_people(actor) and user_id != actor.id:
        raise NotFound(NO_SUCH_PERSON)
    person = db.session.scalar(
        policy.visible_users(actor).where(User.id == (user_id or ""))
    )
    if person is None:
        raise NotFound(NO_SUCH_PERSON)
    return person


@dataclass
class PersonRecord:
    """What the user page shows about a person."""

    user: User
    sign_in_method: str
    tokens: list[ApiToken]
    enrolments: list
    supervisions: list
    invitations: list
    history: list  # the audit events about the account, newest first


def sign_in_method(user: User) -> str:
    from portfolio.accounts.sso_models import UserIdentity

    providers = sorted(
        set(
            db.session.scalars(
                sa.select(UserIdentity.provider).where(UserIdentity.user_id == user.id)
            )
        )
    )
    if providers:
        also = " and password" if user.password_hash else ""
        return f"Single sign-on ({', '.join(providers)}){also}"
    if user.password_hash:
        second = " with a second factor" if user.totp_enabled_at else ""
        return "Password" + second
    return "Not signed up yet (invited)"


def person_record(actor: User, user_id: str) -> PersonRecord:
    from portfolio.accounts.models import Invitation
    from portfolio.enrolments.models import Enrolment
    from portfolio.enrolments.models import SupervisionAssignment

    person = get_person(actor, user_id)
    enrolments = list(
        db.session.scalars(
            policy.visible_enrolments(actor)
            .where(Enrolment.trainee_id == person.id)
            .order_by(Enrolment.start_date.desc())
        )
    )
    supervisions = list(
        db.session.scalars(
            sa.select(SupervisionAssignment)
            .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
            .where(
                SupervisionAssignment.supervisor_id == person.id,
                Enrolment.id.in_(
                    policy.visible_enrolments(actor).with_only_columns(Enrolment.id)
                ),
            )
            .order_by(SupervisionAssignment.start_date.desc())
        )
    )
    invitations = list(
        db.session.scalars(
            policy.visible_invitations(actor)
            .where(Invitation.user_id == person.id)
            .order_by(Invitation.created_at.desc())
        )
    )
    return PersonRecord(
        user=person,
        sign_in_method=sign_in_method(person),
        tokens=live_tokens(person),
        enrolments=enrolments,
        supervisions=supervisions,
        invitations=invitations,
        history=list(reversed(audit.history("user", person.id)))[:HISTORY_SHOWN],
    )


def live_tokens(person: User) -> list[ApiToken]:
    now = utcnow()
    return [t for t in accounts.list_api_tokens(person) if not t.expired(now)]


# ---- name and registration numbers -------------------------------------------------


def update_person(
    actor: User,
    user_id: str,
    name: str | None = None,
    registrations: dict | None = None,
) -> User:
    """Change a person's name and professional registration numbers.

    ``registrations`` maps hcpc, rct, gmc and nmc to a number, or to None or ""
    to clear it; registers not named are left as they are.
    """
    person = get_person(actor, user_id)
    if not policy.can_edit_person(actor, person):
        raise Forbidden("You cannot change this person's details")
    errors = FieldErrors()
    before = {"name": person.name, **person.registrations()}
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            errors.add("name", "Enter the person's name")
        elif len(name.strip()) > NAME_MAX:
            errors.add("name", f"Name must be {NAME_MAX} characters or fewer")
    numbers: dict[str, str | None] = {}
    for register, value in (registrations or {}).items():
        label = REGISTER_LABELS.get(register)
        if label is None:
            errors.add(
                f"registrations.{register}",
                f"Unknown register: use {', '.join(REGISTERS)}",
            )
            continue
        value = (value or "").strip() if isinstance(value, str | type(None)) else value
        if not isinstance(value, str):
            errors.add(f"registrations.{register}", f"Enter the {label} number as text")
        elif value and (
            len(value) > REGISTRATION_MAX or not _REGISTRATION.match(value)
        ):
            errors.add(
                f"registrations.{register}",
                f"Enter the {label} number as it appears on the register: letters, "
                f"digits and spaces, {REGISTRATION_MAX} characters or fewer",
            )
        else:
            numbers[register] = value.upper() or None
    errors.raise_if_any()
    if name is not None:
        person.name = name.strip()
    for register, number in numbers.items():
        setattr(person, f"{register}_number", number)
    after = {"name": person.name, **person.registrations()}
    changed = {k: after[k] for k in after if after[k] != before[k]}
    if changed:
        audit.record(actor, "user.updated", "user", person.id, changed=changed)
    db.session.commit()
    return person


# ---- roles --------------------------------------------------------------------------


def _assignment(person: User, role_id: str) -> RoleAssignment:
    for assignment in person.roles:
        if assignment.id == role_id:
            return assignment
    raise NotFound("This person holds no such role")


def remove_role(actor: User, user_id: str, role_id: str) -> RoleAssignment:
    """End a role today (it was last held yesterday); one that starts today or
    later was never held, and goes.

    The history stays: an ended role shows on the person's page with its dates.
    """
    person = get_person(actor, user_id)
    assignment = _assignment(person, role_id)
    if not policy.can_remove_role(actor, assignment):
        raise Forbidden("You cannot remove this role")
    today = date.today()
    if assignment.end_date is not None and assignment.end_date < today:
        raise Conflict("This role has already ended")
    if (
        assignment.role == "admin"
        and person.id == actor.id
        and not any(
            r.role == "admin" and r.id != assignment.id for r in person.current_roles
        )
    ):
        raise Conflict("You cannot remove your own admin role")
    data: dict[str, object] = {
        "role": assignment.role,
        "organisation": assignment.organisation.code
        if assignment.organisation
        else None,
    }
    if assignment.start_date is not None and assignment.start_date >= today:
        person.roles.remove(assignment)
        data["deleted"] = True
    else:
        assignment.end_date = today - timedelta(days=1)
        data["end_date"] = assignment.end_date.isoformat()
    audit.record(actor, "role.removed", "user", person.id, **data)
    db.session.commit()
    return assignment


def add_role(
    actor: User,
    user_id: str,
    role: str,
    organisation_code: str | None,
    start_date: date | None = None,
    replaces: bool = False,
) -> RoleAssignment:
    """Give a person a role from ``start_date`` (today when None).

    ``replaces``: the person is moving, so the same role at any other organisation
    ends the day before (they keep their account, portfolio and sign-offs).
    """
    person = get_person(actor, user_id)
    start = start_date or date.today()
    organisation = accounts.find_organisation(organisation_code or "")
    if role not in ROLES:
        raise Invalid.field("role", f"Choose a role from: {', '.join(ROLES)}")
    if organisation is None and (organisation_code or role != "admin"):
        raise Invalid.field("org", "Choose an organisation")
    if organisation is not None and role == "trainee":
        if problem := not_an_employer(organisation):
            raise Invalid.field("org", problem)
    org_id = organisation.id if organisation else None
    if not policy.can_invite(actor, role, org_id):
        raise Forbidden(
            "You can give the trainee and supervisor roles at your own organisation only"
        )
    ended = []
    if replaces:
        for other in person.roles:
            if (
                other.role == role
                and other.organisation_id != org_id
                and (other.end_date is None or other.end_date >= start)
            ):
                if not policy.can_remove_role(actor, other):
                    raise Forbidden(
                        "You cannot end this person's role at another organisation: "
                        "ask an admin"
                    )
                other.end_date = start - timedelta(days=1)
                ended.append(other)
    assignment = _give_role(person, role, organisation, start)
    audit.record(
        actor,
        "role.added",
        "user",
        person.id,
        role=role,
        organisation=organisation.code if organisation else None,
        start_date=start.isoformat(),
        ended=[
            {
                "role": e.role,
                "organisation": e.organisation.code if e.organisation else None,
                "end_date": e.end_date.isoformat() if e.end_date else None,
            }
            for e in ended
        ],
    )
    db.session.commit()
    return assignment


def _give_role(
    person: User, role: str, organisation: Organisation | None, start: date | None
) -> RoleAssignment:
    """Add the role, or re-open the one row a person has for it (ended or not)."""
    org_id = organisation.id if organisation else None
    for existing in person.roles:
        if existing.role == role and existing.organisation_id == org_id:
            if existing.end_date is not None and existing.end_date < (
                start or date.today()
            ):
                existing.start_date = start
            existing.end_date = None
            if start and existing.start_date and existing.start_date > start:
                existing.start_date = start
            return existing
    assignment = RoleAssignment(role=role, organisation=organisation, start_date=start)
    person.roles.append(assignment)
    return assignment


# ---- deactivation ----------------------------------------------------------------


def deactivate(actor: User | None, user_id: str, reason: str) -> User:
    """A leaver: they can no longer sign in, and every session and API token of
    theirs is refused from the next request. Their sign-offs stay valid and say
    they are no longer active since today."""
    person = get_person(actor, user_id)
    if actor is not None and not policy.can_deactivate(actor):
        raise Forbidden("Only admins can deactivate an account")
    reason = (reason or "").strip() if isinstance(reason, str | type(None)) else ""
    if not reason:
        raise Invalid.field("reason", "Enter why the account is being deactivated")
    if len(reason) > REASON_MAX:
        raise Invalid.field(
            "reason", f"The reason must be {REASON_MAX} characters or fewer"
        )
    if actor is not None and person.id == actor.id:
        raise Conflict("You cannot deactivate your own account")
    if not person.active:
        raise Conflict("This account is already deactivated")
    now = utcnow()
    person.active = False
    person.deactivated_at = now
    person.deactivated_reason = reason
    person.session_token = accounts.new_session_token()
    revoked = 0
    for token in accounts.list_api_tokens(person):
        token.revoked_at = now
        revoked += 1
    audit.record(
        by(actor), "user.deactivated", "user", person.id, reason=reason, tokens=revoked
    )
    db.session.commit()
    return person


def reactivate(actor: User, user_id: str) -> User:
    """Let a deactivated person sign in again (their old API tokens stay revoked)."""
    person = get_person(actor, user_id)
    if not policy.can_deactivate(actor):
        raise Forbidden("Only admins can reactivate an account")
    if person.active:
        raise Conflict("This account is already active")
    person.active = True
    since = person.deactivated_at
    person.deactivated_at = None
    person.deactivated_reason = None
    audit.record(
        actor,
        "user.reactivated",
        "user",
        person.id,
        deactivated_at=since.isoformat() if since else None,
    )
    db.session.commit()
    return person


def inactive_since(user: User | None) -> datetime | None:
    """When a person stopped being active (for the note on their sign-offs)."""
    if user is None or user.active:
        return None
    return user.deactivated_at or user.created_at


# ---- email address changes ------------------------------------------------------------


def _email_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-change")


def request_email_change(actor: User, user_id: str, new_email: str) -> str:
    """Send a confirmation link to ``new_email``; the address changes only when it
    is followed. Returns the normalised new address."""
    from portfolio.urls import external_url

    person = get_person(actor, user_id)
    if not policy.can_change_email(actor, person):
        raise Forbidden("You cannot change this person's email address")
    email = accounts.normalise_email(new_email or "")
    if not accounts.EMAIL_SHAPE.match(email):
        raise Invalid.field("email", "Enter an email address like name@nhs.net")
    if email == person.email:
        raise Invalid.field("email", "This is already the account's email address")
    if accounts.find_user(email) is not None:
        raise Invalid.field("email", "Another account already uses this address")
    token = _email_serializer().dumps({"u": person.id, "o": person.email, "e": email})
    hours = int(current_app.config["EMAIL_CHANGE_HOURS"])
    url = external_url("people.confirm_email", token=token)
    queue_email(
        email,
        "Confirm your new MPCE Portfolio email address",
        f"Hello {person.name},\n\nConfirm that this is the address for your MPCE "
        f"Portfolio account by following this link within {hours} hours:\n\n{url}\n\n"
        "Until then, the account keeps its old address. If you did not expect "
        "this, you can ignore this email.\n",
    )
    audit.record(actor, "user.email_change_requested", "user", person.id, to=email)
    db.session.commit()
    return email


def email_change_for(token: str) -> tuple[User, str]:
    """The person and new address a confirmation link is for, or Invalid saying why."""
    hours = float(current_app.config["EMAIL_CHANGE_HOURS"])
    try:
        data = _email_serializer().loads(token, max_age=int(hours * 3600))
    except SignatureExpired as error:
        raise Invalid("This link has expired. Ask for the change again.") from error
    except BadSignature as error:
        raise Invalid("This link is not valid.") from error
    person = db.session.get(User, data.get("u") or "")
    if person is None or not person.active or person.email != data.get("o"):
        raise Invalid("This link has already been used or is no longer valid.")
    return person, data["e"]


def confirm_email_change(token: str) -> User:
    person, email = email_change_for(token)
    if accounts.find_user(email) is not None:
        raise Conflict("Another account now uses this address.")
    old = person.email
    person.email = email
    audit.record(person, "user.email_changed", "user", person.id, old=old, new=email)
    db.session.commit()
    return person
