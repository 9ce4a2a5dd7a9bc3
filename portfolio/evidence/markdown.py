"""Markdown for evidence text: rendered, then sanitised, so no raw HTML ever passes."""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# html=False: markdown-it escapes any HTML the user typed; nh3 then removes anything
# unexpected that rendering produced. No images: they would fetch URLs (and, in a
# PDF, could reach the server's own network).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> Markup:
    """Render Markdown to safe HTML."""
    html = _md.render(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)
