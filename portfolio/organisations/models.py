"""The Organisation model."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.db import id_column
from portfolio.extensions import Model

KINDS = ("trust", "health_board", "special_health_board", "other")
NATIONS = ("England", "Scotland", "Wales", "Northern Ireland")
CODE_MAX = 12
NAME_MAX = 200


class Organisation(Model):
    """A trust or health board, identified by its ODS (or other) code."""

    __tablename__ = "organisation"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        sa.CheckConstraint(f"nation IN {NATIONS!r}", name="nation"),
    )

    id: Mapped[str] = id_column()
    code: Mapped[str] = mapped_column(sa.String(CODE_MAX), unique=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    kind: Mapped[str] = mapped_column(sa.String(30))
    nation: Mapped[str] = mapped_column(sa.String(30))
    region: Mapped[str] = mapped_column(sa.String(80), default="")

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"
