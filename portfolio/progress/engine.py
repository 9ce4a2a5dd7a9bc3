"""Progress through a curriculum: what is done, what is missing and why.

Plain functions over dataclasses (no database, no web), so the web pages, the API, the
benchmark and the tests all give the same answer. The rules, as a trainee would read
them:

1. What is counted. Progress is measured over the outcomes you are signed off against:
   training activities (ETA, DTA, OTA), assessment slots (such as an MSF round),
   knowledge, skills and behaviours (K, S, B), statements, standards, scopes and
   competencies. Headings are not counted themselves: modules, learning outcomes,
   duties, domains, sub-domains and groups. An outcome that has other outcomes below
   it is treated as a heading too, whatever its type.
2. Retired outcomes (and everything below a retired outcome) are left out, so they
   never show as missing. If you already have signed-off evidence against one, it
   stays in your progress and counts as done.
3. Only signed-off evidence counts towards completion. Drafts, items waiting for
   sign-off and items returned with feedback are shown so you can see what is
   pending, but they do not complete anything.
4. An outcome is signed off when its signed-off evidence meets every rule it has:
   - at least `min_items` items (1 when the outcome sets no number; an outcome is
     never complete without at least one signed-off item);
   - items on at least `distinct_dates` different dates;
   - at least `reflections` items that are reflections;
   - when `kinds` is given, the `min_items` items must be of those kinds.
   Reflections count as items too: an ETA that needs 2 items on 2 dates and 2
   reflections is met by 2 reflections written on 2 different days.
   It is in progress when any evidence (any status) is claimed against it but the rules
   are not met yet, and not started when nothing is claimed against it.
5. A module's work-based assessments (DOPS, OCE, CBD, MSF) are counted from signed-off
   evidence of that kind claimed against the module or any outcome below it; an item
   claimed against several outcomes in one module counts once. DOPS are used first for
   the DOPS requirement and OCEs for the OCE requirement; only the DOPS and OCEs left
   over then count towards "DOPS or OCE".
6. Percent complete is done units divided by total units, to one decimal place. A unit
   is one counted outcome, or one required assessment (a module that needs 3 CBDs has 3
   CBD units). A module's percentage covers its own outcomes and assessments; the
   curriculum's covers everything, including counted outcomes outside any module. A
   curriculum with nothing to count is 0% complete.
7. "Missing" explains, in plain sentences, what each unfinished outcome or module still
   needs; the numbers add up (an ETA with nothing yet "needs 2 more reflections signed
   off" and "needs evidence on 2 different dates"; a "more items" line means items on
   top of the reflections asked for).
8. Next actions, in order: act on returned items, ask for sign-off of drafts (any draft
   claimed against the curriculum), then the three unfinished outcomes closest to
   completion (or, if nothing is under way yet, the first outcome to start), then the
   first two modules' assessments still needed. At most five.
"""

from collections import OrderedDict
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from threading import Lock
from typing import Any

from portfolio.curriculum.types import COUNTABLE_TYPES
from portfolio.evidence import types as evidence_types

# The kinds that count as assessments (the WBAs and MSF).
ASSESSMENT_KINDS = evidence_types.ASSESSMENT_KINDS
SIGNED_OFF = "signed_off"
SUBMITTED = "submitted"
RETURNED = "returned"
DRAFT = "draft"
MAX_NEXT_ACTIONS = 5
MAX_CLOSEST_OUTCOMES = 3
MAX_MODULE_ACTIONS = 2

# (singular, plural) as shown to trainees
KIND_LABELS = evidence_types.WORDS
ORDINALS = ("first", "second", "third", "fourth", "fifth")


@dataclass(frozen=True)
class OutcomeSpec:
    code: str
    title: str
    type: str
    parent: str | None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    assessments: Mapping[str, int] = field(default_factory=dict)
    retired: bool = False


@dataclass(frozen=True)
class EvidenceFact:
    id: str
    kind: str
    occurred_on: date
    status: str
    outcome_codes: frozenset[str]


@dataclass(frozen=True)
class OutcomeTally:
    """The counts the rules need about one countable outcome's claimed evidence.

    These are what the maintained read model stores per enrolment and outcome
    (``progress_outcome``); the rules below turn them into a status and missing lines.
    """

    evidence: int = 0  # items claimed, any status
    signed: int = 0
    submitted: int = 0  # waiting for sign-off
    returned: int = 0
    drafts: int = 0
    signed_dates: int = 0  # distinct dates of the signed-off items
    signed_reflections: int = 0
    signed_kinds: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Tally:
    """Everything the rules need about one enrolment's evidence, without the items.

    ``outcomes``: per countable outcome code with any claim; ``modules``: per module
    with assessment requirements, the distinct assessments in its subtree counted by
    ``"kind:status"``; ``returned_items`` and ``draft_items``: distinct items claimed
    anywhere in the curriculum (for the next actions).
    """

    outcomes: Mapping[str, OutcomeTally] = field(default_factory=dict)
    modules: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    returned_items: int = 0
    draft_items: int = 0


@dataclass(frozen=True)
class OutcomeProgress:
    code: str
    title: str
    type: str
    parent: str | None
    status: str
    evidence_count: int
    signed_off_count: int
    pending_count: int
    missing: list[str]
    # how far from done, for ranking next actions; 0 when signed off
    shortfall: int = 0
    draft_count: int = 0
    returned_count: int = 0


@dataclass(frozen=True)
class ModuleProgress:
    code: str
    title: str
    percent_complete: float
    done_units: int
    total_units: int
    missing: list[str]
    outcome_codes: list[str]


@dataclass(frozen=True)
class Progress:
    percent_complete: float
    outcomes: list[OutcomeProgress]
    modules: list[ModuleProgress]
    next_actions: list[str]
    done_units: int = 0
    total_units: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape used by the API."""
        return {
            "percent_complete": self.percent_complete,
            "outcomes": [
                {
                    "code": o.code,
                    "status": o.status,
                    "evidence_count": o.evidence_count,
                    "missing": list(o.missing),
                }
                for o in self.outcomes
            ],
            "modules": [
                {
                    "code": m.code,
                    "title": m.title,
                    "percent_complete": m.percent_complete,
                    "done_units": m.done_units,
                    "total_units": m.total_units,
                    "missing": list(m.missing),
                    "outcome_codes": list(m.outcome_codes),
                }
                for m in self.modules
            ],
        }


def percent(done: int, total: int) -> float:
    """Return done/total as a percentage to one decimal place (0 when total is 0)."""
    return round(100.0 * done / total, 1) if total else 0.0


def _plural(n: int, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _kind_label(kind: str, n: int) -> str:
    singular, plural = KIND_LABELS.get(kind, (kind, kind + "s"))
    return _plural(n, singular, plural)


def _status_lines(submitted: int, returned: int, drafts: int, noun: str) -> list[str]:
    lines = []
    if submitted:
        verb = _plural(submitted, "is", "are")
        lines.append(
            f"{submitted} {_plural(submitted, noun, noun + 's')} {verb} "
            "waiting for sign-off"
        )
    if returned:
        verb = _plural(returned, "was", "were")
        lines.append(
            f"{returned} {_plural(returned, noun, noun + 's')} {verb} "
            "returned with feedback"
        )
    if drafts:
        verb = _plural(drafts, "has", "have")
        lines.append(
            f"{drafts} draft {_plural(drafts, noun, noun + 's')} {verb} "
            "not been sent for sign-off"
        )
    return lines


def _dates_line(have: int, need: int) -> str:
    if have == 0:
        return f"needs evidence on {need} different dates"
    short = need - have
    if short == 1 and have < len(ORDINALS):
        return f"needs evidence on a {ORDINALS[have]} date"
    return f"needs evidence on {short} more {_plural(short, 'date', 'dates')}"


def _items_line(short: int, kinds: tuple[str, ...]) -> str:
    if len(kinds) == 1:
        return f"needs {short} more {_kind_label(kinds[0], short)} signed off"
    noun = _plural(short, "item", "items")
    if not kinds:
        return f"needs {short} more {noun} signed off"
    labels = [KIND_LABELS.get(k, (k, k))[0] for k in kinds]
    listed = ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"needs {short} more {noun} signed off ({listed})"


def outcome_tally(facts: list[EvidenceFact]) -> OutcomeTally:
    """Count one outcome's claimed evidence the way the rules read it."""
    signed = [f for f in facts if f.status == SIGNED_OFF]
    kinds: dict[str, int] = defaultdict(int)
    for f in signed:
        kinds[f.kind] += 1
    return OutcomeTally(
        evidence=len(facts),
        signed=len(signed),
        submitted=sum(1 for f in facts if f.status == SUBMITTED),
        returned=sum(1 for f in facts if f.status == RETURNED),
        drafts=sum(1 for f in facts if f.status == DRAFT),
        signed_dates=len({f.occurred_on for f in signed}),
        signed_reflections=kinds.get("reflection", 0),
        signed_kinds=dict(kinds),
    )


def _assess_outcome(
    spec: OutcomeSpec, t: OutcomeTally, retired: bool
) -> OutcomeProgress:
    rules = spec.evidence or {}
    kinds = tuple(rules.get("kinds") or ())
    need_items = max(int(rules.get("min_items", 1)), 1)
    need_dates = int(rules.get("distinct_dates", 0))
    need_reflections = int(rules.get("reflections", 0))

    submitted, returned, drafts = t.submitted, t.returned, t.drafts
    have_items = (
        sum(t.signed_kinds.get(k, 0) for k in set(kinds)) if kinds else t.signed
    )
    have_dates = t.signed_dates
    have_reflections = t.signed_reflections

    item_short = max(need_items - have_items, 0)
    date_short = max(need_dates - have_dates, 0)
    reflection_short = max(need_reflections - have_reflections, 0)
    # Reflections also count as items when they are an accepted kind, so only the
    # items needed on top of the missing reflections are reported.
    if kinds == ("reflection",):
        reflection_short = max(reflection_short, item_short)
        extra_items = 0
    elif not kinds or "reflection" in kinds:
        extra_items = max(item_short - reflection_short, 0)
    else:
        extra_items = item_short
    shortfall = max(extra_items + reflection_short, date_short)

    if (retired and t.signed) or shortfall == 0:
        status = SIGNED_OFF
        missing: list[str] = []
        shortfall = 0
    else:
        status = "in_progress" if t.evidence else "not_started"
        missing = []
        if extra_items:
            missing.append(_items_line(extra_items, kinds))
        if date_short and not (have_dates == 0 and need_dates == 1):
            missing.append(_dates_line(have_dates, need_dates))
        if reflection_short:
            missing.append(
                f"needs {reflection_short} more "
                f"{_kind_label('reflection', reflection_short)} signed off"
            )
        missing += _status_lines(submitted, returned, drafts, "item")

    return OutcomeProgress(
        code=spec.code,
        title=spec.title,
        type=spec.type,
        parent=spec.parent,
        status=status,
        evidence_count=t.evidence,
        signed_off_count=t.signed,
        pending_count=submitted,
        missing=missing,
        shortfall=shortfall,
        draft_count=drafts,
        returned_count=returned,
    )


def assessment_counts(facts: Iterable[EvidenceFact]) -> dict[str, int]:
    """Distinct assessments by ``"kind:status"`` (what a module's requirements read)."""
    counts: dict[str, int] = defaultdict(int)
    for f in facts:
        if f.kind in ASSESSMENT_KINDS and f.status in (
            SIGNED_OFF,
            SUBMITTED,
            DRAFT,
            RETURNED,
        ):
            counts[f"{f.kind}:{f.status}"] += 1
    return dict(counts)


def _assess_assessments(
    requirements: Mapping[str, int], counts: Mapping[str, int]
) -> tuple[int, int, list[str]]:
    """Return (done units, total units, missing lines) for module WBA counts."""
    need = {
        k: int(requirements.get(k, 0) or 0)
        for k in ("dops", "oce", "dops_or_oce", "cbd", "msf")
    }
    total = sum(need.values())
    if not total:
        return 0, 0, []
    signed: dict[str, int] = defaultdict(int)
    submitted: dict[str, int] = defaultdict(int)
    drafts: dict[str, int] = defaultdict(int)
    returned: dict[str, int] = defaultdict(int)
    by_status = {
        SIGNED_OFF: signed,
        SUBMITTED: submitted,
        DRAFT: drafts,
        RETURNED: returned,
    }
    for key, n in counts.items():
        kind, _, status = key.partition(":")
        if kind in ASSESSMENT_KINDS and status in by_status:
            by_status[status][kind] += n

    got = {k: min(signed[k], need[k]) for k in ("dops", "oce", "cbd", "msf")}
    spare = signed["dops"] - got["dops"] + signed["oce"] - got["oce"]
    got["dops_or_oce"] = min(spare, need["dops_or_oce"])

    labels = {
        "dops": ("DOPS", "DOPS"),
        "oce": ("OCE", "OCEs"),
        "dops_or_oce": ("DOPS or OCE", "DOPS or OCEs"),
        "cbd": ("CBD", "CBDs"),
        "msf": ("MSF", "MSFs"),
    }
    missing = []
    short_kinds: set[str] = set()
    for key in ("dops", "oce", "dops_or_oce", "cbd", "msf"):
        short = need[key] - got[key]
        if short > 0:
            missing.append(
                f"needs {short} more {_plural(short, *labels[key])} signed off"
            )
            short_kinds.update(("dops", "oce") if key == "dops_or_oce" else (key,))
    if missing:
        missing += _status_lines(
            sum(submitted[k] for k in short_kinds),
            sum(returned[k] for k in short_kinds),
            sum(drafts[k] for k in short_kinds),
            "assessment",
        )
    return sum(got.values()), total, missing


def _tree_order(specs: list[OutcomeSpec]) -> list[tuple[OutcomeSpec, int]]:
    """Return (spec, depth) in depth-first order, children in the order given."""
    known = {s.code for s in specs}
    children: dict[str, list[OutcomeSpec]] = defaultdict(list)
    roots = []
    for spec in specs:
        if spec.parent is not None and spec.parent in known:
            children[spec.parent].append(spec)
        else:
            roots.append(spec)
    ordered: list[tuple[OutcomeSpec, int]] = []
    stack = [(spec, 0) for spec in reversed(roots)]
    seen: set[str] = set()
    while stack:
        spec, depth = stack.pop()
        if spec.code in seen:
            continue
        seen.add(spec.code)
        ordered.append((spec, depth))
        stack.extend((child, depth + 1) for child in reversed(children[spec.code]))
    return ordered


# The layout depends only on the specs, and pages pass the same spec objects for a
# curriculum version on every request (``portfolio.curriculum.spec_cache``), so it is
# kept here keyed by the specs' identities. An entry holds its specs, so no id in its
# key can be reused while it is kept; callers only read the layout.
_LAYOUTS: OrderedDict[tuple[int, ...], tuple[tuple[OutcomeSpec, ...], tuple]] = (
    OrderedDict()
)
_LAYOUTS_LOCK = Lock()
MAX_LAYOUTS = 64


def _layout(specs: list[OutcomeSpec]):
    """The tree in depth-first order, each node's subtree end and retired flag
    (computed once for the same spec objects; the result is read, never changed)."""
    key = tuple(map(id, specs))
    with _LAYOUTS_LOCK:
        entry = _LAYOUTS.get(key)
        if entry is not None:
            _LAYOUTS.move_to_end(key)
            return entry[1]
    found = _compute_layout(specs)
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = (tuple(specs), found)
        while len(_LAYOUTS) > MAX_LAYOUTS:
            _LAYOUTS.popitem(last=False)
    return found


def _compute_layout(specs: list[OutcomeSpec]):
    ordered = _tree_order(specs)
    n = len(ordered)
    position = {spec.code: i for i, (spec, _) in enumerate(ordered)}

    # In depth-first order a node's subtree is the run of following nodes that are
    # deeper than it, so subtree_end gives every module its outcomes without a search.
    subtree_end = [n] * n
    open_nodes: list[int] = []
    for i, (_, depth) in enumerate(ordered):
        while open_nodes and ordered[open_nodes[-1]][1] >= depth:
            subtree_end[open_nodes.pop()] = i
        open_nodes.append(i)

    retired = [False] * n
    for i, (spec, _) in enumerate(ordered):
        parent = position.get(spec.parent) if spec.parent is not None else None
        retired[i] = spec.retired or (parent is not None and retired[parent])
    return ordered, position, subtree_end, retired


def _counted(spec: OutcomeSpec, i: int, subtree_end: list[int]) -> bool:
    return subtree_end[i] == i + 1 and spec.type in COUNTABLE_TYPES


def tally(outcomes: Iterable[OutcomeSpec], evidence: Iterable[EvidenceFact]) -> Tally:
    """Count one enrolment's evidence against its curriculum (what the read model keeps)."""
    ordered, position, subtree_end, retired = _layout(list(outcomes))
    claims: list[list[EvidenceFact]] = [[] for _ in ordered]
    for fact in evidence:
        for code in fact.outcome_codes:
            at = position.get(code)
            if at is not None:
                claims[at].append(fact)
    outcome_tallies = {
        spec.code: outcome_tally(claims[i])
        for i, (spec, _) in enumerate(ordered)
        if claims[i] and _counted(spec, i, subtree_end)
    }
    modules: dict[str, dict[str, int]] = {}
    for i, (spec, _) in enumerate(ordered):
        if spec.type != "module" or retired[i] or not spec.assessments:
            continue
        facts = {f.id: f for c in claims[i : subtree_end[i]] for f in c}
        counts = assessment_counts(facts.values())
        if counts:
            modules[spec.code] = counts
    returned = {f.id for c in claims for f in c if f.status == RETURNED}
    drafts = {f.id for c in claims for f in c if f.status == DRAFT}
    return Tally(outcome_tallies, modules, len(returned), len(drafts))


NOTHING = OutcomeTally()


def progress_from_tally(outcomes: Iterable[OutcomeSpec], counts: Tally) -> Progress:
    """Apply the rules to an enrolment's tally: the single definition of progress."""
    ordered, position, subtree_end, retired = _layout(list(outcomes))
    n = len(ordered)
    results: list[OutcomeProgress | None] = [None] * n
    for i, (spec, _) in enumerate(ordered):
        if not _counted(spec, i, subtree_end):
            continue
        t = counts.outcomes.get(spec.code, NOTHING)
        if retired[i] and not t.signed:
            continue
        results[i] = _assess_outcome(spec, t, retired[i])

    modules: list[ModuleProgress] = []
    module_actions: list[str] = []
    done_total = sum(1 for r in results if r and r.status == SIGNED_OFF)
    units_total = sum(1 for r in results if r)
    for i, (spec, _) in enumerate(ordered):
        if spec.type != "module" or retired[i]:
            continue
        inside = [r for r in results[i : subtree_end[i]] if r]
        wba_done, wba_total = 0, 0
        missing: list[str] = []
        if spec.assessments:
            wba_done, wba_total, missing = _assess_assessments(
                spec.assessments, counts.modules.get(spec.code, {})
            )
        done = sum(1 for r in inside if r.status == SIGNED_OFF) + wba_done
        total = len(inside) + wba_total
        done_total += wba_done
        units_total += wba_total
        modules.append(
            ModuleProgress(
                code=spec.code,
                title=spec.title,
                percent_complete=percent(done, total),
                done_units=done,
                total_units=total,
                missing=missing,
                outcome_codes=[r.code for r in inside],
            )
        )
        needs = [line for line in missing if line.startswith("needs ")]
        if needs:
            module_actions.append(f"{spec.code}: {'; '.join(needs)}")

    counted = [r for r in results if r]
    return Progress(
        percent_complete=percent(done_total, units_total),
        outcomes=counted,
        modules=modules,
        next_actions=_next_actions(
            counted, counts.returned_items, counts.draft_items, module_actions
        ),
        done_units=done_total,
        total_units=units_total,
    )


def outcome_progress(
    outcomes: Iterable[OutcomeSpec], code: str, counts: OutcomeTally | None
) -> OutcomeProgress | None:
    """One outcome's progress from its tally, by the same rules (None when it is not
    counted: a heading, or retired with nothing signed off)."""
    ordered, position, subtree_end, retired = _layout(list(outcomes))
    i = position.get(code)
    if i is None or not _counted(ordered[i][0], i, subtree_end):
        return None
    t = counts or NOTHING
    if retired[i] and not t.signed:
        return None
    return _assess_outcome(ordered[i][0], t, retired[i])


def compute_progress(
    outcomes: Iterable[OutcomeSpec], evidence: Iterable[EvidenceFact]
) -> Progress:
    """Work out progress, missing evidence and next actions for one curriculum."""
    specs = list(outcomes)
    return progress_from_tally(specs, tally(specs, evidence))


def _next_actions(
    counted: list[OutcomeProgress],
    returned: int,
    drafts: int,
    module_actions: list[str],
) -> list[str]:
    actions = []
    if returned == 1:
        actions.append(
            "Act on the feedback on 1 returned item and send it back for sign-off"
        )
    elif returned:
        actions.append(
            f"Act on the feedback on {returned} returned items and send them "
            "back for sign-off"
        )
    if drafts:
        n = drafts
        actions.append(f"Ask for sign-off of {n} draft {_plural(n, 'item', 'items')}")
    started = [r for r in counted if r.status == "in_progress"]
    started.sort(key=lambda r: r.shortfall)  # stable: ties keep tree order
    for r in started[:MAX_CLOSEST_OUTCOMES]:
        needs = [line for line in r.missing if line.startswith("needs ")]
        actions.append(f"{r.code}: {'; '.join(needs)}")
    if not started:
        first = next((r for r in counted if r.status == "not_started"), None)
        if first is not None:
            actions.append(f"Start {first.code}: {first.title}")
    actions += module_actions[:MAX_MODULE_ACTIONS]
    return actions[:MAX_NEXT_ACTIONS]
