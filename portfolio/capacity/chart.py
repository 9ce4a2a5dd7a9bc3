"""The capacity charts, drawn with matplotlib as SVG.

The scenarios page's gap-over-time line chart (``gap_chart``) goes inline in the
page; the capacity report's charts (``places_chart``, ``projection_chart``) are
data: URLs for <img> elements in the PDF, drawn with the same settings.

The inline SVG goes straight into the page, so it is made to fit the page's rules:
no ``style`` attributes or ``<style>`` element (the Content-Security-Policy
allows no inline styles; every declaration becomes a presentation attribute),
no XML prologue or metadata, ids prefixed so they cannot clash with the page's,
``role="img"`` with a ``<title>`` and ``<desc>`` for assistive technology, and a
``viewBox`` with no fixed size so it scales with the column. Text stays text
(``svg.fonttype: none``), so it is sharp at any size and can be found with the
browser's search.
"""

import base64
import io
import threading
import xml.etree.ElementTree as ET
from collections.abc import Sequence
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


@dataclass
class Chart:
    """A chart drawn for the PDF: shown as an <img> with a caption under it."""

    title: str
    src: str  # a data: URL of the SVG
    alt: str  # what the chart shows, in words


def gap_chart(lines: list[Line], title: str, description: str, id_prefix: str):
    """An inline SVG (Markup) plotting each projection's gap by year."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    with _LOCK, matplotlib.rc_context(RC):
        figure = _figure(5)
        axes = figure.add_subplot()
        gaps = []
        for line in lines:
            closes = line.projection.closes_in_year
            label = _plain(line.label)
            ending = f"(closes {closes})" if closes is not None else "(does not close)"
            gaps.append((f"{label} {ending}", line.projection.series, closes))
        _plot_gaps(axes, gaps, title, "Workforce gap (staff still needed)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if lines:
            axes.legend(loc="upper right", frameon=False)
        svg = _svg(figure)
    return Markup(accessible_svg(svg, title, description, id_prefix))


def _figure(height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(9, height), layout="constrained")


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _plot_gaps(
    axes, lines: Sequence[tuple[str, Sequence, int | None]], title: str, ylabel: str
) -> None:
    """Each (legend label, series, year it closes) as a line of the gap by year,
    with a larger hollow marker where the gap first closes."""
    from matplotlib.ticker import StrMethodFormatter

    for index, (label, series, closes) in enumerate(lines):
        style = STYLES[index % len(STYLES)]
        years = [point.year for point in series]
        axes.plot(
            years,
            [point.gap for point in series],
            label=label,
            linewidth=2.5,
            markersize=5,
            markevery=max(1, len(years) // 12),
            **style,
        )
        point = next((p for p in series if p.year == closes), None)
        if point is not None:
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
    axes.set_ylabel(ylabel)
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.grid(True, color="#d8dde0", linewidth=0.8)


# ---- the capacity report's charts ---------------------------------------------------
#
# Drawn like the scenarios page's chart (the same settings, colours told apart by
# fill pattern and line style too, SVG text kept as text), sized for an A4 page: a
# chart 9 inches wide is shown about 7 inches wide, so 12-point text prints at
# about 9. The PDF shows each as an <img> with the figures in its alt text and a
# caption under it.


def _as_image(figure, caption: str, description: str) -> Chart:
    """The figure as an SVG data URL: as an image, its nodes stay out of the
    page's CSS cascade, which makes the PDF several times faster to render."""
    svg = _svg(figure).encode()
    return Chart(
        caption,
        "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        description,
    )


def _year_ticks(axes, years: list[int]) -> None:
    """Every year labelled when there are few, else whole years chosen by matplotlib."""
    from matplotlib.ticker import MaxNLocator

    if 0 < len(years) <= 12:
        axes.set_xticks(years)
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def places_chart(
    years: list[int],
    commissioned: list[int],
    filled: list[int],
    *,
    title: str,
    caption: str,
    description: str,
    height: float = 3.4,
) -> Chart:
    """Grouped bars: places commissioned and filled for each intake year."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator
    from matplotlib.ticker import StrMethodFormatter

    first, second = STYLES[0], STYLES[1]
    with _LOCK, matplotlib.rc_context(RC):
        figure = _figure(height)
        axes = figure.add_subplot()
        width = 0.4
        axes.bar(
            [y - width / 2 for y in years],
            commissioned,
            width,
            label="Commissioned",
            color=first["color"],
            edgecolor=first["color"],
        )
        axes.bar(
            [y + width / 2 for y in years],
            filled,
            width,
            label="Filled",
            color="white",
            edgecolor=second["color"],
            hatch="///",
            linewidth=1.5,
        )
        axes.set_title(_plain(title), loc="left")
        axes.set_xlabel("Intake year")
        axes.set_ylabel("Training places")
        _year_ticks(axes, years)
        axes.yaxis.set_major_locator(
            MaxNLocator(nbins=4 if height < 3 else 6, integer=True)
        )
        axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.set_xlim(years[0] - 0.7, years[-1] + 0.7)
        top = max([*commissioned, *filled, 0])
        axes.set_ylim(0, max(1, top) * 1.08)
        axes.grid(True, axis="y", color="#d8dde0", linewidth=0.8)
        axes.set_axisbelow(True)
        figure.legend(loc="outside lower center", frameon=False, ncols=2)
        return _as_image(figure, caption, description)


def projection_chart(
    lines: list[tuple[str, list, Projection]],
    *,
    title: str,
    caption: str,
    description: str,
    horizon: int,
    height: float = 3.4,
) -> Chart:
    """Lines: the gap by year for each projection (its series cut to the years
    to draw), with where it first closes within ``horizon`` years."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    with _LOCK, matplotlib.rc_context(RC):
        figure = _figure(height)
        axes = figure.add_subplot()
        gaps = []
        for label, series, result in lines:
            closes = result.closes_in_year
            ending = (
                f"closes {closes}"
                if closes is not None
                else f"not closed within {horizon} years"
            )
            gaps.append((f"{_plain(label)}: {ending}", series, closes))
        _plot_gaps(axes, gaps, title, "Gap to close (WTE)")
        _year_ticks(axes, [point.year for point in lines[0][1]])
        axes.yaxis.set_major_locator(MaxNLocator(nbins=4 if height < 3 else 6))
        # Two legend entries side by side when they fit the width, else one above
        # the other (about 90 characters, markers included, fit in 9 inches).
        labels = axes.get_legend_handles_labels()[1]
        width = sum(len(label) + 6 for label in labels)
        figure.legend(
            loc="outside lower center", frameon=False, ncols=2 if width <= 92 else 1
        )
        return _as_image(figure, caption, description)


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
