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
]
API = [
    ("GET", "/api/v1/me", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/openapi.json", (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/curricula", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/curricula/gsp", (401, 404, 404, 404, 404)),  # none loaded here
    ("GET", "/api/v1/curricula/gsp/case", (401, 404, 404, 404, 404)),
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
