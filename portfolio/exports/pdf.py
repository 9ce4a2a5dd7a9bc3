"""Render our own HTML to PDF with WeasyPrint, fetching nothing but our own assets.

User text only ever reaches the HTML escaped (Jinja autoescape) or as sanitised
Markdown with no images or links to resources. On top of that the fetcher refuses
everything except: files under the PDF asset folder, addressed as
``https://portfolio.invalid/pdf-assets/<name>``, and small ``data:`` URLs. So
``file://`` paths, loopback or network URLs, path traversal and oversized data
URLs fetch nothing and attach nothing, and a render never embeds a server file.
"""

import base64
import logging
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher
from weasyprint.urls import URLFetcherResponse

from portfolio.paths import PROJECT_ROOT

BASE_URL = "https://portfolio.invalid/"
ASSET_PREFIX = "/pdf-assets/"
ASSET_ROOT = PROJECT_ROOT / "portfolio" / "static" / "pdf"
MAX_DATA_URL_BYTES = 256 * 1024
MAX_ASSET_BYTES = 5 * 1024 * 1024
log = logging.getLogger(__name__)


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


def render_pdf(
    html: str, *, variant: str | None = "pdf/ua-1"
) -> tuple[bytes, list[str]]:
    """Render HTML (from our templates) to PDF bytes; return the blocked URLs too."""
    fetcher = AppAssetFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    pdf = document.write_pdf(pdf_variant=variant, uncompressed_pdf=False)
    if fetcher.blocked:
        log.warning(
            "blocked %d resource(s) while rendering: %s",
            len(fetcher.blocked),
            fetcher.blocked[:5],
        )
    return pdf, fetcher.blocked


def asset_url(name: str) -> str:
    return BASE_URL.rstrip("/") + ASSET_PREFIX + name
