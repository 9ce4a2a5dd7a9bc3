"""Curriculum, Outcome and CrosswalkLink."""

import uuid
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portfolio.curriculum.types import COUNTABLE_TYPES
from portfolio.db import JSONDocument
from portfolio.db import UTCDateTime
from portfolio.db import id_column
from portfolio.db import utcnow
from portfolio.extensions import Model

# Every CASE identifier is derived from this namespace, so the same curriculum and
# code always get the same UUID, however often and wherever they are loaded.
CASE_NAMESPACE = uuid.UUID("5a3b3f5e-8f0c-4f63-9d7a-6b1d6f0c2a11")
SLUG_MAX = 64
CODE_MAX = 64


def case_uuid(*parts: str) -> str:
    return str(uuid.uuid5(CASE_NAMESPACE, ":".join(parts)))


class Curriculum(Model):
    """One version of a curriculum or framework. Old versions stay for their enrolments."""

    __tablename__ = "curriculum"
    __table_args__ = (
        sa.UniqueConstraint("slug", "version", name="uq_curriculum_slug_version"),
    )

    id: Mapped[str] = id_column()
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), index=True)
    version: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    effective_from: Mapped[date]
    source: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    provenance: Mapped[str | None] = mapped_column(sa.String(20))
    specialism: Mapped[str | None] = mapped_column(sa.String(40))
    programme: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    includes: Mapped[list] = mapped_column(JSONDocument(), default=list)
    is_current: Mapped[bool] = mapped_column(default=True, index=True)
    # A version that came in with a bundle (the installation's name): never current,
    # until the same version is loaded from its own file here.
    imported_from: Mapped[str | None] = mapped_column(sa.String(200))
    # The CASE CFDocument identifier: UUIDv5 of the slug, or the one an imported
    # package gave it (kept so a re-export names the same document).
    case_id: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    # CASE associations that are neither the tree (isChildOf) nor crosswalks, as
    # imported (precedes, exemplar, isPeerOf, ...), re-exported as they came.
    case_associations: Mapped[list] = mapped_column(JSONDocument(), default=list)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    source_file: Mapped[str] = mapped_column(sa.String(300), default="")
    loaded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    outcomes: Mapped[list["Outcome"]] = relationship(
        back_populates="curriculum",
        lazy="raise",
        order_by="Outcome.position",
        cascade="all, delete-orphan",
    )

    @property
    def enrollable(self) -> bool:
        """Components (e.g. the STP core module) are parts of curricula, not programmes."""
        from portfolio.curriculum.kinds import is_enrollable

        return is_enrollable(self.kind)

    @property
    def case_identifier(self) -> str:
        return self.case_id or case_uuid(self.slug)

    def __repr__(self) -> str:
        return f"<Curriculum {self.slug} {self.version}>"


class Outcome(Model):
    """A node of a curriculum's tree: module, learning outcome, activity, KSB, ..."""

    __tablename__ = "outcome"
    __table_args__ = (
        sa.UniqueConstraint("curriculum_id", "code", name="uq_outcome_curriculum_code"),
    )

    id: Mapped[str] = id_column()
    curriculum_id: Mapped[str] = mapped_column(
        sa.ForeignKey("curriculum.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(CODE_MAX))
    parent_code: Mapped[str | None] = mapped_column(sa.String(CODE_MAX))
    # The file the outcome was written in: differs from the curriculum for outcomes
    # brought in by `includes` (e.g. the STP core module in every specialty).
    origin_slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX))
    type: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    level: Mapped[str | None] = mapped_column(sa.String(20))
    source_ref: Mapped[str | None] = mapped_column(sa.String(80))
    provenance: Mapped[str | None] = mapped_column(sa.String(20))
    module_type: Mapped[str | None] = mapped_column(sa.String(20))
    phase: Mapped[int | None]
    credits: Mapped[int | None]
    assessments: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    evidence_rules: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    links: Mapped[list] = mapped_column(JSONDocument(), default=list)
    position: Mapped[int] = mapped_column(default=0)
    depth: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    # The CASE CFItem identifier: UUIDv5 of (origin, code), or an imported one.
    case_id: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    # The isChildOf sequenceNumber an imported package gave it; None: its position.
    case_sequence: Mapped[int | None]

    curriculum: Mapped[Curriculum] = relationship(
        back_populates="outcomes", lazy="joined"
    )

    @property
    def case_identifier(self) -> str:
        return self.case_id or case_uuid(self.origin_slug, self.code)

    @property
    def countable(self) -> bool:
        return self.type in COUNTABLE_TYPES

    def __repr__(self) -> str:
        return f"<Outcome {self.code}>"


class CrosswalkLink(Model):
    """A link from an outcome in one curriculum to one in another, by slug and code.

    Links name curricula by slug, not by version, so they follow each new version;
    a link whose code no longer exists simply shows nothing.
    """

    __tablename__ = "crosswalk_link"
    __table_args__ = (
        sa.Index("ix_crosswalk_link_from", "from_slug", "from_code"),
        sa.Index("ix_crosswalk_link_to", "to_slug", "to_code"),
    )

    id: Mapped[str] = id_column()
    crosswalk: Mapped[str] = mapped_column(sa.String(SLUG_MAX), index=True)
    from_slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX))
    from_code: Mapped[str] = mapped_column(sa.String(CODE_MAX))
    to_slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX))
    to_code: Mapped[str] = mapped_column(sa.String(CODE_MAX))
    relation: Mapped[str] = mapped_column(sa.String(20), default="isRelatedTo")
    provenance: Mapped[str | None] = mapped_column(sa.String(20))


class CrosswalkFile(Model):
    """What was loaded for each crosswalk file (for idempotent reloads)."""

    __tablename__ = "crosswalk_file"

    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    version: Mapped[str] = mapped_column(sa.String(40))
    from_slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX))
    to_slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX))
    source: Mapped[dict] = mapped_column(JSONDocument(), default=dict)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    loaded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
