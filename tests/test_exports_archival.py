"""Registration packs are archival: PDF/A-3b, tagged for PDF/UA-1, with their signed
verification data embedded as an associated file (ISO 19005-3 6.8, Annex E)."""

import hashlib
import io

import pikepdf
import pytest

from portfolio.exports import signing
from tests.helpers.api import sign_off as signed
from tests.world import REFLECTION


@pytest.fixture
def pack(as_, world, work_jobs):
    signed(as_, world, {**REFLECTION, "title": "Linac morning QA reflection"})
    made = as_("trainee").post(
        "/api/v1/exports",
        json={"kind": "registration", "enrolment": world.enrolment_id},
    )
    assert made.status_code == 202, made.get_json()
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    assert export["status"] == "done", export
    with as_("trainee").get(export["download_url"]) as response:
        data = response.data
    assert hashlib.sha256(data).hexdigest() == export["sha256"]
    return export, data


def test_registration_pack_declares_pdf_a_3_and_pdf_ua_1(pack):
    _export, data = pack
    pdf = pikepdf.open(io.BytesIO(data))
    meta = pdf.open_metadata()
    assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
    assert meta["pdfuaid:part"] == "1"
    # PDF/A: an sRGB output intent; PDF/UA: tagged, marked, titled, in a language.
    assert pdf.Root.OutputIntents[0].S == pikepdf.Name("/GTS_PDFA1")
    assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
    assert pdf.Root.ViewerPreferences.DisplayDocTitle
    assert str(pdf.Root.Lang).startswith("en")


def test_registration_pack_carries_its_signed_verification_data(app, client, pack):
    export, data = pack
    pdf = pikepdf.open(io.BytesIO(data))
    assert list(pdf.attachments) == ["verification.json"]
    spec = pdf.attachments["verification.json"]
    # An associated file of the document (the catalog's /AF), of type JSON.
    assert spec.obj.AFRelationship == pikepdf.Name("/Data")
    assert any(f.objgen == spec.obj.objgen for f in pdf.Root.AF)
    embedded = spec.get_file()
    assert embedded.mime_type == "application/json"
    raw = embedded.read_bytes()
    with app.app_context():
        document = signing.check_signed_json(raw, {signing.own_public_key()})
        with pytest.raises(signing.SigningKeyError, match="does not verify"):
            signing.check_signed_json(
                raw.replace(b"Aisha Rahman", b"Aisha Rahmen"),
                {signing.own_public_key()},
            )
    assert document["verification_code"] == export["verification_code"]
    assert document["verify_url"].endswith(f"/verify/{export['verification_code']}")
    assert document["summary"]["trainee"] == "Aisha Rahman"
    # The same summary the public verification answer gives for this file.
    checked = client.post(
        "/api/v1/verify",
        json={"code": export["verification_code"], "sha256": export["sha256"]},
    ).get_json()
    assert checked["valid"] is True
    assert document["summary"] == checked["export"]["summary"]
    assert document["signoffs"] == 1 and document["kind"] == "Registration pack"
    assert "signoff_ids" not in raw.decode()


def test_portfolio_pdf_stays_pdf_ua_1_without_attachments(as_, world, work_jobs):
    signed(as_, world, {**REFLECTION, "title": "Linac morning QA reflection"})
    made = as_("trainee").post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    )
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    with as_("trainee").get(export["download_url"]) as response:
        pdf = pikepdf.open(io.BytesIO(response.data))
    meta = pdf.open_metadata()
    assert meta["pdfuaid:part"] == "1" and "pdfaid:part" not in meta
    assert not list(pdf.attachments)
