"""Evidence attachments: size- and type-checked, images re-encoded, stored atomically.

A file is written under a temporary name, checked, then renamed into place under a
random name outside ``static/``; the database row is added in the same step, and
if anything fails the file is removed, so a rejected upload leaves nothing behind.
"""

import hashlib
import io
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from PIL import Image
from PIL import UnidentifiedImageError

from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.evidence.models import Attachment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.rules import Conflict
from portfolio.rules import Forbidden
from portfolio.rules import RuleError

ALLOWED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
MAX_IMAGE_PIXELS = 40_000_000
CHUNK = 1 << 16


class TooLarge(RuleError):
    status = 413


class UnsupportedType(RuleError):
    status = 415


def storage_dir() -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_bytes() -> int:
    return int(float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)


def display_name(filename: str | None, extension: str) -> str:
    """A safe name to show and to offer on download (never used as a path)."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(
        " ."
    )
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem[:150] or "attachment") + extension


@dataclass
class Stored:
    stored_name: str
    media_type: str
    size: int
    sha256: str


def _copy_limited(stream, target: Path) -> int:
    size, limit = 0, max_bytes()
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(
                    f"The file is larger than the {current_app.config['MAX_UPLOAD_MB']} MB limit. "
                    "Upload a smaller file."
                )
            out.write(chunk)
    return size


def _sniff(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(8192)
    kind = filetype.guess(head)
    media_type = kind.mime if kind else None
    if media_type == "application/zip" or (media_type and "word" in media_type):
        # DOCX is a zip; filetype needs more than the head to tell, so ask it on the file.
        kind = filetype.guess(str(path))
        media_type = kind.mime if kind else None
    if media_type not in ALLOWED:
        raise UnsupportedType(
            "This type of file is not allowed. Upload a PDF, PNG, JPEG or Word (.docx) file."
        )
    return media_type


def _reencode_image(path: Path, media_type: str) -> None:
    """Re-encode so EXIF, GPS and other metadata are gone and the image is sound."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(path) as image:
            image.load()
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise UnsupportedType("The image is too large in pixels to accept.")
            clean = image.copy()
            clean.info = {}
            if media_type == "image/jpeg" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            buffer = io.BytesIO()
            clean.save(
                buffer,
                format="PNG" if media_type == "image/png" else "JPEG",
                quality=90,
            )
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise UnsupportedType(
            "The image could not be read. Upload a valid PNG or JPEG."
        ) from error
    path.write_bytes(buffer.getvalue())


def _digest(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def add_attachment(
    actor: User, evidence: Evidence, stream, filename: str | None
) -> Attachment:
    """Check, store and record one uploaded file (all or nothing)."""
    if evidence.owner_id != actor.id:
        raise Forbidden(
            "Only the person who recorded this evidence can add files to it."
        )
    if not evidence.editable:
        raise Conflict(
            "Files can only be added while the evidence is a draft or returned."
        )
    directory = storage_dir()
    temporary = directory / f".upload-{secrets.token_hex(16)}"
    final = None
    try:
        _copy_limited(stream, temporary)
        media_type = _sniff(temporary)
        if media_type.startswith("image/"):
            _reencode_image(temporary, media_type)
        sha256, size = _digest(temporary)
        stored_name = secrets.token_hex(16)
        final = directory / stored_name
        os.replace(temporary, final)
        attachment = Attachment(
            evidence_id=evidence.id,
            filename=display_name(filename, ALLOWED[media_type]),
            stored_name=stored_name,
            media_type=media_type,
            size=size,
            sha256=sha256,
            uploaded_by_id=actor.id,
        )
        db.session.add(attachment)
        db.session.flush()
        audit.record(
            actor,
            "attachment.added",
            "evidence",
            evidence.id,
            attachment=attachment.id,
            filename=attachment.filename,
            sha256=sha256,
            size=size,
        )
        db.session.commit()
        return attachment
    except BaseException:
        db.session.rollback()
        temporary.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise


def removable(actor: User, evidence: Evidence, attachment_id: str) -> Attachment:
    """The file ``actor`` may remove now, or the refusal :func:`remove_attachment`
    would give."""
    if evidence.owner_id != actor.id:
        raise Forbidden(
            "Only the person who recorded this evidence can remove its files."
        )
    if not evidence.editable:
        raise Conflict(
            "Files can only be removed while the evidence is a draft or returned."
        )
    attachment = next((a for a in evidence.attachments if a.id == attachment_id), None)
    if attachment is None:
        from portfolio.rules import NotFound

        raise NotFound("No such file on this evidence.")
    return attachment


def remove_attachment(actor: User, evidence: Evidence, attachment_id: str) -> None:
    attachment = removable(actor, evidence, attachment_id)
    stored = attachment.stored_name
    audit.record(
        actor,
        "attachment.removed",
        "evidence",
        evidence.id,
        attachment=attachment.id,
        filename=attachment.filename,
        sha256=attachment.sha256,
    )
    evidence.attachments.remove(attachment)
    db.session.commit()
    delete_files([stored])


def file_path(attachment: Attachment) -> Path:
    return storage_dir() / attachment.stored_name


def delete_files(stored_names: list[str]) -> None:
    for name in stored_names:
        (storage_dir() / name).unlink(missing_ok=True)
