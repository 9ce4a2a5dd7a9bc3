"""The export kinds: what each produces, on which queue, and for what.

One table, which features register into (the capacity report registers from its
own package), so the exports machinery never imports the features it renders.
A kind's builder is named by its dotted path and imported only when a job runs.
"""

from dataclasses import dataclass
from importlib import import_module

from portfolio.exports.models import EXPORT_KINDS


@dataclass(frozen=True)
class ExportKind:
    name: str
    # The RQ queue its job goes to (pdf: portfolio PDFs; reports: heavier reports).
    queue: str
    # "module:function" taking the Export and returning (bytes, filename,
    # media type, summary dict).
    builder: str
    # True: an export of one enrolment (the exports page and POST /exports).
    per_enrolment: bool
    label: str


KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> None:
    """Add an export kind (its name must be one the database allows)."""
    if kind.name not in EXPORT_KINDS:
        raise ValueError(f"{kind.name!r} is not in EXPORT_KINDS (the column's check)")
    KINDS[kind.name] = kind


def get(name: str) -> ExportKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown export kind {name!r}") from None


def enrolment_kinds() -> list[str]:
    """The kinds a person asks for about one enrolment, in registration order."""
    return [k.name for k in KINDS.values() if k.per_enrolment]


def build(export):
    """Run the export's builder (imported now, so no feature is imported early)."""
    module, _, function = get(export.kind).builder.partition(":")
    return getattr(import_module(module), function)(export)


register(
    ExportKind(
        "portfolio",
        "pdf",
        "portfolio.exports.services:render_portfolio",
        True,
        "Portfolio PDF",
    )
)
register(
    ExportKind(
        "registration",
        "pdf",
        "portfolio.exports.services:render_portfolio",
        True,
        "Registration pack",
    )
)
register(
    ExportKind("bundle", "pdf", "portfolio.exports.bundle:build_bundle", True, "Bundle")
)
