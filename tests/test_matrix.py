"""Who may reach what: every web page and API endpoint for every role.

Each later feature adds its rows. Web pages: anonymous users are sent to sign in
(302). API: no token is 401. Objects owned by someone else are 404 (see the
feature tests for object-level rules); role gates are 403.
"""

import pytest

from tests.conftest import PASSWORD

ROLES = ("anonymous", "trainee", "supervisor", "training_lead", "admin")

# (method, path, expected status per role in ROLES order)
WEB = [
    ("GET", "/", (302, 200, 200, 200, 200)),
    ("GET", "/about", (200, 200, 200, 200, 200)),
    ("GET", "/favicon.ico", (200, 200, 200, 200, 200)),
    ("GET", "/auth/login", (200, 302, 302, 302, 302)),
    ("GET", "/auth/account", (302, 200, 200, 200, 200)),
    ("GET", "/organisations/", (302, 403, 403, 200, 200)),
    ("POST", "/organisations/import", (302, 403, 403, 403, 422)),
    ("GET", "/admin/users", (302, 403, 403, 403, 200)),
    ("POST", "/admin/users", (302, 403, 403, 403, 422)),
    # People: admins everyone, training leads their organisation's people.
    ("GET", "/people/", (302, 403, 403, 200, 200)),
    ("GET", "/people/invite", (302, 403, 403, 200, 200)),
    ("POST", "/people/invite", (302, 403, 403, 422, 422)),
    ("POST", "/people/invite/csv", (302, 403, 403, 422, 422)),
    ("POST", "/people/invitations/no-such-id/resend", (302, 403, 403, 404, 404)),
    ("POST", "/people/invitations/no-such-id/revoke", (302, 403, 403, 404, 404)),
    ("GET", "/people/no-such-id", (302, 403, 403, 404, 404)),
    ("POST", "/people/no-such-id/details", (302, 403, 403, 404, 404)),
    ("POST", "/people/no-such-id/roles", (302, 403, 403, 404, 404)),
    (
        "POST",
        "/people/no-such-id/roles/no-such-id/remove",
        (302, 403, 403, 404, 404),
    ),
    ("GET", "/people/no-such-id/deactivate", (302, 403, 403, 403, 404)),
    ("POST", "/people/no-such-id/deactivate", (302, 403, 403, 403, 404)),
    ("POST", "/people/no-such-id/reactivate", (302, 403, 403, 403, 404)),
    ("POST", "/people/no-such-id/second-factor/reset", (302, 403, 403, 403, 404)),
    ("POST", "/people/no-such-id/email", (302, 404, 404, 404, 404)),
    # Links from emails: not valid for anyone.
    ("GET", "/auth/invitation/no-such-token", (400, 400, 400, 400, 400)),
    ("POST", "/auth/invitation/no-such-token", (400, 400, 400, 400, 400)),
    ("GET", "/auth/email/no-such-token", (400, 400, 400, 400, 400)),
    ("POST", "/auth/email/no-such-token", (400, 400, 400, 400, 400)),
    # The second factor: the code page needs a password just given (else sign in).
    ("GET", "/auth/two-factor", (302, 302, 302, 302, 302)),
    ("POST", "/auth/two-factor", (302, 302, 302, 302, 302)),
    ("GET", "/auth/two-factor/setup", (302, 200, 200, 200, 200)),
    ("POST", "/auth/two-factor/setup", (302, 422, 422, 422, 422)),
    ("POST", "/auth/two-factor/recovery-codes", (302, 409, 409, 409, 409)),
    ("GET", "/curricula/", (302, 200, 200, 200, 200)),
    ("GET", "/enrolments/", (302, 200, 200, 200, 200)),
    ("GET", "/enrolments/new", (302, 403, 403, 200, 200)),
    ("POST", "/enrolments/new", (302, 403, 403, 422, 422)),
    ("GET", "/enrolments/no-such-id", (302, 404, 404, 404, 404)),
    ("POST", "/enrolments/no-such-id/status", (302, 404, 404, 404, 404)),
    ("POST", "/enrolments/no-such-id/supervisors", (302, 404, 404, 404, 404)),
    ("GET", "/evidence/", (302, 200, 200, 200, 200)),
    ("GET", "/evidence/new", (302, 200, 403, 403, 403)),
    ("GET", "/evidence/new?kind=reflection", (302, 200, 403, 403, 403)),
    ("POST", "/evidence/new?kind=reflection", (302, 200, 403, 403, 403)),
    ("GET", "/evidence/no-such-id", (302, 404, 404, 404, 404)),
    ("GET", "/evidence/no-such-id/edit", (302, 404, 404, 404, 404)),
    ("GET", "/evidence/no-such-id/delete", (302, 404, 404, 404, 404)),
    ("POST", "/evidence/no-such-id/delete", (302, 404, 404, 404, 404)),
    ("POST", "/evidence/no-such-id/files", (302, 404, 404, 404, 404)),
    ("GET", "/evidence/no-such-id/files/no-such-file", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/submit", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/withdraw", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/decide", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/unlock", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/ticket/resend", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/ticket/revoke", (302, 404, 404, 404, 404)),
    ("POST", "/evidence/no-such-id/reflect", (302, 404, 404, 404, 404)),
    # Tickets: the link's secret is the only key, for everyone alike.
    ("GET", "/ticket/no-such-token-of-enough-length", (404, 404, 404, 404, 404)),
    ("POST", "/ticket/no-such-token-of-enough-length", (404, 404, 404, 404, 404)),
    (
        "GET",
        "/ticket/no-such-token-of-enough-length/files/no-such-id",
        (404, 404, 404, 404, 404),
    ),
    # Multi-source feedback: trainees start rounds; supervisors see their
    # trainees' rounds (the list is everyone's; a round one may not see is absent).
    ("GET", "/msf/", (302, 200, 200, 200, 403)),
    ("GET", "/msf/new", (302, 200, 403, 403, 403)),
    ("POST", "/msf/new", (302, 422, 403, 403, 403)),
    ("GET", "/msf/no-such-id", (302, 404, 404, 404, 404)),
    ("POST", "/msf/no-such-id/raters", (302, 404, 404, 404, 404)),
    ("POST", "/msf/no-such-id/raters/no-such-id/resend", (302, 404, 404, 404, 404)),
    ("POST", "/msf/no-such-id/raters/no-such-id/revoke", (302, 404, 404, 404, 404)),
    ("POST", "/msf/no-such-id/release", (302, 404, 404, 404, 404)),
    # Registration and CPD: everyone signed in keeps their own (nobody sees
    # another's: absent, 404); a proposer's or referee's link is the only key.
    ("GET", "/registration/", (302, 200, 200, 200, 200)),
    ("POST", "/registration/", (302, 422, 422, 422, 422)),
    ("GET", "/registration/no-such-id", (302, 404, 404, 404, 404)),
    ("POST", "/registration/no-such-id/statements", (302, 404, 404, 404, 404)),
    ("POST", "/registration/no-such-id/stage", (302, 404, 404, 404, 404)),
    ("POST", "/registration/no-such-id/nominees", (302, 404, 404, 404, 404)),
    (
        "POST",
        "/registration/no-such-id/nominees/no-such-id/resend",
        (302, 404, 404, 404, 404),
    ),
    (
        "POST",
        "/registration/no-such-id/nominees/no-such-id/revoke",
        (302, 404, 404, 404, 404),
    ),
    ("POST", "/registration/no-such-id/pack", (302, 404, 404, 404, 404)),
    ("GET", "/referee/no-such-token-of-enough-length", (404, 404, 404, 404, 404)),
    ("POST", "/referee/no-such-token-of-enough-length", (404, 404, 404, 404, 404)),
    ("GET", "/cpd/", (302, 200, 200, 200, 200)),
    ("GET", "/cpd/new", (302, 200, 200, 200, 200)),
    ("POST", "/cpd/new", (302, 422, 422, 422, 422)),
    ("POST", "/cpd/no-such-id/delete", (302, 404, 404, 404, 404)),
    ("GET", "/cpd/profile", (302, 200, 200, 200, 200)),
    ("POST", "/cpd/profile", (302, 302, 302, 302, 302)),
    ("POST", "/cpd/profile/export", (302, 302, 302, 302, 302)),
    ("POST", "/cpd/registers", (302, 422, 422, 422, 422)),
    ("POST", "/cpd/registers/no-such-id/remove", (302, 404, 404, 404, 404)),
    # The queue is for people who can be asked to sign off (supervisors and
    # leads); the same on the page, in the API and in the navigation.
    ("GET", "/signoff/queue", (302, 403, 200, 200, 403)),
    # Reviewing several requests together: nothing chosen goes back to the queue.
    ("GET", "/signoff/review", (302, 403, 302, 302, 403)),
    ("POST", "/signoff/review", (302, 403, 302, 302, 403)),
    ("GET", "/trainees/", (302, 403, 200, 200, 403)),
    ("GET", "/notifications/", (302, 200, 200, 200, 200)),
    ("POST", "/notifications/read", (302, 302, 302, 302, 302)),
    # One's own notification only: another's (or none) is not found.
    ("GET", "/notifications/no-such-id", (302, 404, 404, 404, 404)),
    ("POST", "/notifications/no-such-id/read", (302, 404, 404, 404, 404)),
    # Capacity: totals for leads (totals only) and admins; an organisation's
    # figures for its leads and admins; the scenarios for everyone signed in.
    # The admin here is national, so no RBV exists for them: 404 (see
    # test_capacity_web for an admin at an organisation that exists).
    ("GET", "/capacity/", (302, 403, 403, 200, 200)),
    ("GET", "/capacity/scenarios", (302, 200, 200, 200, 200)),
    ("GET", "/capacity/scenarios?a-gap=x", (302, 422, 422, 422, 422)),
    ("GET", "/capacity/organisations/?code=RBV", (302, 302, 302, 302, 302)),
    ("GET", "/capacity/organisations/RBV/", (302, 403, 403, 200, 404)),
    ("GET", "/capacity/organisations/NOPE/", (302, 404, 404, 404, 404)),
    ("GET", "/capacity/organisations/RBV/places/new", (302, 403, 403, 200, 404)),
    ("POST", "/capacity/organisations/RBV/places/new", (302, 403, 403, 422, 404)),
    (
        "GET",
        "/capacity/organisations/RBV/places/no-such-id/edit",
        (302, 403, 403, 404, 404),
    ),
    (
        "POST",
        "/capacity/organisations/RBV/places/no-such-id/delete",
        (302, 403, 403, 404, 404),
    ),
    ("GET", "/capacity/organisations/RBV/workforce/new", (302, 403, 403, 200, 404)),
    ("POST", "/capacity/organisations/RBV/workforce/new", (302, 403, 403, 422, 404)),
    (
        "GET",
        "/capacity/organisations/RBV/workforce/no-such-id/edit",
        (302, 403, 403, 404, 404),
    ),
    (
        "POST",
        "/capacity/organisations/RBV/workforce/no-such-id/delete",
        (302, 403, 403, 404, 404),
    ),
    # The capacity report from the pages: leads (their own organisation) and admins.
    ("GET", "/capacity/reports/new", (302, 403, 403, 200, 200)),
    ("POST", "/capacity/reports/new", (302, 403, 403, 422, 422)),
    ("GET", "/capacity/reports/no-such-id", (302, 404, 404, 404, 404)),
    ("GET", "/capacity/reports/no-such-id/progress", (302, 404, 404, 404, 404)),
    ("POST", "/auth/login", (401, 302, 302, 302, 302)),
    ("POST", "/auth/logout", (400, 400, 400, 400, 400)),  # no CSRF token
    # Single sign-on: no provider is configured here, so any key is not found
    # (tests/test_sso.py runs them against a real provider). An organisation's
    # sign-in rule is an admin's; the national admin here has no RBV (404).
    ("GET", "/auth/sso/jwks.json", (200, 200, 200, 200, 200)),
    ("GET", "/auth/sso/nope", (404, 404, 404, 404, 404)),
    ("GET", "/auth/sso/nope/callback", (404, 404, 404, 404, 404)),
    ("GET", "/organisations/RBV/sign-in", (302, 403, 403, 403, 404)),
    ("POST", "/organisations/RBV/sign-in", (302, 403, 403, 403, 404)),
    ("GET", "/auth/forgot-password", (200, 200, 200, 200, 200)),
    ("POST", "/auth/forgot-password", (200, 200, 200, 200, 200)),
    ("GET", "/auth/reset/no-such-token", (400, 400, 400, 400, 400)),
    ("POST", "/auth/reset/no-such-token", (400, 400, 400, 400, 400)),
    ("POST", "/auth/account/password", (302, 422, 422, 422, 422)),
    ("POST", "/auth/account/sign-out-everywhere", (302, 302, 302, 302, 302)),
    ("POST", "/auth/account/tokens", (302, 422, 422, 422, 422)),
    ("POST", "/auth/account/tokens/no-such-id/revoke", (302, 404, 404, 404, 404)),
    ("GET", "/healthz", (200, 200, 200, 200, 200)),
    ("GET", "/curricula/no-such-slug/", (302, 404, 404, 404, 404)),
    ("GET", "/curricula/no-such-slug/no-such-code", (302, 404, 404, 404, 404)),
    ("POST", "/evidence/no-such-id/edit", (302, 404, 404, 404, 404)),
    (
        "GET",
        "/evidence/no-such-id/files/no-such-file/remove",
        (302, 404, 404, 404, 404),
    ),
    (
        "POST",
        "/evidence/no-such-id/files/no-such-file/remove",
        (302, 404, 404, 404, 404),
    ),
    # Progress: a trainee's dashboard; the cohort for leads and admins.
    ("GET", "/progress/", (302, 200, 200, 200, 200)),
    ("GET", "/progress/no-such-id", (302, 404, 404, 404, 404)),
    ("POST", "/progress/no-such-id/break", (302, 404, 404, 404, 404)),
    ("POST", "/progress/no-such-id/gateway/employer", (302, 404, 404, 404, 404)),
    ("POST", "/progress/no-such-id/reviews", (302, 404, 404, 404, 404)),
    ("POST", "/progress/no-such-id/reviews/no-such-id/sign", (302, 404, 404, 404, 404)),
    ("POST", "/progress/no-such-id/reviews/schedule", (302, 404, 404, 404, 404)),
    # STP: review-of-progression records (progress page) and completion records
    # (enrolment page); an enrolment one may not see is not found.
    ("POST", "/progress/no-such-id/stp/records", (302, 404, 404, 404, 404)),
    ("POST", "/enrolments/no-such-id/stp/fya", (302, 404, 404, 404, 404)),
    (
        "POST",
        "/enrolments/no-such-id/stp/fya/no-such-id/result",
        (302, 404, 404, 404, 404),
    ),
    ("POST", "/enrolments/no-such-id/stp/msc", (302, 404, 404, 404, 404)),
    (
        "POST",
        "/enrolments/no-such-id/stp/portfolio-sign-off",
        (302, 404, 404, 404, 404),
    ),
    ("POST", "/enrolments/no-such-id/stp/extensions", (302, 404, 404, 404, 404)),
    ("GET", "/cohort/", (302, 403, 403, 200, 200)),
    ("GET", "/cohort.csv", (302, 403, 403, 200, 200)),
    # Exports: trainees, leads and admins (the same rule as the navigation).
    ("GET", "/exports/", (302, 200, 403, 200, 200)),
    ("POST", "/exports/", (302, 422, 403, 422, 422)),
    ("GET", "/exports/no-such-id", (302, 404, 404, 404, 404)),
    ("GET", "/exports/no-such-id/file", (302, 404, 404, 404, 404)),
    ("POST", "/exports/no-such-id/retry", (302, 404, 404, 404, 404)),
    ("POST", "/exports/share", (302, 422, 403, 422, 422)),
    ("GET", "/exports/share/no-such-id/revoke", (302, 404, 404, 404, 404)),
    ("POST", "/exports/share/no-such-id/revoke", (302, 404, 404, 404, 404)),
    # Public: share links and verification answer everyone alike.
    ("GET", "/share/no-such-token", (404, 404, 404, 404, 404)),
    ("GET", "/share/no-such-token/pdf", (404, 404, 404, 404, 404)),
    ("GET", "/verify", (200, 200, 200, 200, 200)),
    ("GET", "/issuer", (200, 200, 200, 200, 200)),
    ("GET", "/badges/status/999", (404, 404, 404, 404, 404)),
    ("GET", "/verify/no-such-code", (404, 404, 404, 404, 404)),
    ("POST", "/verify/no-such-code", (404, 404, 404, 404, 404)),
    (
        "POST",
        "/capacity/organisations/NOPE/places/no-such-id/edit",
        (302, 404, 404, 404, 404),
    ),
    (
        "POST",
        "/capacity/organisations/NOPE/workforce/no-such-id/edit",
        (302, 404, 404, 404, 404),
    ),
]
API = [
    ("GET", "/api/v1/me", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/openapi.json", (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/curricula", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/curricula/gsp", (401, 404, 404, 404, 404)),  # none loaded here
    ("GET", "/api/v1/curricula/gsp/case", (401, 404, 404, 404, 404)),
    # The CASE 1.1 read API: public reference data, read-only.
    ("GET", "/ims/case/v1p1/CFDocuments", (200, 200, 200, 200, 200)),
    ("GET", "/ims/case/v1p1/CFDocuments/no-such-id", (404, 404, 404, 404, 404)),
    ("GET", "/ims/case/v1p1/CFPackages/no-such-id", (404, 404, 404, 404, 404)),
    ("GET", "/ims/case/v1p1/CFItems/no-such-id", (404, 404, 404, 404, 404)),
    ("GET", "/ims/case/v1p1/CFAssociations/no-such-id", (404, 404, 404, 404, 404)),
    # No body: 400 for everyone signed in (see test_capacity_api for the rest).
    ("POST", "/api/v1/capacity/projection", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/reports/capacity", (401, 403, 403, 400, 400)),
    ("GET", "/api/v1/audit/verify", (401, 403, 403, 403, 200)),
    ("GET", "/api/v1/cohort", (401, 403, 403, 200, 200)),
    # The queue: the same rule as the page and the navigation.
    ("GET", "/api/v1/signoff/queue", (401, 403, 200, 200, 403)),
    # No body: 400 before anything is looked up.
    ("POST", "/api/v1/enrolments", (401, 400, 400, 400, 400)),
    ("GET", "/api/v1/enrolments/no-such-id", (401, 404, 404, 404, 404)),
    ("GET", "/api/v1/enrolments/no-such-id/progress", (401, 404, 404, 404, 404)),
    ("GET", "/api/v1/enrolments/no-such-id/stp", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/enrolments/no-such-id/breaks", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/enrolments/no-such-id/breaks/end", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/enrolments/no-such-id/gateway", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/enrolments/no-such-id/reviews", (401, 400, 400, 400, 400)),
    (
        "POST",
        "/api/v1/enrolments/no-such-id/reviews/no-such-id/sign",
        (401, 404, 404, 404, 404),
    ),
    ("GET", "/api/v1/evidence", (401, 200, 200, 200, 200)),
    ("POST", "/api/v1/evidence", (401, 400, 400, 400, 400)),
    ("GET", "/api/v1/evidence/no-such-id", (401, 404, 404, 404, 404)),
    ("PATCH", "/api/v1/evidence/no-such-id", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/evidence/no-such-id/attachments", (401, 404, 404, 404, 404)),
    (
        "GET",
        "/api/v1/evidence/no-such-id/attachments/no-such-id",
        (401, 404, 404, 404, 404),
    ),
    ("POST", "/api/v1/evidence/no-such-id/decision", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/evidence/no-such-id/submit", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/evidence/no-such-id/unlock", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/evidence/no-such-id/withdraw", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/evidence/no-such-id/ticket/resend", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/evidence/no-such-id/ticket/revoke", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/msf", (401, 400, 400, 400, 400)),
    ("GET", "/api/v1/msf/no-such-id", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/msf/no-such-id/release", (401, 400, 400, 400, 400)),
    # Registration and CPD (read-only): one's own; another's is absent.
    ("GET", "/api/v1/registration/applications", (401, 200, 200, 200, 200)),
    (
        "GET",
        "/api/v1/registration/applications/no-such-id",
        (401, 404, 404, 404, 404),
    ),
    ("GET", "/api/v1/cpd/activities", (401, 200, 200, 200, 200)),
    ("POST", "/api/v1/exports", (401, 400, 400, 400, 400)),
    ("GET", "/api/v1/exports/no-such-id", (401, 404, 404, 404, 404)),
    ("GET", "/api/v1/exports/no-such-id/file", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/exports/no-such-id/retry", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/verify", (400, 400, 400, 400, 400)),
    # People and invitations (no body: 400 before anything is looked up).
    ("POST", "/api/v1/invitations", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/invitations/no-such-id/resend", (401, 404, 404, 404, 404)),
    ("POST", "/api/v1/invitations/no-such-id/revoke", (401, 404, 404, 404, 404)),
    ("GET", "/api/v1/users", (401, 403, 403, 200, 200)),
    ("GET", "/api/v1/users/no-such-id", (401, 404, 404, 404, 404)),
    ("PATCH", "/api/v1/users/no-such-id", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/users/no-such-id/deactivate", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/users/no-such-id/reactivate", (401, 404, 404, 404, 404)),
    (
        "DELETE",
        "/api/v1/users/no-such-id/roles/no-such-id",
        (401, 404, 404, 404, 404),
    ),
]


def _user_for(role, factory):
    if role == "anonymous":
        return None
    return factory.user(role, org=None if role == "admin" else "RBV")


@pytest.mark.parametrize("role", ROLES)
def test_web_matrix(app, factory, role):
    email = _user_for(role, factory)
    wrong = []
    for method, path, expected in WEB:
        client = app.test_client()  # a fresh session: some rows sign out
        if email:
            signed_in = client.post(
                "/auth/login", data={"email": email, "password": PASSWORD}
            )
            assert signed_in.status_code == 302
        status = client.open(path, method=method).status_code
        if status != expected[ROLES.index(role)]:
            wrong.append((method, path, status, expected[ROLES.index(role)]))
    assert wrong == [], wrong


@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(app, client, factory, role):
    email = _user_for(role, factory)
    headers = {"Authorization": f"Bearer {factory.token(email)}"} if email else {}
    wrong = []
    for method, path, expected in API:
        status = client.open(path, method=method, headers=headers).status_code
        if status != expected[ROLES.index(role)]:
            wrong.append((method, path, status, expected[ROLES.index(role)]))
    assert wrong == [], wrong


def test_every_route_has_a_row(app):
    """A new page or endpoint without a row in the matrix fails here."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, path, _ in WEB + API:
        endpoint, _args = adapter.match(path.split("?")[0], method=method)
        covered.add((endpoint, method))
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert len(routes) > 90
    assert sorted(routes - covered) == []


def test_visible_users_scoping(app, factory):
    lead = factory.user("training_lead", org="RBV")
    mine = factory.user("trainee", org="RBV")
    other = factory.user("trainee", org="RR8")
    trainee = factory.user("trainee", org="RBV")
    with app.app_context():
        from portfolio import policy
        from portfolio.accounts.services import find_user
        from portfolio.extensions import db

        def emails(viewer):
            return set(
                db.session.scalars(policy.visible_users(find_user(viewer))).all()
            )

        lead_sees = {u.email for u in emails(lead)}
        assert mine in lead_sees and lead in lead_sees and other not in lead_sees
        assert {u.email for u in emails(trainee)} == {trainee}
