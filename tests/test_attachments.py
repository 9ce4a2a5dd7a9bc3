"""Attachments: sniffed types, size limits, metadata stripped, nothing left behind."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.world import REFLECTION
from tests.world import As

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_with_metadata() -> bytes:
    image = Image.new("RGB", (8, 8), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    buffer = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "GPS 51.5,-0.1")
    image.save(buffer, format="PNG", pnginfo=info, exif=exif)
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (8, 8), "blue")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def evidence_path(client, world):
    response = As(client, world, "trainee").post("/api/v1/evidence", json=REFLECTION)
    return f"/api/v1/evidence/{response.get_json()['id']}"


def upload(client, world, path, content, name, who="trainee"):
    return As(client, world, who).post(
        f"{path}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def stored_files(app) -> list[Path]:
    folder = Path(app.config["FILES_DIR"]) / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_pdf_is_stored_with_hash_and_downloadable(app, client, world, evidence_path):
    response = upload(client, world, evidence_path, PDF, "../../etc/passwd.pdf")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["media_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(
        PDF
    )
    assert body["filename"] == "passwd.pdf"
    files = stored_files(app)
    assert (
        len(files) == 1
        and files[0].name != "passwd.pdf"
        and files[0].read_bytes() == PDF
    )
    supervisor = As(client, world, "supervisor")
    path = f"{evidence_path}/attachments/{body['id']}"
    assert supervisor.get(path).status_code == 404  # the draft is still private
    submitted = As(client, world, "trainee").post(
        f"{evidence_path}/submit", json={"assessor": world.supervisor}
    )
    assert submitted.status_code == 200, submitted.get_json()
    download = supervisor.get(path)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox"
    download.close()
    other = As(client, world, "other_trainee").get(
        f"{evidence_path}/attachments/{body['id']}"
    )
    assert other.status_code == 404


def test_docx_is_accepted(client, world, evidence_path):
    response = upload(client, world, evidence_path, docx(), "notes.docx")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["media_type"].endswith("wordprocessingml.document")


@pytest.mark.parametrize("maker", [png_with_metadata, jpeg_with_exif])
def test_images_are_reencoded_without_metadata(
    app, client, world, evidence_path, maker
):
    original = maker()
    assert b"SecretCameraMaker" in original
    response = upload(client, world, evidence_path, original, "photo.img")
    assert response.status_code == 201
    stored = stored_files(app)[0].read_bytes()
    assert b"SecretCameraMaker" not in stored and b"GPS 51.5" not in stored
    assert response.get_json()["sha256"] == hashlib.sha256(stored).hexdigest()
    Image.open(io.BytesIO(stored)).verify()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "evil.pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "photo.png"),
        (b"just text", "notes.docx"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a png", "broken.png"),
    ],
)
def test_disguised_or_broken_files_are_415_and_leave_nothing(
    app, client, world, evidence_path, content, name
):
    response = upload(client, world, evidence_path, content, name)
    assert response.status_code == 415, response.get_json()
    assert (
        "PDF, PNG, JPEG" in response.get_json()["detail"]
        or "image" in response.get_json()["detail"]
    )
    assert stored_files(app) == []
    assert (
        As(client, world, "trainee").get(evidence_path).get_json()["attachments"] == []
    )


def test_oversize_file_is_413_and_leaves_nothing(app, client, world, evidence_path):
    # A small limit keeps the test body in memory (the test client spools big ones).
    app.config["MAX_UPLOAD_MB"] = 0.01
    content = PDF + b"0" * 20_000
    response = upload(client, world, evidence_path, content, "big.pdf")
    assert response.status_code == 413
    assert "larger than the 0.01 MB limit" in response.get_json()["detail"]
    assert stored_files(app) == []


def test_request_over_the_limit_is_413_problem(app, client, world, evidence_path):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(client, world, evidence_path, PDF + b"0" * 5000, "big.pdf")
    assert (
        response.status_code == 413 and response.mimetype == "application/problem+json"
    )


def test_only_owner_while_editable(client, world, evidence_path):
    # A draft is private: absent (404) for the supervisor.
    assert (
        upload(client, world, evidence_path, PDF, "x.pdf", who="supervisor").status_code
        == 404
    )
    As(client, world, "trainee").post(
        f"{evidence_path}/submit", json={"assessor": world.supervisor}
    )
    assert upload(client, world, evidence_path, PDF, "x.pdf").status_code == 409
    # Once shared the supervisor sees it, but files are the owner's to add.
    assert (
        upload(client, world, evidence_path, PDF, "x.pdf", who="supervisor").status_code
        == 403
    )


def test_missing_file_field_is_422(client, world, evidence_path):
    response = As(client, world, "trainee").post(
        f"{evidence_path}/attachments", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 422


def test_attachment_hash_is_part_of_the_signed_content(client, world, evidence_path):
    caller = As(client, world, "trainee")
    upload(client, world, evidence_path, PDF, "a.pdf")
    caller.post(f"{evidence_path}/submit", json={"assessor": world.supervisor})
    As(client, world, "supervisor").post(
        f"{evidence_path}/decision", json={"decision": "approve"}
    )
    signed = caller.get(evidence_path).get_json()["signoffs"][0]["content_hash"]
    from portfolio.evidence import services
    from portfolio.evidence.models import Evidence
    from portfolio.extensions import db

    with client.application.app_context():
        evidence = db.session.get(Evidence, evidence_path.rsplit("/", 1)[1])
        assert services.content_hash(evidence) == signed
        evidence.attachments[0].sha256 = "0" * 64
        assert services.content_hash(evidence) != signed
        db.session.rollback()
