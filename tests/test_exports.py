"""Exports: the PDF, registration pack, verification, share links, bundle and safety."""

import base64
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from tests.helpers.api import sign_off as signed
from tests.helpers.capacity import pdf_text
from tests.world import REFLECTION

EVIL = '<script>alert("x")</script><img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/hostname">'


@pytest.fixture
def portfolio_ready(as_, world):
    signed(as_, world, {**REFLECTION, "title": "Linac morning QA reflection"})
    signed(
        as_,
        world,
        {
            **REFLECTION,
            "title": "Hostile " + EVIL,
            "body": "Body "
            + EVIL
            + "\n\n![x](file:///etc/passwd) [y](http://127.0.0.1:9/x)",
            "form": {"what_happened": EVIL, "so_what": "ok", "now_what": "ok"},
            "claims": [{"curriculum": "stp-rp", "code": "P-C1-TA01"}],
        },
    )
    return world


def request_export(as_, world, kind="portfolio", who="trainee", work=None):
    response = as_(who).post(
        "/api/v1/exports", json={"kind": kind, "enrolment": world.enrolment_id}
    )
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    # Queued with a worker; already finished (or failed) when jobs run in-process.
    assert body["status"] in ("queued", "done", "failed")
    if work:
        work()
    return as_(who).get(f"/api/v1/exports/{body['id']}").get_json()


def test_portfolio_pdf_round_trip(app, as_, portfolio_ready, work_jobs, tmp_path):
    world = portfolio_ready
    export = request_export(as_, world, work=work_jobs)
    assert export["status"] == "done", export
    assert export["progress"] == 100 and len(export["verification_code"]) == 19
    download = as_("trainee").get(export["download_url"])
    data = download.data
    download.close()
    assert (
        data.startswith(b"%PDF")
        and hashlib.sha256(data).hexdigest() == export["sha256"]
    )
    text = pdf_text(data, tmp_path)
    assert "Linac morning QA reflection" in text and "Dr Tom Okafor" in text
    assert export["verification_code"] in text
    assert "Progress summary" in text and "Audit history" in text
    # Verification: the real file passes, a changed copy fails.
    ok = as_("other_trainee").client.post(
        "/api/v1/verify",
        json={"code": export["verification_code"], "sha256": export["sha256"]},
    )
    assert ok.status_code == 200 and ok.get_json()["valid"] is True
    assert ok.get_json()["export"]["summary"]["trainee"] == "Aisha Rahman"
    changed = hashlib.sha256(data + b" ").hexdigest()
    bad = as_("other_trainee").client.post(
        "/api/v1/verify", json={"code": export["verification_code"], "sha256": changed}
    )
    assert bad.get_json()["valid"] is False
    page = as_("trainee").client.get(f"/verify/{export['verification_code']}")
    assert page.status_code == 200 and "Aisha Rahman" in page.get_data(as_text=True)
    upload = as_("trainee").client.post(
        f"/verify/{export['verification_code']}",
        data={"file": (io.BytesIO(data), "copy.pdf")},
        content_type="multipart/form-data",
    )
    assert "This file is genuine" in upload.get_data(as_text=True)
    tampered = as_("trainee").client.post(
        f"/verify/{export['verification_code']}",
        data={"file": (io.BytesIO(data[:-10] + b"tampered!!"), "copy.pdf")},
        content_type="multipart/form-data",
    )
    assert "does not match" in tampered.get_data(as_text=True)
    assert as_("trainee").client.get("/verify/NOPE-NOPE-NOPE-NOPE").status_code == 404


def test_pdf_escapes_script_and_fetches_nothing(
    app, as_, portfolio_ready, work_jobs, tmp_path
):
    export = request_export(as_, portfolio_ready, work=work_jobs)
    download = as_("trainee").get(export["download_url"])
    data = download.data
    download.close()
    text = pdf_text(data, tmp_path)
    # The payload is shown as text, never run or followed.
    assert '<script>alert("x")</script>' in text.replace("\n", "")
    assert (
        b"/EmbeddedFile" not in data
        and b"/JavaScript" not in data
        and b"/JS " not in data
    )
    assert "root:x:0:0" not in text and b"root:x:0:0" not in data


def test_fetcher_blocks_files_network_traversal_and_big_data(app):
    from portfolio.exports.pdf import AppAssetFetcher
    from portfolio.exports.pdf import BlockedResource
    from portfolio.exports.pdf import asset_url
    from portfolio.exports.pdf import render_pdf

    fetcher = AppAssetFetcher()
    assert fetcher.fetch(asset_url("print.css")).read().startswith(b"/*")
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:5000/healthz",
        "https://169.254.169.254/latest/meta-data/",
        "https://portfolio.invalid/pdf-assets/../../../../etc/passwd",
        "https://portfolio.invalid/pdf-assets/%2e%2e/%2e%2e/config.py",
        "https://portfolio.invalid/static/js/init.mjs",
        "data:image/png;base64," + "A" * 400_000,
        "data:text/html,<script>1</script>",
    ):
        with pytest.raises(BlockedResource):
            fetcher.fetch(url)
    html = (
        "<html><head><title>t</title><link rel=attachment href='file:///etc/hostname'>"
        "<link rel=stylesheet href='http://127.0.0.1:9/x.css'></head><body><h1>T</h1>"
        "<img src='file:///etc/passwd' alt=''><img src='https://portfolio.invalid/pdf-assets/../../wsgi.py' alt=''>"
        "<a rel=attachment href='file:///etc/hostname'>a</a></body></html>"
    )
    with app.app_context():
        pdf, blocked = render_pdf(html, variant=None)
    assert b"/EmbeddedFile" not in pdf
    assert len(blocked) >= 4


def test_registration_pack_arranges_by_standard(
    app, as_, portfolio_ready, work_jobs, tmp_path
):
    export = request_export(as_, portfolio_ready, kind="registration", work=work_jobs)
    assert export["status"] == "done", export
    download = as_("trainee").get(export["download_url"])
    text = pdf_text(download.data, tmp_path)
    download.close()
    assert "Registration pack" in text
    assert "Good Scientific Practice" in text and "Supervisor declarations" in text
    assert "No evidence yet" in text  # gaps are listed
    assert "covered" in text


def test_export_permissions(as_, world):
    body = {"kind": "portfolio", "enrolment": world.enrolment_id}
    assert as_("other_trainee").post("/api/v1/exports", json=body).status_code == 404
    assert as_("supervisor").post("/api/v1/exports", json=body).status_code == 403
    assert as_("leeds_lead").post("/api/v1/exports", json=body).status_code == 404
    assert as_("lead").post("/api/v1/exports", json=body).status_code == 202
    bad = as_("trainee").post(
        "/api/v1/exports", json={"kind": "novel", "enrolment": world.enrolment_id}
    )
    assert bad.status_code == 422
    made = as_("trainee").post("/api/v1/exports", json=body).get_json()
    assert as_("other_trainee").get(f"/api/v1/exports/{made['id']}").status_code == 404
    assert as_("admin").get(f"/api/v1/exports/{made['id']}").status_code == 200


def test_share_link_views_are_logged_and_revocable(
    app, client, as_, portfolio_ready, login
):
    from portfolio.audit.models import AuditEvent

    login(portfolio_ready.trainee, "correct-horse-battery")
    client.get("/exports/")
    response = client.post(
        "/exports/share",
        data={
            "enrolment": portfolio_ready.enrolment_id,
            "label": "RCT <b>panel</b>",
            "days": 7,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Share link created" in page
    url = page.split('readonly value="')[1].split('"')[0]
    path = url.replace("http://localhost", "")
    anonymous = app.test_client()
    shared = anonymous.get(path)
    text = shared.get_data(as_text=True)
    assert shared.status_code == 200 and "Linac morning QA reflection" in text
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    with app.app_context():
        views = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "share.viewed")
        ).all()
        assert len(views) == 1
        link_id = views[0].data["link"]
    client.post(f"/exports/share/{link_id}/revoke")
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/share/not-a-token").status_code == 404


def test_share_expiry_is_bounded(client, portfolio_ready, login):
    login(portfolio_ready.trainee, "correct-horse-battery")
    response = client.post(
        "/exports/share", data={"enrolment": portfolio_ready.enrolment_id, "days": 400}
    )
    assert response.status_code == 422 and "Choose 1 to 90 days" in response.get_data(
        as_text=True
    )


def test_bundle_round_trip_into_an_empty_database(
    app, as_, portfolio_ready, work_jobs, tmp_path, monkeypatch
):
    from portfolio import create_app
    from tests.conftest import base_config

    export = request_export(as_, portfolio_ready, kind="bundle", work=work_jobs)
    assert export["status"] == "done", export
    download = as_("trainee").get(export["download_url"])
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(download.data)
    download.close()
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        assert {"portfolio.pdf", "portfolio.json", "manifest.json"} <= names
        assert any(n.startswith("curricula/stp-rp") for n in names)
        badges = [n for n in names if n.startswith("badges/")]
        assert badges
        # Each badge is a VC-JWT (tests/test_badges.py checks its signature).
        payload = archive.read(badges[0]).decode().split(".")[1]
        credential = json.loads(base64.urlsafe_b64decode(payload + "=="))
        assert "OpenBadgeCredential" in credential["type"]
        assert (
            credential["credentialSubject"]["achievement"]["alignment"][0]["targetType"]
            == "CFItem"
        )
        assert manifest["files"]
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        document = json.loads(archive.read("portfolio.json"))
    original = {
        (e["title"], tuple(s["decision"] for s in e["signoffs"]))
        for e in document["evidence"]
    }

    with app.app_context():
        from portfolio.exports import signing

        source_key = signing.own_public_key()
    assert manifest["installation"]["public_key"] == source_key
    other_dir = tmp_path / "other"
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(other_dir))
    config = {
        **base_config(other_dir),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{other_dir}/other.db",
        # The target trusts the source installation's bundle key.
        "BUNDLE_TRUSTED_KEYS": [source_key],
    }
    other_dir.mkdir()
    other = create_app(config)
    with other.app_context():
        db.create_all()
    runner = other.test_cli_runner()
    assert (
        runner.invoke(
            args=[
                "orgs",
                "import",
                str(Path(app.root_path).parent / "data" / "organisations.csv"),
            ]
        ).exit_code
        == 0
    )
    result = runner.invoke(args=["export", "import", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "2 evidence item(s)" in result.output
    with other.app_context():
        from portfolio.evidence.models import Evidence
        from portfolio.exports.models import ImportedHistory
        from portfolio.signoff.models import ImportedSignOff
        from portfolio.signoff.models import SignOff

        # Same content; the sign-offs come back as history imported from the source.
        imported = {
            (
                e.title,
                tuple(
                    s.decision
                    for s in db.session.scalars(
                        sa.select(ImportedSignOff).where(
                            ImportedSignOff.evidence_id == e.id
                        )
                    )
                ),
            )
            for e in db.session.scalars(sa.select(Evidence))
        }
        assert imported == original
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignOff)) == 0
        assert all(
            s.source.trusted and s.assessor_name == "Dr Tom Okafor"
            for s in db.session.scalars(sa.select(ImportedSignOff))
        )
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(ImportedHistory)
        ) == len(document["audit_events"])
        new_ids = {e.id for e in db.session.scalars(sa.select(Evidence))}
        assert not new_ids & {e["id"] for e in document["evidence"]}
    again = runner.invoke(args=["export", "import", str(bundle)])
    assert again.exit_code == 1 and "already been imported" in again.output
    # A changed bundle is refused.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "portfolio.json":
                data = data.replace(b"Linac morning", b"Linac evening")
            target.writestr(item, data)
    refused = runner.invoke(args=["export", "import", str(broken)])
    assert refused.exit_code == 1 and "does not match its SHA-256" in refused.output
    shutil.rmtree(other_dir, ignore_errors=True)


def test_export_cli_renders_synchronously(runner, as_, portfolio_ready, tmp_path):
    out = tmp_path / "p.pdf"
    result = runner.invoke(
        args=["export", "portfolio", portfolio_ready.enrolment_id, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_failed_render_marks_the_row_failed(app, as_, world, work_jobs, monkeypatch):
    from portfolio.exports import services

    def broken(export):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(services, "_produce", broken)
    export = request_export(as_, world, work=work_jobs)
    assert export["status"] == "failed" and "template exploded" in export["error"]
    assert export["download_url"] is None
    assert as_("trainee").get(f"/api/v1/exports/{export['id']}/file").status_code == 409
    exports_dir = Path(app.config["FILES_DIR"]) / "exports"
    assert not exports_dir.exists() or not any(exports_dir.iterdir())


def test_sweep_marks_stuck_exports_failed(app, as_, world, runner):
    from datetime import timedelta

    from portfolio.db import utcnow
    from portfolio.exports.models import Export

    made = (
        as_("trainee")
        .post(
            "/api/v1/exports",
            json={"kind": "portfolio", "enrolment": world.enrolment_id},
        )
        .get_json()
    )
    with app.app_context():
        export = db.session.get(Export, made["id"])
        export.status = "running"
        export.started_at = utcnow() - timedelta(hours=3)
        db.session.commit()
    result = runner.invoke(args=["export", "sweep"])
    assert "1 stuck export(s)" in result.output
    assert (
        as_("trainee").get(f"/api/v1/exports/{made['id']}").get_json()["status"]
        == "failed"
    )


def test_qr_code_scans_to_the_verification_url(
    app, as_, portfolio_ready, work_jobs, tmp_path
):
    export = request_export(as_, portfolio_ready, work=work_jobs)
    download = as_("trainee").get(export["download_url"])
    (tmp_path / "p.pdf").write_bytes(download.data)
    download.close()
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "p.pdf"),
            str(tmp_path / "cover"),
        ],
        check=True,
    )
    image = next(tmp_path.glob("cover*.png"))
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True
    ).stdout.strip()
    assert scanned == f"http://localhost/verify/{export['verification_code']}"


def test_every_pdf_figure_has_alternative_text(as_, portfolio_ready, work_jobs):
    """PDF/UA-1 (ISO 14289-1 7.3): each /Figure structure element carries /Alt."""
    import pikepdf

    export = request_export(as_, portfolio_ready, work=work_jobs)
    download = as_("trainee").get(export["download_url"])
    pdf = pikepdf.open(io.BytesIO(download.data))
    download.close()
    figures = []
    pending = [pdf.Root.StructTreeRoot]
    while pending:
        node = pending.pop()
        if isinstance(node, pikepdf.Array):
            pending.extend(node)
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.get("/S") == pikepdf.Name.Figure:
            figures.append(node)
        if "/K" in node:
            pending.append(node.K)
    # The cover's QR code is a figure, and it says what it is for.
    assert figures
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert all(alt.strip() for alt in alts), alts
    assert any(
        "QR code" in alt and export["verification_code"] in alt for alt in alts
    ), alts
