"""Who may reach what: every web page and API endpoint for every role.

Each later feature adds its rows. Web pages: anonymous users are sent to sign in
(302). API: no token is 401. Objects owned by someone else are 404 (see the
feature tests for object-level rules); role gates are 403.
"""

import pytest

ROLES = ("anonymous", "trainee", "supervisor", "training_lead", "admin")

# (method, path, expected status per role in ROLES order)
WEB = [
    ("GET", "/", (302, 200, 200, 200, 200)),
    ("GET", "/about", (200, 200, 200, 200, 200)),
    ("GET", "/auth/login", (200, 302, 302, 302, 302)),
    ("GET", "/auth/account", (302, 200, 200, 200, 200)),
    ("GET", "/organisations/", (302, 403, 403, 200, 200)),
    ("POST", "/organisations/import", (302, 403, 403, 403, 422)),
    ("GET", "/admin/users", (302, 403, 403, 403, 200)),
    ("POST", "/admin/users", (302, 403, 403, 403, 422)),
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
    ("POST", "/evidence/no-such-id/delete", (302, 404, 404, 404, 404)),
    ("POST", "/evidence/no-such-id/files", (302, 404, 404, 404, 404)),
    ("GET", "/evidence/no-such-id/files/no-such-file", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/submit", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/withdraw", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/decide", (302, 404, 404, 404, 404)),
    ("POST", "/signoff/no-such-id/unlock", (302, 404, 404, 404, 404)),
    # The queue is for people who can be asked to sign off (supervisors and
    # leads); the same on the page, in the API and in the navigation.
    ("GET", "/signoff/queue", (302, 403, 200, 200, 403)),
    ("POST", "/signoff/queue/no-such-id", (302, 403, 404, 404, 403)),
    ("GET", "/notifications/", (302, 200, 200, 200, 200)),
    ("POST", "/notifications/read", (302, 302, 302, 302, 302)),
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
]
API = [
    ("GET", "/api/v1/me", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/openapi.json", (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/curricula", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/curricula/gsp", (401, 404, 404, 404, 404)),  # none loaded here
    ("GET", "/api/v1/curricula/gsp/case", (401, 404, 404, 404, 404)),
    # No body: 400 for everyone signed in (see test_capacity_api for the rest).
    ("POST", "/api/v1/capacity/projection", (401, 400, 400, 400, 400)),
    ("POST", "/api/v1/reports/capacity", (401, 403, 403, 400, 400)),
]


def _client_for(role, client, factory, login):
    if role == "anonymous":
        return None
    email = factory.user(role, org=None if role == "admin" else "RBV")
    login(email)
    return email


@pytest.mark.parametrize(("method", "path", "expected"), WEB)
@pytest.mark.parametrize("role_index", range(len(ROLES)))
def test_web_matrix(client, factory, login, method, path, expected, role_index):
    _client_for(ROLES[role_index], client, factory, login)
    response = client.open(path, method=method)
    assert response.status_code == expected[role_index], (ROLES[role_index], path)


@pytest.mark.parametrize(("method", "path", "expected"), API)
@pytest.mark.parametrize("role_index", range(len(ROLES)))
def test_api_matrix(client, factory, method, path, expected, role_index):
    role = ROLES[role_index]
    headers = {}
    if role != "anonymous":
        email = factory.user(role, org=None if role == "admin" else "RBV")
        headers["Authorization"] = f"Bearer {factory.token(email)}"
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == expected[role_index], (role, path)


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
