"""Render our own HTML to PDF with WeasyPrint, fetching nothing but our own assets.

User text only ever reaches the HTML escaped (Jinja autoescape) or as sanitised
Markdown with no images or links to resources. On top of that the fetcher refuses
everything except: files under the PDF asset folder, addressed as
``https://portfolio.invalid/pdf-assets/<name>``, and small ``data:`` URLs. So
``file://`` paths, loopback or network URLs, path traversal and oversized data
URLs fetch nothing and attach nothing, and a render never embeds a server file.
"""

import base64
import functools
import logging
import os
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlsplit

import pydyf  # type: ignore[import-untyped]
from weasyprint import HTML
from weasyprint import Attachment
from weasyprint.urls import URLFetcher
from weasyprint.urls import URLFetcherResponse

from portfolio.paths import PROJECT_ROOT

BASE_URL = "https://portfolio.invalid/"
ASSET_PREFIX = "/pdf-assets/"
ASSET_ROOT = PROJECT_ROOT / "portfolio" / "static" / "pdf"
MAX_DATA_URL_BYTES = 256 * 1024
MAX_ASSET_BYTES = 5 * 1024 * 1024
log = logging.getLogger(__name__)


def _linear_page_references() -> None:
    """Make ``pydyf.PDF.page_references`` linear instead of quadratic in pages.

    pydyf rebuilds the tuple of every page's reference each time the property is read,
    and WeasyPrint's PDF/UA tagging reads it once per structure element (``pdf/tags.py``,
    ``'Pg': pdf.page_references[page_number]``): for a 2,250-page portfolio, hundreds of
    thousands of elements times 2,250 pages, most of a ten-minute render. The tuple is
    kept and rebuilt only when a page has been added (pages are only ever appended), so
    every read returns exactly what pydyf would.
    """
    current = pydyf.PDF.page_references
    if getattr(current.fget, "cached_by_portfolio", False):
        return
    build = current.fget

    def page_references(self):
        kids = len(self.pages["Kids"])
        cached = self.__dict__.get("_portfolio_page_references")
        if cached is None or cached[0] != kids:
            cached = (kids, build(self))
            self.__dict__["_portfolio_page_references"] = cached
        return cached[1]

    page_references.cached_by_portfolio = True  # type: ignore[attr-defined]
    pydyf.PDF.page_references = property(page_references)


_linear_page_references()


class BlockedResource(ValueError):
    """The renderer asked for something outside the app's own PDF assets."""


class AppAssetFetcher(URLFetcher):
    """A URL fetcher that serves only the app's own PDF assets and small data URLs."""

    def __init__(self, root: Path = ASSET_ROOT):
        super().__init__(
            timeout=5, allowed_protocols={"https", "data"}, allow_redirects=False
        )
        self.root = root.resolve()
        self.blocked: list[str] = []

    def fetch(self, url, headers=None):
        try:
            return self._fetch(url)
        except BlockedResource:
            self.blocked.append(url[:200])
            raise

    def _fetch(self, url: str) -> URLFetcherResponse:
        if url.startswith("data:"):
            return self._data_url(url)
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.netloc != "portfolio.invalid":
            raise BlockedResource(f"blocked resource: {url[:100]}")
        path = unquote(parts.path)
        if not path.startswith(ASSET_PREFIX):
            raise BlockedResource(f"blocked resource: {url[:100]}")
        target = (self.root / path[len(ASSET_PREFIX) :]).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            raise BlockedResource(f"blocked resource: {url[:100]}")
        if target.stat().st_size > MAX_ASSET_BYTES:
            raise BlockedResource(f"asset too large: {url[:100]}")
        media_type = {
            ".css": "text/css",
            ".svg": "image/svg+xml",
            ".png": "image/png",
            ".ttf": "font/ttf",
            ".woff2": "font/woff2",
        }.get(target.suffix, "application/octet-stream")
        return URLFetcherResponse(
            url, target.read_bytes(), {"Content-Type": media_type}
        )

    def _data_url(self, url: str) -> URLFetcherResponse:
        header, _, payload = url.partition(",")
        if len(payload) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
            raise BlockedResource("data URL too large")
        media_type = header[5:].split(";")[0] or "text/plain"
        if media_type not in ("image/png", "image/svg+xml", "image/jpeg"):
            raise BlockedResource(f"data URL type not allowed: {media_type}")
        body = (
            base64.b64decode(payload)
            if ";base64" in header
            else unquote(payload).encode()
        )
        return URLFetcherResponse(url, body, {"Content-Type": media_type})


# An archival pack: PDF/A-3 (ISO 19005-3) conformance level B, which allows embedded
# files of any type as associated files, with the structure tags kept on and the
# PDF/UA-1 identification added, so the pack is both archival and accessible.
ARCHIVAL = "pdf/a-3b"
PDFUA_NS = "http://www.aiim.org/pdfua/ns/id/"


@dataclass(frozen=True)
class Associated:
    """A file embedded in the PDF as a PDF/A-3 associated file (``/AF``)."""

    name: str
    data: bytes
    description: str
    # ISO 19005-3 Annex E: Source, Data, Alternative, Supplement or Unspecified.
    relationship: str = "Data"


PRELOADED = "preloaded"


@functools.cache
def _srgb_profile():
    from weasyprint.css import ColorProfile

    with (resources.files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as handle:
        return ColorProfile(
            handle, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
        )


def _declare_pdfua(_document, pdf) -> None:
    """Add ``pdfuaid:part`` 1 beside ``pdfaid`` in the XMP metadata (ISO 14289-1 5).

    WeasyPrint writes one variant's identification; its tags (``pdf_tags``) are what
    PDF/UA-1 asks of the file itself, so the claim is added to the same packet.
    """
    reference = pdf.catalog["Metadata"]
    if isinstance(reference, bytes):
        reference = reference.decode()
    stream = pdf.objects[int(str(reference).split()[0])]
    packet = b"".join(
        part if isinstance(part, bytes) else str(part).encode()
        for part in stream.stream
    )
    marker = b'pdfaid:part="3"'
    if marker not in packet:
        raise RuntimeError("PDF/A-3 identification missing from the XMP metadata")
    stream.stream = [
        packet.replace(
            marker,
            marker + f' xmlns:pdfuaid="{PDFUA_NS}" pdfuaid:part="1"'.encode(),
            1,
        )
    ]


def render_pdf(
    html: str,
    *,
    variant: str | None = "pdf/ua-1",
    attachments: Sequence[Associated] = (),
) -> tuple[bytes, list[str]]:
    """Render HTML (from our templates) to PDF bytes; return the blocked URLs too.

    ``variant`` ``ARCHIVAL`` makes a tagged PDF/A-3b that also declares PDF/UA-1,
    carrying ``attachments`` as associated files.
    """
    fetcher = AppAssetFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    options: dict = {}
    if variant == ARCHIVAL:
        options = {
            "pdf_tags": True,
            "finisher": _declare_pdfua,
            # The sRGB output intent PDF/A needs, from a profile read once with
            # its file closed (WeasyPrint's own leaves the file open).
            "color_profiles": {PRELOADED: _srgb_profile()},
            "output_intent": PRELOADED,
            "attachments": [
                Attachment(
                    string=a.data,
                    name=a.name,
                    description=a.description,
                    relationship=a.relationship,
                )
                for a in attachments
            ],
        }
    elif attachments:
        raise ValueError("attachments are embedded only in PDF/A-3 files")
    pdf = document.write_pdf(pdf_variant=variant, uncompressed_pdf=False, **options)
    if fetcher.blocked:
        log.warning(
            "blocked %d resource(s) while rendering: %s",
            len(fetcher.blocked),
            fetcher.blocked[:5],
        )
    return pdf, fetcher.blocked


def asset_url(name: str) -> str:
    return BASE_URL.rstrip("/") + ASSET_PREFIX + name


# ---- long documents: rendered in parts, merged into one tagged PDF --------------------
#
# WeasyPrint keeps every page's layout until the PDF is written (about 1 MiB a page for
# a portfolio) and lays out in one process. A long portfolio is therefore rendered as
# parts (each its own WeasyPrint document, in a fresh child process, two at a time) and
# the parts are merged with pikepdf (QPDF) into one PDF/UA-1 file: one structure tree
# (every part's /Document children under the first part's, /ParentTree renumbered),
# one outline rebuilt from every part's headings with their CSS bookmark levels, one
# name tree of destinations, and "Page N of M" stamped on every page as a pagination
# artifact (ISO 14289-1 7.8), since no part knows the others' page counts when laid out.
# Each part is written to a file, and the merge runs in a child process of its own that
# opens the parts' files (memory-mapped) and writes the merged file: the job's process
# (which holds the portfolio's content and HTML) never holds the merge's objects.


@dataclass(frozen=True)
class RenderedPart:
    # The part's PDF file (in the render's temporary folder).
    path: str
    pages: int
    # Anchor name -> page index (0-based, in the part), for the anchors asked about.
    anchors: dict[str, int]
    # (level, label, page index, x, y): the part's bookmarks in PDF coordinates.
    bookmarks: list[tuple[int, str, int, float, float]]
    peak_rss_kib: int
    cpu_s: float


def render_part(html: str, anchors: Sequence[str], path: str) -> RenderedPart:
    """Lay out one part and write it (PDF/UA-1) to ``path``, reporting what the
    merge needs."""
    import resource
    import time

    cpu = time.process_time()
    fetcher = AppAssetFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    wanted = set(anchors)
    found: dict[str, int] = {}
    marks = []
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name in wanted and name not in found:
                found[name] = index
        # write_pdf's matrix: CSS px to points (0.75), origin at the bottom left.
        for level, label, (x, y), _state in page.bookmarks:
            marks.append((level, label, index, x * 0.75, (page.height - y) * 0.75))
    document.write_pdf(path, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    if fetcher.blocked:
        log.warning(
            "blocked %d resource(s) while rendering a part", len(fetcher.blocked)
        )
    return RenderedPart(
        path=path,
        pages=len(document.pages),
        anchors=found,
        bookmarks=marks,
        peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        cpu_s=time.process_time() - cpu,
    )


def _render_part_job(args: tuple[str, tuple[str, ...], str]) -> RenderedPart:
    return render_part(*args)


@dataclass(frozen=True)
class MergeReport:
    pages: int
    peak_rss_kib: int
    cpu_s: float


def _merge_job(
    parts: Sequence[RenderedPart], path: str, final: bool = True
) -> tuple[RenderedPart, MergeReport]:
    """Merge ``parts`` into the file ``path``, reporting the process's peak memory."""
    import resource
    import time

    cpu = time.process_time()
    merged = merge_tagged(parts, path, final=final)
    return merged, MergeReport(
        pages=merged.pages,
        peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        cpu_s=time.process_time() - cpu,
    )


# Parts merged a stage at a time (``stage_parts``, the PDF_MERGE_STAGE_PARTS setting):
# the first stage merges that many, and each later stage opens the previous stage's
# file as its base and adds that many more. A part
# copied in is held twice by QPDF (the part's objects and their copies), the base only
# once, so the last stage holds about the whole structure tree once and a stage's parts
# twice, instead of every part twice (the peak of a 2,000-item portfolio's merge).


def _merge_stages(
    rendered: Sequence[RenderedPart], folder: str, run, stage_parts: int
) -> tuple[str, MergeReport]:
    """Merge ``rendered`` in stages, each by ``run(parts, path, final)``; returns the
    merged file and the stages' report (the largest peak, the CPU of all)."""
    base = rendered[0]
    rest = list(rendered[1:])
    peak, cpu, stage = 0, 0.0, 0
    while True:
        group, rest = rest[:stage_parts], rest[stage_parts:]
        stage += 1
        path = os.path.join(folder, f"merged-{stage}.pdf")
        base, report = run([base, *group], path, not rest)
        peak, cpu = max(peak, report.peak_rss_kib), cpu + report.cpu_s
        if not rest:
            return path, MergeReport(pages=base.pages, peak_rss_kib=peak, cpu_s=cpu)


def _part_pool(processes: int):
    """A pool whose children start from a small, clean process (not the app's).

    ``forkserver`` forks each child from a server that has imported only this module
    (WeasyPrint, no app, no database connection, no threads); one part per child, so
    each part's memory is returned to the system when it is done. A child that dies
    (killed, out of memory) fails the render at once (``BrokenProcessPool``) instead
    of leaving it waiting.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(processes, mp_context=context, max_tasks_per_child=1)


def render_in_parts(
    front: Callable[[dict[str, int] | None], str],
    parts: Sequence[str],
    *,
    targets: Sequence[str] = (),
    processes: int,
    stage_parts: int,
) -> tuple[bytes, list[RenderedPart], MergeReport]:
    """Render ``front(None)`` and ``parts`` in child processes and merge them (in
    another child process) into the PDF returned.

    ``front`` makes the first part's HTML given the page number (1-based, in the
    merged file) of each of ``targets``, anchors in the later parts its contents list
    refers to; it is rendered again with the numbers once the other parts are done (it
    is a few pages: a cover, the contents and a summary). Its page count must not depend
    on the numbers.
    """
    import multiprocessing
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pdf-parts-") as folder:
        files = [
            os.path.join(folder, f"part-{i:03d}.pdf") for i in range(len(parts) + 1)
        ]
        jobs = [(front(None), (), files[0])] + [
            (html, tuple(targets), file)
            for html, file in zip(parts, files[1:], strict=True)
        ]
        if multiprocessing.current_process().daemon:
            # A daemonic process may not start children: the parts one after another
            # here (each part's layout is freed once it is written, so memory is
            # still about one part's and the merge's; time is one CPU's).
            rendered = [_render_part_job(job) for job in jobs]
            del jobs
            numbers = _target_pages(rendered)
            rendered[0] = _checked_first(
                rendered[0], _render_part_job((front(numbers), (), files[0]))
            )
            merged, report = _merge_stages(rendered, folder, _merge_job, stage_parts)
        else:
            with _part_pool(processes) as pool:
                rendered = list(pool.map(_render_part_job, jobs))
                del jobs
                numbers = _target_pages(rendered)
                first = (front(numbers), (), files[0])
                rendered[0] = _checked_first(
                    rendered[0], pool.submit(_render_part_job, first).result()
                )
                merged, report = _merge_stages(
                    rendered,
                    folder,
                    lambda *args: pool.submit(_merge_job, *args).result(),
                    stage_parts,
                )
        with open(merged, "rb") as handle:
            return handle.read(), rendered, report


def _checked_first(before: RenderedPart, after: RenderedPart) -> RenderedPart:
    if after.pages != before.pages:
        raise RuntimeError("the first part's length changed with its page numbers")
    return after


def _target_pages(rendered: Sequence[RenderedPart]) -> dict[str, int]:
    """Each target anchor's page number (1-based) in the merged file."""
    numbers: dict[str, int] = {}
    offset = rendered[0].pages
    for part in rendered[1:]:
        for name, index in part.anchors.items():
            numbers.setdefault(name, offset + index + 1)
        offset += part.pages
    return numbers


def merge_tagged(
    parts: Sequence[RenderedPart], path: str, *, final: bool = True
) -> RenderedPart:
    """Merge tagged WeasyPrint parts into one tagged PDF with continuous page numbers,
    written to ``path``; returns it as a part (its pages and bookmarks).

    Not ``final``: a stage, without the outline and the page numbers, to be merged again
    as the first of the next stage's parts.

    The first part gives the catalog (/Lang, /MarkInfo, /ViewerPreferences, the XMP
    metadata with ``pdfuaid:part``) and the document information. The parts are read
    from their files memory-mapped (QPDF reads the objects it needs from them and
    copies the streams' data from them only when the merged file is written).
    """
    import pikepdf

    sources = [
        pikepdf.open(part.path, access_mode=pikepdf.AccessMode.mmap) for part in parts
    ]
    merged = sources[0]
    tree = merged.Root.StructTreeRoot
    document = tree.K[0]
    page_entries: list[tuple[int, pikepdf.Object]] = []
    annotation_entries: list[tuple[pikepdf.Object, pikepdf.Object]] = []
    dests: dict[bytes, pikepdf.Object] = {}
    outline: list[tuple[int, str, int, float, float]] = []
    offset = 0
    for number, (part, source) in enumerate(zip(parts, sources, strict=True)):
        if number == 0:
            pages = list(merged.pages)
            struct = tree
            kids = None
            names = merged.Root.get("/Names")
        else:
            merged.pages.extend(source.pages)
            pages = list(merged.pages)[offset:]
            # Copied after the pages, so /Pg and /OBJR point at the copied pages.
            struct = merged.copy_foreign(source.Root.StructTreeRoot)
            kids = struct.K[0].K
            names = (
                merged.copy_foreign(source.make_indirect(source.Root.Names))
                if "/Names" in source.Root
                else None
            )
        if len(pages) != part.pages:
            raise RuntimeError("a part's page count does not match its PDF")
        mapping = struct.ParentTree.Nums
        local = {int(mapping[i]): mapping[i + 1] for i in range(0, len(mapping), 2)}
        for index, page in enumerate(pages):
            page_entries.append((offset + index, local[int(page.obj.StructParents)]))
            page.obj.StructParents = offset + index
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation_entries.append(
                        (annotation, local[int(annotation.StructParent)])
                    )
        if kids is not None:
            for kid in kids:
                kid.P = document
                document.K.append(kid)
        if names is not None and "/Dests" in names:
            array = names.Dests.Names
            for i in range(0, len(array), 2):
                dests[bytes(array[i])] = array[i + 1]
        outline.extend(
            (level, label, offset + page, x, y)
            for level, label, page, x, y in part.bookmarks
        )
        offset += part.pages
    nums = pikepdf.Array()
    for key, value in page_entries:
        nums.append(key)
        nums.append(value)
    for key, (annotation, value) in enumerate(annotation_entries, start=offset):
        annotation.StructParent = key
        nums.append(key)
        nums.append(value)
    tree.ParentTree = merged.make_indirect(pikepdf.Dictionary(Nums=nums))
    tree.ParentTreeNextKey = offset + len(annotation_entries)
    if dests:
        array = pikepdf.Array()
        for name in sorted(dests):
            array.append(pikepdf.String(name))
            array.append(dests[name])
        if "/Names" not in merged.Root:
            merged.Root.Names = pikepdf.Dictionary()
        merged.Root.Names.Dests = merged.make_indirect(pikepdf.Dictionary(Names=array))
    if final:
        _write_outline(merged, outline)
        _stamp_page_numbers(merged)
    merged.save(
        path,
        compress_streams=True,
        # A stage's file is read once more: its objects plain, not in object streams.
        object_stream_mode=(
            pikepdf.ObjectStreamMode.generate
            if final
            else pikepdf.ObjectStreamMode.disable
        ),
    )
    for source in sources:
        source.close()
    return RenderedPart(
        path=path,
        pages=offset,
        anchors={},
        bookmarks=outline,
        peak_rss_kib=0,
        cpu_s=0.0,
    )


def _write_outline(pdf, marks: Sequence[tuple[int, str, int, float, float]]) -> None:
    """One outline from every part's bookmarks, nested by their CSS bookmark levels."""
    import pikepdf

    if "/Outlines" in pdf.Root:
        del pdf.Root["/Outlines"]
    if not marks:
        return
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    pages = pdf.pages
    children: dict[int, list] = {}
    nodes = []
    stack: list[tuple[int, int]] = []  # (level, node index)
    for level, label, page, x, y in marks:
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent = stack[-1][1] if stack else -1
        item = pdf.make_indirect(
            pikepdf.Dictionary(
                Title=pikepdf.String(label),
                Dest=pikepdf.Array([pages[page].obj, pikepdf.Name.XYZ, x, y, 0]),
            )
        )
        nodes.append(item)
        children.setdefault(parent, []).append(len(nodes) - 1)
        stack.append((level, len(nodes) - 1))

    def link(parent_index: int, parent) -> int:
        kids = children.get(parent_index, [])
        if not kids:
            return 0
        total = 0
        for position, index in enumerate(kids):
            item = nodes[index]
            item.Parent = parent
            if position:
                item.Prev = nodes[kids[position - 1]]
            if position + 1 < len(kids):
                item.Next = nodes[kids[position + 1]]
            descendants = link(index, item)
            if descendants:
                item.Count = descendants  # open, as WeasyPrint's bookmarks are
            total += 1 + descendants
        parent.First = nodes[kids[0]]
        parent.Last = nodes[kids[-1]]
        return total

    import sys

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100 + 10 * len(marks)))
    root.Count = link(-1, root)
    pdf.Root.Outlines = root


# "Page N of M" as the stylesheet's @bottom-right box sets it (8pt, #4c6272, right
# edge on the right margin, centred in the 22mm bottom margin of an A4 page).
PAGE_NUMBER_FONT = "DejaVu Sans"
PAGE_NUMBER_SIZE = 8.0
PAGE_NUMBER_RIGHT = (210 - 16) / 25.4 * 72
PAGE_NUMBER_BASELINE = 28.4
PAGE_NUMBER_COLOUR = (0x4C / 255, 0x62 / 255, 0x72 / 255)
PAGE_NUMBER_CHARS = "Page of0123456789"


@functools.cache
def _page_number_font() -> tuple[bytes, dict[str, float], dict]:
    """A subset of DejaVu Sans with the characters of "Page N of M", and its metrics."""
    import io
    import subprocess

    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    path = subprocess.run(
        ["fc-match", "-f", "%{file}", PAGE_NUMBER_FONT],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    font = TTFont(path)
    options = subset.Options()
    options.notdef_outline = True
    options.layout_features = []
    options.name_IDs = ["*"]
    options.drop_tables = [*options.drop_tables, "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=PAGE_NUMBER_CHARS)
    subsetter.subset(font)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = {
        char: font["hmtx"][cmap[ord(char)]][0] * scale for char in PAGE_NUMBER_CHARS
    }
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    metrics = {
        "bbox": [
            round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)
        ],
        "ascent": round(hhea.ascent * scale),
        "descent": round(hhea.descent * scale),
        "cap_height": round(getattr(os2, "sCapHeight", hhea.ascent) * scale),
    }
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue(), widths, metrics


def _stamp_page_numbers(pdf) -> None:
    """Add "Page N of M" to every page, marked as a pagination artifact."""
    import pikepdf

    program, widths, metrics = _page_number_font()
    first, last = 32, 126
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.TrueType,
            BaseFont=pikepdf.Name("/MPCEPN+DejaVuSans"),
            FirstChar=first,
            LastChar=last,
            Widths=pikepdf.Array(
                [round(widths.get(chr(code), 0)) for code in range(first, last + 1)]
            ),
            Encoding=pikepdf.Name.WinAnsiEncoding,
            FontDescriptor=pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.FontDescriptor,
                    FontName=pikepdf.Name("/MPCEPN+DejaVuSans"),
                    Flags=32,
                    FontBBox=pikepdf.Array(metrics["bbox"]),
                    ItalicAngle=0,
                    Ascent=metrics["ascent"],
                    Descent=metrics["descent"],
                    CapHeight=metrics["cap_height"],
                    StemV=80,
                    FontFile2=pikepdf.Stream(pdf, program, Length1=len(program)),
                )
            ),
        )
    )
    total = len(pdf.pages)
    save = pdf.make_stream(b"q\n")
    red, green, blue = PAGE_NUMBER_COLOUR
    for number, page in enumerate(pdf.pages, start=1):
        text = f"Page {number} of {total}"
        width = sum(widths[c] for c in text) * PAGE_NUMBER_SIZE / 1000
        resources = page.obj.Resources
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font.MPCEPageNumber = font
        stamp = (
            "\nQ\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC q "
            f"{red:.3f} {green:.3f} {blue:.3f} rg BT /MPCEPageNumber "
            f"{PAGE_NUMBER_SIZE:g} Tf {PAGE_NUMBER_RIGHT - width:.2f} "
            f"{PAGE_NUMBER_BASELINE:.2f} Td ({text}) Tj ET Q EMC\n"
        ).encode("ascii")
        page.contents_add(save, prepend=True)
        page.contents_add(pdf.make_stream(stamp))
