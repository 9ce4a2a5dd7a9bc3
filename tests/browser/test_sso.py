"""Single sign-on in a real browser: the provider's own login and consent pages
(node-oidc-provider, tests/oidc/), back to the home page, and out again."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_axe
from tests.oidc.harness import client as oidc_client
from tests.oidc.harness import running_provider

# The demo trainee (portfolio.demo), known to the provider by this login name.
ACCOUNTS = {
    "aisha": {
        "email": "trainee@example.org",
        "email_verified": True,
        "name": "Aisha Rahman",
    }
}


@pytest.fixture
def provider(live_app, live_server, tmp_path):
    clients = [
        oidc_client(
            "portfolio",
            [f"{live_server}/auth/sso/nhsmail/callback"],
            [f"{live_server}/auth/login"],
        )
    ]
    with running_provider(tmp_path, clients, ACCOUNTS) as running:
        live_app.config["OIDC_PROVIDERS"] = [
            running.setting("nhsmail", "portfolio", name="NHSmail")
        ]
        yield running
        live_app.config["OIDC_PROVIDERS"] = []


def test_sign_in_with_the_provider_lands_on_home_and_signs_out(page, provider):
    # The development login pages link a web font; nothing here reaches the internet.
    page.route(
        "https://fonts.googleapis.com/**",
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )
    page.goto(page.base + "/auth/login")
    check_axe(page)
    page.get_by_role("button", name="Sign in with NHSmail").click()

    # The provider's own pages.
    page.wait_for_url(provider.issuer + "/interaction/**")
    page.locator("input[name=login]").fill("aisha")
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(page.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Aisha Rahman")
    check_axe(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    check_axe(page)
    page.get_by_role("button", name="Sign out of NHSmail").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(page.base + "/auth/login")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to MPCE Portfolio"
    )
