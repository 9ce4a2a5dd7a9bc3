"""Keeps the progress read model in step with every change to evidence, in its
transaction.

The services that move progress call ``tracking.refresh_progress`` themselves; this
hook is the safety net for every other change (a draft recorded or edited, its
claims changed, a request sent or withdrawn, a ticket completed, a claim moved by a
code mapping, an enrolment moved to another curriculum version): at each flush it
notes whose evidence changed, and before the transaction commits it refreshes those
trainees' rows, so a commit never leaves the read model behind the evidence.
"""

import sqlalchemy as sa
from flask_sqlalchemy.session import Session

PENDING = "progress_pending_trainees"  # as tracking.PENDING
PENDING_EVIDENCE = "progress_pending_evidence"
# The evidence columns progress or the risk flags read.
WATCHED = ("status", "kind", "occurred_on", "submitted_at", "owner_id", "claims")


def _changed(obj, names) -> bool:
    state = sa.inspect(obj)
    return any(
        name in state.attrs and state.attrs[name].history.has_changes()
        for name in names
    )


def _note(session, flush_context, instances) -> None:
    from portfolio.enrolments.models import Enrolment
    from portfolio.evidence.models import Evidence
    from portfolio.evidence.models import OutcomeClaim

    trainees: set[str] = session.info.setdefault(PENDING, set())
    evidence_ids: set[str] = session.info.setdefault(PENDING_EVIDENCE, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Evidence):
            if obj in session.dirty and not _changed(obj, WATCHED):
                continue
            owners = sa.inspect(obj).attrs.owner_id.history
            trainees.update(o for o in (*owners.deleted, obj.owner_id) if o)
        elif isinstance(obj, OutcomeClaim):
            if obj in session.dirty and not _changed(obj, ("outcome_id", "outcome")):
                continue
            if obj.evidence_id:
                evidence_ids.add(obj.evidence_id)
            evidence = sa.inspect(obj).attrs.evidence.loaded_value
            if isinstance(evidence, Evidence) and evidence.owner_id:
                trainees.add(evidence.owner_id)
        elif isinstance(obj, Enrolment):
            if obj in session.dirty and not _changed(
                obj, ("curriculum_id", "curriculum", "trainee_id")
            ):
                continue
            if obj.trainee_id:
                trainees.add(obj.trainee_id)


def _refresh(session) -> None:
    from portfolio.evidence.models import Evidence
    from portfolio.progress import tracking

    for _ in range(3):  # a refresh's own flush notes nothing new; bounded anyway
        session.flush()
        trainees: set[str] = session.info.get(PENDING, set())
        evidence_ids: set[str] = session.info.get(PENDING_EVIDENCE, set())
        if evidence_ids:
            trainees.update(
                owner
                for owner in session.scalars(
                    sa.select(Evidence.owner_id).where(
                        Evidence.id.in_(sorted(evidence_ids))
                    )
                )
                if owner
            )
            evidence_ids.clear()
        if not trainees:
            return
        tracking.refresh_progress(trainee_ids=sorted(trainees))


def _forget(session, *args) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(PENDING_EVIDENCE, None)


def install() -> None:
    """Listen on the app's session class (idempotent)."""
    for name, fn in (
        ("before_flush", _note),
        ("before_commit", _refresh),
        ("after_rollback", _forget),
    ):
        if not sa.event.contains(Session, name, fn):
            sa.event.listen(Session, name, fn)


install()
