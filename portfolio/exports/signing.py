"""Ed25519 keys that sign exported bundles, and the keys an installation trusts.

Each installation has one signing key, made the first time it is needed and kept in
the instance folder (``bundle-signing-key.pem``, mode 0600), like the secret key.
A bundle carries the installation's name and public key inside ``manifest.json``
and an Ed25519 signature of those exact bytes in ``manifest.json.sig``
(RFC 8032, https://www.rfc-editor.org/rfc/rfc8032). An importing installation
trusts the keys listed in ``BUNDLE_TRUSTED_KEYS`` and the ``*.pub`` files in
``instance/trusted-keys/``, and its own key.
"""

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app

KEY_FILE = "bundle-signing-key.pem"
TRUSTED_DIR = "trusted-keys"
SIGNATURE_MEMBER = "manifest.json.sig"


class SigningKeyError(ValueError):
    """A configured key is not a base64 Ed25519 public key."""


def instance_signing_key(instance: Path) -> Ed25519PrivateKey:
    """Return the installation's signing key, creating it once (O_EXCL, mode 0600)."""
    path = instance / KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written in full under a private name, then linked into place: link fails
        # if the key exists, so two processes starting at once agree on one key and
        # neither ever reads a half-written file.
        temporary = instance / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            # Another process linked its key first: use that one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 private key")
    return key


def signing_key() -> Ed25519PrivateKey:
    return instance_signing_key(Path(current_app.instance_path))


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def own_public_key() -> str:
    return public_key_text(signing_key().public_key())


def fingerprint(public_key: str) -> str:
    """A short, stable name for a key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]


def installation_name() -> str:
    """``INSTALLATION_NAME``, else the host of ``BASE_URL``, else a generic name."""
    name = current_app.config.get("INSTALLATION_NAME")
    if name:
        return str(name)[:120]
    host = urlparse(current_app.config.get("BASE_URL") or "").hostname
    return host or "MPCE Portfolio"


def sign(data: bytes) -> str:
    return base64.b64encode(signing_key().sign(data)).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise SigningKeyError("not base64") from error
    if len(raw) != 32:
        raise SigningKeyError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verifies(public_key: str, signature: str, data: bytes) -> bool:
    """True when ``signature`` (base64) is ``public_key``'s signature of ``data``."""
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
        parse_public_key(public_key).verify(raw, data)
    except (binascii.Error, ValueError, SigningKeyError, InvalidSignature):
        return False
    return True


def trusted_keys() -> set[str]:
    """Every trusted public key (base64); raises SigningKeyError naming a bad entry."""
    configured = current_app.config.get("BUNDLE_TRUSTED_KEYS") or []
    if isinstance(configured, str):
        configured = configured.replace(",", " ").split()
    entries = [("BUNDLE_TRUSTED_KEYS", str(k)) for k in configured]
    folder = Path(current_app.instance_path) / TRUSTED_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.pub")):
            lines = [
                line.strip()
                for line in path.read_text(encoding="utf-8", errors="replace").split(
                    "\n"
                )
                if line.strip() and not line.lstrip().startswith("#")
            ]
            entries.append((str(path), lines[0] if lines else ""))
    keys = {own_public_key()}
    for where, text in entries:
        try:
            keys.add(public_key_text(parse_public_key(text)))
        except SigningKeyError as error:
            raise SigningKeyError(
                f"{where}: {text[:20]!r} is not a base64 Ed25519 public key ({error})"
            ) from error
    return keys


# ---- signed JSON (the verification data embedded in registration packs) -------------

SIGNED_FORMAT = "mpce-portfolio-signed-json/1"


def canonical(document: dict) -> bytes:
    """The exact bytes signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def signed_json(document: dict) -> bytes:
    """``document`` with this installation's Ed25519 signature of its canonical bytes."""
    envelope = {
        "format": SIGNED_FORMAT,
        "document": document,
        "signature": {
            "algorithm": "Ed25519",
            "installation": installation_name(),
            "public_key": own_public_key(),
            "value": sign(canonical(document)),
        },
    }
    return json.dumps(envelope, indent=2, ensure_ascii=False).encode()


def check_signed_json(data: bytes, keys: set[str]) -> dict:
    """The signed document if its signature verifies with one of ``keys``."""
    try:
        envelope = json.loads(data)
        document = envelope["document"]
        signature = envelope["signature"]
        public_key, value = signature["public_key"], signature["value"]
    except (ValueError, KeyError, TypeError) as error:
        raise SigningKeyError(f"not signed JSON ({error})") from error
    if envelope.get("format") != SIGNED_FORMAT or not isinstance(document, dict):
        raise SigningKeyError("not signed JSON in this format")
    if public_key not in keys:
        raise SigningKeyError("signed with a key this installation does not trust")
    if not verifies(public_key, value, canonical(document)):
        raise SigningKeyError("the signature does not verify")
    return document
