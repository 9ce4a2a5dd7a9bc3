"""Claims an enrolment's trainee must re-map because an outcome's code changed.

When a curriculum's codes change, ``curricula/mappings/`` says what became of each old
code (``portfolio/curriculum/mappings.py``): claims move only where the meaning is the
same; the others stay on the retired outcome and are flagged. This lists the flagged
ones for one enrolment, for its progress page.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from portfolio.curriculum import mappings
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


def claims_to_remap(enrolment: Enrolment) -> list[ClaimToRemap]:
    """The trainee's claims on retired outcomes of the enrolment's curriculum version
    whose code changed meaning or was removed, oldest evidence first."""
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
