"""Single sign-on through OpenID Connect: providers, the code flow, and linking.

Each identity provider (NHSmail, NHS CIS2, any other OpenID Provider) is a setting
(``OIDC_PROVIDERS``, see docs/sso.md). The flow is the authorization code flow with
PKCE (RFC 7636), a ``state`` bound to the browser's session and a ``nonce`` bound
to the ID token (OpenID Connect Core 1.0 sections 3.1.2.1 and 15.5.2):
https://openid.net/specs/openid-connect-core-1_0.html

- The provider is found through its discovery document
  (``<issuer>/.well-known/openid-configuration``), whose ``issuer`` must be the
  configured one exactly (OpenID Connect Discovery 1.0 section 4.3).
- The code is exchanged by Authlib's OAuth 2 client; the ID token's signature (the
  provider's published keys only, never ``none`` or a shared secret), issuer,
  audience, expiry, issue time and nonce are checked by joserfc, Authlib's JOSE
  library, as section 3.1.3.7 asks.
- The person is found by issuer and subject (``sub``), never by email, once linked.
  The first sign-in links to the existing account (an invited one included) with
  the provider's *verified* email address; no account is ever created here.

Every refusal raises :class:`SsoError` with a message for the person.
"""

import json
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.errors import ClaimError
from joserfc.errors import ExpiredTokenError
from joserfc.errors import InvalidKeyIdError
from joserfc.errors import JoseError
from joserfc.errors import MissingClaimError
from joserfc.jwk import KeySet
from joserfc.jwk import RSAKey

from portfolio import policy
from portfolio.accounts.models import Invitation
from portfolio.accounts.models import User
from portfolio.accounts.services import find_user
from portfolio.accounts.sso_models import UserIdentity
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound
from portfolio.rules import RuleError

# Signature algorithms accepted for ID tokens: asymmetric ones only, so a token
# can only come from the holder of the provider's private key.
ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
# How the portfolio proves itself at the token endpoint: a client secret (RFC 6749
# section 2.3.1), or a JWT signed with its own private key (RFC 7523 section 2.2,
# "private_key_jwt" in OpenID Connect Core 1.0 section 9), as NHS CIS2 asks.
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CACHE_SECONDS = 3600
AGAIN = "Try again, and if it keeps happening tell your administrator."


class SsoError(RuleError):
    """Single sign-on refused; the message is for the person signing in."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class ProviderSettingsError(ValueError):
    """OIDC_PROVIDERS is malformed: the app refuses to start, saying where."""


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid email profile"
    token_endpoint_auth_method: str = "client_secret_basic"
    # The claim that says the email address is verified (OpenID Connect Core 1.0
    # section 5.1 ``email_verified``; Microsoft Entra ID's ``xms_edov``).
    email_verified_claim: str = "email_verified"
    email_claim: str = "email"
    # Extra authorization request parameters (CIS2's ``acr_values``, Entra's
    # ``prompt``), never the ones this module sets itself.
    authorize_params: dict[str, str] = field(default_factory=dict)
    # private_key_jwt: the PEM file of the RSA key the assertions are signed with;
    # its public half is published at /auth/sso/jwks.json.
    private_key_file: str | None = None
    # True: the provider vouches for every address it sends (an administrator's
    # decision, for a provider that sends no verified flag at all).
    trust_email: bool = False

    def signing_key(self) -> RSAKey:
        """The private key of a private_key_jwt client (read when needed)."""
        assert self.private_key_file
        return _signing_key(self.private_key_file)


# ---- the setting ---------------------------------------------------------------------

_FIELDS = {
    "key",
    "name",
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "token_endpoint_auth_method",
    "email_verified_claim",
    "email_claim",
    "authorize_params",
    "private_key_file",
    "trust_email",
}
_RESERVED_PARAMS = {
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
}


def _loopback(host: str | None) -> bool:
    return host in ("localhost", "127.0.0.1", "::1")


def parse_providers(raw: Any) -> list[Provider]:
    """Read the OIDC_PROVIDERS setting: a JSON list of objects (or its text)."""
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise ProviderSettingsError(
                f"OIDC_PROVIDERS is not valid JSON: {error}"
            ) from error
    if not isinstance(raw, list):
        raise ProviderSettingsError("OIDC_PROVIDERS must be a JSON list of objects")
    found: list[Provider] = []
    for number, item in enumerate(raw, start=1):
        where = f"OIDC_PROVIDERS item {number}"
        if isinstance(item, Provider):
            found.append(item)
            continue
        if not isinstance(item, dict):
            raise ProviderSettingsError(f"{where} must be an object")
        unknown = set(item) - _FIELDS
        if unknown:
            raise ProviderSettingsError(
                f"{where} has unknown settings: {', '.join(sorted(unknown))}"
            )
        method = item.get("token_endpoint_auth_method", "client_secret_basic")
        needed = ["key", "name", "issuer", "client_id"]
        needed.append(
            "private_key_file" if method == "private_key_jwt" else "client_secret"
        )
        for name in needed:
            if not isinstance(item.get(name), str) or not item[name].strip():
                raise ProviderSettingsError(f"{where} needs {name!r} (text)")
        if not re.match(KEY_PATTERN, item["key"]):
            raise ProviderSettingsError(
                f"{where}: 'key' is used in web addresses: lower-case letters, "
                "digits and hyphens, up to 40"
            )
        issuer = item["issuer"].strip()
        parts = urlsplit(issuer)
        if not parts.hostname or (
            parts.scheme != "https"
            and not (parts.scheme == "http" and _loopback(parts.hostname))
        ):
            raise ProviderSettingsError(
                f"{where}: 'issuer' must be an https address (http only on this "
                f"machine), not {issuer!r}"
            )
        if method not in AUTH_METHODS:
            raise ProviderSettingsError(
                f"{where}: 'token_endpoint_auth_method' must be one of "
                f"{', '.join(AUTH_METHODS)}"
            )
        params = item.get("authorize_params") or {}
        if not isinstance(params, dict) or not all(
            isinstance(v, str) for v in params.values()
        ):
            raise ProviderSettingsError(
                f"{where}: 'authorize_params' must be an object of text values"
            )
        if set(params) & _RESERVED_PARAMS:
            raise ProviderSettingsError(
                f"{where}: 'authorize_params' may not set "
                f"{', '.join(sorted(set(params) & _RESERVED_PARAMS))}"
            )
        if method == "private_key_jwt":
            try:
                _signing_key(item["private_key_file"])
            except (OSError, ValueError, JoseError) as error:
                raise ProviderSettingsError(
                    f"{where}: 'private_key_file' must be a readable PEM file "
                    f"holding an RSA private key ({error})"
                ) from error
        if not isinstance(item.get("trust_email", False), bool):
            raise ProviderSettingsError(f"{where}: 'trust_email' must be true or false")
        scopes = item.get("scopes", "openid email profile")
        if isinstance(scopes, list):
            scopes = " ".join(scopes)
        if "openid" not in str(scopes).split():
            raise ProviderSettingsError(f"{where}: 'scopes' must include openid")
        found.append(
            Provider(
                key=item["key"],
                name=item["name"].strip(),
                issuer=issuer,
                client_id=item["client_id"],
                client_secret=item.get("client_secret") or "",
                scopes=str(scopes),
                token_endpoint_auth_method=method,
                email_verified_claim=item.get("email_verified_claim")
                or "email_verified",
                email_claim=item.get("email_claim") or "email",
                authorize_params=dict(params),
                private_key_file=item.get("private_key_file"),
                trust_email=bool(item.get("trust_email", False)),
            )
        )
    keys = [p.key for p in found]
    if len(set(keys)) != len(keys):
        raise ProviderSettingsError("OIDC_PROVIDERS: each provider needs its own key")
    return found


def _signing_key(path: str) -> RSAKey:
    key = RSAKey.import_key(Path(path).read_bytes())
    if not key.is_private:
        raise ValueError("it holds a public key only")
    return key


def public_keys() -> dict:
    """The JWK Set of the keys private_key_jwt clients sign with (public halves)."""
    keys = []
    for p in providers():
        if p.token_endpoint_auth_method == "private_key_jwt":
            key = p.signing_key()
            public = key.as_dict(private=False)
            public |= {"kid": key.thumbprint(), "use": "sig", "alg": "RS256"}
            if public not in keys:
                keys.append(public)
    return {"keys": keys}


def providers() -> list[Provider]:
    return parse_providers(current_app.config.get("OIDC_PROVIDERS"))


def provider(key: str) -> Provider | None:
    return next((p for p in providers() if p.key == key), None)


# ---- discovery and keys ------------------------------------------------------------

_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _timeout() -> float:
    return float(current_app.config["OIDC_HTTP_TIMEOUT"])


def _unreachable(p: Provider) -> SsoError:
    return SsoError(
        f"We could not reach {p.name} to sign you in. Try again in a few minutes; "
        "if it keeps happening, tell your administrator.",
        502,
    )


def _get_json(p: Provider, url: str) -> dict:
    try:
        response = requests.get(url, timeout=_timeout())
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        current_app.logger.warning("OpenID provider %s: %s: %s", p.key, url, error)
        raise _unreachable(p) from error
    if not isinstance(document, dict):
        raise _unreachable(p)
    return document


def _cached(key: str, load, refresh: bool = False):
    with _cache_lock:
        held = _cache.get(key)
    if held and not refresh and time.monotonic() - held[0] < CACHE_SECONDS:
        return held[1]
    value = load()
    with _cache_lock:
        _cache[key] = (time.monotonic(), value)
    return value


def metadata(p: Provider) -> dict:
    """The provider's discovery document, checked and kept for an hour."""

    def load() -> dict:
        url = p.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = _get_json(p, url)
        if document.get("issuer") != p.issuer:
            current_app.logger.error(
                "OpenID provider %s: discovery issuer %r is not the configured %r",
                p.key,
                document.get("issuer"),
                p.issuer,
            )
            raise SsoError(
                f"{p.name} is not set up correctly here (its issuer does not match). "
                "Tell your administrator.",
                502,
            )
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise _unreachable(p)
        return document

    return _cached("metadata " + p.issuer, load)


def _keys(p: Provider, refresh: bool = False) -> KeySet:
    uri = metadata(p)["jwks_uri"]

    def load() -> KeySet:
        document = _get_json(p, uri)
        try:
            return KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise _unreachable(p) from error

    return _cached("jwks " + uri, load, refresh)


# ---- the flow ------------------------------------------------------------------------


@dataclass
class Pending:
    """What the browser's session keeps between sending the person to the
    provider and their coming back: one use only."""

    provider: str
    state: str
    nonce: str
    verifier: str
    started: float
    next: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _client(p: Provider, redirect_uri: str) -> OAuth2Session:
    signed = p.token_endpoint_auth_method == "private_key_jwt"
    return OAuth2Session(
        client_id=p.client_id,
        client_secret=None if signed else p.client_secret,
        scope=p.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        # With a signed assertion the client_id goes in the body ("none" here),
        # the assertion beside it (see _client_assertion).
        token_endpoint_auth_method="none" if signed else p.token_endpoint_auth_method,
        default_timeout=_timeout(),
    )


def _client_assertion(p: Provider, token_endpoint: str) -> dict[str, str]:
    """RFC 7523 section 3: a short-lived JWT naming this client, for this endpoint."""
    if p.token_endpoint_auth_method != "private_key_jwt":
        return {}
    key = p.signing_key()
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "RS256", "kid": key.thumbprint(), "typ": "JWT"},
        {
            "iss": p.client_id,
            "sub": p.client_id,
            "aud": token_endpoint,
            "jti": secrets.token_urlsafe(24),
            "iat": now,
            "exp": now + 300,
        },
        key,
        algorithms=["RS256"],
    )
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}


def begin(p: Provider, redirect_uri: str, next_url: str) -> tuple[str, Pending]:
    """The provider's authorization URL to send the person to, and what to keep."""
    endpoint = metadata(p)["authorization_endpoint"]
    pending = Pending(
        provider=p.key,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=generate_token(64),
        started=time.time(),
        next=next_url,
    )
    url, _state = _client(p, redirect_uri).create_authorization_url(
        endpoint,
        state=pending.state,
        code_verifier=pending.verifier,
        nonce=pending.nonce,
        **p.authorize_params,
    )
    return url, pending


START_AGAIN = "This sign-in has expired or has already been used. Start again."


def check_pending(p: Provider, pending: Mapping | None) -> Pending:
    """The session's record of this sign-in, if it is still good; else refuse."""
    minutes = float(current_app.config["OIDC_LOGIN_MINUTES"])
    if not isinstance(pending, Mapping) or pending.get("provider") != p.key:
        raise SsoError(START_AGAIN)
    try:
        held = Pending(**{k: pending[k] for k in Pending.__dataclass_fields__})
    except (KeyError, TypeError) as error:
        raise SsoError(START_AGAIN) from error
    if time.time() - float(held.started or 0) > minutes * 60:
        raise SsoError(START_AGAIN)
    return held


def finish(
    p: Provider, pending: Pending, args: Mapping[str, str], redirect_uri: str
) -> tuple[dict, str]:
    """Exchange the code and check the ID token; return (claims, raw ID token)."""
    if args.get("error"):
        if args["error"] == "access_denied":
            raise SsoError(f"Signing in with {p.name} was cancelled.")
        description = (args.get("error_description") or args["error"])[:200]
        raise SsoError(f"{p.name} did not sign you in: {description}. {AGAIN}")
    # RFC 9207: a provider that names itself in the response must be this one, so a
    # response meant for another provider (a mix-up attack) is refused.
    if args.get("iss") is not None and args["iss"] != p.issuer:
        raise SsoError(
            f"The answer did not come from {p.name}, so you were not signed in. "
            + AGAIN
        )
    if not args.get("code"):
        raise SsoError(f"{p.name} sent no sign-in code back. {AGAIN}")
    endpoint = metadata(p)["token_endpoint"]
    try:
        token = _client(p, redirect_uri).fetch_token(
            endpoint,
            grant_type="authorization_code",
            code=args["code"],
            code_verifier=pending.verifier,
            **_client_assertion(p, endpoint),
        )
    except AuthlibBaseError as error:
        current_app.logger.warning(
            "OpenID provider %s refused the code: %s", p.key, error
        )
        raise SsoError(
            f"{p.name} did not accept the sign-in (the code may have been used "
            "already or have expired). Start again."
        ) from error
    except requests.RequestException as error:
        raise _unreachable(p) from error
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoError(f"{p.name} sent no ID token. {AGAIN}")
    claims = verify_id_token(p, id_token, pending.nonce)
    if p.email_claim not in claims:
        claims = _with_userinfo(p, claims, token.get("access_token"))
    return claims, id_token


def _with_userinfo(p: Provider, claims: dict, access_token) -> dict:
    """Claims the ID token lacks, from the UserInfo endpoint (NHS CIS2 sends the
    email address there). Its ``sub`` must be the ID token's (OpenID Connect Core
    1.0 section 5.3.2); what the ID token says always wins."""
    endpoint = metadata(p).get("userinfo_endpoint")
    if not isinstance(endpoint, str) or not isinstance(access_token, str):
        return claims
    try:
        response = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=_timeout(),
        )
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError) as error:
        current_app.logger.warning("OpenID provider %s userinfo: %s", p.key, error)
        raise _unreachable(p) from error
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        raise _refused(p, "and its user information describe different people")
    return {**info, **claims}


def _refused(p: Provider, why: str) -> SsoError:
    return SsoError(
        f"You were not signed in: the identity token from {p.name} {why}. {AGAIN}"
    )


def verify_id_token(p: Provider, id_token: str, nonce: str) -> dict:
    """Check the ID token as OpenID Connect Core 1.0 section 3.1.3.7 asks."""
    document = metadata(p)
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in ALGORITHMS if a in offered]
    if not algorithms:
        raise _refused(p, "is signed in a way this service does not accept")
    try:
        try:
            token = jwt.decode(id_token, _keys(p), algorithms=algorithms)
        except InvalidKeyIdError:
            # The provider may have rotated its keys since they were fetched.
            token = jwt.decode(id_token, _keys(p, refresh=True), algorithms=algorithms)
    except BadSignatureError as error:
        raise _refused(
            p, "does not carry its valid signature (it may have been altered)"
        ) from error
    except InvalidKeyIdError as error:
        raise _refused(p, "was signed with a key it does not publish") from error
    except (JoseError, ValueError, TypeError) as error:
        raise _refused(p, "could not be read") from error
    claims = token.claims
    skew = int(current_app.config["OIDC_CLOCK_SKEW_SECONDS"])
    registry = jwt.JWTClaimsRegistry(
        leeway=skew,
        iss={"essential": True, "value": p.issuer},
        aud={"essential": True, "value": p.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    reasons = {
        "iss": "was issued by someone else",
        "aud": "was issued for another service (its audience is not this one)",
        "nonce": "belongs to another sign-in (its nonce does not match)",
        "iat": "says it was issued in the future (check the clocks)",
        "nbf": "is not valid yet (check the clocks)",
        "sub": "does not say who you are",
    }
    try:
        registry.validate(claims)
    except ExpiredTokenError as error:
        raise _refused(p, "has expired") from error
    except MissingClaimError as error:
        raise _refused(p, f"is missing {error.claim}") from error
    except ClaimError as error:
        raise _refused(p, reasons.get(error.claim, f"has a bad {error.claim}")) from (
            error
        )
    audience = claims["aud"]
    azp = claims.get("azp")
    if (isinstance(audience, list) and len(audience) > 1 and azp is None) or (
        azp is not None and azp != p.client_id
    ):
        raise _refused(p, reasons["aud"])
    if not isinstance(claims["sub"], str) or len(claims["sub"]) > 255:
        raise _refused(p, reasons["sub"])
    return claims


# ---- the account -----------------------------------------------------------------


def _verified(p: Provider, claims: Mapping) -> str | None:
    """The email address the provider vouches for, lower-cased; else None."""
    email = claims.get(p.email_claim)
    verified = claims.get(p.email_verified_claim)
    if not isinstance(email, str) or not email.strip():
        return None
    if (
        p.trust_email
        or verified is True
        or (isinstance(verified, str) and verified.lower() == "true")
    ):
        return email.strip().lower()
    return None


def _closed(p: Provider) -> SsoError:
    return SsoError(
        f"Your MPCE Portfolio account is closed, so you cannot sign in with {p.name}. "
        "Ask your training lead or an administrator if you need it again.",
        403,
    )


def _accept_invitation(user: User) -> None:
    """A first single sign-on accepts the person's open invitation."""
    now = utcnow()
    for invitation in db.session.scalars(
        sa.select(Invitation).where(
            Invitation.user_id == user.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    ):
        invitation.accepted_at = now


def sign_in(p: Provider, claims: Mapping) -> User:
    """The account these checked claims sign in to, linking it the first time.

    Writes the link (first time), the sign-in time and the audit events, and
    commits; refuses with SsoError and writes nothing otherwise.
    """
    subject = claims["sub"]
    identity = db.session.scalar(
        sa.select(UserIdentity).where(
            UserIdentity.issuer == p.issuer, UserIdentity.subject == subject
        )
    )
    now = utcnow()
    if identity is None:
        email = _verified(p, claims)
        if email is None:
            raise SsoError(
                f"{p.name} did not confirm your email address, so we cannot tell "
                "which MPCE Portfolio account is yours. Ask your administrator.",
                403,
            )
        user = find_user(email)
        if user is None:
            raise SsoError(
                f"There is no MPCE Portfolio account for {email}. Ask your training "
                "lead or an administrator to invite you, then sign in again.",
                403,
            )
        if not user.active:
            raise _closed(p)
        taken = db.session.scalar(
            sa.select(UserIdentity).where(
                UserIdentity.user_id == user.id, UserIdentity.issuer == p.issuer
            )
        )
        if taken is not None:
            raise SsoError(
                f"The account for {email} is already linked to another {p.name} "
                "identity. Ask an administrator to check it.",
                403,
            )
        identity = UserIdentity(
            user=user,
            issuer=p.issuer,
            subject=subject,
            provider=p.key,
            email_at_link=email,
        )
        db.session.add(identity)
        _accept_invitation(user)
        db.session.flush()
        audit.record(
            user,
            "sso.linked",
            "user",
            user.id,
            provider=p.key,
            issuer=p.issuer,
            subject=subject,
            email=email,
        )
    user = identity.user
    if not user.active:
        db.session.rollback()
        raise _closed(p)
    identity.last_used_at = now  # the sign-in time: accounts.signin.start_session
    audit.record(
        user, "sso.signed_in", "user", user.id, provider=p.key, subject=subject
    )
    db.session.commit()
    return user


def end_session_url(key: str | None, id_token: str | None, back_to: str) -> str | None:
    """The provider's sign-out address (RP-Initiated Logout 1.0), where it has one."""
    p = provider(key) if key else None
    if p is None:
        return None
    try:
        endpoint = metadata(p).get("end_session_endpoint")
    except SsoError:
        return None
    if not isinstance(endpoint, str):
        return None
    params = {"client_id": p.client_id, "post_logout_redirect_uri": back_to}
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(params)


# ---- organisations that require single sign-on -----------------------------------


def sso_organisations(user: User) -> list[Organisation]:
    """The organisations of the user's current roles that require single sign-on."""
    found: dict[str, Organisation] = {}
    for role in user.current_roles:
        organisation = role.organisation
        if organisation is not None and organisation.sso_required:
            found[organisation.id] = organisation
    return sorted(found.values(), key=lambda o: o.name)


def password_refusal(user: User) -> str | None:
    """Why this user may not sign in with a password; None when they may."""
    required = sso_organisations(user)
    if not required:
        return None
    names = " and ".join(o.name for o in required)
    ways = " or ".join(f"‘Sign in with {p.name}’" for p in providers())
    how = (
        f"Use {ways} instead."
        if ways
        else "Single sign-on is not set up here yet: tell your administrator."
    )
    return f"{names} requires you to sign in with single sign-on, not a password. {how}"


def set_sso_required(actor: User, code: str, required: bool) -> Organisation:
    """Require (or stop requiring) single sign-on for an organisation's people."""
    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.code == code)
    )
    if organisation is None:
        raise NotFound("No such organisation")
    if not policy.can_manage_organisations(actor):
        raise Forbidden("Only an administrator can change how people sign in")
    if required and not providers():
        raise Invalid.field(
            "sign_in",
            "No single sign-on provider is set up, so it cannot be required yet",
        )
    if organisation.sso_required != required:
        organisation.sso_required = required
        audit.record(
            actor,
            "organisation.sso_required" if required else "organisation.sso_optional",
            "organisation",
            organisation.id,
            code=organisation.code,
        )
    db.session.commit()
    return organisation


def unlink(actor: User | None, email: str, key: str | None = None) -> int:
    """Remove an account's single sign-on links (all, or one provider's), so its
    next sign-in links again by verified email. ``actor`` None: the command line.
    Returns how many were removed; commits."""
    if actor is not None and not policy.can_manage_users(actor):
        raise Forbidden("Only an administrator can remove single sign-on links")
    user = find_user(email)
    if user is None:
        raise NotFound(f"No account with the email address {email}")
    query = sa.select(UserIdentity).where(UserIdentity.user_id == user.id)
    if key is not None:
        query = query.where(UserIdentity.provider == key)
    removed = 0
    for identity in db.session.scalars(query):
        audit.record(
            actor,
            "sso.unlinked",
            "user",
            user.id,
            provider=identity.provider,
            issuer=identity.issuer,
            subject=identity.subject,
        )
        db.session.delete(identity)
        removed += 1
    db.session.commit()
    return removed
