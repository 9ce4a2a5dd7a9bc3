"""The gap-over-time line chart, drawn with matplotlib as SVG for inline use.

The SVG goes straight into the page, so it is made to fit the page's rules:
no ``style`` attributes or ``<style>`` element (the Content-Security-Policy
allows no inline styles; every declaration becomes a presentation attribute),
no XML prologue or metadata, ids prefixed so they cannot clash with the page's,
``role="img"`` with a ``<title>`` and ``<desc>`` for assistive technology, and a
``viewBox`` with no fixed size so it scales with the column. Text stays text
(``svg.fonttype: none``), so it is sharp at any size and can be found with the
browser's search.
"""

import io
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from markupsafe import Markup

from portfolio.capacity.projection import Projection

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.typing import RcKeyType

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
# NHS.UK colours with a contrast ratio of at least 3:1 against white, told apart
# by line style and marker too, not by colour alone.
STYLES: tuple[dict[str, Any], ...] = (
    {"color": "#005eb8", "linestyle": "-", "marker": "o"},
    {"color": "#7c2855", "linestyle": "--", "marker": "s"},
    {"color": "#007f3b", "linestyle": ":", "marker": "^"},
)
RC: "dict[RcKeyType, Any]" = {
    "svg.fonttype": "none",
    "svg.hashsalt": "mpce-capacity",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "legend.fontsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# rc_context changes process-wide settings: one chart at a time per process.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Line:
    label: str
    projection: Projection


def gap_chart(lines: list[Line], title: str, description: str, id_prefix: str):
    """An inline SVG (Markup) plotting each projection's gap by year."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    from matplotlib.ticker import StrMethodFormatter

    buffer = io.StringIO()
    with _LOCK, matplotlib.rc_context(RC):
        figure = Figure(figsize=(9, 5), layout="constrained")
        axes = figure.add_subplot()
        for index, line in enumerate(lines):
            style = STYLES[index % len(STYLES)]
            years = [point.year for point in line.projection.series]
            gaps = [point.gap for point in line.projection.series]
            closes = line.projection.closes_in_year
            label = _plain(line.label)
            axes.plot(
                years,
                gaps,
                label=f"{label} (closes {closes})"
                if closes is not None
                else f"{label} (does not close)",
                linewidth=2.5,
                markersize=5,
                markevery=max(1, len(years) // 12),
                **style,
            )
            if closes is not None:
                point = next(p for p in line.projection.series if p.year == closes)
                # A larger hollow marker where the gap first closes.
                axes.plot(
                    [closes],
                    [point.gap],
                    marker=style["marker"],
                    markersize=11,
                    markerfacecolor="white",
                    markeredgewidth=2,
                    color=style["color"],
                    linestyle="none",
                )
        axes.axhline(0, color="#425563", linewidth=1)
        axes.set_title(_plain(title), loc="left")
        axes.set_xlabel("Year")
        axes.set_ylabel("Workforce gap (staff still needed)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.grid(True, color="#d8dde0", linewidth=0.8)
        if lines:
            axes.legend(loc="upper right", frameon=False)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return Markup(accessible_svg(buffer.getvalue(), title, description, id_prefix))


def _plain(text: str) -> str:
    """Text as typed: matplotlib reads $...$ as mathematics and hides "_" labels."""
    return text.replace("$", r"\$").lstrip("_")


def accessible_svg(text: str, title: str, description: str, id_prefix: str) -> str:
    """Make matplotlib's SVG document fit to embed in a page (see the module doc)."""
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    root = ET.fromstring(text)
    for element in list(root):
        if element.tag == f"{{{SVG}}}metadata":
            root.remove(element)
    # The one <style> rule matplotlib writes applies to everything: inherit it.
    for defs in root.iter(f"{{{SVG}}}defs"):
        for style in list(defs):
            if style.tag == f"{{{SVG}}}style":
                defs.remove(style)
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    referenced = set()
    for element in root.iter():
        href = element.get(f"{{{XLINK}}}href")
        if href and href.startswith("#"):
            referenced.add(href[1:])
        for value in element.attrib.values():
            if "url(#" in value:
                referenced.add(value.split("url(#", 1)[1].split(")", 1)[0])
    for element in root.iter():
        inline = element.attrib.pop("style", None)
        if inline:
            for declaration in inline.split(";"):
                name, _, value = declaration.partition(":")
                if name.strip() and value.strip():
                    element.set(name.strip(), value.strip())
        element_id = element.get("id")
        if element_id is not None:
            if element_id in referenced:
                element.set("id", f"{id_prefix}-{element_id}")
            else:
                del element.attrib["id"]
        href = element.get(f"{{{XLINK}}}href")
        if href and href.startswith("#"):
            element.set(f"{{{XLINK}}}href", f"#{id_prefix}-{href[1:]}")
        for name, value in list(element.attrib.items()):
            if "url(#" in value:
                element.set(name, value.replace("url(#", f"url(#{id_prefix}-"))
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    root.set("width", "100%")
    root.set("role", "img")
    root.set("focusable", "false")
    root.set("aria-labelledby", f"{id_prefix}-title {id_prefix}-desc")
    title_element = ET.Element(f"{{{SVG}}}title", {"id": f"{id_prefix}-title"})
    title_element.text = title
    desc_element = ET.Element(f"{{{SVG}}}desc", {"id": f"{id_prefix}-desc"})
    desc_element.text = description
    root.insert(0, desc_element)
    root.insert(0, title_element)
    return ET.tostring(root, encoding="unicode")
