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
        "name": "P-C1-TA01: Quality assurance",
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


def _status_list_token(app, url: str) -> str:
    """The status list credential as any verifier fetches it: over HTTP."""
    response = app.test_client().get(url.removeprefix(BASE))
    assert response.status_code == 200, response.data[:200]
    assert response.mimetype == "application/jwt"
    return response.get_data(as_text=True)


def test_badges_carry_a_revocation_status_that_an_unlock_sets(
    app, as_, world, runner, tmp_path, work_jobs
):
    """Bitstring Status List v1.0: issue, verify ok; unlock; verify says revoked."""
    import gzip

    from portfolio.exports import badges

    evidence_id = signed(as_, world, {**REFLECTION, "title": "Linac QA reflection"})
    made = as_("trainee").post(
        "/api/v1/exports", json={"kind": "bundle", "enrolment": world.enrolment_id}
    )
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    with as_("trainee").get(export["download_url"]) as download:
        with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
            tokens = [
                archive.read(n).decode()
                for n in archive.namelist()
                if n.startswith("badges/")
            ]
    assert tokens
    profile = app.test_client().get("/issuer").get_json()
    entries = [_part(t, 1)["credentialStatus"] for t in tokens]
    for entry in entries:
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusPurpose"] == "revocation"
        assert entry["statusListCredential"] == f"{BASE}/badges/status/1"
        assert (
            entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
        )
        assert 0 <= int(entry["statusListIndex"]) < 131072
    assert len({e["statusListIndex"] for e in entries}) == len(entries)

    # The status list credential: signed by the issuer, every bit clear so far.
    listed = _status_list_token(app, entries[0]["statusListCredential"])
    header, status = _part(listed, 0), _part(listed, 1)
    assert (
        header["alg"] == "EdDSA"
        and header["kid"] == profile["verificationMethod"][0]["id"]
    )
    assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status["issuer"]["id"] == profile["id"] == status["iss"]
    subject = status["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(
        base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    )
    assert len(bits) == 16 * 1024 and not any(bits)

    def fetch(url):
        return _status_list_token(app, url)

    with app.app_context():
        for token in tokens:
            badges.verify_credential(token, profile, status_list=fetch)
    path = tmp_path / "badge.jwt"
    path.write_text(tokens[0])
    result = runner.invoke(args=["badges", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "not revoked (status list checked)" in result.output

    unlocked = as_("lead").post(
        f"/api/v1/evidence/{evidence_id}/unlock", json={"reason": "Wrong linac"}
    )
    assert unlocked.status_code == 200, unlocked.get_json()

    listed = _status_list_token(app, entries[0]["statusListCredential"])
    encoded = _part(listed, 1)["credentialSubject"]["encodedList"]
    bits = gzip.decompress(
        base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    )
    for entry in entries:  # index 0 is the most significant bit of the first byte
        index = int(entry["statusListIndex"])
        assert bits[index // 8] & (0x80 >> (index % 8))
    assert sum(bin(b).count("1") for b in bits) == len(entries)
    with app.app_context():
        for token in tokens:
            with pytest.raises(badges.BadgeError, match="^revoked: "):
                badges.verify_credential(token, profile, status_list=fetch)
    result = runner.invoke(args=["badges", "verify", str(path)])
    assert result.exit_code == 1
    assert "not valid: revoked: the sign-off this badge rests on was withdrawn" in (
        result.output
    )


def test_a_status_list_that_is_not_ours_or_is_tampered_is_refused(app):
    from portfolio.exports import badges
    from portfolio.exports import status_list

    with app.test_request_context():
        profile = badges.issuer_profile()
        elsewhere = {
            "id": "https://elsewhere.example/status/1#5",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "5",
            "statusListCredential": "https://elsewhere.example/status/1",
        }
        token = badges.sign_credential(_credential(credentialStatus=elsewhere))
        with pytest.raises(badges.BadgeError, match="not one this installation"):
            badges.verify_credential(
                token, profile, status_list=status_list.local_status_list
            )
        # A status list signed by another key is refused like a forged badge.
        other = Ed25519PrivateKey.generate()
        listed = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": elsewhere["statusListCredential"],
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": profile["id"],
            "credentialSubject": {
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": status_list.encode(bytes(16 * 1024)),
            },
        }
        head = _b64url(json.dumps({"alg": "EdDSA", "kid": badges.key_id()}).encode())
        body = _b64url(json.dumps(listed).encode())
        forged = f"{head}.{body}.{_b64url(other.sign(f'{head}.{body}'.encode()))}"
        with pytest.raises(badges.BadgeError, match="signature does not verify"):
            badges.verify_credential(token, profile, status_list=lambda _url: forged)
        # A list shorter than 16 KB is refused (STATUS_LIST_LENGTH_ERROR).
        listed["credentialSubject"]["encodedList"] = status_list.encode(bytes(8))
        short = badges.sign_jwt(listed)
        with pytest.raises(badges.BadgeError, match="STATUS_LIST_LENGTH_ERROR"):
            badges.verify_credential(token, profile, status_list=lambda _url: short)


def test_a_status_list_issued_while_the_check_runs_is_current(app):
    """A list fetched during verification may be issued after the check began (the
    installation makes it when asked): its validFrom is judged as of its reading."""
    from datetime import UTC
    from datetime import datetime

    from portfolio.exports import badges
    from portfolio.exports import status_list

    with app.test_request_context():
        profile = badges.issuer_profile()
        entry = {
            "id": "https://elsewhere.example/status/1#5",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "5",
            "statusListCredential": "https://elsewhere.example/status/1",
        }
        token = badges.sign_credential(_credential(credentialStatus=entry))

        def issued_now(_url):
            return badges.sign_jwt(
                {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "id": entry["statusListCredential"],
                    "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                    "issuer": profile["id"],
                    "validFrom": datetime.now(UTC).isoformat(),
                    "credentialSubject": {
                        "type": "BitstringStatusList",
                        "statusPurpose": "revocation",
                        "encodedList": status_list.encode(bytes(16 * 1024)),
                    },
                }
            )

        verified = badges.verify_credential(token, profile, status_list=issued_now)
        assert verified["credentialStatus"]["statusListIndex"] == "5"
