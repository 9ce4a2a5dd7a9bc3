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


# ---- trainees, enrolments and evidence --------------------------------------------


def _today():
    from datetime import date

    return date.today()


def _supervision_in_force() -> sa.Select:
    """Assignments in force today, on enrolments still running.

    Supervision ends with the enrolment: completed or withdrawn trainees drop out.
    """
    from portfolio.training.models import Enrolment
    from portfolio.training.models import SupervisionAssignment

    today = _today()
    return (
        sa.select(SupervisionAssignment.trainee_id)
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
        .where(
            SupervisionAssignment.start_date <= today,
            sa.or_(
                SupervisionAssignment.end_date.is_(None),
                SupervisionAssignment.end_date >= today,
            ),
            Enrolment.status.in_(("active", "break_in_learning")),
        )
    )


def supervised_trainee_ids(user: User) -> sa.Select:
    """Trainees with an assignment to ``user`` that is in force today."""
    from portfolio.training.models import SupervisionAssignment

    return _supervision_in_force().where(SupervisionAssignment.supervisor_id == user.id)


def led_trainee_ids(user: User) -> sa.Select:
    """Trainees enrolled at an organisation where ``user`` is a training lead."""
    from portfolio.training.models import Enrolment

    return sa.select(Enrolment.trainee_id).where(
        Enrolment.organisation_id.in_(lead_organisation_ids(user) or {""})
    )


def visible_trainee_ids(user: User) -> sa.Select | None:
    """Whose records ``user`` may see, as a subquery; None means everyone (admin)."""
    if is_admin(user):
        return None
    own = sa.select(sa.literal(user.id))
    return sa.union(own, supervised_trainee_ids(user), led_trainee_ids(user))


def visible_enrolments(user: User) -> sa.Select:
    from portfolio.training.models import Enrolment

    query = sa.select(Enrolment)
    if is_admin(user):
        return query
    return query.where(
        sa.or_(
            Enrolment.trainee_id == user.id,
            Enrolment.trainee_id.in_(supervised_trainee_ids(user)),
            Enrolment.organisation_id.in_(lead_organisation_ids(user) or {""}),
        )
    )


def visible_evidence(user: User) -> sa.Select:
    from portfolio.evidence.models import Evidence

    query = sa.select(Evidence)
    trainees = visible_trainee_ids(user)
    if trainees is None:
        return query
    return query.where(
        sa.or_(
            Evidence.owner_id == user.id,
            Evidence.owner_id.in_(trainees),
        )
    )


def can_enrol(user: User, organisation_id: str) -> bool:
    return is_admin(user) or user.has_role("training_lead", organisation_id)


def can_edit_evidence(user: User, evidence) -> bool:
    return evidence.owner_id == user.id and evidence.editable


def can_unlock(user: User, evidence) -> bool:
    """A lead of an organisation where the owner is enrolled, or an admin."""
    if is_admin(user):
        return True
    from portfolio.extensions import db
    from portfolio.training.models import Enrolment

    org_ids = lead_organisation_ids(user)
    if not org_ids:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Enrolment)
            .where(
                Enrolment.trainee_id == evidence.owner_id,
                Enrolment.organisation_id.in_(org_ids),
            )
        )
    )


def supervises(supervisor_id: str, trainee_id: str) -> bool:
    """Whether an assignment in force today links the two."""
    from portfolio.extensions import db
    from portfolio.training.models import SupervisionAssignment

    query = _supervision_in_force().where(
        SupervisionAssignment.supervisor_id == supervisor_id,
        SupervisionAssignment.trainee_id == trainee_id,
    )
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) > 0
    )
