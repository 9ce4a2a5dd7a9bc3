"""`flask export import` against hand-made, hostile bundles.

Each test builds its bundle the way another installation, or an attacker, would:
signed with its own Ed25519 key, every file listed in the manifest. A bundle must
not be able to pass its history off as local sign-offs, reach existing accounts,
change which curriculum version is current, load twice, exhaust memory or crash the
command, and its signature must verify with a key this installation trusts.
"""

import base64
import hashlib
import json
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portfolio.extensions import db
from tests.world import REFLECTION

INSTALLATION = "Elsewhere Portfolio"
FORMAT = "mpce-portfolio-bundle/2"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
MB = 1024 * 1024
CODE = "P-RP-S2-TA01"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def public_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode()


class Maker:
    """Builds signed bundles as another installation would; tests then spoil them."""

    def __init__(self, app, tmp_path: Path):
        from portfolio.curriculum import services as curricula

        self.app = app
        self.tmp_path = tmp_path
        self.key = Ed25519PrivateKey.generate()
        self.public = public_text(self.key)
        self.count = 0
        with app.app_context():
            self.version = curricula.get_curriculum("stp-rp").version

    def signoff(self, **changes) -> dict:
        return {
            "decision": "approved",
            # A real supervisor of this installation, by email.
            "assessor": {"name": "Dr Tom Okafor", "email": "tom@example.org"},
            "comment": "Well evidenced",
            "evidence_version": 1,
            "content_hash": "ab" * 32,
            "claims": [f"stp-rp:{self.version}:{CODE}"],
            "decided_at": "2025-10-02T10:00:00+00:00",
            "superseded_at": None,
            "superseded_reason": None,
            **changes,
        }

    def evidence(self, **changes) -> dict:
        return {
            "id": "source-evidence-1",
            "kind": "reflection",
            "title": "Imported linac QA reflection",
            "occurred_on": "2025-10-01",
            "body": "Watched the morning run-up.",
            "form": dict(REFLECTION["form"]),
            "status": "signed_off",
            "version": 1,
            "created_at": "2025-10-01T09:00:00+00:00",
            "claims": [{"curriculum": "stp-rp", "version": self.version, "code": CODE}],
            "attachments": [],
            "signoffs": [self.signoff()],
            **changes,
        }

    def document(self, email="nina@example.org", name="Nina Newcomer", **changes):
        return {
            "format": FORMAT,
            "exported_at": "2026-01-05T12:00:00+00:00",
            "trainee": {"name": name, "email": email},
            "enrolment": {
                "curriculum": "stp-rp",
                "curriculum_version": self.version,
                "organisation": "RBV",
                "start_date": "2024-09-01",
                "expected_end_date": "2027-08-31",
                "status": "active",
                "contracted_hours_per_week": None,
            },
            "evidence": [self.evidence()],
            "audit_events": [],
            **changes,
        }

    def write(
        self,
        document=None,
        members=None,
        *,
        manifest_changes=None,
        raw_manifest=None,
        signature=None,
        sign=True,
        key=None,
        compression=zipfile.ZIP_DEFLATED,
    ) -> Path:
        """Zip ``document`` (or raw ``portfolio.json`` bytes) and ``members``, signed."""
        self.count += 1
        document = self.document() if document is None else document
        data = (
            document if isinstance(document, bytes) else json.dumps(document).encode()
        )
        files = {"portfolio.json": data, **(members or {})}
        manifest = {
            "format": FORMAT,
            "created_at": "2026-01-05T12:00:00+00:00",
            "installation": {"name": INSTALLATION, "public_key": self.public},
            "files": {name: sha(content) for name, content in sorted(files.items())},
            **(manifest_changes or {}),
        }
        manifest_bytes = raw_manifest or json.dumps(manifest, indent=2).encode()
        path = self.tmp_path / f"bundle-{self.count}.zip"
        with zipfile.ZipFile(path, "w", compression) as archive:
            archive.writestr("manifest.json", manifest_bytes)
            if sign:
                signed = (key or self.key).sign(manifest_bytes)
                archive.writestr(
                    "manifest.json.sig", signature or base64.b64encode(signed)
                )
            for name, content in files.items():
                archive.writestr(name, content)
        return path

    def case_package(self, version: str, effective_from: str, title=None) -> dict:
        """The installed stp-rp as a CASE package, relabelled as another version."""
        from portfolio.curriculum import services as curricula

        with self.app.app_context():
            package = curricula.case_package(
                curricula.get_curriculum("stp-rp"), "https://elsewhere.invalid/"
            )
        package["CFDocument"]["version"] = version
        package["CFDocument"]["extensions"]["mpce"]["effective_from"] = effective_from
        if title:
            for item in package["CFItems"]:
                item["fullStatement"] = title
        return package


@pytest.fixture
def maker(app, world, tmp_path):
    made = Maker(app, tmp_path)
    app.config["BUNDLE_TRUSTED_KEYS"] = [made.public]
    return made


def tables():
    from portfolio import models

    return [getattr(models, name) for name in models.__all__]


def snapshot(app) -> tuple[dict, list]:
    """Row counts of every table, and the stored files: 'nothing written' is equality."""
    with app.app_context():
        counts = {
            model.__tablename__: db.session.scalar(
                sa.select(sa.func.count()).select_from(model)
            )
            for model in tables()
        }
    folder = Path(app.config["FILES_DIR"]) / "attachments"
    stored = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return counts, stored


def refused(result, *texts):
    """Exit 1 with a message, not a traceback; the message says each of ``texts``."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for text in texts:
        assert text in result.output, result.output


def run_import(runner, path, *options):
    return runner.invoke(args=["export", "import", str(path), *options])


def imported_evidence(app, title="Imported linac QA reflection"):
    from portfolio.evidence.models import Evidence

    return db.session.scalar(sa.select(Evidence).where(Evidence.title == title))


# ---- 1. imported history never passes for a local sign-off -----------------------------


def test_imported_signoffs_are_history_never_local_approvals(app, runner, maker):
    from portfolio.accounts.services import find_user
    from portfolio.enrolments.models import Enrolment
    from portfolio.exports.documents import build_portfolio
    from portfolio.progress import tracking
    from portfolio.signoff import services as signoff
    from portfolio.signoff.models import ImportedSignOff
    from portfolio.signoff.models import SignOff

    result = run_import(runner, maker.write())
    assert result.exit_code == 0, result.output
    assert f"imported from {INSTALLATION}" in result.output
    with app.app_context():
        evidence = imported_evidence(app)
        tom = find_user("tom@example.org")
        # No sign-off row here, least of all one by the local supervisor the bundle named.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignOff)) == 0
        (record,) = db.session.scalars(sa.select(ImportedSignOff)).all()
        assert record.evidence_id == evidence.id
        assert (record.assessor_name, record.assessor_email) == (
            "Dr Tom Okafor",
            "tom@example.org",
        )
        assert record.label == f"imported from {INSTALLATION}"
        assert evidence.status == "draft" and evidence.imported_from.trusted
        # Progress, the exported portfolio and the queue count only local sign-offs.
        enrolment = db.session.scalar(
            sa.select(Enrolment).where(Enrolment.trainee_id == evidence.owner_id)
        )
        outcome = next(
            o for o in tracking.progress_of(enrolment).outcomes if o.code == CODE
        )
        assert outcome.signed_off_count == 0 and outcome.evidence_count == 1
        assert build_portfolio(enrolment).entries == []
        assert db.session.scalars(signoff.queue(tom)).all() == []


def test_imported_history_is_labelled_where_signoffs_are_shown(
    app, client, runner, maker, login, as_, world
):
    """Linked to a local trainee, signed off here: pages and PDF say what was imported."""
    from portfolio.enrolments.models import Enrolment
    from portfolio.exports.documents import build_portfolio
    from portfolio.exports.models import Export
    from portfolio.exports.services import portfolio_html

    document = maker.document(email="aisha@example.org", name="Aisha Rahman")
    result = run_import(runner, maker.write(document), "--link-existing", world.trainee)
    assert result.exit_code == 0, result.output
    with app.app_context():
        evidence_id = imported_evidence(app).id
    login(world.trainee)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Imported history" in page and f"imported from {INSTALLATION}" in page
    api = as_("trainee").get(f"/api/v1/evidence/{evidence_id}").get_json()
    assert api["signoffs"] == []
    assert api["imported_from"]["label"] == f"imported from {INSTALLATION}"
    assert api["imported_signoffs"][0]["assessor"]["email"] == "tom@example.org"
    # The trainee asks for sign-off here; only now does a local supervisor decide.
    path = f"/api/v1/evidence/{evidence_id}"
    assert (
        as_("trainee").post(f"{path}/submit", json={"assessor": world.supervisor})
    ).status_code == 200
    queue = as_("supervisor").get("/api/v1/signoff/queue").get_json()["items"]
    assert [row["id"] for row in queue] == [evidence_id]
    decided = as_("supervisor").post(
        f"{path}/decision", json={"decision": "approve", "comment": "Seen here"}
    )
    assert decided.status_code == 200, decided.get_json()
    with app.test_request_context():
        content = build_portfolio(db.session.get(Enrolment, world.enrolment_id))
        (entry,) = [e for e in content.entries if e.evidence.id == evidence_id]
        assert entry.signoff.assessor.email == world.supervisor
        assert [s.assessor_email for s in entry.imported_signoffs] == [
            "tom@example.org"
        ]
        html = portfolio_html(
            Export(
                kind="portfolio",
                enrolment_id=world.enrolment_id,
                verification_code="TEST-CODE-0000-0000",
            ),
            content,
        )
    assert "Imported history" in html and f"imported from {INSTALLATION}" in html


def test_imported_attachments_follow_the_upload_rules(app, runner, maker):
    from portfolio.evidence.attachments import file_path
    from portfolio.evidence.models import Attachment

    def bundle(content, media_type="application/pdf", filename="../../etc/notes.pdf"):
        attachment = {
            "filename": filename,
            "media_type": media_type,
            "size": len(content),
            "sha256": sha(content),
            "path": "attachments/0001-notes.pdf",
        }
        document = maker.document(evidence=[maker.evidence(attachments=[attachment])])
        return maker.write(document, {"attachments/0001-notes.pdf": content})

    before = snapshot(app)
    refused(run_import(runner, bundle(b"#!/bin/sh\nrm -rf /\n")), "is not a PDF")
    refused(
        run_import(runner, bundle(PDF, media_type="image/png")),
        "is application/pdf, not image/png",
    )
    refused(run_import(runner, bundle(PDF, media_type="text/html")), "text/html")
    assert snapshot(app) == before  # and no file left behind
    result = run_import(runner, bundle(PDF))
    assert result.exit_code == 0, result.output
    with app.app_context():
        (stored,) = db.session.scalars(sa.select(Attachment)).all()
        assert stored.filename == "notes.pdf" and stored.media_type == "application/pdf"
        assert file_path(stored).read_bytes() == PDF


# ---- 2. existing accounts are linked only on the admin's word ---------------------------


def test_existing_accounts_are_not_linked_without_confirmation(
    app, runner, maker, world
):
    from portfolio.evidence.models import Evidence
    from portfolio.signoff.models import ImportedSignOff
    from portfolio.signoff.models import SignOff

    bundle = maker.write(maker.document(email="Ben@Example.org", name="Ben Other"))
    before = snapshot(app)
    refused(run_import(runner, bundle), "ben@example.org", "--link-existing")
    assert snapshot(app) == before
    refused(
        run_import(runner, bundle, "--link-existing", "mallory@example.org"),
        "mallory@example.org",
    )
    assert snapshot(app) == before
    result = run_import(runner, bundle, "--link-existing", world.other_trainee)
    assert result.exit_code == 0, result.output
    with app.app_context():
        evidence = db.session.scalar(
            sa.select(Evidence).where(Evidence.imported_from_id.isnot(None))
        )
        assert evidence.owner.email == world.other_trainee
        # Linking the trainee never links the assessor: still imported history.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignOff)) == 0
        record = db.session.scalar(sa.select(ImportedSignOff))
        assert record.assessor_email == "tom@example.org"


def test_link_existing_all_links_every_matching_account(app, runner, maker, world):
    bundle = maker.write(maker.document(email=world.other_trainee, name="Ben Other"))
    result = run_import(runner, bundle, "--link-existing-all")
    assert result.exit_code == 0, result.output
    assert "linked to the existing account" in result.output


# ---- 3. curricula in a bundle never replace installed ones or become current -------------


def test_a_bundles_new_curriculum_version_is_added_but_never_current(
    app, runner, maker
):
    from portfolio.curriculum import services as curricula
    from portfolio.curriculum.models import Curriculum

    package = maker.case_package("2099.1", "2099-01-01")
    document = maker.document()
    document["enrolment"]["curriculum_version"] = "2099.1"
    document["evidence"][0]["claims"][0]["version"] = "2099.1"
    name = "curricula/stp-rp-2099.1.case.json"
    bundle = maker.write(document, {name: json.dumps(package).encode()})
    result = run_import(runner, bundle)
    assert result.exit_code == 0, result.output
    assert "non-current" in result.output
    with app.app_context():
        current = curricula.get_curriculum("stp-rp")
        assert current.version == maker.version and current.imported_from is None
        added = curricula.get_curriculum("stp-rp", "2099.1")
        assert added.is_current is False and added.imported_from == INSTALLATION
        # Loading any version later keeps the imported one out of "current".
        curricula._make_current(current)
        db.session.commit()
        assert (
            db.session.scalar(
                sa.select(Curriculum.version).where(
                    Curriculum.slug == "stp-rp", Curriculum.is_current.is_(True)
                )
            )
            == maker.version
        )


def test_a_bundles_copy_of_an_installed_version_changes_nothing(app, runner, maker):
    from portfolio.curriculum import services as curricula

    with app.app_context():
        installed = curricula.get_curriculum("stp-rp")
        titles = {o.code: o.title for o in curricula.outcomes_of(installed)}
        digest = installed.content_hash
    package = maker.case_package(maker.version, "2022-09-01", title="Rewritten")
    name = f"curricula/stp-rp-{maker.version}.case.json"
    result = run_import(runner, maker.write(None, {name: json.dumps(package).encode()}))
    assert result.exit_code == 0, result.output
    with app.app_context():
        installed = curricula.get_curriculum("stp-rp")
        assert installed.content_hash == digest
        assert {o.code: o.title for o in curricula.outcomes_of(installed)} == titles
        assert len(curricula.versions_of("stp-rp")) == 1


# ---- 4. no duplicates ---------------------------------------------------------------------


def test_the_same_bundle_or_enrolment_cannot_be_imported_twice(app, runner, maker):
    document = maker.document()
    bundle = maker.write(document)  # no audit events: nothing else to recognise it by
    assert run_import(runner, bundle).exit_code == 0
    before = snapshot(app)
    refused(run_import(runner, bundle), "already been imported")
    assert snapshot(app) == before
    # The same enrolment in another zip (so another SHA-256), even when linked.
    again = maker.write(document, {"portfolio.pdf": PDF})
    refused(
        run_import(runner, again, "--link-existing", "nina@example.org"),
        "already has an enrolment on stp-rp starting 01 September 2024",
    )
    assert snapshot(app) == before


# ---- 5. zip limits before any member is read ----------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_inflated(app, runner, maker):
    """400 MB of zeros in a zip of well under a megabyte: refused, memory stays small."""
    path = maker.write()
    digest = hashlib.sha256()
    block = bytes(MB)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("portfolio.pdf", "w", force_zip64=True) as member:
            for _ in range(400):
                member.write(block)
                digest.update(block)
    assert path.stat().st_size < 2 * MB
    before = snapshot(app)
    tracemalloc.start()
    try:
        result = run_import(runner, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    refused(result, "portfolio.pdf", "BUNDLE_MAX_MEMBER_MB")
    assert peak < 40 * MB, f"peak {peak / MB:.0f} MB"
    assert snapshot(app) == before


def test_an_absurd_compression_ratio_is_refused(app, runner, maker):
    zeros = bytes(5 * MB)  # under the per-file limit, but 1000 to 1
    refused(
        run_import(runner, maker.write(None, {"portfolio.pdf": zeros})),
        "portfolio.pdf",
        "BUNDLE_MAX_RATIO",
    )


def test_per_file_and_total_limits_come_from_the_settings(app, runner, maker):
    app.config["BUNDLE_MAX_MEMBER_MB"] = 1
    noise = os.urandom(MB + 10)  # incompressible: no ratio problem
    refused(
        run_import(runner, maker.write(None, {"portfolio.pdf": noise})),
        "portfolio.pdf",
        "BUNDLE_MAX_MEMBER_MB",
    )
    app.config["BUNDLE_MAX_TOTAL_MB"] = 1
    half = {f"badges/stp-rp/{n}.json": os.urandom(MB // 2) for n in ("a", "b", "c")}
    refused(run_import(runner, maker.write(None, half)), "BUNDLE_MAX_TOTAL_MB")


def test_json_files_have_a_tighter_limit(app, runner, maker, monkeypatch):
    from portfolio.exports import bundle_read

    monkeypatch.setattr(bundle_read, "MAX_JSON_BYTES", 1000)
    big = maker.document(evidence=[maker.evidence(body="x" * 2000)])
    refused(run_import(runner, maker.write(big)), "portfolio.json", "of JSON")


def test_a_header_that_understates_a_file_is_not_trusted(app, runner, maker):
    """The zip says portfolio.pdf is 10 bytes; it holds 300 KB. Reads stop at 10."""
    path = maker.write(None, {"portfolio.pdf": PDF + os.urandom(300_000)})
    data = bytearray(path.read_bytes())
    name = b"portfolio.pdf"
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + length] == name:
            data[at + 24 : at + 28] = struct.pack("<I", 10)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    before = snapshot(app)
    refused(run_import(runner, path), "portfolio.pdf")
    assert snapshot(app) == before


def test_unsafe_member_paths_are_refused(app, runner, maker):
    path = maker.write()
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../outside.txt", b"x")
    refused(run_import(runner, path), "unsafe path in bundle")


# ---- 6. malformed JSON: a clean error naming file and path, nothing written ----------------


def _spoil(maker, how):
    document = maker.document()
    evidence = document["evidence"][0]
    if how == "not json":
        return maker.write(b"{not json")
    if how == "missing key":
        del document["enrolment"]
    elif how == "wrong type":
        evidence["version"] = "one"
    elif how == "bad date":
        evidence["occurred_on"] = "2026-02-30"
    elif how == "naive time":
        evidence["signoffs"][0]["decided_at"] = "2025-10-02T10:00:00"
    elif how in ("deep nesting", "huge nesting"):
        depth = 100 if how == "deep nesting" else 200_000
        evidence["form"]["what_happened"] = "DEEP"
        text = json.dumps(document).replace('"DEEP"', "[" * depth + "]" * depth)
        return maker.write(text.encode())
    elif how == "NaN":
        document["enrolment"]["contracted_hours_per_week"] = float("nan")
    elif how == "NUL character":
        evidence["title"] = "Linac\u0000QA"
    elif how == "too long":
        evidence["title"] = "x" * 201
    elif how == "wrong answers":
        evidence["form"] = {"what_happened": ["not", "text"]}
    elif how == "end before start":
        document["enrolment"]["expected_end_date"] = "2020-01-01"
    elif how == "unknown outcome":
        evidence["claims"][0]["code"] = "NOT-A-CODE"
    elif how == "attachment not listed":
        evidence["attachments"] = [
            {
                "filename": "x.pdf",
                "media_type": "application/pdf",
                "size": len(PDF),
                "sha256": sha(PDF),
                "path": "attachments/x.pdf",
            }
        ]
    return maker.write(document)


MALFORMED = {
    "not json": "portfolio.json: not JSON",
    "missing key": "portfolio.json: $: 'enrolment' is required",
    "wrong type": "portfolio.json: $.evidence[0].version",
    "bad date": "portfolio.json: $.evidence[0].occurred_on",
    "naive time": "portfolio.json: $.evidence[0].signoffs[0].decided_at",
    "deep nesting": "portfolio.json: $.evidence[0].form.what_happened",
    "huge nesting": "portfolio.json: nested too deeply",
    "NaN": "portfolio.json: not usable JSON",
    "NUL character": "portfolio.json: $.evidence[0].title: the text contains a NUL",
    "too long": "portfolio.json: $.evidence[0].title",
    "wrong answers": "portfolio.json: $.evidence[0].form.what_happened",
    "end before start": "portfolio.json: $.enrolment.expected_end_date",
    "unknown outcome": "portfolio.json: $.evidence[0].claims[0]",
    "attachment not listed": "portfolio.json: $.evidence[0].attachments[0].path",
}


@pytest.mark.parametrize("how", list(MALFORMED))
def test_malformed_portfolio_json_gives_a_clean_error(app, runner, maker, how):
    path = _spoil(maker, how)
    before = snapshot(app)
    refused(run_import(runner, path), MALFORMED[how], "nothing was imported")
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"\xff\xfe", "manifest.json: not UTF-8"),
        (b"[1, 2", "manifest.json: not JSON"),
        (
            json.dumps({"format": FORMAT, "created_at": "x", "files": []}).encode(),
            "manifest.json: $",
        ),
        (
            json.dumps({"format": "mpce-portfolio-bundle/1", "files": {}}).encode(),
            "made before bundles were signed",
        ),
    ],
)
def test_malformed_manifest_gives_a_clean_error(app, runner, maker, manifest, message):
    before = snapshot(app)
    refused(run_import(runner, maker.write(raw_manifest=manifest)), message)
    assert snapshot(app) == before


def test_a_malformed_curriculum_package_gives_a_clean_error(app, runner, maker):
    document = maker.document()
    document["enrolment"]["curriculum_version"] = "2099.1"
    document["evidence"][0]["claims"][0]["version"] = "2099.1"
    package = maker.case_package("2099.1", "2099-01-01")
    package["CFItems"][0]["extensions"] = {"mpce": {"type": "ETA", "evidence": "lots"}}
    name = "curricula/stp-rp-2099.1.case.json"
    before = snapshot(app)
    refused(
        run_import(runner, maker.write(document, {name: json.dumps(package).encode()})),
        name,
    )
    package["CFItems"] = {"not": "a list"}
    refused(
        run_import(runner, maker.write(document, {name: json.dumps(package).encode()})),
        f"{name}: $.CFItems",
    )
    assert snapshot(app) == before


def test_the_bundle_schemas_follow_the_models():
    """Enums and limits in the shipped schemas are the models' own."""
    from portfolio.accounts.models import EMAIL_MAX
    from portfolio.accounts.models import NAME_MAX
    from portfolio.enrolments.models import ENROLMENT_STATUSES
    from portfolio.evidence.models import BODY_MAX
    from portfolio.evidence.models import KINDS
    from portfolio.evidence.models import STATUSES
    from portfolio.evidence.models import TITLE_MAX
    from portfolio.exports.bundle import FORMAT as CODE_FORMAT
    from portfolio.exports.bundle_read import validator
    from portfolio.organisations.models import CODE_MAX
    from portfolio.signoff.models import DECISIONS
    from portfolio.signoff.services import COMMENT_MAX

    schema = validator("portfolio").schema
    defs = schema["$defs"]
    evidence = defs["evidence"]["properties"]
    assert CODE_FORMAT == FORMAT == schema["properties"]["format"]["const"]
    assert validator("manifest").schema["properties"]["format"]["const"] == FORMAT
    assert tuple(evidence["kind"]["enum"]) == KINDS
    assert tuple(evidence["status"]["enum"]) == STATUSES
    assert evidence["title"]["maxLength"] == TITLE_MAX
    assert evidence["body"]["maxLength"] == BODY_MAX
    assert defs["person"]["properties"]["name"]["maxLength"] == NAME_MAX
    assert defs["person"]["properties"]["email"]["maxLength"] == EMAIL_MAX
    assert tuple(defs["signoff"]["properties"]["decision"]["enum"]) == DECISIONS
    assert defs["signoff"]["properties"]["comment"]["maxLength"] == COMMENT_MAX
    enrolment = schema["properties"]["enrolment"]["properties"]
    assert tuple(enrolment["status"]["enum"]) == ENROLMENT_STATUSES
    assert enrolment["organisation"]["maxLength"] == CODE_MAX


# ---- 7. signed bundles ---------------------------------------------------------------------


def test_exported_bundles_are_signed_with_the_instance_key(app, as_, world, work_jobs):
    from portfolio.exports import signing

    response = as_("trainee").post(
        "/api/v1/exports", json={"kind": "bundle", "enrolment": world.enrolment_id}
    )
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{response.get_json()['id']}")
    download = as_("trainee").get(export.get_json()["download_url"])
    path = Path(app.instance_path) / "exported.zip"
    path.write_bytes(download.data)
    download.close()
    with zipfile.ZipFile(path) as archive:
        manifest_bytes = archive.read("manifest.json")
        signature = archive.read("manifest.json.sig").decode()
    manifest = json.loads(manifest_bytes)
    with app.app_context():
        own = signing.own_public_key()
        assert manifest["installation"] == {
            "name": signing.installation_name(),
            "public_key": own,
            "url": manifest["installation"]["url"],
        }
    assert signing.verifies(own, signature, manifest_bytes)
    assert not signing.verifies(own, signature, manifest_bytes + b" ")
    key_file = Path(app.instance_path) / signing.KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        assert signing.own_public_key() == own  # created once, then reused


def test_a_bundle_whose_signature_does_not_verify_is_refused(app, runner, maker):
    before = snapshot(app)
    manifest = {
        "format": FORMAT,
        "created_at": "2026-01-05T12:00:00+00:00",
        "installation": {"name": INSTALLATION, "public_key": maker.public},
        "files": {},
    }
    forged = maker.write(
        signature=base64.b64encode(maker.key.sign(json.dumps(manifest).encode()))
    )
    refused(run_import(runner, forged), "does not verify")
    refused(
        run_import(runner, maker.write(signature=b"not base64!")), "does not verify"
    )
    refused(run_import(runner, maker.write(sign=False)), "not signed")
    # Signed by a different key than the one the manifest names.
    refused(
        run_import(runner, maker.write(key=Ed25519PrivateKey.generate())),
        "does not verify",
    )
    assert snapshot(app) == before


def test_an_untrusted_key_is_refused_unless_allowed_then_marked_unverified(
    app, client, runner, maker, login, world
):
    from portfolio.exports import signing
    from portfolio.exports.models import BundleImport

    app.config["BUNDLE_TRUSTED_KEYS"] = []
    bundle = maker.write(maker.document(email=world.other_trainee, name="Ben Other"))
    before = snapshot(app)
    refused(
        run_import(runner, bundle, "--link-existing", world.other_trainee),
        "does not trust",
        signing.fingerprint(maker.public),
        "--allow-untrusted",
    )
    assert snapshot(app) == before
    result = run_import(
        runner, bundle, "--link-existing", world.other_trainee, "--allow-untrusted"
    )
    assert result.exit_code == 0, result.output
    assert "(unverified source)" in result.output
    with app.app_context():
        source = db.session.scalar(sa.select(BundleImport))
        assert source.trusted is False and source.public_key == maker.public
        evidence_id = imported_evidence(app).id
    login(world.other_trainee)
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert f"imported from {INSTALLATION} (unverified source)" in page


def test_keys_in_the_trusted_keys_folder_are_trusted(app, runner, maker):
    app.config["BUNDLE_TRUSTED_KEYS"] = []
    folder = Path(app.instance_path) / "trusted-keys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "elsewhere.pub").write_text(f"# {INSTALLATION}\n{maker.public}\n")
    result = run_import(runner, maker.write())
    assert result.exit_code == 0, result.output
    assert "unverified" not in result.output
    (folder / "broken.pub").write_text("not a key\n")
    refused(
        run_import(runner, maker.write(maker.document(email="x@example.org"))),
        "broken.pub",
    )


def test_export_key_prints_the_public_key(app, runner):
    from portfolio.exports import signing

    result = runner.invoke(args=["export", "key"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert signing.own_public_key() in result.output
