"""CSRF protection with the real setting on."""

from tests.conftest import PASSWORD
from tests.conftest import csrf_token_from


def test_forms_reject_posts_without_token(app, client, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    email = factory.user("trainee")
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_forms_accept_posts_with_token(app, client, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    email = factory.user("trainee")
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_every_form_on_signed_in_pages_carries_a_token(app, client, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    email = factory.user("admin", org=None)
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    for path in ("/auth/account", "/admin/users", "/organisations/"):
        page = client.get(path).get_data(as_text=True)
        forms = page.count("<form")
        posts = page.count('method="post"')
        tokens = page.count('name="csrf_token"') + page.count("csrf_token=")
        assert forms and tokens >= posts, path
