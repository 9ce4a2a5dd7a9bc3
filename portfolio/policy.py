"""Who may see and do what, in one place.

Rules of thumb, enforced here and nowhere else:
- An object the user may not see is absent: views get it through a scoped query
  and answer 404, so ids of other people's things never leak.
- An object the user can see but may not act on gives 403.
- Services call the ``can_*`` checks too, so the CLI, jobs and API share the rules.
"""

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from portfolio.accounts.models import RoleAssignment
from portfolio.accounts.models import User
from portfolio.extensions import login_manager
from portfolio.organisations.models import Organisation


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.has_role("admin")


def lead_organisation_ids(user: User) -> set[str]:
    return user.organisation_ids("training_lead")


def requires_role(*roles: str):
    """Let a view run only for users holding one of ``roles`` (anywhere)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def visible_users(user: User) -> sa.Select:
    """Users whose records ``user`` may look at."""
    query = sa.select(User)
    if is_admin(user):
        return query
    org_ids = lead_organisation_ids(user)
    if org_ids:
        in_my_orgs = sa.select(RoleAssignment.user_id).where(
            RoleAssignment.organisation_id.in_(org_ids)
        )
        return query.where(sa.or_(User.id == user.id, User.id.in_(in_my_orgs)))
    return query.where(User.id == user.id)


def can_manage_users(user: User) -> bool:
    return is_admin(user)


def can_manage_organisations(user: User) -> bool:
    return is_admin(user)


def visible_organisations(user: User) -> sa.Select:
    """Organisations are public reference data: everyone signed in sees them all."""
    return sa.select(Organisation)
