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
