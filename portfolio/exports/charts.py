"""Charts of progress for the portfolio PDF: SVG drawn here, fetched from nowhere.

Each chart is an SVG document made on the server from the portfolio's own numbers,
put in the page as an ``<img>`` with a ``data:`` URL and alternative text that says
what the chart shows (an image element is what carries ``/Alt`` into the PDF's
``/Figure`` structure element for PDF/UA-1; inline ``<svg>`` loses its label).
The tables beside the charts keep every number in text.
"""

import base64
from collections import Counter
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

BLUE = "#005eb8"
GREY = "#d8dde0"
TEXT = "#212b32"
MUTED = "#4c6272"
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


@dataclass(frozen=True)
class Chart:
    src: str  # a data: URL of the SVG
    alt: str
    width_mm: float
    height_mm: float


def _data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def module_bars(modules) -> Chart | None:
    """Horizontal bars: the percentage of each module's units signed off."""
    rows = [(m.code, float(m.percent_complete)) for m in modules]
    if not rows:
        return None
    label_w, bar_w, row_h, top = 120, 330, 18, 6
    width, height = label_w + bar_w + 50, top + row_h * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for i, (code, percent) in enumerate(rows):
        y = top + i * row_h
        filled = bar_w * max(0.0, min(percent, 100.0)) / 100
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end" font-size="9" '
            f'fill="{TEXT}" {FONT}>{escape(code[:22])}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{bar_w}" height="11" fill="{GREY}"/>'
            f'<rect x="{label_w}" y="{y + 2}" width="{filled:.1f}" height="11" '
            f'fill="{BLUE}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 11}" font-size="9" '
            f'fill="{TEXT}" {FONT}>{percent:g}%</text>'
        )
    parts.append("</svg>")
    shown = "; ".join(f"{code} {percent:g}%" for code, percent in rows[:20])
    more = f"; and {len(rows) - 20} more modules" if len(rows) > 20 else ""
    return Chart(
        src=_data_url("".join(parts)),
        alt=f"Bar chart of the share of each module signed off: {shown}{more}.",
        width_mm=round(width * 0.3, 1),
        height_mm=round(height * 0.3, 1),
    )


def _months(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def signed_over_time(dates: list[date]) -> Chart | None:
    """Columns: evidence signed off each month, with the running total as a line."""
    if not dates:
        return None
    months = _months(min(dates), max(dates))
    per_month = Counter(d.replace(day=1) for d in dates)
    counts = [per_month.get(m, 0) for m in months]
    totals, running = [], 0
    for count in counts:
        running += count
        totals.append(running)
    left, top, plot_w, plot_h = 34, 8, 440, 120
    width, height = left + plot_w + 12, top + plot_h + 28
    step = plot_w / len(months)
    peak_count, peak_total = max(counts) or 1, totals[-1] or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
        f'y2="{top + plot_h}" stroke="{MUTED}" stroke-width="0.6"/>',
    ]
    bar = min(step * 0.7, 24)
    for i, count in enumerate(counts):
        h = plot_h * count / peak_count * 0.6
        parts.append(
            f'<rect x="{left + (i + 0.5) * step - bar / 2:.1f}" '
            f'y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{GREY}"/>'
        )
    points = " ".join(
        f"{left + (i + 0.5) * step:.1f},{top + plot_h - plot_h * t / peak_total:.1f}"
        for i, t in enumerate(totals)
    )
    parts.append(
        f'<polyline points="{points}" fill="none" stroke="{BLUE}" stroke-width="2"/>'
        if len(totals) > 1
        else f'<circle cx="{points.split(",")[0]}" cy="{points.split(",")[1]}" '
        f'r="3" fill="{BLUE}"/>'
    )
    parts.append(
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="8" '
        f'fill="{MUTED}" {FONT}>{peak_total}</text>'
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="8" '
        f'fill="{MUTED}" {FONT}>0</text>'
    )
    every = max(1, len(months) // 8)
    for i, month in enumerate(months):
        if i % every == 0 or i == len(months) - 1:
            parts.append(
                f'<text x="{left + (i + 0.5) * step:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle" font-size="8" fill="{MUTED}" {FONT}>'
                f"{month:%b %Y}</text>"
            )
    parts.append("</svg>")
    busiest = max(range(len(months)), key=lambda i: counts[i])
    return Chart(
        src=_data_url("".join(parts)),
        alt=(
            f"Chart of evidence signed off each month from {months[0]:%B %Y} to "
            f"{months[-1]:%B %Y}, rising to {totals[-1]} items in all; the busiest "
            f"month was {months[busiest]:%B %Y} with {counts[busiest]}."
        ),
        width_mm=round(width * 0.3, 1),
        height_mm=round(height * 0.3, 1),
    )


def for_portfolio(content) -> list[Chart]:
    """The charts a portfolio shows, leaving out any with nothing to draw."""
    signed = [
        entry.signoff.decided_at.date()
        for entry in content.entries
        if entry.signoff is not None and entry.signoff.decided_at is not None
    ]
    charts = [
        module_bars(content.standing.progress.modules),
        signed_over_time(signed),
    ]
    return [c for c in charts if c is not None]
