"""Named queries that feed the progress engine: a fixed number per enrolment or cohort."""

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from portfolio.curriculum.models import Outcome
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.extensions import db
from portfolio.progress.engine import EvidenceFact
from portfolio.progress.engine import OutcomeSpec


def outcome_specs(curriculum_ids: list[str]) -> dict[str, list[OutcomeSpec]]:
    """Each curriculum's outcomes as engine inputs, in one query."""
    rows = db.session.execute(
        sa.select(
            Outcome.curriculum_id,
            Outcome.code,
            Outcome.title,
            Outcome.type,
            Outcome.parent_code,
            Outcome.evidence_rules,
            Outcome.assessments,
            Outcome.retired,
        )
        .where(Outcome.curriculum_id.in_(curriculum_ids))
        .order_by(Outcome.curriculum_id, Outcome.position)
    )
    specs: dict[str, list[OutcomeSpec]] = defaultdict(list)
    for row in rows:
        specs[row.curriculum_id].append(
            OutcomeSpec(
                code=row.code,
                title=row.title,
                type=row.type,
                parent=row.parent_code,
                evidence=row.evidence_rules or {},
                assessments=row.assessments or {},
                retired=row.retired,
            )
        )
    return specs


def evidence_facts(
    pairs: list[tuple[str, str]],
) -> dict[tuple[str, str], list[EvidenceFact]]:
    """Evidence claimed by each (trainee, curriculum) pair, grouped, in one query."""
    if not pairs:
        return {}
    trainees = {t for t, _ in pairs}
    curricula = {c for _, c in pairs}
    rows = db.session.execute(
        sa.select(
            Evidence.owner_id,
            Outcome.curriculum_id,
            Evidence.id,
            Evidence.kind,
            Evidence.occurred_on,
            Evidence.status,
            Outcome.code,
        )
        .join(OutcomeClaim, OutcomeClaim.evidence_id == Evidence.id)
        .join(Outcome, Outcome.id == OutcomeClaim.outcome_id)
        .where(Evidence.owner_id.in_(trainees), Outcome.curriculum_id.in_(curricula))
    )
    grouped: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for owner, curriculum, evidence_id, kind, occurred_on, status, code in rows:
        item = grouped[(owner, curriculum)].setdefault(
            evidence_id,
            {
                "kind": kind,
                "occurred_on": occurred_on,
                "status": status,
                "codes": set(),
            },
        )
        item["codes"].add(code)
    wanted = set(pairs)
    return {
        key: [
            EvidenceFact(
                eid, v["kind"], v["occurred_on"], v["status"], frozenset(v["codes"])
            )
            for eid, v in items.items()
        ]
        for key, items in grouped.items()
        if key in wanted
    }


def last_activity(trainee_ids: list[str]) -> dict[str, datetime]:
    """When each trainee last recorded or changed evidence."""
    if not trainee_ids:
        return {}
    rows = db.session.execute(
        sa.select(Evidence.owner_id, sa.func.max(Evidence.updated_at))
        .where(Evidence.owner_id.in_(trainee_ids))
        .group_by(Evidence.owner_id)
    )
    return dict(rows.all())
