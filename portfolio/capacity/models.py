"""TrainingPlace and WorkforceRecord: a trust's capacity figures, per specialism.

Both are keyed by organisation and specialism: training places per programme and
intake year, workforce figures as of a date. The services check every rule and
give field errors; the constraints here are the database's last line of defence.
"""

from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model
from portfolio.organisations.models import Organisation

# The MPCE specialisms of the STP (https://nshcs.hee.nhs.uk/programmes/stp/applicants/stp-specialisms/);
# any other name up to SPECIALISM_MAX characters is allowed too, for example a local
# sub-specialism.
SPECIALISMS = {
    "RP": "Radiotherapy Physics",
    "NM": "Nuclear Medicine",
    "DR": "Radiation Safety and Diagnostic Radiology",
    "IN": "Imaging with Non-Ionising Radiation",
    "CE": "Clinical Engineering",
    "CSC": "Clinical Scientific Computing",
    "MP-ND": "Medical Physics (specialism not yet defined)",
}
SPECIALISM_MAX = 40
PROGRAMMES = {
    "stp": "Scientist Training Programme (STP)",
    "apprenticeship_l2": "Apprenticeship, level 2",
    "apprenticeship_l4": "Apprenticeship, level 4",
    "apprenticeship_l6": "Apprenticeship, level 6",
    "apprenticeship_l7": "Apprenticeship, level 7",
    "hsst": "Higher Specialist Scientist Training (HSST)",
    "clinical_technologist": "Clinical technologist training",
}
FUNDING_MAX = 120
MIN_YEAR = 1900
MAX_YEAR = 2200
# Up to 999,999.99 WTE: far beyond any trust, small enough for every database.
WTE = sa.Numeric(8, 2)


class FiguresRecord:
    """What both kinds of figures have: the organisation and specialism they are
    for, who changed them last and when. ``KEY_FIELDS`` are, with the
    organisation, the row's unique key."""

    KEY_FIELDS: ClassVar[tuple[str, ...]]

    # The key first in the table, as before the columns were shared.
    id: Mapped[str] = id_column(sort_order=-1)
    organisation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True, sort_order=-1
    )
    specialism: Mapped[str] = mapped_column(sa.String(SPECIALISM_MAX), sort_order=-1)
    updated_by_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    @declared_attr
    def organisation(cls) -> Mapped[Organisation]:
        return relationship(lazy="joined")

    @property
    def key(self) -> tuple:
        return (self.organisation_id, *(getattr(self, f) for f in self.KEY_FIELDS))


class TrainingPlace(FiguresRecord, Model):
    """Training places commissioned and filled for one intake of one programme."""

    __tablename__ = "training_place"
    __table_args__ = (
        sa.UniqueConstraint(
            "organisation_id",
            "specialism",
            "programme",
            "intake_year",
            name="uq_training_place_key",
        ),
        sa.CheckConstraint(f"programme IN {tuple(PROGRAMMES)!r}", name="programme"),
        sa.CheckConstraint(
            f"intake_year BETWEEN {MIN_YEAR} AND {MAX_YEAR}", name="intake_year"
        ),
        sa.CheckConstraint("commissioned >= 0", name="commissioned"),
        sa.CheckConstraint("filled >= 0", name="filled"),
        sa.CheckConstraint("filled <= commissioned", name="filled_le_commissioned"),
    )

    KEY_FIELDS = ("specialism", "programme", "intake_year")

    programme: Mapped[str] = mapped_column(sa.String(30))
    intake_year: Mapped[int]
    commissioned: Mapped[int] = mapped_column(default=0)
    filled: Mapped[int] = mapped_column(default=0)
    funding_source: Mapped[str] = mapped_column(sa.String(FUNDING_MAX), default="")


class WorkforceRecord(FiguresRecord, Model):
    """Establishment, staff in post, vacancies and expected retirements on a date.

    ``vacancies_wte`` is always ``establishment_wte - in_post_wte`` (the services
    compute it, or check a given figure against it). ``retiring_5y`` and
    ``retiring_15y`` are headcounts expected to retire within 5 and within 15
    years, so the second includes the first; either may be unknown (None).
    """

    __tablename__ = "workforce_record"
    __table_args__ = (
        sa.UniqueConstraint(
            "organisation_id", "specialism", "as_of", name="uq_workforce_record_key"
        ),
        sa.CheckConstraint("establishment_wte >= 0", name="establishment_wte"),
        sa.CheckConstraint("in_post_wte >= 0", name="in_post_wte"),
        sa.CheckConstraint("vacancies_wte >= 0", name="vacancies_wte"),
        sa.CheckConstraint("retiring_5y >= 0", name="retiring_5y"),
        sa.CheckConstraint("retiring_15y >= retiring_5y", name="retiring_15y"),
    )

    KEY_FIELDS = ("specialism", "as_of")

    as_of: Mapped[date]
    establishment_wte: Mapped[Decimal] = mapped_column(WTE)
    in_post_wte: Mapped[Decimal] = mapped_column(WTE)
    vacancies_wte: Mapped[Decimal] = mapped_column(WTE)
    # Not known is None, not 0 (a CHECK passes on NULL).
    retiring_5y: Mapped[int | None]
    retiring_15y: Mapped[int | None]

    @property
    def vacancy_rate(self) -> float | None:
        if not self.establishment_wte:
            return None
        return float(self.vacancies_wte / self.establishment_wte)
