"""People and invitations: invite, resend, revoke; list, read and edit people;
deactivate and reactivate; remove a role. The rules are in
:mod:`portfolio.accounts.invitations` and :mod:`portfolio.accounts.lifecycle`."""

from datetime import date

from flask import g
from flask import jsonify
from flask import request

from portfolio.accounts import invitations
from portfolio.accounts import lifecycle
from portfolio.accounts.models import EMAIL_MAX
from portfolio.accounts.models import NAME_MAX
from portfolio.accounts.models import REASON_MAX
from portfolio.accounts.models import REGISTRATION_MAX
from portfolio.accounts.models import ROLES
from portfolio.accounts.models import Invitation
from portfolio.accounts.models import User
from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.base import located
from portfolio.api.base import paginate
from portfolio.api.bodies import valid_body
from portfolio.api.openapi import CHOICE_MAX
from portfolio.api.openapi import body_object
from portfolio.api.openapi import choice
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.api.openapi import text
from portfolio.api.serialise import iso

S = {"type": "string"}
NS = {"type": ["string", "null"]}
NTIME = {"type": ["string", "null"], "format": "date-time"}
TIME = {"type": "string", "format": "date-time"}
NDATE = {"type": ["string", "null"], "format": "date"}
BOOL = {"type": "boolean"}


def _array(of: dict) -> dict:
    return {"type": "array", "items": of}


def role_json(assignment) -> dict:
    return {
        "id": assignment.id,
        "role": assignment.role,
        "organisation": assignment.organisation.code
        if assignment.organisation
        else None,
        "start_date": iso(assignment.start_date),
        "end_date": iso(assignment.end_date),
        "current": assignment.in_force_on(date.today()),
    }


def user_summary(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "active": user.active,
        "deactivated_at": iso(user.deactivated_at),
        "registrations": user.registrations(),
        "roles": [role_json(r) for r in user.roles],
        "last_login_at": iso(user.last_login_at),
    }


def user_detail(record: lifecycle.PersonRecord) -> dict:
    user = record.user
    return {
        **user_summary(user),
        "deactivated_reason": user.deactivated_reason,
        "sign_in_method": record.sign_in_method,
        "second_factor": bool(user.totp_enabled_at),
        "active_tokens": len(record.tokens),
        "enrolments": [
            {
                "id": e.id,
                "curriculum": e.curriculum.slug,
                "organisation": e.organisation.code,
                "status": e.status,
            }
            for e in record.enrolments
        ],
        "supervisions": [
            {
                "enrolment": s.enrolment_id,
                "trainee": s.enrolment.trainee.name,
                "role": s.role,
                "start_date": iso(s.start_date),
                "end_date": iso(s.end_date),
            }
            for s in record.supervisions
        ],
    }


def invitation_json(invitation: Invitation) -> dict:
    from portfolio.db import utcnow

    return {
        "id": invitation.id,
        "user_id": invitation.user_id,
        "email": invitation.email,
        "role": invitation.role,
        "organisation": invitation.organisation.code
        if invitation.organisation
        else None,
        "status": invitation.status(utcnow()),
        "expires_at": iso(invitation.expires_at),
    }


# ---- invitations ---------------------------------------------------------------------


@bp.post("/invitations")
def create_invitation():
    data = valid_body()
    sent = invitations.invite(
        g.user,
        data["email"],
        data.get("name", ""),
        data["role"],
        data.get("organisation"),
    )
    body = {**invitation_json(sent.invitation), "created": sent.created}
    return located(body, 201, "api.get_user", user_id=sent.invitation.user_id)


@bp.post("/invitations/<invitation_id>/resend")
def resend_invitation(invitation_id: str):
    return jsonify(invitation_json(invitations.resend(g.user, invitation_id)))


@bp.post("/invitations/<invitation_id>/revoke")
def revoke_invitation(invitation_id: str):
    return jsonify(invitation_json(invitations.revoke(g.user, invitation_id)))


# ---- people -----------------------------------------------------------------------------


@bp.get("/users")
def list_users():
    role = request.args.get("role") or None
    status = request.args.get("status") or None
    query = lifecycle.people(
        g.user,
        q=request.args.get("q"),
        role=role,
        organisation=request.args.get("organisation") or None,
        status=status,
    )
    return jsonify(paginate(query, user_summary))


@bp.get("/users/<user_id>")
def get_user(user_id: str):
    return jsonify(user_detail(lifecycle.person_record(g.user, user_id)))


@bp.patch("/users/<user_id>")
def update_user(user_id: str):
    data = valid_body()
    if not data:
        raise ApiProblem(422, "Send name or registrations to change.", [])
    lifecycle.update_person(
        g.user, user_id, name=data.get("name"), registrations=data.get("registrations")
    )
    return jsonify(user_detail(lifecycle.person_record(g.user, user_id)))


@bp.post("/users/<user_id>/deactivate")
def deactivate_user(user_id: str):
    data = valid_body()
    lifecycle.deactivate(g.user, user_id, data["reason"])
    return jsonify(user_detail(lifecycle.person_record(g.user, user_id)))


@bp.post("/users/<user_id>/reactivate")
def reactivate_user(user_id: str):
    lifecycle.reactivate(g.user, user_id)
    return jsonify(user_detail(lifecycle.person_record(g.user, user_id)))


@bp.delete("/users/<user_id>/roles/<role_id>")
def remove_user_role(user_id: str, role_id: str):
    lifecycle.remove_role(g.user, user_id, role_id)
    return jsonify(user_detail(lifecycle.person_record(g.user, user_id)))


# ---- the document ----------------------------------------------------------------------

ROLE = schema(
    {
        "id": S,
        "role": choice(*ROLES),
        "organisation": NS,
        "start_date": NDATE,
        "end_date": NDATE,
        "current": BOOL,
    }
)
REGISTRATIONS = schema({"hcpc": NS, "rct": NS, "gmc": NS, "nmc": NS})
SUMMARY = {
    "id": S,
    "email": S,
    "name": S,
    "active": BOOL,
    "deactivated_at": NTIME,
    "registrations": REGISTRATIONS,
    "roles": _array(ROLE),
    "last_login_at": NTIME,
}
USER = schema(SUMMARY)
USER_DETAIL = schema(
    {
        **SUMMARY,
        "deactivated_reason": NS,
        "sign_in_method": S,
        "second_factor": BOOL,
        "active_tokens": {"type": "integer"},
        "enrolments": _array(
            schema({"id": S, "curriculum": S, "organisation": S, "status": S})
        ),
        "supervisions": _array(
            schema(
                {
                    "enrolment": S,
                    "trainee": S,
                    "role": S,
                    "start_date": NDATE,
                    "end_date": NDATE,
                }
            )
        ),
    }
)
INVITATION_FIELDS = {
    "id": S,
    "user_id": S,
    "email": S,
    "role": S,
    "organisation": NS,
    "status": {"enum": ["pending", "accepted", "revoked", "expired"]},
    "expires_at": TIME,
}
INVITATION = schema(INVITATION_FIELDS)
REGISTRATION_IN = {"type": ["string", "null"], "maxLength": REGISTRATION_MAX}

document(
    "/invitations",
    "post",
    "Invite a person by email (admin; a training lead for trainees and supervisors "
    "at their organisation). The link works for INVITATION_DAYS; an existing "
    "account gains the role instead (created: false)",
    status=201,
    response=schema({**INVITATION_FIELDS, "created": BOOL}),
    errors=(403,),
    body=body_object(
        {
            "email": text(EMAIL_MAX),
            "name": text(NAME_MAX),
            "role": choice(*ROLES),
            "organisation": text(CHOICE_MAX),
        },
        ("email", "role"),
    ),
)
document(
    "/invitations/{invitation_id}/resend",
    "post",
    "Send a new invitation link (the old one stops working)",
    response=INVITATION,
    errors=(403, 404, 409),
)
document(
    "/invitations/{invitation_id}/revoke",
    "post",
    "Revoke an invitation: its link stops working",
    response=INVITATION,
    errors=(403, 404, 409),
)
document(
    "/users",
    "get",
    "People you may see (admin: everyone; training lead: their organisation), "
    "searched by ?q= (name or email) and filtered by ?role=, ?organisation= (code) "
    "and ?status= (active or deactivated); paginated",
    response=schema(
        {
            "items": _array(USER),
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        }
    ),
    errors=(400, 403, 422),
)
document(
    "/users/{user_id}",
    "get",
    "One person: roles with dates, sign-in method, last sign-in, active tokens, "
    "enrolments and supervisions",
    response=USER_DETAIL,
    errors=(404,),
)
document(
    "/users/{user_id}",
    "patch",
    "Change a person's name and registration numbers (shown on their sign-offs); "
    "an empty number clears it",
    response=USER_DETAIL,
    errors=(403, 404),
    body=body_object(
        {
            "name": text(NAME_MAX),
            "registrations": body_object(
                {
                    "hcpc": REGISTRATION_IN,
                    "rct": REGISTRATION_IN,
                    "gmc": REGISTRATION_IN,
                    "nmc": REGISTRATION_IN,
                }
            ),
        }
    ),
)
document(
    "/users/{user_id}/deactivate",
    "post",
    "Deactivate a leaver (admin): sign-in, their sessions and API tokens are "
    "refused from the next request; their sign-offs stay valid",
    response=USER_DETAIL,
    errors=(403, 404, 409),
    body=body_object({"reason": text(REASON_MAX, minLength=1)}, ("reason",)),
)
document(
    "/users/{user_id}/reactivate",
    "post",
    "Reactivate an account (admin); its old API tokens stay revoked",
    response=USER_DETAIL,
    errors=(403, 404, 409),
)
document(
    "/users/{user_id}/roles/{role_id}",
    "delete",
    "Remove a role: it ends today (its history stays)",
    response=USER_DETAIL,
    errors=(403, 404, 409),
)
