"""Where an enrolment stands: progress, off-the-job hours, reviews, gateway, risk flags.

Everything here is computed from the database with a fixed number of queries per
enrolment (or per cohort page), then handed to the plain rule modules
(``progress``, ``apprenticeship``) so the rules live in one place.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from portfolio.curriculum import spec_cache
from portfolio.db import new_revision
from portfolio.db import utcnow
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import ProgressReview
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.progress import apprenticeship
from portfolio.progress.engine import ModuleProgress
from portfolio.progress.engine import OutcomeSpec
from portfolio.progress.engine import OutcomeTally
from portfolio.progress.engine import Progress
from portfolio.progress.engine import Tally
from portfolio.progress.engine import outcome_progress
from portfolio.progress.engine import percent
from portfolio.progress.engine import progress_from_tally
from portfolio.progress.engine import tally
from portfolio.progress.models import ProgressOutcome
from portfolio.progress.queries import evidence_facts
from portfolio.progress.queries import outcome_specs
from portfolio.progress.queries import outcome_tallies


def setting(name: str):
    """An at-risk or supervisor-load setting (defaults in portfolio.config.DEFAULTS)."""
    return current_app.config[name]


def risk_settings() -> tuple:
    """Every at-risk setting (those named ``RISK_``) with its value: what the flags
    read of the configuration, for keeping their answers."""
    return tuple(
        sorted((k, v) for k, v in current_app.config.items() if k[:5] == "RISK_")
    )


def is_apprenticeship(enrolment: Enrolment) -> bool:
    return enrolment.curriculum.kind == "apprenticeship"


def breaks_of(
    enrolment: Enrolment, today: date | None = None
) -> tuple[apprenticeship.Break, ...]:
    """The breaks in learning that pause the clock.

    For an apprenticeship only formal breaks count: an absence of up to 4 weeks is not
    a break in learning and moves nothing (``apprenticeship.formal_breaks``).
    """
    breaks = tuple(
        apprenticeship.Break(b.start_date, b.end_date) for b in enrolment.breaks
    )
    if is_apprenticeship(enrolment):
        return apprenticeship.formal_breaks(breaks, as_of=today or date.today())
    return breaks


def adjusted_end(enrolment: Enrolment, today: date) -> date:
    """The expected end, moved on by the length of any break in learning."""
    return apprenticeship.adjusted_end_date(
        enrolment.expected_end_date, breaks_of(enrolment, today), as_of=today
    )


def rules_apply(enrolment: Enrolment) -> bool:
    """England's apprenticeship funding rules apply (an apprenticeship in England)."""
    return is_apprenticeship(enrolment) and apprenticeship.rules_apply_in(
        enrolment.organisation.nation
    )


def standard_ref_of(enrolment: Enrolment) -> str | None:
    return (enrolment.curriculum.programme or {}).get("standard_ref")


def otj_target_of(enrolment: Enrolment, today: date) -> apprenticeship.OtjTarget:
    """The OTJ target of an apprenticeship in England under its start date's rules."""
    ruleset = apprenticeship.rules_for(enrolment.start_date)
    ref = standard_ref_of(enrolment)
    return apprenticeship.otj_target(
        ruleset,
        enrolment.start_date,
        adjusted_end(enrolment, today),
        enrolment.contracted_hours_per_week or ruleset.full_time_hours,
        apprenticeship.standard_otj(ref),
        breaks_of(enrolment, today),
        as_of=today,
        standard_ref=ref,
    )


def otj_expected_and_status(
    enrolment: Enrolment, target: apprenticeship.OtjTarget, signed: float, today: date
) -> tuple[float | None, str]:
    """Hours expected by today and the RAG status; "not_confirmed" without a target."""
    if target.hours is None:
        return None, "not_confirmed"
    expected = apprenticeship.expected_otj_to_date(
        target.hours,
        enrolment.start_date,
        adjusted_end(enrolment, today),
        today,
        breaks_of(enrolment, today),
    )
    return expected, apprenticeship.otj_status(signed, expected)


def specs_of(enrolments: list[Enrolment]) -> dict[str, list[OutcomeSpec]]:
    """Each enrolment's curriculum's outcomes as engine inputs, from the per-version
    cache (``portfolio.curriculum.spec_cache``; one query for those not held)."""
    return spec_cache.cached(
        "outcome_specs",
        {e.curriculum_id: e.curriculum for e in enrolments},
        outcome_specs,
        list,
    )


def recompute_many(enrolments: list[Enrolment]) -> dict[str, tuple[list, Tally]]:
    """Each enrolment's outcome specs and tally counted afresh from every evidence fact.

    Two queries in all, but reads all of each trainee's claimed evidence: what
    ``refresh_progress`` writes and what the read model is checked against; pages use
    ``progress_many``, which reads the maintained rows instead.
    """
    specs = specs_of(enrolments)
    facts = evidence_facts([(e.trainee_id, e.curriculum_id) for e in enrolments])
    result = {}
    for e in enrolments:
        mine = specs.get(e.curriculum_id, [])
        result[e.id] = (
            mine,
            tally(mine, facts.get((e.trainee_id, e.curriculum_id), [])),
        )
    return result


def recomputed_progress(enrolments: list[Enrolment]) -> dict[str, Progress]:
    """Progress computed from every evidence fact (the reference for the read model)."""
    return {
        enrolment_id: progress_from_tally(specs, counts)
        for enrolment_id, (specs, counts) in recompute_many(enrolments).items()
    }


def summary_rows(enrolment_ids: list[str]) -> dict[str, sa.Row]:
    """The maintained summaries' item counts and flag dates, by enrolment, in one
    query: for a caller that needs both (``standing``) to read them once."""
    from portfolio.enrolments.models import ProgressSummary

    if not enrolment_ids:
        return {}
    return {
        row.enrolment_id: row
        for row in db.session.execute(
            sa.select(
                ProgressSummary.enrolment_id,
                ProgressSummary.returned_items,
                ProgressSummary.draft_items,
                ProgressSummary.last_evidence_on,
                ProgressSummary.oldest_submitted_at,
                ProgressSummary.revision,
            ).where(ProgressSummary.enrolment_id.in_(enrolment_ids))
        )
    }


def stored_tallies(
    enrolment_ids: list[str], summaries: dict[str, sa.Row] | None = None
) -> dict[str, Tally]:
    """The maintained tallies of the enrolments that have a summary, in two queries
    (one when ``summaries``, from ``summary_rows``, are given)."""
    if not enrolment_ids:
        return {}
    if summaries is None:
        summaries = summary_rows(enrolment_ids)
    summaries = {i: summaries[i] for i in enrolment_ids if i in summaries}
    if not summaries:
        return {}
    outcomes: dict[str, dict[str, OutcomeTally]] = {i: {} for i in summaries}
    modules: dict[str, dict[str, dict[str, int]]] = {i: {} for i in summaries}
    # Plain column tuples, not ORM objects or named rows: a trainee has a row per
    # outcome they claimed (hundreds a page). Each row's counts is decoded afresh.
    c = ProgressOutcome.__table__.c
    rows: list[tuple[Any, ...]] = list(
        db.session.execute(
            sa.select(
                c.enrolment_id,
                c.code,
                c.scope,
                c.evidence_count,
                c.signed_count,
                c.submitted_count,
                c.returned_count,
                c.draft_count,
                c.signed_dates,
                c.signed_reflections,
                c.counts,
            ).where(c.enrolment_id.in_(list(summaries)))
        ).all()
    )
    for (
        enrolment_id,
        code,
        scope,
        evidence,
        signed,
        submitted,
        returned,
        drafts,
        signed_dates,
        signed_reflections,
        counts,
    ) in rows:
        if scope == "module":
            if counts:  # a module with nothing to count has no tally entry
                modules[enrolment_id][code] = counts
        else:
            outcomes[enrolment_id][code] = OutcomeTally(
                evidence,
                signed,
                submitted,
                returned,
                drafts,
                signed_dates,
                signed_reflections,
                counts or {},
            )
    return {
        i: Tally(outcomes[i], modules[i], row.returned_items, row.draft_items)
        for i, row in summaries.items()
    }


def module_figures_many(
    enrolment_ids: list[str],
) -> dict[str, dict[str, tuple[int, int]]]:
    """Each enrolment's modules as (done units, total units), from the maintained rows
    in one query: for pages that need module figures but not every outcome (the
    cohort's heat-map and STP standings). Enrolments without maintained rows are left
    out; use ``progress_many`` for them."""
    found: dict[str, dict[str, tuple[int, int]]] = {}
    if not enrolment_ids:
        return found
    for enrolment_id, code, done, total in db.session.execute(
        sa.select(
            ProgressOutcome.enrolment_id,
            ProgressOutcome.code,
            ProgressOutcome.signed_count,
            ProgressOutcome.evidence_count,
        ).where(
            ProgressOutcome.enrolment_id.in_(enrolment_ids),
            ProgressOutcome.scope == "module",
        )
    ):
        found.setdefault(enrolment_id, {})[code] = (done, total)
    return found


# Progress computed from an enrolment's maintained rows, kept per process for the same
# rows and curriculum version: keyed on the enrolment, its summary's ``revision`` (a new
# token with every change to those rows) and the curriculum's ``spec_cache.stamp``.
PROGRESS_CACHE = "progress_cache"
PROGRESS_CACHE_ENTRIES = 256  # enrolments per process


def _progress_cache() -> spec_cache.LruCache:
    return current_app.extensions.setdefault(
        PROGRESS_CACHE, spec_cache.LruCache(PROGRESS_CACHE_ENTRIES)
    )


def _progress_key(enrolment: Enrolment, summary: sa.Row | None) -> tuple | None:
    """What the enrolment's progress is cached under (None: not cacheable: no
    maintained rows or no revision yet, or an unknown curriculum version)."""
    revision = getattr(summary, "revision", None)
    version = spec_cache.stamp(enrolment.curriculum)
    if not revision or version is None:
        return None
    return (enrolment.id, revision, enrolment.curriculum_id, version)


def progress_many(
    enrolments: list[Enrolment], summaries: dict[str, sa.Row] | None = None
) -> dict[str, Progress]:
    """Progress for many enrolments from the maintained read model, in three queries.

    The work is the size of the curricula, not of the evidence: the rules
    (``engine.progress_from_tally``) run over the stored counts, and what they give
    is kept per process until the enrolment's rows or its curriculum change (a page
    asking again reads only the summary). Never writes; an enrolment without
    maintained rows (made before they existed) is computed in memory from its
    evidence, and ``flask progress rebuild`` fills such gaps.
    """
    if not enrolments:
        return {}
    if summaries is None:
        summaries = summary_rows([e.id for e in enrolments])
    # Outcomes written in this session and not committed: nothing from the cache.
    cache = None if spec_cache.outcomes_changed_here() else _progress_cache()
    keys = {e.id: _progress_key(e, summaries.get(e.id)) for e in enrolments}
    result: dict[str, Progress] = {}
    for e in enrolments:
        key = keys[e.id]
        hit = cache.get(key) if cache is not None and key is not None else None
        if hit is not None:
            result[e.id] = hit
    todo = [e for e in enrolments if e.id not in result]
    if todo:
        stored = stored_tallies([e.id for e in todo], summaries)
        specs = specs_of(todo)
        missing = [e for e in todo if e.id not in stored]
        fresh = recompute_many(missing) if missing else {}
        for e in todo:
            counts = stored[e.id] if e.id in stored else fresh[e.id][1]
            found = progress_from_tally(specs.get(e.curriculum_id, []), counts)
            result[e.id] = found
            key = keys[e.id]
            if cache is not None and key is not None and e.id in stored:
                cache.put(key, found)
    return {e.id: result[e.id] for e in enrolments}


def module_progress_many(
    enrolments: list[Enrolment], outcome_codes: dict[str, str] | None = None
) -> dict[str, Progress]:
    """Progress with module figures but without every outcome, in four queries.

    For pages over many enrolments that need only percent complete, each module's
    done and total units and, optionally, one outcome per curriculum
    (``outcome_codes``: curriculum id -> code, such as the STP's MSF slot): the
    figures the rules stored on write are read back, so nothing is computed per
    outcome. ``modules`` carry codes and units (titles and missing lines are left
    empty); ``outcomes`` holds only the asked-for outcome. Enrolments without
    maintained rows get full progress (``progress_many``).
    """
    from portfolio.enrolments.models import ProgressSummary

    if not enrolments:
        return {}
    ids = [e.id for e in enrolments]
    summaries = {
        row.enrolment_id: row
        for row in db.session.execute(
            sa.select(
                ProgressSummary.enrolment_id,
                ProgressSummary.percent_complete,
                ProgressSummary.done_units,
                ProgressSummary.total_units,
            ).where(ProgressSummary.enrolment_id.in_(ids))
        )
    }
    figures = module_figures_many(list(summaries))
    wanted = outcome_codes or {}
    specs = (
        specs_of([e for e in enrolments if e.curriculum_id in wanted]) if wanted else {}
    )
    tallies = outcome_tallies(list(summaries), sorted(set(wanted.values())))
    missing = [e for e in enrolments if e.id not in summaries]
    result = progress_many(missing) if missing else {}
    for e in enrolments:
        if e.id not in summaries:
            continue
        summary = summaries[e.id]
        modules = [
            ModuleProgress(code, "", percent(done, total), done, total, [], [])
            for code, (done, total) in figures.get(e.id, {}).items()
        ]
        outcomes = []
        code = wanted.get(e.curriculum_id)
        if code is not None:
            found = outcome_progress(
                specs.get(e.curriculum_id, []), code, tallies.get((e.id, code))
            )
            if found is not None:
                outcomes.append(found)
        result[e.id] = Progress(
            percent_complete=summary.percent_complete,
            outcomes=outcomes,
            modules=modules,
            next_actions=[],
            done_units=summary.done_units,
            total_units=summary.total_units,
        )
    return result


def percent_many(enrolments: list[Enrolment]) -> dict[str, float]:
    """Percent complete per enrolment from the maintained summaries (one query).

    Never writes: the rows are kept up to date by the services that change
    progress (``refresh_progress``, in their own transaction). An enrolment with no
    row yet (created before summaries existed) is computed here, in memory only;
    ``flask progress rebuild`` fills such gaps.
    """
    from portfolio.enrolments.models import ProgressSummary

    ids = [e.id for e in enrolments]
    rows = db.session.execute(
        sa.select(ProgressSummary.enrolment_id, ProgressSummary.percent_complete).where(
            ProgressSummary.enrolment_id.in_(ids)
        )
    )
    cached: dict[str, float] = {row[0]: row[1] for row in rows}
    missing = [e for e in enrolments if e.id not in cached]
    if missing:
        for enrolment_id, progress in recomputed_progress(missing).items():
            cached[enrolment_id] = progress.percent_complete
    return cached


@dataclass(frozen=True)
class FlagDates:
    """What the risk flags read about a trainee's evidence."""

    last_evidence_on: date | None
    oldest_submitted_at: datetime | None


def flag_dates_many(
    enrolments: list[Enrolment], summaries: dict[str, sa.Row] | None = None
) -> dict[str, FlagDates]:
    """The latest evidence date and oldest waiting request per enrolment, one query
    (none when ``summaries``, from ``summary_rows``, are given).

    From the maintained summaries; an enrolment without one is read from its evidence.
    """
    from portfolio.enrolments.models import ProgressSummary

    ids = [e.id for e in enrolments]
    rows = (
        [summaries[i] for i in ids if i in summaries]
        if summaries is not None
        else db.session.execute(
            sa.select(
                ProgressSummary.enrolment_id,
                ProgressSummary.last_evidence_on,
                ProgressSummary.oldest_submitted_at,
            ).where(ProgressSummary.enrolment_id.in_(ids or [""]))
        )
    )
    found = {
        row.enrolment_id: FlagDates(row.last_evidence_on, row.oldest_submitted_at)
        for row in rows
    }
    missing = [e for e in enrolments if e.id not in found]
    if missing:
        dates = _trainee_dates(sorted({e.trainee_id for e in missing}))
        for e in missing:
            found[e.id] = dates.get(e.trainee_id, FlagDates(None, None))
    return found


def _trainee_dates(trainee_ids: list[str]) -> dict[str, FlagDates]:
    last = dict(
        db.session.execute(
            sa.select(Evidence.owner_id, sa.func.max(Evidence.occurred_on))
            .where(Evidence.owner_id.in_(trainee_ids))
            .group_by(Evidence.owner_id)
        ).all()
    )
    oldest = dict(
        db.session.execute(
            sa.select(Evidence.owner_id, sa.func.min(Evidence.submitted_at))
            .where(Evidence.owner_id.in_(trainee_ids), Evidence.status == "submitted")
            .group_by(Evidence.owner_id)
        ).all()
    )
    return {t: FlagDates(last.get(t), oldest.get(t)) for t in trainee_ids}


# How many enrolments a refresh computes at a time (bounds memory on a rebuild).
REFRESH_CHUNK = 500

# Trainees whose evidence changed in this session's transaction and are not yet
# refreshed (filled by portfolio.progress.maintain's flush hook).
PENDING = "progress_pending_trainees"


def refresh_progress(
    trainee_id: str | None = None,
    enrolment_ids: list[str] | None = None,
    commit: bool = False,
    trainee_ids: list[str] | None = None,
) -> int:
    """Recompute and store the progress read model of one trainee's enrolments (or
    the given trainees' or enrolments', or all) inside the caller's transaction;
    returns how many enrolments.

    Only rows whose counts changed are written. Called by every change that moves
    progress (a sign-off or its withdrawal, a curriculum load, an import, a new
    enrolment); any other change to evidence, its status or its claims is caught by
    the flush hook in ``portfolio.progress.maintain``, which calls this before the
    transaction commits.
    """
    from portfolio.enrolments.models import ProgressSummary

    db.session.flush()  # the changes being counted, and the hook's marks for them
    pending: set[str] = db.session.info.setdefault(PENDING, set())
    if trainee_id is not None:
        trainee_ids = [*(trainee_ids or []), trainee_id]
    query = sa.select(Enrolment).order_by(Enrolment.id)
    if trainee_ids is not None:
        query = query.where(Enrolment.trainee_id.in_(sorted(set(trainee_ids))))
        pending.difference_update(trainee_ids)
    if enrolment_ids is not None:
        query = query.where(Enrolment.id.in_(enrolment_ids))
    if trainee_ids is None and enrolment_ids is None:
        pending.clear()
    done = 0
    last_id = ""
    while True:
        chunk = list(
            db.session.scalars(query.where(Enrolment.id > last_id).limit(REFRESH_CHUNK))
        )
        if not chunk:
            if commit:  # a rebuild on its own (the CLI)
                db.session.commit()
            return done
        ids = [e.id for e in chunk]
        fresh = recompute_many(chunk)
        dates = _trainee_dates(sorted({e.trainee_id for e in chunk}))
        summaries = {
            row.enrolment_id: row
            for row in db.session.scalars(
                sa.select(ProgressSummary).where(ProgressSummary.enrolment_id.in_(ids))
            )
        }
        rows: dict[str, dict[tuple[str, str], ProgressOutcome]] = {i: {} for i in ids}
        for row in db.session.scalars(
            sa.select(ProgressOutcome).where(ProgressOutcome.enrolment_id.in_(ids))
        ):
            rows[row.enrolment_id][(row.enrolment_id, row.code)] = row
        now = utcnow()
        new_rows: list[dict] = []
        new_summaries: list[dict] = []
        for e in chunk:
            specs, counts = fresh[e.id]
            progress = progress_from_tally(specs, counts)
            wanted = _rows_of(e.id, counts, progress)
            mine = rows[e.id]
            changed = False
            for key in set(mine) - set(wanted):
                db.session.delete(mine[key])
                changed = True
            for key, wanted_values in wanted.items():
                if key in mine:
                    changed = _assign(mine[key], wanted_values) or changed
                else:
                    new_rows.append(wanted_values)
                    changed = True
            flag = dates.get(e.trainee_id, FlagDates(None, None))
            values = {
                "percent_complete": progress.percent_complete,
                "done_units": progress.done_units,
                "total_units": progress.total_units,
                "returned_items": counts.returned_items,
                "draft_items": counts.draft_items,
                "last_evidence_on": flag.last_evidence_on,
                "oldest_submitted_at": flag.oldest_submitted_at,
            }
            summary = summaries.get(e.id)
            if summary is None:
                new_summaries.append(
                    {
                        "enrolment_id": e.id,
                        "computed_at": now,
                        "revision": new_revision(),
                        **values,
                    }
                )
                continue
            if _assign(summary, values):
                summary.computed_at = now
                changed = True
            if changed or summary.revision is None:
                summary.revision = new_revision()
        # New rows in two multi-row inserts (a rebuild writes a great many).
        if new_summaries:
            db.session.execute(sa.insert(ProgressSummary), new_summaries)
        if new_rows:
            db.session.execute(sa.insert(ProgressOutcome), new_rows)
        db.session.flush()
        pending.difference_update(e.trainee_id for e in chunk)
        done += len(chunk)
        last_id = chunk[-1].id


def _rows_of(
    enrolment_id: str, counts: Tally, progress: Progress
) -> dict[tuple[str, str], dict]:
    rows = {}
    for code, t in counts.outcomes.items():
        rows[(enrolment_id, code)] = {
            "enrolment_id": enrolment_id,
            "code": code,
            "scope": "outcome",
            "evidence_count": t.evidence,
            "signed_count": t.signed,
            "submitted_count": t.submitted,
            "returned_count": t.returned,
            "draft_count": t.drafts,
            "signed_dates": t.signed_dates,
            "signed_reflections": t.signed_reflections,
            "counts": dict(t.signed_kinds),
        }
    # Every module has a row: its assessment counts (what the rules read) and, kept
    # beside them for readers that need only module figures (the cohort's STP
    # standings and heat-map), its done and total units as the rules counted them.
    for m in progress.modules:
        rows[(enrolment_id, m.code)] = {
            "enrolment_id": enrolment_id,
            "code": m.code,
            "scope": "module",
            "evidence_count": m.total_units,
            "signed_count": m.done_units,
            "submitted_count": 0,
            "returned_count": 0,
            "draft_count": 0,
            "signed_dates": 0,
            "signed_reflections": 0,
            "counts": dict(counts.modules.get(m.code, {})),
        }
    return rows


def _assign(row, values: dict) -> bool:
    """Set only the attributes that differ (so an unchanged row is not written)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def progress_of(enrolment: Enrolment) -> Progress:
    return progress_many([enrolment])[enrolment.id]


def page_enrolment(actor, enrolment_id: str) -> Enrolment:
    """An enrolment ``actor`` may see (``policy.visible_enrolments``, as
    ``enrolments.services.get_enrolment``), loaded for its progress page: its
    supervisor assignments (who may sign what) without their users, and no
    roles of the people in it (the signed-in user's come with them)."""
    from portfolio import policy
    from portfolio.accounts.models import User
    from portfolio.enrolments.models import SupervisionAssignment
    from portfolio.rules import NotFound

    enrolment = db.session.scalar(
        policy.visible_enrolments(actor)
        .where(Enrolment.id == enrolment_id)
        .options(
            sa.orm.selectinload(Enrolment.supervisors).lazyload(
                SupervisionAssignment.supervisor
            ),
            sa.orm.joinedload(Enrolment.trainee).lazyload(User.roles),
        )
    )
    if enrolment is None:
        raise NotFound("No such enrolment.")
    return enrolment


# ---- off-the-job hours ---------------------------------------------------------------


@dataclass
class OtjEntry:
    evidence_id: str
    occurred_on: date
    activity: str
    hours: float
    status: str
    counted: bool
    note: str = ""


@dataclass
class OtjSummary:
    ruleset: str
    target_hours: float | None  # None: the figure is not confirmed (see target_needs)
    expected_to_date: float | None
    signed_off_hours: float
    pending_hours: float
    status: str  # green, amber, red; not_confirmed without a target
    entries: list[OtjEntry] = field(default_factory=list)
    target_basis: str = ""
    target_needs: str = ""
    ruleset_title: str = ""
    not_confirmed: tuple[str, ...] = ()

    @property
    def target_confirmed(self) -> bool:
        return self.target_hours is not None

    def to_dict(self) -> dict:
        return {
            "ruleset": self.ruleset,
            "ruleset_title": self.ruleset_title,
            "target_hours": self.target_hours,
            "target_confirmed": self.target_confirmed,
            "target_basis": self.target_basis,
            "target_needs": self.target_needs,
            "not_confirmed": list(self.not_confirmed),
            "expected_to_date": self.expected_to_date,
            "signed_off_hours": self.signed_off_hours,
            "pending_hours": self.pending_hours,
            "status": self.status,
            "entries": [
                e.__dict__ | {"occurred_on": e.occurred_on.isoformat()}
                for e in self.entries
            ],
        }


def otj_summary(enrolment: Enrolment, today: date) -> OtjSummary | None:
    """The OTJ ledger and its target for an apprenticeship (None otherwise).

    Only signed-off hours count towards the target; hours logged after the gateway
    are listed but never counted (the rules allow no OTJ after gateway).
    """
    if not rules_apply(enrolment):
        return None
    ruleset = apprenticeship.rules_for(enrolment.start_date)
    target = otj_target_of(enrolment, today)
    rows = db.session.scalars(
        sa.select(Evidence)
        .where(Evidence.owner_id == enrolment.trainee_id, Evidence.kind == "otj")
        .order_by(Evidence.occurred_on)
    ).all()
    entries, signed, pending = [], 0.0, 0.0
    for row in rows:
        hours = float((row.form or {}).get("hours") or 0)
        after_gateway = (
            enrolment.gateway_date is not None
            and row.occurred_on > enrolment.gateway_date
        )
        before_start = row.occurred_on < enrolment.start_date
        counted = row.status == "signed_off" and not after_gateway and not before_start
        note = (
            "after gateway: not counted"
            if after_gateway
            else "before the start: not counted"
            if before_start
            else ""
        )
        if counted:
            signed += hours
        elif row.status in ("draft", "submitted") and not after_gateway:
            pending += hours
        entries.append(
            OtjEntry(
                row.id,
                row.occurred_on,
                (row.form or {}).get("activity", row.title),
                hours,
                row.status,
                counted,
                note,
            )
        )
    expected, status = otj_expected_and_status(enrolment, target, signed, today)
    return OtjSummary(
        ruleset=ruleset.id,
        target_hours=target.hours,
        expected_to_date=expected,
        signed_off_hours=round(signed, 2),
        pending_hours=round(pending, 2),
        status=status,
        entries=entries,
        target_basis=target.basis,
        target_needs=target.needs,
        ruleset_title=ruleset.title,
        not_confirmed=ruleset.not_confirmed,
    )


# ---- reviews ----------------------------------------------------------------------------


def reviews_of(enrolment: Enrolment) -> list[ProgressReview]:
    return list(
        db.session.scalars(
            sa.select(ProgressReview)
            .where(ProgressReview.enrolment_id == enrolment.id)
            .order_by(ProgressReview.held_on)
        )
    )


def reviews_many(enrolments: list[Enrolment]) -> dict[str, list[ProgressReview]]:
    """Each enrolment's reviews, oldest first, in one query."""
    found: dict[str, list[ProgressReview]] = {}
    for review in db.session.scalars(
        sa.select(ProgressReview)
        .where(ProgressReview.enrolment_id.in_([e.id for e in enrolments] or [""]))
        .order_by(ProgressReview.held_on, ProgressReview.id)
    ):
        found.setdefault(review.enrolment_id, []).append(review)
    return found


def stp_review_due(start: date, last_review_on: date | None) -> date:
    """STP end-of-year reviews are recorded by 30 September each year (NSHCS).

    The next one is the first 30 September at least 11 months after the start or
    after the last review, so a September starter's first is due a year later.
    """
    anchor = last_review_on or start
    earliest = apprenticeship.add_months(anchor, 11)
    due = date(earliest.year, 9, 30)
    return due if due >= earliest else date(earliest.year + 1, 9, 30)


def next_review_due(
    enrolment: Enrolment, reviews: list[ProgressReview], today: date
) -> date:
    held = [r.held_on for r in reviews if r.complete]
    last = max(held) if held else None
    if is_apprenticeship(enrolment):
        ruleset = apprenticeship.rules_for(enrolment.start_date)
        return apprenticeship.next_review_due(
            ruleset, enrolment.start_date, last, today, breaks_of(enrolment, today)
        )
    return stp_review_due(enrolment.start_date, last)


def open_actions(reviews: list[ProgressReview]) -> list[dict]:
    """Actions from the latest complete review that are not done: carried forward."""
    complete = [r for r in reviews if r.complete]
    if not complete:
        return []
    latest = max(complete, key=lambda r: r.held_on)
    return [
        dict(a, carried_from=latest.id)
        for a in latest.actions or []
        if not a.get("done")
    ]


# ---- gateway ------------------------------------------------------------------------------


@dataclass
class Check:
    label: str
    met: bool
    detail: str = ""


def gateway_checklist(
    enrolment: Enrolment, progress: Progress, otj: OtjSummary | None
) -> list[Check]:
    """What the rules need before an apprentice goes through gateway, and what is missing."""
    ksb = [o for o in progress.outcomes if o.type in ("K", "S", "B")]
    missing_ksb = [o.code for o in ksb if o.status != "signed_off"]
    certificates = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Evidence)
        .where(
            Evidence.owner_id == enrolment.trainee_id,
            Evidence.kind == "certificate",
            Evidence.status == "signed_off",
        )
    ).scalar_one()
    if not rules_apply(enrolment):
        otj_check = Check(
            "Off-the-job training complete",
            False,
            f"England's apprenticeship funding rules do not apply in "
            f"{enrolment.organisation.nation}: follow that nation's own programme rules",
        )
    elif otj is None or otj.target_hours is None:
        otj_check = Check(
            "Off-the-job training complete",
            False,
            f"{otj.signed_off_hours:g} hours signed off; the minimum is not confirmed "
            f"(needs {otj.target_needs})"
            if otj
            else "",
        )
    else:
        otj_check = Check(
            "Off-the-job training complete",
            otj.signed_off_hours >= otj.target_hours,
            f"{otj.signed_off_hours:g} of {otj.target_hours:g} hours signed off",
        )
    checks = [
        otj_check,
        Check(
            "Every knowledge, skill and behaviour evidenced",
            bool(ksb) and not missing_ksb,
            f"{len(ksb) - len(missing_ksb)} of {len(ksb)} signed off"
            + (
                f"; still needed: {', '.join(missing_ksb[:8])}{'…' if len(missing_ksb) > 8 else ''}"
                if missing_ksb
                else ""
            ),
        ),
        Check(
            "Required qualifications recorded",
            certificates > 0,
            "a signed-off certificate is on file"
            if certificates
            else "record certificates as evidence and have them signed off",
        ),
        english_maths_check(enrolment, certificates > 0),
        Check(
            "Employer confirms the apprentice is ready",
            enrolment.employer_confirmed_at is not None,
            "confirmed"
            if enrolment.employer_confirmed_at
            else "waiting for the employer",
        ),
        Check(
            "Training provider confirms the apprentice is ready",
            enrolment.provider_confirmed_at is not None,
            "confirmed"
            if enrolment.provider_confirmed_at
            else "waiting for the provider",
        ),
    ]
    return checks


def english_maths_check(enrolment: Enrolment, certificate_on_file: bool) -> Check:
    """English and maths at gateway, by the apprentice's age on the day they started."""
    label = "English and maths"
    if not rules_apply(enrolment):
        return Check(
            label,
            False,
            f"England's rule does not apply in {enrolment.organisation.nation}: "
            "follow that nation's own programme rules",
        )
    on = enrolment.gateway_date or date.today()
    required = apprenticeship.english_maths_required(enrolment.age_at_start, on)
    if required is None:
        return Check(
            label,
            False,
            "not confirmed: record the apprentice's age at the start (required if 16 "
            "to 18, optional if 19 or over, from 11 February 2025)",
        )
    if not required:
        return Check(
            label,
            True,
            f"optional: the apprentice was {enrolment.age_at_start} at the start "
            "(aged 19 or over, from 11 February 2025)",
        )
    return Check(
        label,
        certificate_on_file,
        "required: record the English and maths certificates as evidence"
        + ("; a signed-off certificate is on file" if certificate_on_file else ""),
    )


# ---- at-risk flags ------------------------------------------------------------------------


def _is_stp(enrolment: Enrolment) -> bool:
    from portfolio.progress import stp_tracking

    return stp_tracking.is_stp(enrolment)


@dataclass
class Flag:
    code: str
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def risk_flags(
    enrolment: Enrolment,
    percent_complete: float,
    today: date,
    last_activity: date | None,
    oldest_request: date | None,
    otj: OtjSummary | None,
    review_due: date | None,
) -> list[Flag]:
    """Reasons to worry about an enrolment, each in plain words."""
    flags: list[Flag] = []
    if enrolment.status not in ("active",):
        return flags
    weeks = setting("RISK_NO_EVIDENCE_WEEKS")
    if last_activity is None:
        if (today - enrolment.start_date).days > weeks * 7:
            flags.append(
                Flag(
                    "no_evidence",
                    f"No evidence recorded since the start ({enrolment.start_date:%d %b %Y})",
                )
            )
    elif (today - last_activity).days > weeks * 7:
        flags.append(
            Flag(
                "no_evidence",
                f"No evidence for {(today - last_activity).days // 7} weeks",
            )
        )
    wait = setting("RISK_SIGNOFF_WAIT_DAYS")
    if oldest_request is not None and (today - oldest_request).days > wait:
        flags.append(
            Flag(
                "signoff_waiting",
                f"A sign-off request has waited {(today - oldest_request).days} days",
            )
        )
    if otj is not None and otj.status in ("amber", "red"):
        flags.append(
            Flag(
                "otj_behind",
                f"Off-the-job hours behind: {otj.signed_off_hours:g} signed off, {otj.expected_to_date:g} expected by now ({otj.status})",
            )
        )
    # An STP trainee's reviews are the NSHCS review of progression, flagged by its
    # own rules (stp_review.flags): one flag for the one fact, not this one as well.
    if review_due is not None and today > review_due and not _is_stp(enrolment):
        flags.append(
            Flag(
                "review_overdue", f"Progress review overdue since {review_due:%d %b %Y}"
            )
        )
    end = adjusted_end(enrolment, today)
    near, low = setting("RISK_END_NEAR_DAYS"), setting("RISK_END_NEAR_PERCENT")
    if 0 <= (end - today).days <= near and percent_complete < low:
        flags.append(
            Flag(
                "end_near",
                f"Expected end {end:%d %b %Y} is near with {percent_complete:g}% complete",
            )
        )
    return flags


@dataclass
class Standing:
    enrolment: Enrolment
    progress: Progress
    otj: OtjSummary | None
    reviews: list[ProgressReview]
    review_due: date | None
    gateway: list[Check] | None
    flags: list[Flag]
    adjusted_end: date
    # STP enrolments: the review of progression and completion (stp_tracking).
    stp: object | None = None


def standing(enrolment: Enrolment, today: date | None = None) -> Standing:
    """Everything the dashboard and the progress API show about one enrolment."""
    return standings([enrolment], today)[0]


def standings(enrolments: list[Enrolment], today: date | None = None) -> list[Standing]:
    """``standing`` of each enrolment, in a number of queries that does not depend
    on how many there are (an apprenticeship in England adds its off-the-job ledger
    and its gateway's certificates)."""
    from portfolio.progress import stp_tracking

    today = today or date.today()
    if not enrolments:
        return []
    summaries = summary_rows([e.id for e in enrolments])  # for progress and flags
    progress_by_id = progress_many(enrolments, summaries)
    dates_by_id = flag_dates_many(enrolments, summaries)
    reviews_by_id = reviews_many(enrolments)
    stp_by_id = stp_tracking.standings(enrolments, progress_by_id, today, reviews_by_id)
    found = []
    for enrolment in enrolments:
        progress = progress_by_id[enrolment.id]
        otj = otj_summary(enrolment, today)
        reviews = reviews_by_id.get(enrolment.id, [])
        due = next_review_due(enrolment, reviews, today)
        dates = dates_by_id[enrolment.id]
        last, oldest = dates.last_evidence_on, dates.oldest_submitted_at
        flags = risk_flags(
            enrolment,
            progress.percent_complete,
            today,
            last,
            oldest.date() if oldest else None,
            otj,
            due,
        )
        gateway = (
            gateway_checklist(enrolment, progress, otj)
            if is_apprenticeship(enrolment)
            else None
        )
        stp = stp_by_id.get(enrolment.id)
        if stp is not None:
            flags += [Flag(f.code, f.message) for f in stp.flags]
            # One date for one fact: an STP trainee's next review is the NSHCS
            # review-of-progression point (stp_review), not a generic review.
            current = getattr(stp, "current", None)
            due = getattr(current, "due", None) or due
        found.append(
            Standing(
                enrolment,
                progress,
                otj,
                reviews,
                due,
                gateway,
                flags,
                adjusted_end(enrolment, today),
                stp,
            )
        )
    return found
