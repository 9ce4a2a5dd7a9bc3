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


# ---- people: invitations, roles and accounts -------------------------------------
# Admins manage everyone; a training lead invites and looks after the trainees and
# supervisors of their own organisation (never leads or admins, nor other trusts).

LEAD_INVITABLE_ROLES = ("trainee", "supervisor")


def can_list_people(user: User) -> bool:
    """The people pages and the users API (a lead sees their organisation's)."""
    return is_admin(user) or bool(lead_organisation_ids(user))


def can_invite(user: User, role: str, organisation_id: str | None) -> bool:
    """Invite someone to (or give an existing account) ``role`` at an organisation."""
    if is_admin(user):
        return True
    return role in LEAD_INVITABLE_ROLES and organisation_id in lead_organisation_ids(
        user
    )


def can_edit_person(user: User, person: User) -> bool:
    """Change a person's name and registration numbers: an admin, or a lead of an
    organisation where the person is a trainee or supervisor, when that is all the
    person is."""
    if is_admin(user):
        return True
    orgs = lead_organisation_ids(user)
    roles = person.current_roles
    return (
        person.id != user.id
        and bool(roles)
        and all(r.role in LEAD_INVITABLE_ROLES for r in roles)
        and any(r.organisation_id in orgs for r in roles)
    )


def can_remove_role(user: User, assignment: RoleAssignment) -> bool:
    return is_admin(user) or (
        assignment.role in LEAD_INVITABLE_ROLES
        and assignment.organisation_id in lead_organisation_ids(user)
    )


def can_deactivate(user: User) -> bool:
    """Deactivate a leaver and reactivate them, reset a lost second factor."""
    return is_admin(user)


def can_change_email(user: User, person: User) -> bool:
    return is_admin(user) or person.id == user.id


def can_manage_invitation(user: User, invitation) -> bool:
    """Resend or revoke: whoever could have sent it."""
    return can_invite(user, invitation.role, invitation.organisation_id)


def visible_invitations(user: User) -> sa.Select:
    from portfolio.accounts.models import Invitation

    query = sa.select(Invitation)
    if is_admin(user):
        return query
    return query.where(
        Invitation.organisation_id.in_(lead_organisation_ids(user) or {""})
    )


def visible_organisations(user: User) -> sa.Select:
    """Organisations are public reference data: everyone signed in sees them all."""
    return sa.select(Organisation)


# ---- trainees, enrolments and evidence --------------------------------------------


def _today():
    from datetime import date

    return date.today()


# A lead reads enrolments at their own organisation while they run and, read-only,
# once completed; withdrawn enrolments (and other trusts') are not theirs to read.
LEAD_READABLE_STATUSES = ("active", "break_in_learning", "completed")


def _supervision_in_force() -> sa.Select:
    """Assignments in force today, on enrolments still running.

    Supervision ends with the enrolment: completed or withdrawn trainees drop out.
    """
    from portfolio.enrolments.models import Enrolment
    from portfolio.enrolments.models import SupervisionAssignment

    return (
        sa.select(SupervisionAssignment.trainee_id)
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
        .where(SupervisionAssignment.in_force_on(_today()), Enrolment.in_training())
    )


def supervised_trainee_ids(user: User) -> sa.Select:
    """Trainees with an assignment to ``user`` that is in force today."""
    from portfolio.enrolments.models import SupervisionAssignment

    return _supervision_in_force().where(SupervisionAssignment.supervisor_id == user.id)


def _led(user: User, statuses=LEAD_READABLE_STATUSES):
    """SQL: the enrolment is at one of ``user``'s lead organisations, in ``statuses``."""
    from portfolio.enrolments.models import Enrolment

    return sa.and_(
        Enrolment.organisation_id.in_(lead_organisation_ids(user) or {""}),
        Enrolment.status.in_(statuses),
    )


def led_trainee_ids(user: User) -> sa.Select:
    """Trainees with a live or completed enrolment where ``user`` is a training lead."""
    from portfolio.enrolments.models import Enrolment

    return sa.select(Enrolment.trainee_id).where(_led(user))


def visible_enrolments(user: User) -> sa.Select:
    from portfolio.enrolments.models import Enrolment

    query = sa.select(Enrolment)
    if is_admin(user):
        return query
    return query.where(
        sa.or_(
            Enrolment.trainee_id == user.id,
            Enrolment.trainee_id.in_(supervised_trainee_ids(user)),
            _led(user),
        )
    )


def _belongs_to_led_enrolment(user: User, statuses=LEAD_READABLE_STATUSES):
    """SQL, correlated to Evidence: it belongs to an enrolment of its owner that
    ``user`` leads. Evidence belongs to an enrolment through its claims (an outcome
    of that enrolment's curriculum; nothing can be submitted without one), so a
    lead never reads what a trainee did at another trust."""
    from portfolio.curriculum.models import Outcome
    from portfolio.enrolments.models import Enrolment
    from portfolio.evidence.models import Evidence
    from portfolio.evidence.models import OutcomeClaim

    return (
        sa.select(OutcomeClaim.id)
        .join(Outcome, Outcome.id == OutcomeClaim.outcome_id)
        .join(Enrolment, Enrolment.curriculum_id == Outcome.curriculum_id)
        .where(
            OutcomeClaim.evidence_id == Evidence.id,
            Enrolment.trainee_id == Evidence.owner_id,
            _led(user, statuses),
        )
        .exists()
    )


def visible_evidence(user: User) -> sa.Select:
    """Evidence ``user`` may read.

    Drafts are private to their owner, whoever asks (admins included): a trainee
    shares an item by submitting it, and an unlocked item stays shared. Beyond
    drafts: the trainee's supervisors in force and the leads of the enrolment it
    is claimed against (at their own organisation, live or completed).
    """
    from portfolio.evidence.models import Evidence

    query = sa.select(Evidence)
    mine = Evidence.owner_id == user.id
    # Shared: submitted at some point (an unlocked item is a draft of version 2+;
    # a withdrawn first draft is private again).
    shared = sa.or_(Evidence.status != "draft", Evidence.version > 1)
    if is_admin(user):
        return query.where(sa.or_(mine, shared))
    return query.where(
        sa.or_(
            mine,
            sa.and_(
                shared,
                sa.or_(
                    Evidence.owner_id.in_(supervised_trainee_ids(user)),
                    _belongs_to_led_enrolment(user),
                ),
            ),
        )
    )


def can_enrol(user: User, organisation_id: str) -> bool:
    return is_admin(user) or user.has_role("training_lead", organisation_id)


def can_edit_evidence(user: User, evidence) -> bool:
    return evidence.owner_id == user.id and evidence.editable


def can_unlock(user: User, evidence) -> bool:
    """An admin, or a lead of a running enrolment at their organisation that the
    item is claimed against, for a sign-off made at that organisation (by someone
    holding a role there): a sign-off made at another trust is not theirs."""
    if is_admin(user):
        return True
    if not lead_organisation_ids(user):
        return False
    from portfolio.curriculum.models import Outcome
    from portfolio.enrolments.models import IN_TRAINING
    from portfolio.enrolments.models import Enrolment
    from portfolio.evidence.models import OutcomeClaim
    from portfolio.extensions import db
    from portfolio.signoff.models import SignOff

    query = (
        sa.select(sa.func.count())
        .select_from(OutcomeClaim)
        .join(Outcome, Outcome.id == OutcomeClaim.outcome_id)
        .join(Enrolment, Enrolment.curriculum_id == Outcome.curriculum_id)
        .join(SignOff, SignOff.evidence_id == OutcomeClaim.evidence_id)
        .where(
            OutcomeClaim.evidence_id == evidence.id,
            Enrolment.trainee_id == evidence.owner_id,
            _led(user, IN_TRAINING),
            SignOff.decision == "approved",
            SignOff.superseded_at.is_(None),
            # Made at their trust: by someone holding a role there.
            SignOff.assessor_id.in_(
                sa.select(RoleAssignment.user_id).where(
                    RoleAssignment.organisation_id.in_(lead_organisation_ids(user))
                )
            ),
        )
    )
    return bool(db.session.scalar(query))


def supervises(supervisor_id: str, trainee_id: str) -> bool:
    """Whether an assignment in force today links the two."""
    from portfolio.enrolments.models import SupervisionAssignment
    from portfolio.extensions import db

    query = _supervision_in_force().where(
        SupervisionAssignment.supervisor_id == supervisor_id,
        SupervisionAssignment.trainee_id == trainee_id,
    )
    return (
        db.session.execute(
            sa.select(sa.func.count()).select_from(query.subquery())
        ).scalar_one()
        > 0
    )


# ---- what each role may reach (views, navigation, home cards and services) ----------


def can_record_evidence(user: User) -> bool:
    """Trainees record evidence (and have a progress dashboard)."""
    return user.is_authenticated and user.has_role("trainee")


def can_sign_off(user: User) -> bool:
    """Who can be named as a supervisor, be asked to sign off, and so has a queue."""
    return user.is_authenticated and (
        user.has_role("supervisor") or user.has_role("training_lead")
    )


def can_manage_enrolments(user: User) -> bool:
    """Enrol trainees and steer a cohort: training leads (their trust) and admins."""
    return is_admin(user) or bool(lead_organisation_ids(user))


def cohort_organisation_ids(user: User) -> set[str] | None:
    """The organisations whose cohort ``user`` sees; None means all (an admin)."""
    return None if is_admin(user) else lead_organisation_ids(user)


def can_see_organisations(user: User) -> bool:
    return is_admin(user) or bool(lead_organisation_ids(user))


def can_use_exports(user: User) -> bool:
    """The exports page: trainees (their portfolios), leads and admins."""
    return can_record_evidence(user) or can_manage_enrolments(user)


def can_export(user: User, enrolment) -> bool:
    """Export a portfolio: the trainee, a lead of the enrolment's trust, an admin."""
    return (
        enrolment.trainee_id == user.id
        or is_admin(user)
        or user.has_role("training_lead", enrolment.organisation_id)
    )


def can_record_stp_completion(user: User, enrolment) -> bool:
    """STP Final Year Assessment sittings, the MSc, the e-portfolio sign-off and
    extensions to training: a training lead of the enrolment's trust, or an admin."""
    return is_admin(user) or user.has_role("training_lead", enrolment.organisation_id)


# Who records what for the STP review of progression: the trainee their own
# evaluation and exceptions; the training officer in force theirs; leads and admins all.
STP_TRAINEE_RECORDS = ("check_in", "exception", "midterm_trainee")
STP_OFFICER_RECORDS = ("check_in", "exception", "midterm_officer")


def can_record_progression(user: User, enrolment, kind: str) -> bool:
    """Record a six-month check-in, an exception or a midterm evaluation."""
    if can_record_stp_completion(user, enrolment):
        return True
    if enrolment.trainee_id == user.id:
        return kind in STP_TRAINEE_RECORDS
    officer = any(
        a.supervisor_id == user.id
        and a.role == "training_officer"
        and a.active_on(_today())
        for a in enrolment.supervisors
    )
    return officer and enrolment.is_in_training and kind in STP_OFFICER_RECORDS


def visible_exports(user: User) -> sa.Select:
    """Exports ``user`` may see: their own requests, and portfolios they may export."""
    from portfolio.enrolments.models import Enrolment
    from portfolio.exports.models import Export

    query = sa.select(Export)
    if is_admin(user):
        return query
    return query.where(
        sa.or_(
            Export.requested_by_id == user.id,
            Export.enrolment_id.in_(
                sa.select(Enrolment.id).where(
                    sa.or_(
                        Enrolment.trainee_id == user.id,
                        Enrolment.organisation_id.in_(
                            lead_organisation_ids(user) or {""}
                        ),
                    )
                )
            ),
        )
    )


# Capacity: national and regional totals for leads (totals only) and admins; one
# organisation's figures for its leads and admins; tables naming every
# organisation for admins only.


def can_see_capacity_totals(user: User) -> bool:
    return is_admin(user) or bool(lead_organisation_ids(user))


def can_manage_capacity(user: User, organisation_id: str) -> bool:
    """See and change one organisation's figures (and run its capacity report)."""
    return is_admin(user) or organisation_id in lead_organisation_ids(user)


def can_see_each_organisation(user: User) -> bool:
    return is_admin(user)


def can_request_capacity_report(user: User) -> bool:
    """Any capacity report at all (a lead's is for their own organisation)."""
    return can_see_capacity_totals(user)


# ---- an evidence item's actions ------------------------------------------------------


def can_submit(user: User, evidence) -> bool:
    return evidence.owner_id == user.id and evidence.status in ("draft", "returned")


def can_withdraw(user: User, evidence) -> bool:
    return evidence.owner_id == user.id and evidence.status == "submitted"


def can_delete_draft(user: User, evidence) -> bool:
    """Only a first draft, never signed off (its history would go with it)."""
    return (
        evidence.owner_id == user.id
        and evidence.status == "draft"
        and evidence.version == 1
    )


def can_reflect_on(user: User, evidence) -> bool:
    """A trainee may link a reflection to their own signed-off DOPS, OCE, CBD or MSF."""
    from portfolio.evidence.types import WBA_KINDS

    return (
        evidence.owner_id == user.id
        and evidence.status == "signed_off"
        and (evidence.kind in WBA_KINDS or evidence.kind == "msf")
    )


def visible_msf_rounds(user: User) -> sa.Select:
    """MSF rounds ``user`` may see: their own, and those of the trainees they
    supervise today (to review them). Never the raters' identities per answer:
    the model keeps none."""
    from portfolio.msf.models import MsfRound

    return sa.select(MsfRound).where(
        sa.or_(
            MsfRound.trainee_id == user.id,
            MsfRound.trainee_id.in_(supervised_trainee_ids(user)),
        )
    )


def can_see_msf_summary(user: User, msf_round) -> bool:
    """The collated answers: a supervisor, to review them with the trainee; the
    trainee only once released."""
    if msf_round.status == "released" and msf_round.trainee_id == user.id:
        return True
    return can_release_msf(user, msf_round) or (
        msf_round.status == "released" and supervises(user.id, msf_round.trainee_id)
    )


def can_use_msf(user: User) -> bool:
    """Trainees run feedback rounds; supervisors review their trainees' rounds."""
    return can_record_evidence(user) or can_sign_off(user)


def can_manage_msf(user: User, msf_round) -> bool:
    """The trainee whose round it is: invite raters, send links again, cancel."""
    return msf_round.trainee_id == user.id


def can_release_msf(user: User, msf_round) -> bool:
    """A supervisor of the trainee in force today reviews and releases the results."""
    return supervises(user.id, msf_round.trainee_id)


def can_apply_for_registration(user: User) -> bool:
    """Anyone signed in keeps their own registration applications and CPD log:
    trainees as they finish, and qualified staff (whatever their other roles) who
    renew their registration. Nobody sees another person's."""
    return user.is_authenticated


def visible_registration_applications(user: User) -> sa.Select:
    """Registration applications ``user`` may see: their own only."""
    from portfolio.registration.models import RegistrationApplication

    return sa.select(RegistrationApplication).where(
        RegistrationApplication.owner_id == user.id
    )


def can_decide(user: User, evidence) -> bool:
    """The supervisor it was submitted to, while they still supervise the trainee."""
    return (
        evidence.status == "submitted"
        and evidence.submitted_to_id == user.id
        and supervises(user.id, evidence.owner_id)
    )


def requires(predicate):
    """Let a view run only for users for whom ``predicate(user)`` holds (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
