"""Training capacity: places, workforce figures, the projection and its report."""

from portfolio.exports import kinds as _export_kinds

# The capacity report is an export kind of its own, rendered by a worker.
_export_kinds.register(
    _export_kinds.ExportKind(
        "capacity",
        "reports",
        "portfolio.capacity.report:build_report",
        False,
        "Capacity report",
    )
)
