"""Where an STP enrolment stands on the review of progression and on completion.

Reads the database with a fixed number of queries for any number of enrolments
(the progress page asks for one, the cohort for a whole trust) and hands the facts
to the plain rules in ``stp_review`` and ``portfolio.enrolments.completion``.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

import sqlalchemy as sa

from portfolio.curriculum import spec_cache
from portfolio.curriculum.models import Outcome
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import ProgressReview
from portfolio.enrolments.stp_models import FyaSitting
from portfolio.enrolments.stp_models import ProgressionRecord
from portfolio.enrolments.stp_models import StpCompletion
from portfolio.enrolments.stp_models import TrainingExtension
from portfolio.extensions import db
from portfolio.progress import stp_review
from portfolio.progress.engine import Progress

MSF_FIRST_ROUND = (
    "STP-MSF1"  # the first multi-source feedback round (curricula/stp/core.yaml)
)


def is_stp(enrolment: Enrolment) -> bool:
    return enrolment.curriculum.kind == "stp"


@dataclass
class StpStanding:
    process: str
    process_source: str
    points: list[stp_review.ReviewPoint]
    flags: list[stp_review.StpFlag]
    records: list[ProgressionRecord]
    completion: StpCompletion | None
    sittings: list[FyaSitting]
    extensions: list[TrainingExtension]
    completion_checks: list = field(default_factory=list)

    @property
    def current(self) -> stp_review.ReviewPoint | None:
        return stp_review.current_point(self.points)


@dataclass(frozen=True)
class _Module:
    """What the review of progression reads about one module (kept in the cache)."""

    code: str
    title: str
    source_ref: str | None
    module_type: str | None
    phase: int | None


@dataclass(frozen=True)
class _CurriculumModules:
    modules: tuple[_Module, ...] = ()
    msf_round: str | None = None


def _load_modules(curriculum_ids: list[str]) -> dict[str, _CurriculumModules]:
    rows = db.session.execute(
        sa.select(
            Outcome.curriculum_id,
            Outcome.type,
            Outcome.code,
            Outcome.title,
            Outcome.source_ref,
            Outcome.module_type,
            Outcome.phase,
            Outcome.evidence_rules,
        )
        .where(
            Outcome.curriculum_id.in_(curriculum_ids or [""]),
            Outcome.type.in_(("module", "assessment")),
            Outcome.retired.is_(False),
        )
        .order_by(Outcome.curriculum_id, Outcome.position)
    )
    modules: dict[str, list[_Module]] = defaultdict(list)
    msf: dict[str, str] = {}
    for row in rows:
        if row.type == "module":
            modules[row.curriculum_id].append(
                _Module(row.code, row.title, row.source_ref, row.module_type, row.phase)
            )
        elif "msf" in ((row.evidence_rules or {}).get("kinds") or []):
            msf.setdefault(row.curriculum_id, row.code)
    return {
        cid: _CurriculumModules(tuple(modules.get(cid, ())), msf.get(cid))
        for cid in {*modules, *msf}
    }


def _modules(
    enrolments: list[Enrolment],
) -> tuple[dict[str, tuple[_Module, ...]], dict[str, str]]:
    """Each curriculum's modules, and the code of its first multi-source feedback
    round (an assessment slot whose evidence is an MSF), per curriculum version from
    the cache (``portfolio.curriculum.spec_cache``; one query for those not held)."""
    found = _curriculum_modules({e.curriculum_id: e.curriculum for e in enrolments})
    modules = {cid: c.modules for cid, c in found.items()}
    return modules, _msf_codes(found)


def _curriculum_modules(curricula: Mapping[str, Any]) -> dict[str, _CurriculumModules]:
    return spec_cache.cached(
        "stp_modules", curricula, _load_modules, _CurriculumModules
    )


def _msf_codes(found: Mapping[str, _CurriculumModules]) -> dict[str, str]:
    return {cid: c.msf_round for cid, c in found.items() if c.msf_round}


def msf_round_codes(curricula: Mapping[str, Any]) -> dict[str, str]:
    """The code of each curriculum's first multi-source feedback round (curriculum id
    -> code; none for a curriculum without one), as the standings find it."""
    return _msf_codes(_curriculum_modules(curricula))


def _grouped(model, ids: list[str], order) -> dict[str, list]:
    found: dict[str, list] = defaultdict(list)
    rows: list = list(
        db.session.scalars(
            sa.select(model).where(model.enrolment_id.in_(ids or [""])).order_by(order)
        )
    )
    for row in rows:
        found[row.enrolment_id].append(row)
    return found


# What an STP enrolment may have besides its reviews, each read only when some
# enrolment asked about has rows of it.
RECORDS = (ProgressionRecord, FyaSitting, TrainingExtension, StpCompletion)


def _present(models: tuple, ids: list[str]) -> dict[Any, bool]:
    """Whether each model has rows for any of ``ids``, in one query: most STP
    enrolments have no progression records, sittings, extensions or completion yet,
    and those are then not read at all."""
    found = db.session.execute(
        sa.select(*(sa.exists().where(model.enrolment_id.in_(ids)) for model in models))
    ).one()
    return dict(zip(models, found, strict=True))


def standings(
    enrolments: list[Enrolment],
    progress: dict[str, Progress],
    today: date,
    reviews: dict[str, list[ProgressReview]] | None = None,
    present: dict[Any, bool] | None = None,
) -> dict[str, StpStanding]:
    """The STP standing of each STP enrolment (others are left out), in at most seven
    queries: one asks which of the progression records, FYA sittings, extensions and
    completions have rows for them, and only those are read; the reviews when
    ``reviews`` (each enrolment's, oldest first) are not given; the curricula's
    modules from the per-version cache. ``present``: which of ``RECORDS`` these
    enrolments have rows of, when the caller has read it already."""
    from portfolio.enrolments import completion

    stp = [e for e in enrolments if is_stp(e)]
    ids = [e.id for e in stp]
    if not ids:
        return {}
    modules, msf_rounds = _modules(stp)
    if reviews is None:
        reviews = _grouped(ProgressReview, ids, ProgressReview.held_on)
    has = present if present is not None else _present(RECORDS, ids)
    records = (
        _grouped(ProgressionRecord, ids, ProgressionRecord.held_on)
        if has[ProgressionRecord]
        else {}
    )
    sittings = _grouped(FyaSitting, ids, FyaSitting.attempt) if has[FyaSitting] else {}
    extensions = (
        _grouped(TrainingExtension, ids, TrainingExtension.start_date)
        if has[TrainingExtension]
        else {}
    )
    completions = (
        {
            row.enrolment_id: row
            for row in db.session.scalars(
                sa.select(StpCompletion).where(StpCompletion.enrolment_id.in_(ids))
            )
        }
        if has[StpCompletion]
        else {}
    )
    result = {}
    for enrolment in stp:
        p = progress[enrolment.id]
        by_code = {m.code: m for m in p.modules}
        module_facts = []
        for outcome in modules.get(enrolment.curriculum_id, []):
            done = by_code.get(outcome.code)
            module_facts.append(
                stp_review.ModuleFact(
                    code=outcome.code,
                    title=outcome.title,
                    source_ref=outcome.source_ref,
                    module_type=outcome.module_type,
                    phase=outcome.phase,
                    done_units=done.done_units if done else 0,
                    total_units=done.total_units if done else 0,
                )
            )
        msf_code = msf_rounds.get(enrolment.curriculum_id)
        msf = next((o for o in p.outcomes if o.code == msf_code), None)
        completion_row = completions.get(enrolment.id)
        ext = extensions.get(enrolment.id, [])
        facts = stp_review.Facts(
            start=enrolment.start_date,
            percent_complete=p.percent_complete,
            modules=module_facts,
            meetings=[
                stp_review.Meeting(r.held_on, r.complete)
                for r in reviews.get(enrolment.id, [])
                if r.kind == "stp_end_of_year"
            ],
            records=[
                stp_review.Record(r.kind, r.held_on, r.reporter, r.text)
                for r in records.get(enrolment.id, [])
            ],
            msf_signed_off=None if msf is None else msf.status == "signed_off",
            msc_recorded=bool(completion_row and completion_row.msc_status),
            extension_in_force=any(x.in_force_on(today) for x in ext),
        )
        points = stp_review.review_points(facts, today)
        found_flags = (
            stp_review.flags(facts, points, today)
            if enrolment.status == "active"
            else []
        )
        checks = completion.completion_checks(
            p.percent_complete, completion_row, sittings.get(enrolment.id, [])
        )
        if enrolment.status == "active":
            found_flags += completion.fya_flags(sittings.get(enrolment.id, []))
        result[enrolment.id] = StpStanding(
            process=stp_review.process_name(enrolment.start_date),
            process_source=stp_review.process_source(enrolment.start_date),
            points=points,
            flags=found_flags,
            records=records.get(enrolment.id, []),
            completion=completion_row,
            sittings=sittings.get(enrolment.id, []),
            extensions=ext,
            completion_checks=checks,
        )
    return result


def standing_of(
    enrolment: Enrolment, progress: Progress, today: date
) -> StpStanding | None:
    return standings([enrolment], {enrolment.id: progress}, today).get(enrolment.id)


def for_cohort(enrolments: list[Enrolment], today: date) -> dict[str, StpStanding]:
    """The STP standings of a cohort's STP enrolments, from the maintained module
    figures (a few more queries, nothing computed per outcome)."""
    from portfolio.progress import tracking

    stp = [e for e in enrolments if is_stp(e)]
    if not stp:
        return {}
    _, msf_rounds = _modules(stp)
    return standings(stp, tracking.module_progress_many(stp, msf_rounds), today)


def summary(standing: StpStanding | None) -> str:
    """One line for the cohort: the review point that matters now and its state."""
    if standing is None:
        return ""
    point = standing.current
    if point is None:
        return ""
    state = stp_review.STATUS_LABELS[point.status]
    return f"{point.title} ({point.due:%d %b %Y}): {state}"
