"""Open Badges 3.0: the bundle's credentials are VC-JWTs a verifier can check.

Spec: https://www.imsglobal.org/spec/ob/v3p0/ section 8.2 (JSON Web Token proof).
"""

import base64
import io
import json
import zipfile
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.helpers.api import sign_off as signed
from tests.world import REFLECTION

BASE = "http://localhost"


def _part(token: str, index: int) -> dict:
    text = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def bundle_badges(as_, world, work_jobs):
    """The .jwt members of a freshly exported bundle, by name."""
    signed(as_, world, {**REFLECTION, "title": "Linac morning QA reflection"})
    created = as_("trainee").post(
        "/api/v1/exports", json={"kind": "bundle", "enrolment": world.enrolment_id}
    )
    assert created.status_code == 202, created.get_json()
    work_jobs()
    export = (
        as_("trainee").get(f"/api/v1/exports/{created.get_json()['id']}").get_json()
    )
    assert export["status"] == "done", export
    download = as_("trainee").get(export["download_url"])
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        found = {
            n: archive.read(n).decode()
            for n in archive.namelist()
            if n.startswith("badges/")
        }
    download.close()
    assert found and all(n.endswith(".jwt") for n in found)
    return found


def test_bundle_badges_are_vc_jwts_that_verify_with_the_served_issuer_key(
    app, client, login, world, bundle_badges
):
    from portfolio.exports import badges

    profile_response = app.test_client().get("/issuer")
    assert profile_response.status_code == 200
    profile = profile_response.get_json()
    assert profile["id"] == f"{BASE}/issuer" and "Profile" in profile["type"]
    jwk = profile["verificationMethod"][0]["publicKeyJwk"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk
    login(world.trainee, "correct-horse-battery")
    key = Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    )
    for token in bundle_badges.values():
        header, payload = _part(token, 0), _part(token, 1)
        # OB 3.0 section 8.2.2: only alg, kid/jwk and typ JWT.
        assert header == {
            "alg": "EdDSA",
            "kid": profile["verificationMethod"][0]["id"],
            "typ": "JWT",
        }
        head, body, signature = token.split(".")
        key.verify(
            base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
            f"{head}.{body}".encode(),
        )
        assert payload["iss"] == payload["issuer"]["id"] == profile["id"]
        assert payload["jti"] == payload["id"]
        assert payload["sub"] == payload["credentialSubject"]["id"]
        assert payload["nbf"] == int(
            datetime.fromisoformat(payload["validFrom"]).timestamp()
        )
        # The alignment's targetUrl is the curriculum page, and it resolves.
        target = payload["credentialSubject"]["achievement"]["alignment"][0][
            "targetUrl"
        ]
        assert target.startswith(f"{BASE}/curricula/")
        page = client.get(target.removeprefix(BASE))
        assert page.status_code == 200
        assert payload["credentialSubject"]["achievement"]["alignment"][0][
            "targetCode"
        ] in page.get_data(as_text=True)
        with app.app_context():
            assert badges.verify_credential(token, profile)["id"] == payload["id"]


def test_badges_verify_cli_accepts_a_bundle_credential_and_refuses_tampering(
    runner, bundle_badges, tmp_path
):
    token = next(iter(bundle_badges.values()))
    good = tmp_path / "badge.jwt"
    good.write_text(token)
    result = runner.invoke(args=["badges", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "valid OpenBadgeCredential urn:uuid:" in result.output

    head, body, signature = token.split(".")
    payload = _part(token, 1)
    payload["name"] = "Something never signed off"
    forged = tmp_path / "forged.jwt"
    forged.write_text(f"{head}.{_b64url(json.dumps(payload).encode())}.{signature}")
    result = runner.invoke(args=["badges", "verify", str(forged)])
    assert result.exit_code == 1
    assert "forged.jwt: not valid: the signature does not verify" in result.output

    junk = tmp_path / "junk.jwt"
    junk.write_text("not a token")
    result = runner.invoke(args=["badges", "verify", str(junk)])
    assert result.exit_code == 1 and "not a Compact JWS" in result.output
    assert "Traceback" not in result.output


def _credential(**changes) -> dict:
    from portfolio.exports import badges

    credential = {
        "@context": badges.OB_CONTEXT,
        "id": "urn:uuid:6f1d1f64-8d7e-4c2e-9d55-0d0c7c3a6f11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": badges.issuer_summary(),
        "validFrom": "2026-01-05T10:00:00+00:00",
        "name": "STP-C1-TA01: Quality assurance",
        "credentialSubject": {
            "id": "urn:uuid:0b7b1f0e-5d55-4b5e-8a57-3a1f0d9b2c10",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:5b0c5a8a-0b8e-4a4e-bf55-6c1b7b7c7d01",
                "type": ["Achievement"],
                "name": "Quality assurance",
                "description": "Quality assurance",
                "criteria": {"narrative": "Signed off."},
            },
        },
    }
    credential.update(changes)
    return credential


def test_verify_checks_issuer_dates_required_fields_and_key(app):
    from portfolio.exports import badges

    with app.test_request_context():
        profile = badges.issuer_profile()
        assert badges.verify_credential(badges.sign_credential(_credential()), profile)

        later = datetime.now(UTC) + timedelta(days=2)
        token = badges.sign_credential(_credential(validFrom=later.isoformat()))
        with pytest.raises(badges.BadgeError, match="not valid until"):
            badges.verify_credential(token, profile)

        token = badges.sign_credential(
            _credential(validUntil="2026-01-06T10:00:00+00:00")
        )
        with pytest.raises(badges.BadgeError, match="expired on"):
            badges.verify_credential(token, profile)

        elsewhere = {
            **badges.issuer_summary(),
            "id": "https://elsewhere.example/issuer",
        }
        token = badges.sign_credential(_credential(issuer=elsewhere))
        with pytest.raises(badges.BadgeError, match="elsewhere.example"):
            badges.verify_credential(token, profile)

        broken = _credential()
        del broken["credentialSubject"]["achievement"]["criteria"]
        with pytest.raises(badges.BadgeError, match="'criteria' is a required"):
            badges.verify_credential(badges.sign_credential(broken), profile)

        with pytest.raises(badges.BadgeError, match="^type: "):
            badges.verify_credential(
                badges.sign_credential(_credential(type=["VerifiableCredential"])),
                profile,
            )

        # Signed by another key under this issuer's kid: refused.
        other = Ed25519PrivateKey.generate()
        head, body, _ = badges.sign_credential(_credential()).split(".")
        forged = f"{head}.{body}.{_b64url(other.sign(f'{head}.{body}'.encode()))}"
        with pytest.raises(badges.BadgeError, match="signature does not verify"):
            badges.verify_credential(forged, profile)
