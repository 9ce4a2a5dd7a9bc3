"""Evidence attachments: size- and type-checked, images re-encoded, stored atomically.

A file is written under a temporary name, checked, then renamed into place under a
random name outside ``static/``; the database row is added in the same step, and
if anything fails the file is removed, so a rejected upload leaves nothing behind.
"""

import hashlib
import io
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer
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
# What the file inputs offer: the allowed types by extension, and any image so a
# phone offers its camera and photo library (anything but PNG or JPEG is refused by
# the checks below, with the reason).
ACCEPT = ".pdf,.docx,.png,.jpg,.jpeg,image/*"
# Files added with the evidence form in one save.
MAX_FILES_PER_SAVE = 5
# A checked file waiting for its draft to be saved (the form was refused for
# another reason) is kept this long, then swept away.
PENDING_SECONDS = 24 * 3600
PENDING_PREFIX = ".pending-"


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


def refused_name(filename: str | None) -> str:
    """An uploaded file's name as typed, made safe to show, for saying it was refused."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:150] or "A file without a name"


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


# ---- files added with the evidence form ---------------------------------------------


@dataclass
class Staged:
    """A checked file under a temporary name, waiting for its evidence row."""

    name: str  # the temporary file's name in storage_dir(), PENDING_PREFIX + hex
    filename: str  # the display name
    media_type: str
    size: int
    sha256: str

    @property
    def path(self) -> Path:
        return storage_dir() / self.name


def _sweep_pending(directory: Path) -> None:
    """Remove checked files whose draft was never saved, and stray partial uploads."""
    cutoff = time.time() - PENDING_SECONDS
    for path in directory.glob(".*-*"):
        if path.name.startswith((PENDING_PREFIX, ".upload-")):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass


def stage(stream, filename: str | None) -> Staged:
    """Check one upload as :func:`add_attachment` does (size, type by content,
    images re-encoded) and keep it under a temporary name; raises TooLarge or
    UnsupportedType and then leaves nothing behind."""
    directory = storage_dir()
    _sweep_pending(directory)
    temporary = directory / f".upload-{secrets.token_hex(16)}"
    try:
        _copy_limited(stream, temporary)
        media_type = _sniff(temporary)
        if media_type.startswith("image/"):
            _reencode_image(temporary, media_type)
        sha256, size = _digest(temporary)
        name = PENDING_PREFIX + secrets.token_hex(16)
        os.replace(temporary, directory / name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Staged(
        name, display_name(filename, ALLOWED[media_type]), media_type, size, sha256
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="evidence-pending-file"
    )


def pending_token(actor: User, staged: Staged) -> str:
    """A signed reference to a checked file, for the form to carry to the next save."""
    return _serializer().dumps(
        {
            "u": actor.id,
            "n": staged.name,
            "f": staged.filename,
            "t": staged.media_type,
            "s": staged.size,
            "h": staged.sha256,
        }
    )


def from_token(actor: User, token: str) -> Staged | None:
    """The checked file a form carried, if it is ``actor``'s and still kept."""
    try:
        data = _serializer().loads(token, max_age=PENDING_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("u") != actor.id:
        return None
    name = str(data.get("n", ""))
    if not re.fullmatch(re.escape(PENDING_PREFIX) + "[0-9a-f]{32}", name):
        return None
    if data.get("t") not in ALLOWED:
        return None
    staged = Staged(name, str(data["f"]), data["t"], int(data["s"]), str(data["h"]))
    return staged if staged.path.is_file() else None


def discard(staged: list[Staged]) -> None:
    for item in staged:
        item.path.unlink(missing_ok=True)


def save_with_files(
    actor: User, save: Callable[[], Evidence], staged: list[Staged]
) -> Evidence:
    """Save a draft (``save`` is the evidence service called with ``commit=False``)
    and its checked files in one transaction: each file is moved into place and its
    row added before the one commit; if anything fails the files go back to waiting
    and no row is kept, so there is never a row without its file or a file without
    its row."""
    placed: list[tuple[Path, Path]] = []
    try:
        evidence = save()
        if staged:
            if evidence.owner_id != actor.id:
                raise Forbidden(
                    "Only the person who recorded this evidence can add files to it."
                )
            if not evidence.editable:
                raise Conflict(
                    "Files can only be added while the evidence is a draft or returned."
                )
        directory = storage_dir()
        for item in staged:
            stored_name = secrets.token_hex(16)
            final = directory / stored_name
            os.replace(item.path, final)
            placed.append((final, item.path))
            attachment = Attachment(
                evidence_id=evidence.id,
                filename=item.filename,
                stored_name=stored_name,
                media_type=item.media_type,
                size=item.size,
                sha256=item.sha256,
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
                sha256=item.sha256,
                size=item.size,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for final, waiting in placed:
            if final.exists():
                os.replace(final, waiting)
        raise
    return evidence


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
