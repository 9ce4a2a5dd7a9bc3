"""Revocation of Open Badges credentials with a W3C Bitstring Status List v1.0.

Each issued credential carries a ``credentialStatus`` entry of type
``BitstringStatusListEntry`` with ``statusPurpose`` revocation: an index into a list
of at least 131,072 bits published, signed, at ``BASE_URL/badges/status/<n>``
(https://www.w3.org/TR/vc-bitstring-status-list/). Bit ``i`` is the ``i``-th bit
counting from the most significant bit of the first byte; the list is GZIP-compressed
and Multibase base64url encoded (prefix ``u``, no padding). Indexes are chosen at
random, as the specification recommends, so a credential's index says nothing about
when it was issued. The bit is set when the sign-off the badge rests on is superseded
(``models.BadgeStatus``); nothing is ever unset.
"""

import base64
import binascii
import gzip
import re
import secrets
from datetime import datetime

import sqlalchemy as sa

from portfolio import urls
from portfolio.db import utcnow
from portfolio.exports.models import STATUS_LIST_BITS
from portfolio.exports.models import BadgeStatus
from portfolio.extensions import db

STATUS_PATH = "/badges/status/"
PURPOSE = "revocation"
# Cache lifetime a verifier may assume (the list's ``ttl``, in milliseconds).
TTL_MS = 5 * 60 * 1000


def list_url(number: int) -> str:
    return urls.absolute(f"{STATUS_PATH}{number}")


def list_number_of(url: str) -> int | None:
    """The list number if ``url`` is one of this installation's status lists."""
    prefix = urls.absolute(STATUS_PATH)
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    return int(rest) if re.fullmatch(r"[1-9][0-9]{0,8}", rest) else None


def _allocate(credential_id: str, signoff_id: str) -> BadgeStatus:
    """A free random slot in the newest list that has room (a new list when full).

    Two renders choosing the same slot at the same instant is a one-in-131,072
    chance per badge; the unique constraint then fails that export, which can be
    tried again, rather than ever giving two credentials one bit.
    """
    number = db.session.scalar(sa.select(sa.func.max(BadgeStatus.list_number))) or 1
    used = set(
        db.session.scalars(
            sa.select(BadgeStatus.list_index).where(BadgeStatus.list_number == number)
        )
    )
    if len(used) >= STATUS_LIST_BITS:
        number, used = number + 1, set()
    index = secrets.randbelow(STATUS_LIST_BITS)
    while index in used:
        index = secrets.randbelow(STATUS_LIST_BITS)
    status = BadgeStatus(
        credential_id=credential_id,
        signoff_id=signoff_id,
        list_number=number,
        list_index=index,
    )
    db.session.add(status)
    db.session.flush()
    return status


def _existing(credential_id: str) -> BadgeStatus | None:
    return db.session.scalar(
        sa.select(BadgeStatus).where(BadgeStatus.credential_id == credential_id)
    )


def entry(credential_id: str, signoff_id: str) -> dict:
    """The credential's ``credentialStatus`` (its slot is made once, then reused)."""
    status = _existing(credential_id) or _allocate(credential_id, signoff_id)
    url = list_url(status.list_number)
    return {
        "id": f"{url}#{status.list_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(status.list_index),
        "statusListCredential": url,
    }


def encode(bits: bytes) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode(encoded: str, limit: int = 16 * 1024 * 1024) -> bytes:
    """The bitstring of an ``encodedList``; ValueError when it is malformed."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be Multibase base64url (start with 'u')")
    text = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        bits = gzip.decompress(compressed)
    except (binascii.Error, OSError, EOFError, ValueError) as error:
        raise ValueError(f"encodedList does not decode ({error})") from error
    if len(bits) > limit:
        raise ValueError("encodedList is too large")
    return bits


def bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def bitstring(number: int) -> bytes:
    """List ``number``'s bits: set for every revoked credential in it."""
    data = bytearray(STATUS_LIST_BITS // 8)
    for index in db.session.scalars(
        sa.select(BadgeStatus.list_index).where(
            BadgeStatus.list_number == number, BadgeStatus.revoked_at.is_not(None)
        )
    ):
        data[index // 8] |= 0x80 >> (index % 8)
    return bytes(data)


def exists(number: int) -> bool:
    return (
        db.session.scalar(
            sa.select(BadgeStatus.id).where(BadgeStatus.list_number == number).limit(1)
        )
        is not None
    )


def status_list_credential(number: int, now: datetime | None = None) -> dict:
    """The BitstringStatusListCredential for list ``number`` (unsigned)."""
    from portfolio.exports import badges

    url = list_url(number)
    now = now or utcnow()
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": badges.issuer_summary(),
        "validFrom": now.replace(microsecond=0).isoformat(),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode(bitstring(number)),
            "ttl": TTL_MS,
        },
    }


def signed_status_list(number: int) -> str:
    """List ``number`` as a VC-JWT signed with the issuer key (as served)."""
    from portfolio.exports import badges

    credential = status_list_credential(number)
    return badges.sign_jwt(
        credential,
        iss=credential["issuer"]["id"],
        jti=credential["id"],
        sub=credential["credentialSubject"]["id"],
    )


def local_status_list(url: str) -> str:
    """Resolve a status list URL of this installation without the network."""
    from portfolio.exports.badges import BadgeError

    number = list_number_of(url)
    if number is None or not exists(number):
        raise BadgeError(
            f"the status list {url[:200]} is not one this installation publishes, "
            "so its status cannot be checked here"
        )
    return signed_status_list(number)
