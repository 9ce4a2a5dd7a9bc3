"""Named queries that feed the progress engine: a fixed number per enrolment or cohort."""

import json
from collections import defaultdict
from datetime import date
from datetime import datetime

import sqlalchemy as sa

from portfolio.curriculum.models import Outcome
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.extensions import db
from portfolio.progress.engine import EvidenceFact
from portfolio.progress.engine import OutcomeSpec
from portfolio.progress.engine import OutcomeTally


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
    return _specs_by_curriculum(rows)


def _specs_by_curriculum(rows) -> dict[str, list[OutcomeSpec]]:
    """Outcome rows (curriculum id, code, title, type, parent, rules, assessments,
    retired) as engine inputs, per curriculum, in the rows' order."""
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


# ---- the cohort: plain columns, a fixed number of queries for any number of rows ----

# Which enrolments (or trainees) a cohort query covers: a list of ids, or a SELECT of
# them (the cohort's filters), which the database joins itself, so a trust's 500
# trainees are never sent back to it as 500 parameters.
Ids = list[str] | sa.Select


def within(column, ids: Ids) -> sa.ColumnElement[bool]:
    if isinstance(ids, sa.Select):
        return column.in_(ids)
    return column.in_(ids or [""])


def cohort_enrolments(
    where: list[sa.ColumnElement[bool]],
    today: date,
    msf_codes: list[str],
    page: sa.CTE | None = None,
) -> list[sa.Row]:
    """The enrolments matching ``where`` (or those of ``page``: a CTE of their ids
    ``id``, place ``n`` and the number matching in all ``total``, which this query
    returns too) with everything the cohort's rules read of them, as columns of one
    query (no ORM objects, no lists of ids sent back):

    - the trainee, organisation's nation, maintained percent complete and oldest
      waiting request, and when the trainee last recorded or changed evidence (a
      subquery per row that the index on (owner, updated) answers with one probe);
    - as ``db.json_rows`` arrays: the breaks (start, end), the supervision in force
      on ``today`` (role, supervisor's name, start, id), the reviews (kind, held on,
      whether the trainee, employer and provider signed, id); for an STP enrolment
      the maintained module figures (code, done units, total units) and the counts
      of the outcomes ``msf_codes`` (as ``outcome_tallies``), and whether it has
      rows of each of ``stp_tracking.RECORDS`` (``has_<table>``);
    - for an apprenticeship, the signed-off OTJ hours from its start up to its
      gateway (none after it).
    """
    from portfolio.accounts.models import User
    from portfolio.curriculum.models import Curriculum
    from portfolio.db import json_rows
    from portfolio.enrolments.models import Enrolment
    from portfolio.enrolments.models import LearningBreak
    from portfolio.enrolments.models import ProgressReview
    from portfolio.enrolments.models import ProgressSummary
    from portfolio.enrolments.models import SupervisionAssignment as Assignment
    from portfolio.organisations.models import Organisation
    from portfolio.progress.models import ProgressOutcome as Row
    from portfolio.progress.stp_tracking import RECORDS

    supervisor = sa.orm.aliased(User)
    stp = Curriculum.kind == "stp"
    mine = Row.enrolment_id == Enrolment.id
    breaks = sa.select(
        json_rows(LearningBreak.start_date, LearningBreak.end_date)
    ).where(LearningBreak.enrolment_id == Enrolment.id)
    supervision = (
        sa.select(
            json_rows(
                Assignment.role, supervisor.name, Assignment.start_date, Assignment.id
            )
        )
        .join(supervisor, supervisor.id == Assignment.supervisor_id)
        .where(Assignment.enrolment_id == Enrolment.id, Assignment.in_force_on(today))
    )
    reviews = sa.select(
        json_rows(
            ProgressReview.kind,
            ProgressReview.held_on,
            ProgressReview.trainee_signed_at.is_not(None),
            ProgressReview.employer_signed_at.is_not(None),
            ProgressReview.provider_signed_at.is_not(None),
            ProgressReview.id,
        )
    ).where(ProgressReview.enrolment_id == Enrolment.id)
    modules = sa.select(
        json_rows(Row.code, Row.signed_count, Row.evidence_count)
    ).where(mine, Row.scope == "module")
    tallies = sa.select(json_rows(Row.code, *tally_columns())).where(
        mine, Row.scope == "outcome", Row.code.in_(msf_codes or [""])
    )
    otj = sa.select(
        sa.func.coalesce(sa.func.sum(Evidence.form["hours"].as_float()), 0)
    ).where(
        Evidence.owner_id == Enrolment.trainee_id,
        Evidence.kind == "otj",
        Evidence.status == "signed_off",
        Evidence.occurred_on >= Enrolment.start_date,
        sa.or_(
            Enrolment.gateway_date.is_(None),
            Evidence.occurred_on <= Enrolment.gateway_date,
        ),
    )
    query = sa.select(
        Enrolment.id,
        Enrolment.trainee_id,
        Enrolment.curriculum_id,
        Enrolment.organisation_id,
        Enrolment.status,
        Enrolment.start_date,
        Enrolment.expected_end_date,
        Enrolment.gateway_date,
        Enrolment.contracted_hours_per_week,
        Enrolment.revision,
        ProgressSummary.revision.label("summary_revision"),
        User.name.label("trainee_name"),
        User.email.label("trainee_email"),
        Organisation.nation,
        ProgressSummary.percent_complete,
        ProgressSummary.oldest_submitted_at,
        sa.select(sa.func.max(Evidence.updated_at))
        .where(Evidence.owner_id == Enrolment.trainee_id)
        .scalar_subquery()
        .label("last_activity_at"),
        breaks.scalar_subquery().label("breaks"),
        supervision.scalar_subquery().label("supervision"),
        reviews.scalar_subquery().label("reviews"),
        sa.case((stp, modules.scalar_subquery())).label("modules"),
        sa.case((stp, tallies.scalar_subquery())).label("tallies"),
        sa.case((Curriculum.kind == "apprenticeship", otj.scalar_subquery())).label(
            "otj_signed_hours"
        ),
        *(
            sa.and_(stp, sa.exists().where(model.enrolment_id == Enrolment.id)).label(
                f"has_{model.__tablename__}"
            )
            for model in RECORDS
        ),
    )
    query = _enrolments_of(query, where, page)
    return list(
        db.session.execute(
            query.join(User, User.id == Enrolment.trainee_id)
            .join(Curriculum, Curriculum.id == Enrolment.curriculum_id)
            .join(Organisation, Organisation.id == Enrolment.organisation_id)
            .outerjoin(ProgressSummary, ProgressSummary.enrolment_id == Enrolment.id)
        )
    )


def _enrolments_of(
    query: sa.Select, where: list[sa.ColumnElement[bool]], page: sa.CTE | None
) -> sa.Select:
    """``query`` of the enrolments of ``page`` (with its ``n`` and ``total``, in its
    order) or else of those matching ``where``."""
    from portfolio.enrolments.models import Enrolment

    if page is None:
        return query.where(*where)
    return (
        query.add_columns(page.c.n, page.c.total)
        .select_from(page)
        .join(Enrolment, Enrolment.id == page.c.id)
        .order_by(page.c.n)
    )


def cohort_keys(
    where: list[sa.ColumnElement[bool]], page: sa.CTE | None = None
) -> list[sa.Row]:
    """What each enrolment matching ``where`` (or of ``page``, as for
    ``cohort_enrolments``, in its order, with ``n`` and ``total``) has its cohort row
    kept under: its ``revision``, its summary's ``summary_revision`` and its
    curriculum version (``content_hash``, ``loaded_at``)."""
    from portfolio.curriculum.models import Curriculum
    from portfolio.enrolments.models import Enrolment
    from portfolio.enrolments.models import ProgressSummary

    query = sa.select(
        Enrolment.id,
        Enrolment.revision,
        ProgressSummary.revision.label("summary_revision"),
        Enrolment.curriculum_id,
        Curriculum.content_hash,
        Curriculum.loaded_at,
    )
    query = _enrolments_of(query, where, page)
    return list(
        db.session.execute(
            query.join(Curriculum, Curriculum.id == Enrolment.curriculum_id).outerjoin(
                ProgressSummary, ProgressSummary.enrolment_id == Enrolment.id
            )
        )
    )


def curricula_of(where: list[sa.ColumnElement[bool]]) -> list[sa.Row]:
    """The curricula of the enrolments matching ``where`` (a few rows), in one query."""
    from portfolio.curriculum.models import Curriculum
    from portfolio.enrolments.models import Enrolment

    return list(
        db.session.execute(
            sa.select(
                Curriculum.id,
                Curriculum.slug,
                Curriculum.title,
                Curriculum.kind,
                Curriculum.specialism,
                Curriculum.programme,
                Curriculum.content_hash,
                Curriculum.loaded_at,
            ).where(
                Curriculum.id.in_(
                    sa.select(Enrolment.curriculum_id).where(*where).distinct()
                )
            )
        )
    )


def evidence_dates(trainee_ids: Ids) -> dict[str, tuple]:
    """Per trainee: when they last recorded or changed evidence, and when their
    oldest waiting sign-off request was sent, in one query."""
    oldest = sa.func.min(
        sa.case((Evidence.status == "submitted", Evidence.submitted_at)),
        type_=Evidence.submitted_at.type,
    )
    latest = sa.func.max(Evidence.updated_at, type_=Evidence.updated_at.type)
    rows = db.session.execute(
        sa.select(Evidence.owner_id, latest, oldest)
        .where(within(Evidence.owner_id, trainee_ids))
        .group_by(Evidence.owner_id)
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def tally_columns() -> tuple:
    """The maintained columns of an outcome's counts, in the order ``tally_of`` reads."""
    from portfolio.progress.models import ProgressOutcome as Row

    return (
        Row.evidence_count,
        Row.signed_count,
        Row.submitted_count,
        Row.returned_count,
        Row.draft_count,
        Row.signed_dates,
        Row.signed_reflections,
        Row.counts,
    )


def tally_of(values) -> OutcomeTally:
    """An outcome's counts as the rules read them, from the values of
    ``tally_columns`` in order (the kinds' counts may be JSON text: SQLite's, inside
    ``db.json_rows``)."""
    evidence, signed, submitted, returned, drafts, dates, reflections, kinds = values
    if isinstance(kinds, str):
        kinds = json.loads(kinds)
    return OutcomeTally(
        evidence=evidence,
        signed=signed,
        submitted=submitted,
        returned=returned,
        drafts=drafts,
        signed_dates=dates,
        signed_reflections=reflections,
        signed_kinds=dict(kinds or {}),
    )


def outcome_tallies(
    enrolment_ids: Ids, codes: list[str]
) -> dict[tuple[str, str], OutcomeTally]:
    """The maintained counts of these outcomes (by code) of these enrolments, as the
    rules read them, in one query of columns (``progress_outcome``)."""
    from portfolio.progress.models import ProgressOutcome as Row

    if not codes:
        return {}
    return {
        (row[0], row[1]): tally_of(row[2:])
        for row in db.session.execute(
            sa.select(Row.enrolment_id, Row.code, *tally_columns()).where(
                within(Row.enrolment_id, enrolment_ids),
                Row.code.in_(codes),
                Row.scope == "outcome",
            )
        )
    }


def msf_round_specs(curriculum_ids: list[str]) -> dict[str, list[OutcomeSpec]]:
    """Each curriculum's outcomes as engine inputs with the rules read only for its
    assessment slots (what finding the first multi-source feedback round and counting
    it needs: every outcome's place in the tree, a slot's own rules), in one query."""
    slot = Outcome.type == "assessment"
    rows = db.session.execute(
        sa.select(
            Outcome.curriculum_id,
            Outcome.code,
            Outcome.title,
            Outcome.type,
            Outcome.parent_code,
            Outcome.retired,
            sa.type_coerce(
                sa.case((slot, Outcome.evidence_rules)), Outcome.evidence_rules.type
            ).label("evidence_rules"),
            sa.type_coerce(
                sa.case((slot, Outcome.assessments)), Outcome.assessments.type
            ).label("assessments"),
        )
        .where(Outcome.curriculum_id.in_(curriculum_ids))
        .order_by(Outcome.curriculum_id, Outcome.position)
    )
    return _specs_by_curriculum(rows)


def module_figures(enrolment_ids: Ids) -> dict[str, dict[str, tuple[int, int]]]:
    """Each enrolment's modules as (done units, total units) from the maintained rows,
    in one query (as ``tracking.module_figures_many``, for a SELECT of ids too)."""
    from portfolio.progress.models import ProgressOutcome as Row

    found: dict[str, dict[str, tuple[int, int]]] = {}
    for enrolment_id, code, done, total in db.session.execute(
        sa.select(
            Row.enrolment_id, Row.code, Row.signed_count, Row.evidence_count
        ).where(within(Row.enrolment_id, enrolment_ids), Row.scope == "module")
    ):
        found.setdefault(enrolment_id, {})[code] = (done, total)
    return found
