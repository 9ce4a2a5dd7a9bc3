"""A long portfolio is rendered in parts and merged into one tagged PDF/UA-1 file.

The part size is set small (2 items) so five signed-off items make a front part, three
evidence parts and an appendix part, merged in two stages (two parts added at each). The merged file must read as one document: page
numbers "Page N of M" on every page, one structure tree holding every part's tags with
a /ParentTree that maps every page and annotation, a bookmark for every section and
item in order, the contents' page numbers pointing at the right pages, text in reading
order, and verification working on the merged bytes.
"""

import hashlib
import io
import re
import subprocess

import pikepdf
import pytest

from tests.helpers.api import sign_off as signed
from tests.world import REFLECTION

ITEMS = 5


@pytest.fixture
def long_export(app, as_, world, work_jobs):
    app.config["PDF_PART_ITEMS"] = 2
    # Merged in stages of two parts: (front, 1, 2), then (that, 3, appendix).
    app.config["PDF_MERGE_STAGE_PARTS"] = 2
    for i in range(ITEMS):
        signed(as_, world, {**REFLECTION, "title": f"Parted reflection {i + 1}"})
    made = as_("trainee").post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    )
    assert made.status_code == 202, made.get_json()
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    assert export["status"] == "done", export
    with as_("trainee").get(export["download_url"]) as response:
        data = response.data
    assert hashlib.sha256(data).hexdigest() == export["sha256"]
    return export, data


def page_texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "parts.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text.split("\f")[:-1]


def walk(node, seen=None):
    """Every structure element under ``node`` (depth first, in order)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Array):
            stack.extend(reversed(list(item)))
        elif isinstance(item, pikepdf.Dictionary) and item.get("/Type") in (
            None,
            pikepdf.Name.StructElem,
        ):
            if "/S" in item:
                yield item
                if "/K" in item:
                    stack.append(item.K)


def check_continuous_page_numbers(long_export, tmp_path):
    export, data = long_export
    pdf = pikepdf.open(io.BytesIO(data))
    total = len(pdf.pages)
    texts = page_texts(data, tmp_path)
    assert len(texts) == total
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text, (number, text[-300:])
    # Running headers and the verification code on the later parts' pages too.
    assert all(export["verification_code"] in t for t in texts)
    assert all("Aisha Rahman" in t for t in texts[1:])
    # Reading order: cover, contents, progress, the items in order, then history.
    whole = "\f".join(texts)
    positions = [
        whole.index(f"{i + 1}. Parted reflection {i + 1}") for i in range(ITEMS)
    ]
    assert positions == sorted(positions)
    assert whole.index("Progress summary") < positions[0]
    assert whole.rindex("Audit history") > positions[-1]
    # The contents give each later section's page, and its link goes there.
    contents = texts[1]
    evidence_page = int(re.search(r"Signed-off evidence\W+(\d+)", contents).group(1))
    history_page = int(re.search(r"Audit history\W+(\d+)", contents).group(1))
    assert "Signed-off evidence" in texts[evidence_page - 1]
    assert "Parted reflection 1" in texts[evidence_page - 1]
    assert "What happened to this record" in texts[history_page - 1]
    dests = pdf.Root.Names.Dests.Names
    named = {bytes(dests[i]): dests[i + 1] for i in range(0, len(dests), 2)}
    pages = {p.objgen: n for n, p in enumerate(pdf.pages, start=1)}
    assert pages[named[b"evidence"][0].objgen] == evidence_page
    assert pages[named[b"history"][0].objgen] == history_page


def check_one_structure_tree_and_pdf_ua(long_export):
    _export, data = long_export
    pdf = pikepdf.open(io.BytesIO(data))
    assert pdf.open_metadata()["pdfuaid:part"] == "1"
    assert pdf.Root.MarkInfo.Marked and pdf.Root.ViewerPreferences.DisplayDocTitle
    assert str(pdf.Root.Lang).startswith("en")
    tree = pdf.Root.StructTreeRoot
    assert len(tree.K) == 1 and tree.K[0].S == pikepdf.Name.Document
    document = tree.K[0]
    elements = list(walk(document.K))
    assert all(kid.P.objgen == document.objgen for kid in document.K)
    headings = [e for e in elements if e.S in (pikepdf.Name.H2, pikepdf.Name("/H3"))]
    assert len([h for h in headings if h.S == pikepdf.Name("/H3")]) == ITEMS
    # Every page's marked content and every annotation are in the one /ParentTree.
    nums = tree.ParentTree.Nums
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    assert keys == sorted(set(keys))
    page_objgens = {p.objgen for p in pdf.pages}
    mapped = dict(zip(keys, [nums[i + 1] for i in range(0, len(nums), 2)], strict=True))
    for index, page in enumerate(pdf.pages):
        assert int(page.obj.StructParents) == index
        refs = mapped[index]
        assert len(refs) > 0
        assert all(r.Pg.objgen == page.obj.objgen for r in refs if "/Pg" in r)
        for annotation in page.obj.get("/Annots", []):
            owner = mapped[int(annotation.StructParent)]
            assert owner.S == pikepdf.Name.Link
    for element in elements:
        if "/Pg" in element:
            assert element.Pg.objgen in page_objgens
    assert int(tree.ParentTreeNextKey) == max(keys) + 1
    # The stamped page numbers are artifacts, in an embedded font.
    stamp = pdf.pages[-1].obj.Contents[-1].read_bytes()
    assert b"/Artifact" in stamp and b"/Pagination" in stamp
    font = pdf.pages[-1].obj.Resources.Font.MPCEPageNumber
    assert "/FontFile2" in font.FontDescriptor


def check_a_bookmark_for_every_section_and_item(long_export):
    _export, data = long_export
    pdf = pikepdf.open(io.BytesIO(data))
    with pdf.open_outline() as outline:
        # The title (the cover's h1), then each section (h2) under it.
        [title] = list(outline.root)
        assert title.title.startswith("Training portfolio")
        sections = [item.title for item in title.children]
        assert sections[-2:] == ["Signed-off evidence", "Audit history"]
        assert "Progress summary" in sections
        evidence = next(i for i in title.children if i.title == "Signed-off evidence")
        titles = [child.title for child in evidence.children]
        assert titles == [f"{i + 1}. Parted reflection {i + 1}" for i in range(ITEMS)]
        pages = {p.objgen: n for n, p in enumerate(pdf.pages)}
        targets = [pages[child.destination[0].objgen] for child in evidence.children]
        assert targets == sorted(targets)


def check_verifies_as_one_file(long_export, as_):
    export, data = long_export
    ok = as_("other_trainee").client.post(
        "/api/v1/verify",
        json={"code": export["verification_code"], "sha256": export["sha256"]},
    )
    assert ok.status_code == 200 and ok.get_json()["valid"] is True
    upload = as_("trainee").client.post(
        f"/verify/{export['verification_code']}",
        data={"file": (io.BytesIO(data), "copy.pdf")},
        content_type="multipart/form-data",
    )
    assert "This file is genuine" in upload.get_data(as_text=True)


def test_a_long_portfolio_renders_in_parts_as_one_document(long_export, as_, tmp_path):
    # One render for every check: each render of the five items takes seconds.
    check_continuous_page_numbers(long_export, tmp_path)
    check_one_structure_tree_and_pdf_ua(long_export)
    check_a_bookmark_for_every_section_and_item(long_export)
    check_verifies_as_one_file(long_export, as_)


def test_a_short_portfolio_is_one_render(app, as_, world, work_jobs, tmp_path):
    """Under the part size nothing is merged: WeasyPrint numbers the pages itself."""
    app.config["PDF_PART_ITEMS"] = 2
    signed(as_, world, {**REFLECTION, "title": "Only reflection"})
    made = as_("trainee").post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    )
    work_jobs()
    export = as_("trainee").get(f"/api/v1/exports/{made.get_json()['id']}").get_json()
    with as_("trainee").get(export["download_url"]) as response:
        data = response.data
    pdf = pikepdf.open(io.BytesIO(data))
    assert "/MPCEPageNumber" not in pdf.pages[0].obj.Resources.Font
    texts = page_texts(data, tmp_path)
    assert f"Page 1 of {len(texts)}" in texts[0]
