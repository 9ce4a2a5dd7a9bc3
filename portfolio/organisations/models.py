"""The Organisation model."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.db import id_column
from portfolio.extensions import Model

KINDS = ("trust", "health_board", "special_health_board", "commissioner", "other")
# The kinds that employ trainees. A commissioner (an NHS England region, NHS Education
# for Scotland, Health Education and Improvement Wales, Northern Ireland's Department
# of Health) commissions training and employs no trainee: docs/organisations.md.
EMPLOYING_KINDS = tuple(kind for kind in KINDS if kind != "commissioner")
# Which scheme a code belongs to: ODS (NHS England's Organisation Data Service), GSS
# (the Government Statistical Service's geography codes, such as S08000015 for a
# Scottish health board), or LOCAL (a placeholder of ours, in no published scheme:
# the real code is not confirmed). docs/organisations.md lists which is which.
CODE_SYSTEMS = ("ODS", "GSS", "LOCAL")
CODE_SYSTEM_LABELS = {
    "ODS": "ODS",
    "GSS": "GSS",
    "LOCAL": "Local placeholder (not confirmed)",
}
NATIONS = ("England", "Scotland", "Wales", "Northern Ireland")
CODE_MAX = 12
NAME_MAX = 200


class Organisation(Model):
    """A trust, health board or commissioner, identified by a code in `code_system`."""

    __tablename__ = "organisation"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        sa.CheckConstraint(f"nation IN {NATIONS!r}", name="nation"),
        sa.CheckConstraint(f"code_system IN {CODE_SYSTEMS!r}", name="code_system"),
    )

    id: Mapped[str] = id_column()
    code: Mapped[str] = mapped_column(sa.String(CODE_MAX), unique=True)
    code_system: Mapped[str] = mapped_column(
        sa.String(8), default="ODS", server_default="ODS"
    )
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    kind: Mapped[str] = mapped_column(sa.String(30))
    nation: Mapped[str] = mapped_column(sa.String(30))
    region: Mapped[str] = mapped_column(sa.String(80), default="")
    # True: its people sign in through single sign-on only (passwords are refused).
    sso_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @property
    def employs_trainees(self) -> bool:
        """False for a commissioner: no trainee is enrolled at one."""
        return self.kind in EMPLOYING_KINDS

    @property
    def code_system_label(self) -> str:
        return CODE_SYSTEM_LABELS.get(self.code_system, self.code_system)

    @property
    def code_confirmed(self) -> bool:
        """False for a placeholder code of ours (LOCAL): the real code is not confirmed."""
        return self.code_system != "LOCAL"

    @property
    def code_label(self) -> str:
        """The code with its scheme, as admins see it: "RBV (ODS)"."""
        return f"{self.code} ({self.code_system_label})"

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"
