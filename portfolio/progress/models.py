"""The maintained progress read model: per enrolment and countable outcome (or module).

One row per enrolment and outcome code that has any claimed evidence, holding the
counts the rules read (``engine.OutcomeTally``), and per module the distinct
assessments in its subtree by kind and status with its done and total units. Written only
by ``tracking.refresh_progress`` inside the transaction of the change that moved
them; read by the progress pages, the API, the flags and the dashboards; always equal
to a full recomputation (``tests/test_progress_read_model.py``).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from portfolio.db import JSONDocument
from portfolio.extensions import Model

CODE_MAX = 64  # as portfolio.curriculum.models.CODE_MAX


class ProgressOutcome(Model):
    __tablename__ = "progress_outcome"

    enrolment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(sa.String(CODE_MAX), primary_key=True)
    # "outcome" (a countable outcome's counts) or "module" (every module that is not
    # retired: its assessment counts, and its units as the rules counted them).
    scope: Mapped[str] = mapped_column(sa.String(10), default="outcome")
    evidence_count: Mapped[int] = mapped_column(default=0)  # module: total units
    signed_count: Mapped[int] = mapped_column(default=0)  # module: done units
    submitted_count: Mapped[int] = mapped_column(default=0)
    returned_count: Mapped[int] = mapped_column(default=0)
    draft_count: Mapped[int] = mapped_column(default=0)
    signed_dates: Mapped[int] = mapped_column(default=0)
    signed_reflections: Mapped[int] = mapped_column(default=0)
    # {"kind": n} for an outcome's signed items; {"kind:status": n} for a module.
    counts: Mapped[dict] = mapped_column(JSONDocument, default=dict)


from portfolio.progress import maintain  # noqa: E402,F401  the hook that keeps these rows
