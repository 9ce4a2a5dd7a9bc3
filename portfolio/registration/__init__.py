"""Registration routes and continuing professional development after registration.

The workspace (one application per route), its statements, proposers and referees
who confirm by an emailed link, the route's pack, and the CPD log with its audit
profile and renewal reminders. The packs are export kinds rendered by the exports
machinery (registered here, as the capacity report registers its own).
"""

from portfolio.exports import kinds as _export_kinds

_export_kinds.register(
    _export_kinds.ExportKind(
        "registration_route",
        "pdf",
        "portfolio.registration.packs:render_route_pack",
        False,
        "Registration application pack",
    )
)
_export_kinds.register(
    _export_kinds.ExportKind(
        "cpd_profile",
        "pdf",
        "portfolio.registration.packs:render_cpd_profile",
        False,
        "CPD profile",
    )
)
