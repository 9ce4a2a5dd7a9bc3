"""Outcome code mappings: what became of a code when a curriculum file changed.

A general mechanism for every curriculum kind (STP, apprenticeships, ...): the
mapping files in ``curricula/mappings/`` say, per curriculum, which old code became
which new one and whether its meaning stayed the same. Loading them fills this
table; ``portfolio.curriculum.mappings`` moves claims on codes whose meaning stayed
the same and leaves every other claim where it was, flagged for the trainee.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.curriculum.models import CODE_MAX
from portfolio.curriculum.models import SLUG_MAX
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model

# same: the new code means what the old one meant (claims move to it);
# changed: the new code is the nearest equivalent but means something else
#          (claims stay on the old, retired outcome and the trainee is told);
# removed: nothing replaces it (claims stay, the trainee is told).
MEANINGS = ("same", "changed", "removed")


class OutcomeCodeMapping(Model):
    __tablename__ = "outcome_code_mapping"
    __table_args__ = (
        sa.UniqueConstraint(
            "curriculum_slug", "from_code", name="uq_outcome_code_mapping_from"
        ),
        sa.CheckConstraint(f"meaning IN {MEANINGS!r}", name="meaning"),
    )

    id: Mapped[str] = id_column()
    curriculum_slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), index=True)
    from_code: Mapped[str] = mapped_column(sa.String(CODE_MAX))
    to_code: Mapped[str | None] = mapped_column(sa.String(CODE_MAX))
    meaning: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    source_file: Mapped[str] = mapped_column(sa.String(300), default="")
    # Claims moved to ``to_code`` when the mapping was last applied (``same`` only).
    claims_moved: Mapped[int] = mapped_column(default=0)
    loaded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
