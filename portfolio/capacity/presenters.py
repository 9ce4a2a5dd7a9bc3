"""Display helpers for capacity figures (pages now, the capacity report later)."""

from collections.abc import Iterable
from decimal import Decimal
from itertools import groupby

from portfolio.capacity.models import PROGRAMMES
from portfolio.capacity.models import SPECIALISMS
from portfolio.capacity.projection import Projection
from portfolio.curriculum.presenters import KIND_LABELS

MINUS = "\u2212"


def figure(value, places: int = 2) -> str:
    """A number for people: thousands separated, no trailing zeros, a real minus."""
    if value is None:
        return "not given"
    number = float(value) if isinstance(value, Decimal) else value
    if abs(number - round(number)) < 0.5 * 10**-places:
        text = f"{abs(round(number)):,}"
    else:
        text = f"{abs(number):,.{places}f}".rstrip("0").rstrip(".")
    negative = number < 0 and text.strip("0,.") != ""
    return f"{MINUS}{text}" if negative else text


def percent(rate: float | None) -> str:
    return "not known" if rate is None else f"{rate * 100:.1f}%"


def specialism_label(code: str | None) -> str:
    if not code:
        return "No specialism"
    label = SPECIALISMS.get(code)
    return f"{label} ({code})" if label else code


def programme_label(code: str) -> str:
    return PROGRAMMES.get(code, code)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def region_label(region: str) -> str:
    return region or "Region not recorded"


def by_specialism(rows: Iterable, key=lambda row: row.specialism) -> list:
    """``[(specialism, [rows])]`` from rows already sorted by specialism."""
    return [(name, list(items)) for name, items in groupby(rows, key=key)]


def pivot(
    rows: list[dict], row_key: str, column_key: str, value: str
) -> tuple[list, list, dict]:
    """Aggregate rows as a table: ``(row labels, column labels, {(r, c): value})``."""
    row_labels = sorted({r[row_key] for r in rows})
    column_labels = sorted({r[column_key] for r in rows})
    cells = {(r[row_key], r[column_key]): r[value] for r in rows}
    return row_labels, column_labels, cells


def outcome(projection: Projection, horizon: int) -> str:
    """One sentence: when (or whether) the scenario closes the gap."""
    if projection.closes_in_year is None:
        return f"The gap does not close within {horizon} years."
    years = projection.years_to_close
    return (
        f"The gap closes in {projection.closes_in_year}, "
        f"after {years} year{'s' if years != 1 else ''}."
    )
