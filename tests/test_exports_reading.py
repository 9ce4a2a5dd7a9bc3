"""Portfolio PDFs read well: the history in words, no empty sections, charts of progress."""

import io
import re
import subprocess

import pikepdf

from tests.helpers.api import sign_off as signed
from tests.helpers.capacity import pdf_text
from tests.world import REFLECTION


def _export(as_, world, work_jobs, kind="portfolio") -> bytes:
    made = as_("trainee").post(
        "/api/v1/exports", json={"kind": kind, "enrolment": world.enrolment_id}
    )
    assert made.status_code == 202, made.get_json()
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    assert export["status"] == "done", export
    with as_("trainee").get(export["download_url"]) as response:
        return response.data


def _page_texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(path)], capture_output=True, text=True, check=True
            ).stdout,
        ).group(1)
    )
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


def _figure_alts(data: bytes) -> list[str]:
    pdf = pikepdf.open(io.BytesIO(data))
    alts, pending = [], [pdf.Root.StructTreeRoot]
    while pending:
        node = pending.pop()
        if isinstance(node, pikepdf.Array):
            pending.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            if node.get("/S") == pikepdf.Name.Figure:
                alts.append(str(node.get("/Alt", "")))
            if "/K" in node:
                pending.append(node.K)
    return alts


def test_history_is_in_words_and_empty_sections_are_left_out(
    as_, world, work_jobs, tmp_path
):
    signed(as_, world, {**REFLECTION, "title": "Linac morning QA reflection"})
    data = _export(as_, world, work_jobs)
    text = " ".join(pdf_text(data, tmp_path).split())
    history = text[text.index("Audit history", text.index("Audit history") + 1) :]
    assert "Signed off by Dr Tom Okafor: “Linac morning QA reflection”" in history
    assert "Aisha Rahman asked Dr Tom Okafor to sign off “Linac morning QA" in history
    assert "Aisha Rahman recorded “Linac morning QA reflection”" in history
    # No stored keys or ids in what a reader sees.
    assert not re.search(r"\b(evidence|enrolment|attachment)\.[a-z_]+\b", text)
    # No attachments: no index of them, no page or heading saying so.
    assert "attachments" not in text.lower()
    # Every page carries something besides its running header and footer.
    for number, page in enumerate(_page_texts(data, tmp_path), start=1):
        body = [
            line
            for line in page.splitlines()
            if line.strip()
            and "Verification code" not in line
            and not re.search(r"Page \d+ of \d+", line)
            and "Training portfolio" not in line
        ]
        assert body, f"page {number} is empty"


def test_portfolio_draws_progress_charts_with_alternative_text(
    as_, world, work_jobs, tmp_path
):
    signed(as_, world, {**REFLECTION, "title": "Linac morning QA reflection"})
    data = _export(as_, world, work_jobs)
    alts = _figure_alts(data)
    bars = [a for a in alts if a.startswith("Bar chart of the share of each module")]
    months = [
        a for a in alts if a.startswith("Chart of evidence signed off each month")
    ]
    assert bars and months, alts
    assert "1 items in all" in months[0] or "rising to 1 " in months[0]
    # Drawn here: the PDF embeds no image fetched from anywhere (only our SVGs and QR).
    text = pdf_text(data, tmp_path)
    assert "Progress summary" in text


def test_a_portfolio_with_nothing_signed_off_has_no_empty_evidence_section(
    as_, world, work_jobs, tmp_path
):
    data = _export(as_, world, work_jobs)
    text = " ".join(pdf_text(data, tmp_path).split())
    assert "No evidence has been signed off yet." in text
    assert "Signed-off evidence" not in text.split("Progress summary", 1)[1]
    assert "No signed-off evidence yet" not in text
    assert "attachments" not in text.lower()


def test_registration_pack_leaves_out_declarations_when_nobody_signed(
    as_, world, work_jobs, tmp_path
):
    data = _export(as_, world, work_jobs, kind="registration")
    text = " ".join(pdf_text(data, tmp_path).split())
    assert "Supervisor declarations" not in text and "No sign-offs yet" not in text
    assert "No evidence has been signed off yet, so no standard is covered." in text


def test_history_sentences_never_show_keys_ids_or_external_emails():
    from portfolio.audit.models import AuditEvent
    from portfolio.exports.history import describe

    def event(action, **data):
        return AuditEvent(actor_name="Aisha Rahman", action=action, data=data)

    names = {"u1": "Dr Tom Okafor"}.get
    assert (
        describe(event("evidence.submitted", assessor="u1", version=2), "QA", names)
        == "Aisha Rahman asked Dr Tom Okafor to sign off “QA” (version 2)"
    )
    external = describe(
        event("evidence.submitted", external_assessor="vera@example.org"), "QA"
    )
    assert "an external assessor" in external and "@" not in external
    unlocked = describe(event("evidence.unlocked", reason="Wrong linac"), "QA")
    assert unlocked.endswith("withdrawing its sign-off: Wrong linac")
    # An action without a phrase yet is said in words, not as its dotted key.
    fallback = describe(event("msf.raters_added", raters=3))
    assert "." not in fallback and "raters added" in fallback
