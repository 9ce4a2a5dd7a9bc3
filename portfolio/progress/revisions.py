"""``Enrolment.revision``: a new token whenever anything the cohort reads of an
enrolment changes, in the transaction of the change.

The cohort keeps each enrolment's row (its flags, STP standing and the rest,
``progress.cohort``) per process under that token, its summary's revision
(``ProgressSummary.revision``, which moves with the maintained progress rows), the
curriculum version and the day; this module is what moves the token. Every flush of
the app's sessions is looked at once: a change to any model of ``_watched`` gives the
enrolments it touches a new token with one UPDATE in the same transaction, so a
rolled-back change leaves the token as it was and a committed one is seen by every
process at once.

What touches which enrolments, as ``queries.cohort_enrolments`` reads them:

- the enrolment itself; its breaks, progress reviews, supervision and STP records
  (``stp_tracking.RECORDS``);
- the trainee's evidence, any of it (last activity, waiting requests, off-the-job
  hours): every enrolment of its owner;
- a person's name or email: the enrolments they are the trainee of, and those they
  supervise (the training officer's name is in the row);
- an organisation's nation; a curriculum (its title, kind and rules).

SQL written outside the app's sessions moves no token: ``flask progress rebuild``
gives every enrolment it rebuilds a new one (``renew``).
"""

from functools import cache
from itertools import chain
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.db import new_revision
from portfolio.extensions import db


@cache  # once per process: every flush reads it
def _watched() -> dict[type, str]:
    """Each model whose rows the cohort reads, with the column naming the enrolment
    it belongs to (or what it is: "self", "owner", "person", "organisation",
    "curriculum")."""
    from portfolio.accounts.models import User
    from portfolio.curriculum.models import Curriculum
    from portfolio.enrolments.models import Enrolment
    from portfolio.enrolments.models import LearningBreak
    from portfolio.enrolments.models import ProgressReview
    from portfolio.enrolments.models import SupervisionAssignment
    from portfolio.evidence.models import Evidence
    from portfolio.organisations.models import Organisation
    from portfolio.progress.stp_tracking import RECORDS

    return {
        Enrolment: "self",
        LearningBreak: "enrolment_id",
        ProgressReview: "enrolment_id",
        SupervisionAssignment: "enrolment_id",
        **dict.fromkeys(RECORDS, "enrolment_id"),
        Evidence: "owner",
        User: "person",
        Organisation: "organisation",
        Curriculum: "curriculum",
    }


# A person's and an organisation's columns the cohort shows or reads.
PERSON_COLUMNS = ("name", "email")
ORGANISATION_COLUMNS = ("nation",)


def _changed(obj, columns: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    if state.pending or state.deleted or state.was_deleted:
        return True
    return any(state.attrs[c].history.has_changes() for c in columns)


def touched(session: Session) -> dict[str, set[str]]:
    """What this flush changes, by what it reaches enrolments through."""
    watched = _watched()
    found: dict[str, set[str]] = {
        k: set() for k in ("self", "owner", "person", "organisation", "curriculum")
    }
    for obj in chain(session.new, session.dirty, session.deleted):
        how = watched.get(type(obj))
        if how is None:
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if how == "person":
            if _changed(obj, PERSON_COLUMNS):
                found["person"].add(obj.id)
        elif how == "organisation":
            if _changed(obj, ORGANISATION_COLUMNS):
                found["organisation"].add(obj.id)
        elif how == "owner":
            found["owner"].add(obj.owner_id)
        elif how in ("self", "curriculum"):
            found[how].add(obj.id)
        else:
            found["self"].add(getattr(obj, how))
    return {k: {v for v in ids if v} for k, ids in found.items()}


def bump(connection: sa.Connection, found: dict[str, set[str]]) -> None:
    """Give the enrolments ``found`` reaches a new token, in one UPDATE (one token
    for all of them: each is kept under its own id with it)."""
    from portfolio.enrolments.models import Enrolment
    from portfolio.enrolments.models import SupervisionAssignment

    table = cast(sa.Table, Enrolment.__table__)
    enrolment = table.c
    people = found.get("person", set())
    trainees = found.get("owner", set()) | people
    reached = []
    if found.get("self"):
        reached.append(enrolment.id.in_(found["self"]))
    if trainees:
        reached.append(enrolment.trainee_id.in_(trainees))
    if found.get("organisation"):
        reached.append(enrolment.organisation_id.in_(found["organisation"]))
    if found.get("curriculum"):
        reached.append(enrolment.curriculum_id.in_(found["curriculum"]))
    if people:
        reached.append(
            enrolment.id.in_(
                sa.select(SupervisionAssignment.enrolment_id).where(
                    SupervisionAssignment.supervisor_id.in_(people)
                )
            )
        )
    if reached:
        connection.execute(
            sa.update(table).where(sa.or_(*reached)).values(revision=new_revision())
        )


def renew(enrolment_ids: list[str] | None = None) -> None:
    """A new token for these enrolments, or every one (``flask progress rebuild``),
    in the session's transaction."""
    from portfolio.enrolments.models import Enrolment

    update = sa.update(Enrolment).values(revision=new_revision())
    if enrolment_ids is not None:
        update = update.where(Enrolment.id.in_(enrolment_ids))
    db.session.execute(update.execution_options(synchronize_session=False))


def _after_flush(session: Session, flush_context) -> None:
    found = touched(session)
    if any(found.values()):
        bump(session.connection(), found)


def install() -> None:
    """Listen on the app's session class (idempotent)."""
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
