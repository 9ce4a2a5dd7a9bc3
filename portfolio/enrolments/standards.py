"""Claims an enrolment's trainee must re-map because an outcome's code changed.

When a curriculum's codes change, ``curricula/mappings/`` says what became of each old
code (``portfolio/curriculum/mappings.py``): claims move only where the meaning is the
same; the others stay on the retired outcome and are flagged. This lists the flagged
ones for one enrolment, for its progress page.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from portfolio.curriculum import mappings
from portfolio.curriculum import spec_cache
from portfolio.curriculum.models import Outcome
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.extensions import db


@dataclass(frozen=True)
class ClaimToRemap:
    evidence: Evidence
    outcome: Outcome
    flag: mappings.Flag


def _has_retired(curriculum_ids: list[str]) -> dict[str, bool]:
    found = dict.fromkeys(curriculum_ids, False)
    for cid in db.session.scalars(
        sa.select(Outcome.curriculum_id)
        .where(Outcome.curriculum_id.in_(curriculum_ids), Outcome.retired.is_(True))
        .distinct()
    ):
        found[cid] = True
    return found


def claims_to_remap(enrolment: Enrolment) -> list[ClaimToRemap]:
    """The trainee's claims on retired outcomes of the enrolment's curriculum version
    whose code changed meaning or was removed, oldest evidence first. A curriculum
    version without retired outcomes has none: that is kept per version in
    ``portfolio.curriculum.spec_cache``, so its pages send no query for them."""
    retired = spec_cache.cached(
        "has_retired_outcomes",
        {enrolment.curriculum_id: enrolment.curriculum},
        _has_retired,
        lambda: False,
    )
    if not retired[enrolment.curriculum_id]:
        return []
    claims = list(
        db.session.scalars(
            sa.select(OutcomeClaim)
            .join(Outcome, Outcome.id == OutcomeClaim.outcome_id)
            .join(Evidence, Evidence.id == OutcomeClaim.evidence_id)
            .where(
                Outcome.curriculum_id == enrolment.curriculum_id,
                Outcome.retired.is_(True),
                Evidence.owner_id == enrolment.trainee_id,
            )
            .order_by(Evidence.occurred_on, Evidence.id, Outcome.position)
        )
    )
    flags = mappings.flags_for([claim.outcome for claim in claims])
    return [
        ClaimToRemap(claim.evidence, claim.outcome, flags[claim.outcome_id])
        for claim in claims
        if claim.outcome_id in flags
    ]
