"""The API base: bearer auth, problem details, pagination and OpenAPI."""

import pytest


def test_me(api, factory):
    email = factory.user("supervisor", org="RBV")
    body = api(email).get("/api/v1/me").get_json()
    assert body["email"] == email
    assert body["roles"] == [{"role": "supervisor", "organisation": "RBV"}]
    assert body["id"]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_missing_or_bad_token_is_401_problem(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["status"] == 401 and "Bearer" in body["detail"]


def test_unknown_api_path_is_problem_json(api, factory):
    response = api(factory.user("trainee")).get("/api/v1/nothing-here")
    assert (
        response.status_code == 404 and response.mimetype == "application/problem+json"
    )


def test_malformed_json_is_400(app, api, factory):
    from portfolio.api.base import bp
    from portfolio.api.base import json_body

    # A throwaway endpoint exercising the shared body parser.
    if "api.echo" not in app.view_functions:
        app.add_url_rule(
            "/api/v1/_echo", "api.echo", lambda: json_body(), methods=["POST"]
        )
    assert bp  # the handlers below are the blueprint's
    caller = api(factory.user("trainee"))
    broken = caller.post(
        "/api/v1/_echo", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.mimetype == "application/problem+json"
    assert "valid JSON" in broken.get_json()["detail"]
    not_object = caller.post("/api/v1/_echo", json=[1, 2])
    assert (
        not_object.status_code == 400
        and "JSON object" in not_object.get_json()["detail"]
    )


def test_api_needs_no_csrf(app, api, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    assert api(factory.user("trainee")).get("/api/v1/me").status_code == 200


def test_openapi_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {
        (path, method) for path, ops in spec["paths"].items() for method in ops
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.echo":
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
        path = path.replace("{path:", "{").replace("{int:", "{")
        served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served, "no /api/v1 routes"
    assert sorted(served - documented) == [], "not in OpenAPI"


def test_pagination_envelope_and_limits(app, api, factory):
    import sqlalchemy as sa

    from portfolio.accounts.models import User
    from portfolio.api.base import paginate

    factory.user("admin", org=None)
    for _ in range(3):
        factory.user("trainee")
    with app.test_request_context("/?page=2&per_page=2"):
        body = paginate(sa.select(User).order_by(User.email), lambda u: u.email)
    assert body["page"] == 2 and body["per_page"] == 2 and body["total"] == 4
    assert len(body["items"]) == 2
    from portfolio.api.base import ApiProblem

    with app.test_request_context("/?per_page=500"), pytest.raises(ApiProblem) as error:
        paginate(sa.select(User), lambda u: u.email)
    assert error.value.status == 400 and "1 to 200" in error.value.detail
