"""Open Badges 3.0 credentials signed as VC-JWT, the issuer profile, and their check.

A credential is secured with the JSON Web Token proof format of Open Badges 3.0
(https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof): a Compact JWS (RFC 7515,
https://www.rfc-editor.org/rfc/rfc7515) whose JOSE header is ``alg`` EdDSA
(RFC 8037, https://www.rfc-editor.org/rfc/rfc8037), ``kid`` and ``typ`` JWT, and
whose payload is the OpenBadgeCredential with the claims ``iss``, ``jti``, ``nbf``,
``sub`` (and ``exp`` when it has ``validUntil``). The key is the installation's
Ed25519 key that also signs bundles (``signing.py``). The issuer is the installation:
``issuer.id`` is ``BASE_URL/issuer``, which serves the profile with the public key
as a JWK in ``verificationMethod``; ``kid`` is that key's id (``…/issuer#key-1``).
"""

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from importlib import resources

import jsonschema
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portfolio import urls
from portfolio.exports import signing
from portfolio.exports.models import STATUS_LIST_BITS
from portfolio.rules import Invalid

OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
KEY_FRAGMENT = "key-1"
SCHEMA_FILE = "ob3-credential.schema.json"


class BadgeError(Invalid, ValueError):
    """A credential does not verify; the message says why."""


def issuer_id() -> str:
    return urls.absolute("/issuer")


def key_id() -> str:
    return f"{issuer_id()}#{KEY_FRAGMENT}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: Ed25519PublicKey | None = None) -> dict:
    """The public key as an OKP JWK (RFC 8037 section 2); never carries ``d``."""
    key = key or signing.signing_key().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": key_id()}


def issuer_profile() -> dict:
    """The OB 3.0 Profile served at ``issuer.id``, with its verification key."""
    return {
        "@context": OB_CONTEXT,
        "id": issuer_id(),
        "type": ["Profile"],
        "name": signing.installation_name(),
        "url": urls.absolute("/"),
        "verificationMethod": [
            {
                "id": key_id(),
                "type": "JsonWebKey",
                "controller": issuer_id(),
                "publicKeyJwk": public_jwk(),
            }
        ],
    }


def issuer_summary() -> dict:
    """The ``issuer`` object embedded in each credential."""
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": signing.installation_name(),
    }


def _numeric_date(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def sign_jwt(credential: dict, **claims) -> str:
    """``credential`` plus the registered ``claims`` as an EdDSA Compact JWS."""
    header = {"alg": "EdDSA", "kid": key_id(), "typ": "JWT"}
    payload = {**credential, **claims}
    if credential.get("validFrom"):
        payload["nbf"] = _numeric_date(credential["validFrom"])
    if credential.get("validUntil"):
        payload["exp"] = _numeric_date(credential["validUntil"])
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
        for part in (header, payload)
    )
    signature = signing.signing_key().sign(signing_input.encode("ascii"))
    return f"{signing_input}.{_b64url(signature)}"


def sign_credential(credential: dict) -> str:
    """The credential as a Compact JWS (OB 3.0 section 8.2)."""
    return sign_jwt(
        credential,
        iss=credential["issuer"]["id"],
        jti=credential["id"],
        sub=credential["credentialSubject"]["id"],
    )


def _schema() -> dict:
    text = resources.files("portfolio.exports").joinpath(SCHEMA_FILE).read_text()
    return json.loads(text)


def _jwk_key(jwk: dict) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" in jwk:
        raise BadgeError("the issuer's key is not a public Ed25519 JWK")
    try:
        return Ed25519PublicKey.from_public_bytes(_unb64url(str(jwk.get("x", ""))))
    except (binascii.Error, ValueError) as error:
        raise BadgeError("the issuer's key is not a public Ed25519 JWK") from error


def verify_jws(token: str, profile: dict) -> dict:
    """The payload of a Compact JWS signed (EdDSA) by a key of ``profile``."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise BadgeError("not a Compact JWS (three base64url parts separated by '.')")
    try:
        header = json.loads(_unb64url(parts[0]))
        payload = json.loads(_unb64url(parts[1]))
        signature = _unb64url(parts[2])
    except (binascii.Error, ValueError) as error:
        raise BadgeError(f"not a Compact JWS ({error})") from error
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise BadgeError("the JOSE header and payload must be JSON objects")
    if header.get("alg") != "EdDSA":
        raise BadgeError(f"alg is {header.get('alg')!r}, expected 'EdDSA'")
    if header.get("typ", "JWT") != "JWT":
        raise BadgeError(f"typ is {header.get('typ')!r}, expected 'JWT'")
    methods = {
        m.get("id"): m
        for m in profile.get("verificationMethod", [])
        if isinstance(m, dict)
    }
    method = methods.get(header.get("kid"))
    if method is None:
        raise BadgeError(
            f"kid {header.get('kid')!r} is not a key of issuer {profile.get('id')!r}"
        )
    try:
        _jwk_key(method.get("publicKeyJwk") or {}).verify(
            signature, f"{parts[0]}.{parts[1]}".encode("ascii")
        )
    except InvalidSignature as error:
        raise BadgeError(
            "the signature does not verify with the issuer's key"
        ) from error
    return payload


def verify_credential(
    token: str,
    profile: dict,
    now: datetime | None = None,
    status_list: Callable[[str], str] | None = None,
) -> dict:
    """Check a VC-JWT as OB 3.0 section 8.2 "Verify a Credential" says; the credential.

    ``profile`` is the issuer profile (as served at ``issuer.id``) whose
    ``verificationMethod`` holds the key ``kid`` names. With ``status_list`` (a
    function from a status list URL to the VC-JWT served there) the credential's
    ``credentialStatus`` is checked too, and a revoked credential raises. Raises
    BadgeError.
    """
    payload = verify_jws(token, profile)
    credential = {
        k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "sub", "exp")
    }
    try:
        jsonschema.validate(
            credential,
            _schema(),
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise BadgeError(f"{where}: {error.message}") from error
    issuer = credential["issuer"]
    issuer_ref = issuer["id"] if isinstance(issuer, dict) else issuer
    if issuer_ref != profile.get("id") or payload.get("iss") != issuer_ref:
        raise BadgeError(
            f"issued by {issuer_ref!r} (iss {payload.get('iss')!r}), "
            f"not by {profile.get('id')!r}"
        )
    if payload.get("jti") != credential["id"]:
        raise BadgeError("jti does not match the credential id")
    if payload.get("sub") != credential["credentialSubject"].get("id"):
        raise BadgeError("sub does not match credentialSubject.id")
    checked_at = now or datetime.now(UTC)
    valid_from = datetime.fromisoformat(credential["validFrom"])
    if payload.get("nbf") != int(valid_from.timestamp()):
        raise BadgeError("nbf does not match validFrom")
    if valid_from > checked_at:
        raise BadgeError(f"not valid until {credential['validFrom']}")
    if credential.get("validUntil"):
        valid_until = datetime.fromisoformat(credential["validUntil"])
        if payload.get("exp") != int(valid_until.timestamp()):
            raise BadgeError("exp does not match validUntil")
        if valid_until <= checked_at:
            raise BadgeError(f"expired on {credential['validUntil']}")
    if status_list is not None:
        # The caller's time if given; else each status list as of its reading.
        check_status(credential, profile, status_list, now)
    return credential


def status_entries(credential: dict) -> list[dict]:
    """The credential's Bitstring Status List entries (``credentialStatus``)."""
    found = credential.get("credentialStatus") or []
    found = found if isinstance(found, list) else [found]
    return [
        e
        for e in found
        if isinstance(e, dict) and e.get("type") == "BitstringStatusListEntry"
    ]


def check_status(
    credential: dict,
    profile: dict,
    status_list: Callable[[str], str],
    now: datetime | None = None,
) -> None:
    """Bitstring Status List v1.0 section 3.2 validation for each entry.

    The status list credential must verify with the same issuer's key, be current,
    carry the entry's ``statusPurpose`` and at least 131,072 bits; a set bit for a
    revocation entry raises BadgeError saying the credential is revoked.
    """
    from portfolio.exports import status_list as lists

    for entry in status_entries(credential):
        url = str(entry.get("statusListCredential") or "")
        purpose = entry.get("statusPurpose")
        try:
            index = int(str(entry.get("statusListIndex")))
        except ValueError as error:
            raise BadgeError("statusListIndex is not a decimal integer") from error
        listed = verify_jws(status_list(url), profile)
        # Judged as of when it was read: a list issued while this check ran (its
        # validFrom a moment after the check began) is current, not "not valid yet".
        checked_at = now or datetime.now(UTC)
        subject = listed.get("credentialSubject") or {}
        if (
            "BitstringStatusListCredential" not in (listed.get("type") or [])
            or listed.get("id") != url
            or not isinstance(subject, dict)
        ):
            raise BadgeError(f"{url[:200]} is not a BitstringStatusListCredential")
        issuer = listed.get("issuer")
        issuer_ref = issuer.get("id") if isinstance(issuer, dict) else issuer
        if issuer_ref != profile.get("id"):
            raise BadgeError("the status list is not issued by the badge's issuer")
        if (
            listed.get("validFrom")
            and datetime.fromisoformat(listed["validFrom"]) > checked_at
        ):
            raise BadgeError("the status list is not valid yet")
        if (
            listed.get("validUntil")
            and datetime.fromisoformat(listed["validUntil"]) <= checked_at
        ):
            raise BadgeError("the status list has expired")
        if subject.get("statusPurpose") != purpose:
            raise BadgeError(
                f"the status list's purpose is {subject.get('statusPurpose')!r}, "
                f"not {purpose!r} (STATUS_VERIFICATION_ERROR)"
            )
        try:
            bits = lists.decode(str(subject.get("encodedList") or ""))
        except ValueError as error:
            raise BadgeError(f"the status list is malformed: {error}") from error
        if len(bits) * 8 < STATUS_LIST_BITS:
            raise BadgeError("the status list is too short (STATUS_LIST_LENGTH_ERROR)")
        if not 0 <= index < len(bits) * 8:
            raise BadgeError("statusListIndex is outside the list (RANGE_ERROR)")
        if lists.bit(bits, index) and purpose == "revocation":
            raise BadgeError(
                "revoked: the sign-off this badge rests on was withdrawn "
                f"(status list {url}, index {index})"
            )
