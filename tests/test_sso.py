"""Single sign-on against a real OpenID Provider (node-oidc-provider, see
tests/oidc/): the code flow with PKCE, state and nonce; linking by verified email
once, then by subject; refusals with clear messages; organisations that require
it; signing out."""

import re
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from portfolio.config import ConfigError
from tests.conftest import PASSWORD
from tests.oidc.harness import client as oidc_client
from tests.oidc.harness import path_of
from tests.oidc.harness import query_of
from tests.oidc.harness import running_provider
from tests.oidc.harness import sign_in_at_provider
from tests.oidc.harness import tamper

BASE = "http://localhost"
CALLBACK = f"{BASE}/auth/sso/test/callback"
ACCOUNTS = {
    "trainee": {
        "email": "trainee@example.org",
        "email_verified": True,
        "name": "Aisha Rahman",
    },
    # The same verified address at the provider, but another person (subject).
    "twin": {
        "email": "trainee@example.org",
        "email_verified": True,
    },
    "unverified": {
        "email": "trainee@example.org",
        "email_verified": False,
    },
    "stranger": {
        "email": "stranger@example.org",
        "email_verified": True,
    },
}


@pytest.fixture(scope="module")
def op(tmp_path_factory):
    clients = [
        oidc_client("portfolio", [CALLBACK], [f"{BASE}/auth/login"]),
        oidc_client("other-service", [f"{BASE}/auth/sso/other/callback"]),
        oidc_client("short-lived", [f"{BASE}/auth/sso/short/callback"]),
    ]
    with running_provider(
        tmp_path_factory.mktemp("op"), clients, ACCOUNTS, short=["short-lived"]
    ) as provider:
        yield provider


@pytest.fixture
def sso_app(app, op):
    app.config["OIDC_PROVIDERS"] = [op.setting("test", "portfolio")]
    return app


def sso_sign_in(client, login: str, browser=None, next_url=None):
    """Start at the portfolio, sign in at the provider, come back; return the
    callback's response and the callback address."""
    browser = browser or requests.Session()
    start = client.get("/auth/sso/test" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.get_data(as_text=True)
    back = sign_in_at_provider(browser, start.headers["Location"], login, CALLBACK)
    return client.get(path_of(back)), back


def identities(app):
    from portfolio.accounts.sso_models import UserIdentity
    from portfolio.extensions import db

    with app.app_context():
        return [
            (i.user.email, i.subject, i.provider)
            for i in db.session.scalars(sa.select(UserIdentity))
        ]


def audit_actions(app, prefix):
    from portfolio.audit.models import AuditEvent
    from portfolio.extensions import db

    with app.app_context():
        return [
            e.action
            for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq))
            if e.action.startswith(prefix)
        ]


def test_the_request_uses_pkce_state_nonce_and_base_url(sso_app, client, op):
    response = client.get("/auth/sso/test", headers={"Host": "localhost"})
    location = response.headers["Location"]
    assert location.startswith(op.issuer + "/auth?")
    query = query_of(location)
    assert query["redirect_uri"] == CALLBACK  # from BASE_URL, not the request
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert set(query["scope"].split()) == {"openid", "email", "profile"}


def test_first_sign_in_links_by_verified_email_then_by_subject(
    sso_app, client, factory
):
    email = factory.user("trainee", "RBV", email="trainee@example.org")
    response, _ = sso_sign_in(client, "trainee", next_url="/auth/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/account"
    assert client.get("/auth/account").status_code == 200
    assert identities(sso_app) == [(email, "trainee", "test")]
    assert audit_actions(sso_app, "sso.") == ["sso.linked", "sso.signed_in"]

    # Linked: the subject finds the account even after its address changes.
    from portfolio.accounts.services import find_user
    from portfolio.extensions import db

    with sso_app.app_context():
        find_user(email).email = "moved@example.org"
        db.session.commit()
    again = sso_app.test_client()
    response, _ = sso_sign_in(again, "trainee")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = again.get("/").get_data(as_text=True)
    assert "Welcome" in home
    assert audit_actions(sso_app, "sso.") == [
        "sso.linked",
        "sso.signed_in",
        "sso.signed_in",
    ]


def test_another_subject_with_the_same_email_is_refused_once_linked(
    sso_app, client, factory
):
    factory.user("trainee", "RBV", email="trainee@example.org")
    assert sso_sign_in(client, "trainee")[0].status_code == 302
    other = sso_app.test_client()
    response, _ = sso_sign_in(other, "twin")
    assert response.status_code == 403
    assert "already linked to another Test ID identity" in response.get_data(
        as_text=True
    )
    assert other.get("/").status_code == 302  # not signed in
    assert [s for _, s, _ in identities(sso_app)] == ["trainee"]


def test_an_unverified_email_links_nothing(sso_app, client, factory):
    factory.user("trainee", "RBV", email="trainee@example.org")
    response, _ = sso_sign_in(client, "unverified")
    assert response.status_code == 403
    assert "Test ID did not confirm your email address" in response.get_data(
        as_text=True
    )
    assert identities(sso_app) == []
    assert client.get("/").status_code == 302


def test_an_unknown_person_is_told_and_no_account_is_made(sso_app, client):
    from portfolio.accounts.services import find_user

    response, _ = sso_sign_in(client, "stranger")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "There is no MPCE Portfolio account for stranger@example.org" in page
    assert "invite you" in page
    with sso_app.app_context():
        assert find_user("stranger@example.org") is None
    assert identities(sso_app) == []


def test_an_invited_person_links_and_the_invitation_is_accepted(
    sso_app, client, factory
):
    from portfolio.accounts.models import Invitation
    from portfolio.accounts.services import find_user
    from portfolio.db import utcnow
    from portfolio.extensions import db

    email = factory.user("trainee", "RBV", email="trainee@example.org")
    with sso_app.app_context():
        user = find_user(email)
        user.password_hash = None  # invited: no password chosen yet
        db.session.add(
            Invitation(
                user_id=user.id,
                email=email,
                role="trainee",
                token_hash="0" * 64,
                expires_at=utcnow() + timedelta(days=7),
            )
        )
        db.session.commit()
    assert sso_sign_in(client, "trainee")[0].status_code == 302
    with sso_app.app_context():
        invitation = db.session.scalar(sa.select(Invitation))
        assert invitation.accepted_at is not None


def test_a_closed_account_is_refused(sso_app, client, factory):
    from portfolio.accounts.services import find_user
    from portfolio.extensions import db

    email = factory.user("trainee", "RBV", email="trainee@example.org")
    with sso_app.app_context():
        find_user(email).active = False
        db.session.commit()
    response, _ = sso_sign_in(client, "trainee")
    assert response.status_code == 403
    assert "account is closed" in response.get_data(as_text=True)
    assert identities(sso_app) == []


def test_a_replayed_state_is_refused(sso_app, client, factory):
    factory.user("trainee", "RBV", email="trainee@example.org")
    start = client.get("/auth/sso/test")
    cookie_before = client.get_cookie("session").value
    back = sign_in_at_provider(
        requests.Session(), start.headers["Location"], "trainee", CALLBACK
    )
    assert client.get(path_of(back)).status_code == 302
    client.post(
        re.search(
            r'action="(/auth/logout\?csrf_token=[^"]+)"',
            client.get("/").get_data(as_text=True),
        )
        .group(1)
        .replace("&amp;", "&")
    )

    # The same answer again, in the same browser: its state was used up.
    replay = client.get(path_of(back))
    assert replay.status_code == 400
    assert "This sign-in has expired or has already been used. Start again." in (
        replay.get_data(as_text=True)
    )
    # With a copy of the cookie from before: the provider refuses the used code.
    copied = sso_app.test_client()
    copied.set_cookie("session", cookie_before, domain="localhost")
    replay = copied.get(path_of(back))
    assert replay.status_code == 400
    assert "did not accept the sign-in" in replay.get_data(as_text=True)
    assert copied.get("/").status_code == 302
    # An answer with a state this browser never sent.
    forged = sso_app.test_client().get("/auth/sso/test/callback?state=x&code=y")
    assert forged.status_code == 400
    assert audit_actions(sso_app, "sso.signed_in") == ["sso.signed_in"]


def _token_for(app, op, setting, login="trainee"):
    """A real ID token for ``setting``'s client, from the provider's own flow."""
    from portfolio.accounts import oidc

    provider = oidc.parse_providers([setting])[0]
    redirect = f"{BASE}/auth/sso/{provider.key}/callback"
    with app.test_request_context():
        url, pending = oidc.begin(provider, redirect, "/")
        back = sign_in_at_provider(requests.Session(), url, login, redirect)
        claims, id_token = oidc.finish(provider, pending, query_of(back), redirect)
    return claims, id_token, pending.nonce


def _refusal(app, setting, id_token, nonce):
    from portfolio.accounts import oidc

    provider = oidc.parse_providers([setting])[0]
    with app.test_request_context():
        with pytest.raises(oidc.SsoError) as refused:
            oidc.verify_id_token(provider, id_token, nonce)
    return refused.value.message


def test_a_tampered_id_token_is_refused(sso_app, op):
    setting = op.setting("test", "portfolio")
    claims, id_token, nonce = _token_for(sso_app, op, setting)
    assert claims["sub"] == "trainee"
    assert claims["email"] == "trainee@example.org"
    forged = tamper(id_token, sub="sub-someone-else")
    assert "does not carry its valid signature (it may have been altered)" in (
        _refusal(sso_app, setting, forged, nonce)
    )
    header, payload, _ = id_token.split(".")
    unsigned = tamper(f"{header}.{payload}.", sub="x")[:-1] + "."
    assert "You were not signed in" in _refusal(sso_app, setting, unsigned, nonce)
    assert "its nonce does not match" in _refusal(sso_app, setting, id_token, "other")


def test_a_token_for_another_audience_is_refused(sso_app, op):
    _, id_token, nonce = _token_for(sso_app, op, op.setting("other", "other-service"))
    message = _refusal(sso_app, op.setting("test", "portfolio"), id_token, nonce)
    assert "was issued for another service (its audience is not this one)" in message


def test_an_expired_token_is_refused(sso_app, op):
    sso_app.config["OIDC_CLOCK_SKEW_SECONDS"] = 0
    setting = op.setting("short", "short-lived")
    claims, id_token, nonce = _token_for(sso_app, op, setting)
    assert claims["exp"] - claims["iat"] == 1
    time.sleep(max(0.0, claims["exp"] - time.time()) + 1.1)
    assert "the identity token from Test ID has expired" in _refusal(
        sso_app, setting, id_token, nonce
    )


def test_an_organisation_can_require_sso_and_passwords_are_refused(
    sso_app, client, factory, login
):
    admin = factory.user("admin", None)
    trainee = factory.user("trainee", "RBV")
    other = factory.user("trainee", "RR8")
    login(admin)
    assert "Password or single sign-on" in client.get("/organisations/").get_data(
        as_text=True
    )
    form = client.get("/organisations/RBV/sign-in")
    assert form.status_code == 200
    assert client.post("/organisations/RBV/sign-in", data={}).status_code == 422
    saved = client.post("/organisations/RBV/sign-in", data={"sign_in": "sso"})
    assert saved.status_code == 302
    assert audit_actions(sso_app, "organisation.sso") == ["organisation.sso_required"]

    refused = sso_app.test_client().post(
        "/auth/login", data={"email": trainee, "password": PASSWORD}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 401
    assert "Trust RBV requires you to sign in with single sign-on" in page
    assert "Sign in with Test ID" in page
    # A wrong password still says only that: nothing about the rule.
    wrong = sso_app.test_client().post(
        "/auth/login", data={"email": trainee, "password": "wrong password"}
    )
    assert "single sign-on" not in wrong.get_data(as_text=True).split("<h2")[0]
    ok = sso_app.test_client().post(
        "/auth/login", data={"email": other, "password": PASSWORD}
    )
    assert ok.status_code == 302

    # Without any provider it cannot be required.
    sso_app.config["OIDC_PROVIDERS"] = []
    client.post("/organisations/RBV/sign-in", data={"sign_in": "password"})
    refused = client.post("/organisations/RBV/sign-in", data={"sign_in": "sso"})
    assert refused.status_code == 422
    assert "No single sign-on provider is set up" in refused.get_data(as_text=True)


def test_sign_out_ends_the_session_and_offers_the_providers(
    sso_app, client, factory, op
):
    factory.user("trainee", "RBV", email="trainee@example.org")
    browser = requests.Session()
    assert sso_sign_in(client, "trainee", browser)[0].status_code == 302
    action = re.search(
        r'action="(/auth/logout\?csrf_token=[^"]+)"',
        client.get("/").get_data(as_text=True),
    ).group(1)
    page = client.post(action.replace("&amp;", "&"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "You have signed out of MPCE Portfolio" in text
    assert client.get("/").status_code == 302
    link = re.search(r'href="([^"]+)"[^>]*>Sign out of Test ID', text).group(1)
    link = link.replace("&amp;", "&")
    assert link.startswith(op.issuer + "/session/end?")
    query = query_of(link)
    assert query["post_logout_redirect_uri"] == f"{BASE}/auth/login"
    assert query["client_id"] == "portfolio" and query["id_token_hint"]
    # The provider accepts it (its sign-out confirmation, not an error page).
    confirm = browser.get(link, timeout=10)
    assert confirm.status_code == 200 and "logout" in confirm.text.lower()


def test_the_login_page_offers_each_provider(sso_app, client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/sso/test"' in page and "Sign in with Test ID" in page
    assert client.get("/auth/sso/nope").status_code == 404


def test_a_provider_that_cannot_be_reached_gets_a_clear_message(app, client):
    app.config["OIDC_PROVIDERS"] = [
        {
            "key": "gone",
            "name": "Gone ID",
            "issuer": "http://127.0.0.1:9",
            "client_id": "x",
            "client_secret": "y",
        }
    ]
    response = client.get("/auth/sso/gone")
    assert response.status_code == 502
    assert "We could not reach Gone ID" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"key": "x"}', "must be a JSON list"),
        ('[{"key": "x"}]', "needs 'name'"),
        (
            '[{"key": "x", "name": "X", "issuer": "http://idp.example", '
            '"client_id": "a", "client_secret": "b"}]',
            "must be an https address",
        ),
        (
            '[{"key": "x", "name": "X", "issuer": "https://idp.example", '
            '"client_id": "a", "client_secret": "b", "authorize_params": '
            '{"nonce": "n"}}]',
            "may not set nonce",
        ),
    ],
)
def test_a_malformed_provider_setting_stops_the_app(tmp_path, setting, message):
    from portfolio import create_app
    from tests.conftest import base_config

    with pytest.raises(ConfigError, match=message):
        create_app({**base_config(tmp_path), "OIDC_PROVIDERS": setting})


def test_a_provider_like_cis2_signed_requests_userinfo_and_trusted_email(
    app, client, factory, tmp_path
):
    """A client that signs its token requests (private_key_jwt), a provider that
    sends the email address only from its UserInfo endpoint and no verified flag
    (as NHS CIS2 does), trusted by setting."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "portfolio-sso.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    app.config["OIDC_PROVIDERS"] = []
    with app.app_context():
        from portfolio.accounts import oidc

        app.config["OIDC_PROVIDERS"] = [
            {
                "key": "test",
                "name": "NHS CIS2",
                "issuer": "https://placeholder.invalid",
                "client_id": "signed",
                "token_endpoint_auth_method": "private_key_jwt",
                "private_key_file": str(pem),
            }
        ]
        published = oidc.public_keys()["keys"]
    assert client.get("/auth/sso/jwks.json").get_json() == {"keys": published}
    assert set(published[0]) == {"kty", "n", "e", "kid", "use", "alg"}  # public only

    accounts = {"careworker": {"email": "trainee@example.org", "name": "A R"}}
    clients = [oidc_client("signed", [CALLBACK], public_jwk=published[0])]
    with running_provider(tmp_path, clients, accounts, claims_in_id_token=False) as op:
        setting = {
            "key": "test",
            "name": "NHS CIS2",
            "issuer": op.issuer,
            "client_id": "signed",
            "token_endpoint_auth_method": "private_key_jwt",
            "private_key_file": str(pem),
            "scopes": "openid email profile",
        }
        app.config["OIDC_PROVIDERS"] = [setting]
        email = factory.user("trainee", "RBV", email="trainee@example.org")
        # No verified flag and not trusted: nothing is linked.
        response, _ = sso_sign_in(client, "careworker")
        assert response.status_code == 403
        assert "NHS CIS2 did not confirm your email address" in response.get_data(
            as_text=True
        )
        app.config["OIDC_PROVIDERS"] = [setting | {"trust_email": True}]
        response, _ = sso_sign_in(app.test_client(), "careworker")
        assert response.status_code == 302
    assert identities(app) == [(email, "careworker", "test")]


def test_a_single_sign_on_session_is_not_held_for_this_sites_second_factor(
    sso_app, client, factory
):
    """Admins need a second factor for password sign-in (TOTP_REQUIRED_ROLES); after
    single sign-on the provider's own factors count instead."""
    sso_app.config["TOTP_REQUIRED_ROLES"] = ["admin"]  # the shipped default
    email = factory.user("admin", None, email="trainee@example.org")
    assert sso_sign_in(client, "trainee")[0].status_code == 302
    assert client.get("/admin/users").status_code == 200
    by_password = sso_app.test_client()
    by_password.post("/auth/login", data={"email": email, "password": PASSWORD})
    held = by_password.get("/admin/users")
    assert held.status_code == 302 and "two-factor" in held.headers["Location"]


def test_failed_single_sign_ins_are_throttled_like_failed_passwords(sso_app, client):
    sso_app.config |= {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
    from portfolio.extensions import limiter

    limiter.init_app(sso_app)
    statuses = [
        client.get("/auth/sso/test/callback?state=forged&code=x").status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    sso_app.config["RATELIMIT_ENABLED"] = False


def test_the_command_line_removes_a_link_so_the_next_sign_in_links_again(
    sso_app, client, factory, runner
):
    factory.user("trainee", "RBV", email="trainee@example.org")
    assert sso_sign_in(client, "trainee")[0].status_code == 302
    refused, _ = sso_sign_in(sso_app.test_client(), "twin")
    assert refused.status_code == 403
    missing = runner.invoke(args=["users", "unlink-sso", "nobody@example.org"])
    assert missing.exit_code == 1 and "No account" in missing.output
    result = runner.invoke(args=["users", "unlink-sso", "trainee@example.org"])
    assert result.exit_code == 0, result.output
    assert "removed 1 single sign-on link(s)" in result.output
    assert identities(sso_app) == []
    linked, _ = sso_sign_in(sso_app.test_client(), "twin")
    assert linked.status_code == 302
    assert [s for _, s, _ in identities(sso_app)] == ["twin"]
    assert "sso.unlinked" in audit_actions(sso_app, "sso.")
