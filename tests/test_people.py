"""Account lifecycle and people management: invitations (one, a CSV, resend,
revoke, accept), deactivation taking effect on the next request (web and API) with
the leaver's sign-offs still valid, roles with dates (moving trust), editing
registration numbers, email changes confirmed from the new address, and the
people pages and users API with their scoping."""

import re
from datetime import date
from datetime import timedelta

import sqlalchemy as sa

from portfolio.accounts.models import Invitation
from portfolio.accounts.models import User
from portfolio.audit.models import AuditEvent
from portfolio.extensions import db
from portfolio.notifications.models import OutboxEmail
from tests.conftest import PASSWORD
from tests.world import REFLECTION
from tests.world import sign_off

NEW_PASSWORD = "kettle-orbit-meadow-42"


def _outbox(app, to):
    with app.app_context():
        return [
            e.body
            for e in db.session.scalars(
                sa.select(OutboxEmail)
                .where(OutboxEmail.to_address == to)
                .order_by(OutboxEmail.created_at)
            )
        ]


def _link(app, to, kind="invitation"):
    bodies = _outbox(app, to)
    assert bodies, f"no email to {to}"
    found = re.search(rf"http://localhost(/auth/{kind}/\S+)", bodies[-1])
    assert found, bodies[-1]
    return found.group(1)


def _actions(app, action):
    with app.app_context():
        return list(
            db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        )


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge_all()
        return user


# ---- invitations ------------------------------------------------------------------


def test_lead_invites_a_trainee_who_sets_a_password_and_lands_home(
    app, client, world, as_
):
    made = as_("lead").post(
        "/api/v1/invitations",
        json={
            "email": "New.Trainee@Example.org",
            "name": "Nia Newcomer",
            "role": "trainee",
            "organisation": "RBV",
        },
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["status"] == "pending" and body["created"] is True
    assert body["expires_at"].startswith((date.today() + timedelta(days=7)).isoformat())
    link = _link(app, "new.trainee@example.org")
    page = client.get(link)
    assert page.status_code == 200 and "Nia Newcomer" in page.get_data(as_text=True)
    weak = client.post(link, data={"password": "password123", "confirm": "password123"})
    assert weak.status_code == 422
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Nia Newcomer" in home.get_data(as_text=True)
    assert client.get(link).status_code == 400  # used once
    assert len(_actions(app, "invitation.sent")) == 1
    assert len(_actions(app, "invitation.accepted")) == 1
    # The trainee can be enrolled straight away: the role came with the invitation.
    assert _user(app, "new.trainee@example.org").has_role("trainee")


def test_a_lead_invites_only_trainees_and_supervisors_at_their_organisation(world, as_):
    def invite(who, role, org):
        return as_(who).post(
            "/api/v1/invitations",
            json={
                "email": f"{role}.{org}@example.org",
                "name": "X Y",
                "role": role,
                "organisation": org,
            },
        )

    assert invite("lead", "supervisor", "RBV").status_code == 201
    assert invite("lead", "trainee", "RR8").status_code == 403
    assert invite("lead", "training_lead", "RBV").status_code == 403
    assert invite("trainee", "trainee", "RBV").status_code == 403
    assert invite("admin", "training_lead", "RR8").status_code == 201
    bad = invite("admin", "trainee", "NOPE")
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "organisation"


def test_invitation_lasts_the_configured_days_and_can_be_resent_and_revoked(
    app, client, world, as_
):
    app.config["INVITATION_DAYS"] = 2
    made = (
        as_("lead")
        .post(
            "/api/v1/invitations",
            json={
                "email": "late@example.org",
                "name": "Lee Late",
                "role": "trainee",
                "organisation": "RBV",
            },
        )
        .get_json()
    )
    assert made["expires_at"].startswith((date.today() + timedelta(days=2)).isoformat())
    first = _link(app, "late@example.org")
    with app.app_context():
        invitation = db.session.get(Invitation, made["id"])
        invitation.expires_at = invitation.expires_at - timedelta(days=3)
        db.session.commit()
    expired = client.get(first)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    resent = as_("lead").post(f"/api/v1/invitations/{made['id']}/resend")
    assert resent.status_code == 200 and resent.get_json()["status"] == "pending"
    second = _link(app, "late@example.org")
    assert second != first and client.get(first).status_code == 400
    assert client.get(second).status_code == 200
    # Another trust's lead does not see it; the admin may revoke it.
    assert (
        as_("leeds_lead").post(f"/api/v1/invitations/{made['id']}/revoke").status_code
        == 404
    )
    revoked = as_("admin").post(f"/api/v1/invitations/{made['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert client.get(second).status_code == 400
    assert (
        as_("lead").post(f"/api/v1/invitations/{made['id']}/resend").status_code == 409
    )
    assert [
        len(_actions(app, a)) for a in ("invitation.resent", "invitation.revoked")
    ] == [1, 1]


def test_inviting_an_existing_account_adds_the_role_without_a_new_password(
    app, world, as_
):
    made = as_("leeds_lead").post(
        "/api/v1/invitations",
        json={"email": world.supervisor, "role": "supervisor", "organisation": "RR8"},
    )
    assert made.status_code == 201
    assert made.get_json()["created"] is False
    assert made.get_json()["status"] == "accepted"
    with app.app_context():
        tom = db.session.scalar(sa.select(User).where(User.email == world.supervisor))
        assert {r.organisation.code for r in tom.current_roles} == {"RBV", "RR8"}
    assert "You are now supervisor" in _outbox(app, world.supervisor)[-1]


def test_csv_with_a_bad_line_creates_nobody_and_reports_each_line(
    app, client, world, as_user
):
    as_user(world.lead)
    bad = (
        "email,name,role,organisation\n"
        "one@example.org,One Person,trainee,RBV\n"
        "not-an-email,Two Person,trainee,RBV\n"
        "three@example.org,Three Person,training_lead,RBV\n"
        "four@example.org,Four Person,trainee,RR8\n"
    )
    from io import BytesIO

    response = client.post(
        "/people/invite/csv",
        data={"file": (BytesIO(bad.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 3: Enter an email address like name@nhs.net" in text
    assert "Line 4: You can invite trainees and supervisors" in text
    assert "Line 5:" in text and "Line 2:" not in text
    assert _user(app, "one@example.org") is None
    assert _outbox(app, "one@example.org") == []
    good = (
        "email,name,role,organisation\n"
        "one@example.org,One Person,trainee,RBV\n"
        "two@example.org,Two Person,supervisor,RBV\n"
        "two@example.org,Two Person,trainee,RBV\n"
        f"{world.supervisor},,trainee,RBV\n"
    )
    response = client.post(
        "/people/invite/csv",
        data={"file": (BytesIO(good.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "two@example.org: invited" in text
    assert f"{world.supervisor}: existing account given the role" in text
    two = _user(app, "two@example.org")
    assert two.has_role("supervisor") and two.has_role("trainee")
    assert len(_actions(app, "invitation.sent")) == 4


def test_admin_adding_a_person_without_a_password_sends_an_invitation(
    app, client, factory, login_as
):
    factory.organisation("RBV")
    login_as("admin", None)
    response = client.post(
        "/admin/users",
        data={
            "email": "p@example.org",
            "name": "Pat Doe",
            "role": "trainee",
            "org": "RBV",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    body = _outbox(app, "p@example.org")[-1]
    assert "/auth/invitation/" in body and "7 days" in body


# ---- deactivation --------------------------------------------------------------------


def test_deactivation_ends_the_session_and_tokens_on_the_next_request(
    app, client, world, as_, as_user
):
    evidence_id = sign_off(as_, world, REFLECTION)
    as_user(world.supervisor)  # a session of the leaver, in this client
    assert client.get("/signoff/queue").status_code == 200
    tom = _user(app, world.supervisor)
    assert as_("supervisor").get("/api/v1/me").status_code == 200

    refused = as_("lead").post(
        f"/api/v1/users/{tom.id}/deactivate", json={"reason": "Left"}
    )
    assert refused.status_code == 403
    missing = as_("admin").post(f"/api/v1/users/{tom.id}/deactivate", json={})
    assert missing.status_code == 422
    done = as_("admin").post(
        f"/api/v1/users/{tom.id}/deactivate", json={"reason": "Left the trust"}
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["active"] is False

    # The very next request: the web session is gone, the API token answers 401.
    page = client.get("/signoff/queue")
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]
    assert as_("supervisor").get("/api/v1/me").status_code == 401
    signed_in = client.post(
        "/auth/login", data={"email": world.supervisor, "password": PASSWORD}
    )
    assert signed_in.status_code == 401

    # Their sign-off stays valid and says they are no longer active.
    record = as_("trainee").get(f"/api/v1/evidence/{evidence_id}").get_json()
    assert record["status"] == "signed_off"
    [decision] = record["signoffs"]
    assert decision["assessor"]["inactive_since"].startswith(date.today().isoformat())
    as_user(world.trainee)
    text = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Dr Tom Okafor is no longer active since" in text
    assert "This sign-off remains valid" in text
    [event] = _actions(app, "user.deactivated")
    assert event.data["reason"] == "Left the trust" and event.data["tokens"] >= 1

    back = as_("admin").post(f"/api/v1/users/{tom.id}/reactivate")
    assert back.status_code == 200 and back.get_json()["active"] is True
    assert as_("supervisor").get("/api/v1/me").status_code == 401  # tokens stay revoked
    assert (
        client.post(
            "/auth/login", data={"email": world.supervisor, "password": PASSWORD}
        ).status_code
        == 302
    )
    assert len(_actions(app, "user.reactivated")) == 1


def test_deactivation_from_the_web_page(app, client, world, as_user):
    as_user(world.admin)
    ben = _user(app, world.other_trainee)
    form = client.get(f"/people/{ben.id}/deactivate")
    assert form.status_code == 200
    empty = client.post(f"/people/{ben.id}/deactivate", data={"reason": ""})
    assert empty.status_code == 422
    done = client.post(f"/people/{ben.id}/deactivate", data={"reason": "Left"})
    assert done.status_code == 302
    page = client.get(f"/people/{ben.id}").get_data(as_text=True)
    assert "Deactivated" in page and "Reactivate account" in page
    assert "Deactivated: Left" in page and "by Morgan Ellis" in page  # the history
    admin = _user(app, world.admin)
    assert (
        client.post(f"/people/{admin.id}/deactivate", data={"reason": "x"}).status_code
        == 409
    )


def test_cli_invites_and_deactivates(app, runner, world):
    result = runner.invoke(
        args=[
            "users",
            "invite",
            "cli@example.org",
            "--name",
            "Cli Person",
            "--role",
            "trainee",
            "--org",
            "RBV",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Invited cli@example.org" in result.output
    assert "/auth/invitation/" in _outbox(app, "cli@example.org")[-1]
    bad = runner.invoke(
        args=[
            "users",
            "invite",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "trainee",
            "--org",
            "NOPE",
        ]
    )
    assert bad.exit_code != 0 and "No organisation" in bad.output
    gone = runner.invoke(
        args=["users", "deactivate", world.trainee, "--reason", "Left"]
    )
    assert gone.exit_code == 0, gone.output
    assert _user(app, world.trainee).active is False
    [event] = _actions(app, "user.deactivated")
    assert event.actor_name == "command line" and event.actor_id is None
    again = runner.invoke(
        args=["users", "deactivate", world.trainee, "--reason", "Left"]
    )
    assert again.exit_code != 0 and "already deactivated" in again.output


# ---- roles, details and email ---------------------------------------------------------


def test_moving_trust_keeps_the_account_and_swaps_the_role_from_a_date(
    app, client, world, as_, as_user
):
    as_user(world.admin)
    ben = _user(app, world.other_trainee)
    start = date.today() + timedelta(days=10)
    response = client.post(
        f"/people/{ben.id}/roles",
        data={
            "role": "trainee",
            "organisation": "RR8",
            "start_date[day]": str(start.day),
            "start_date[month]": str(start.month),
            "start_date[year]": str(start.year),
            "replaces": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        person = db.session.get(User, ben.id)
        rows = {r.organisation.code: r for r in person.roles}
        assert rows["RBV"].end_date == start - timedelta(days=1)
        assert rows["RR8"].start_date == start
        # Today still at the old trust; from the date, only at the new one.
        assert person.has_role("trainee", rows["RBV"].organisation_id)
        assert not rows["RR8"].in_force_on(date.today())
        assert rows["RR8"].in_force_on(start) and not rows["RBV"].in_force_on(start)
    [event] = _actions(app, "role.added")
    assert event.data["ended"][0]["organisation"] == "RBV"


def test_removing_a_role_ends_it_today_and_is_audited(app, world, as_, client):
    tom = _user(app, world.supervisor)
    role_id = tom.roles[0].id
    assert (
        client.delete(
            f"/api/v1/users/{tom.id}/roles/{role_id}",
            headers={"Authorization": f"Bearer {world.tokens['leeds_lead']}"},
        ).status_code
        == 404
    )
    removed = client.delete(
        f"/api/v1/users/{tom.id}/roles/{role_id}",
        headers={"Authorization": f"Bearer {world.tokens['lead']}"},
    )
    assert removed.status_code == 200, removed.get_json()
    [role] = removed.get_json()["roles"]
    assert role["current"] is False
    assert role["end_date"] == (date.today() - timedelta(days=1)).isoformat()
    assert as_("supervisor").get("/api/v1/signoff/queue").status_code == 403
    assert len(_actions(app, "role.removed")) == 1
    again = client.delete(
        f"/api/v1/users/{tom.id}/roles/{role_id}",
        headers={"Authorization": f"Bearer {world.tokens['lead']}"},
    )
    assert again.status_code == 409


def test_registration_numbers_are_edited_and_shown_on_sign_offs(
    app, client, world, as_, as_user
):
    tom = _user(app, world.supervisor)
    bad = as_("lead").patch(
        f"/api/v1/users/{tom.id}", json={"registrations": {"hcpc": "CS<12>"}}
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "registrations.hcpc"
    unknown = as_("lead").patch(
        f"/api/v1/users/{tom.id}", json={"registrations": {"xyz": "1"}}
    )
    assert unknown.status_code == 422
    ok = as_("lead").patch(
        f"/api/v1/users/{tom.id}",
        json={"name": "Dr Tom Okafor", "registrations": {"hcpc": "cs12345", "rct": ""}},
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["registrations"]["hcpc"] == "CS12345"
    # A lead may not edit a lead, or anyone at another trust.
    lead = _user(app, world.lead)
    assert (
        as_("leeds_lead")
        .patch(f"/api/v1/users/{lead.id}", json={"name": "X"})
        .status_code
        == 404
    )
    other = _user(app, world.leeds_lead)
    assert (
        as_("admin")
        .patch(f"/api/v1/users/{other.id}", json={"name": "Gareth E"})
        .status_code
        == 200
    )
    evidence_id = sign_off(as_, world, REFLECTION)
    as_user(world.trainee)
    text = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Dr Tom Okafor: HCPC CS12345" in text
    [event] = [e for e in _actions(app, "user.updated") if e.object_id == tom.id]
    assert event.data["changed"] == {"hcpc": "CS12345"}


def test_email_change_is_confirmed_from_the_new_address(app, client, world, as_user):
    as_user(world.admin)
    ben = _user(app, world.other_trainee)
    taken = client.post(f"/people/{ben.id}/email", data={"email": world.trainee})
    assert taken.status_code == 422
    asked = client.post(
        f"/people/{ben.id}/email", data={"email": "ben.new@example.org"}
    )
    assert asked.status_code == 302
    assert _user(app, world.other_trainee) is not None  # not changed yet
    link = _link(app, "ben.new@example.org", "email")
    assert client.get(link).status_code == 200
    assert _user(app, "ben.new@example.org") is None  # a GET changes nothing
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert _user(app, "ben.new@example.org").id == ben.id
    assert client.post(link).status_code == 400  # used
    assert len(_actions(app, "user.email_changed")) == 1


# ---- the people pages and the users API ----------------------------------------------------


def test_people_list_searches_filters_and_pages(app, client, world, as_, as_user):
    everyone = as_("admin").get("/api/v1/users?per_page=100").get_json()
    assert everyone["total"] == 9
    found = as_("admin").get("/api/v1/users?q=okafor").get_json()
    assert [u["email"] for u in found["items"]] == [world.supervisor]
    leeds = as_("admin").get("/api/v1/users?organisation=RR8").get_json()
    assert {u["email"] for u in leeds["items"]} == {
        world.leeds_trainee,
        world.leeds_lead,
    }
    trainees = (
        as_("admin").get("/api/v1/users?role=trainee&organisation=RBV").get_json()
    )
    assert {u["email"] for u in trainees["items"]} == {
        world.trainee,
        world.other_trainee,
    }
    paged = as_("admin").get("/api/v1/users?per_page=2&page=2").get_json()
    assert paged["page"] == 2 and len(paged["items"]) == 2
    assert as_("admin").get("/api/v1/users?role=wizard").status_code == 422
    mine = as_("lead").get("/api/v1/users?per_page=100").get_json()
    assert world.leeds_trainee not in {u["email"] for u in mine["items"]}
    assert as_("trainee").get("/api/v1/users").status_code == 403

    app.config["USERS_PER_PAGE"] = 3
    as_user(world.lead)
    page = client.get("/people/?q=&role=trainee")
    text = page.get_data(as_text=True)
    assert (
        page.status_code == 200
        and "Aisha Rahman" in text
        and "Oliver Leeds" not in text
    )
    first = client.get("/people/").get_data(as_text=True)
    assert "Next page" in first
    assert client.get("/people/?role=wizard").status_code == 422


def test_user_page_shows_roles_tokens_enrolments_and_supervisions(
    app, client, world, as_, as_user
):
    aisha = _user(app, world.trainee)
    tom = _user(app, world.supervisor)
    detail = as_("lead").get(f"/api/v1/users/{aisha.id}").get_json()
    assert detail["sign_in_method"] == "Password"
    assert detail["active_tokens"] == 1 and len(detail["enrolments"]) == 2
    assert as_("leeds_lead").get(f"/api/v1/users/{aisha.id}").status_code == 404
    as_user(world.admin)
    text = client.get(f"/people/{tom.id}").get_data(as_text=True)
    assert (
        "Supervises" in text and "Aisha Rahman" in text and "Active API tokens" in text
    )
    assert client.get("/people/no-such-id").status_code == 404
    from portfolio.accounts.sso_models import UserIdentity

    with app.app_context():
        db.session.add(
            UserIdentity(
                user_id=aisha.id,
                issuer="https://login.example.org",
                subject="abc",
                provider="nhsmail",
                email_at_link=world.trainee,
            )
        )
        db.session.commit()
    detail = as_("admin").get(f"/api/v1/users/{aisha.id}").get_json()
    assert detail["sign_in_method"] == "Single sign-on (nhsmail) and password"


def test_a_person_changes_their_own_email_from_the_account_page(
    app, client, world, as_user
):
    as_user(world.trainee)
    aisha = _user(app, world.trainee)
    asked = client.post(
        f"/people/{aisha.id}/email", data={"email": "aisha.r@example.org"}
    )
    assert asked.status_code == 302 and asked.headers["Location"] == "/auth/account"
    ben = _user(app, world.other_trainee)
    assert (
        client.post(
            f"/people/{ben.id}/email", data={"email": "x@example.org"}
        ).status_code
        == 404
    )
    assert client.post(_link(app, "aisha.r@example.org", "email")).status_code == 302
    assert _user(app, "aisha.r@example.org").id == aisha.id
