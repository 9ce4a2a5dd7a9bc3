"""The evidence form's outcome picker as a tree: curriculum > module > outcomes.

Each countable outcome can be ticked and says how far the trainee has got with it
(from the maintained progress read model, ``progress.models.ProgressOutcome``):
how many items claim it and how many of them are signed off. Headings (modules,
groups) only hold the tree; they are never ticked.
"""

from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa

from portfolio.curriculum import services as curricula
from portfolio.curriculum.models import Outcome
from portfolio.curriculum.presenters import build_tree
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.services import enrolled_curricula
from portfolio.extensions import db
from portfolio.progress.models import ProgressOutcome


@dataclass
class PickerNode:
    code: str
    title: str
    value: str  # "<curriculum slug>:<code>", what the claims field carries
    provenance: str | None
    countable: bool
    uid: str  # the checkbox's id, unique on the page
    search_text: str  # what the search matches: code, title, description (lower case)
    checked: bool = False
    evidence: int = 0  # items claiming it (any status)
    signed: int = 0  # of those, signed off
    children: list["PickerNode"] = field(default_factory=list)

    @property
    def has_checked(self) -> bool:
        """Ticked itself or somewhere below (its heading opens to show it)."""
        return self.checked or any(c.has_checked for c in self.children)


@dataclass
class PickerCurriculum:
    slug: str
    title: str
    nodes: list[PickerNode]

    @property
    def has_checked(self) -> bool:
        return any(n.has_checked for n in self.nodes)


@dataclass
class PickerTree:
    curricula: list[PickerCurriculum]
    values: set[str]  # every tickable value in the tree


def _counts(owner_id: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(curriculum id, code) -> (items claiming it, signed off) for the owner."""
    rows = db.session.execute(
        sa.select(
            Enrolment.curriculum_id,
            ProgressOutcome.code,
            ProgressOutcome.evidence_count,
            ProgressOutcome.signed_count,
        )
        .join(Enrolment, Enrolment.id == ProgressOutcome.enrolment_id)
        .where(
            Enrolment.trainee_id == owner_id,
            Enrolment.status != "withdrawn",
            ProgressOutcome.scope == "outcome",
        )
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def outcome_tree(owner_id: str, chosen: set[str]) -> PickerTree:
    """The owner's enrolled curricula as trees, ticked where ``chosen`` says."""
    counts = _counts(owner_id)
    values: set[str] = set()
    ids = iter(range(1, 1_000_000))

    def convert(slug: str, node) -> PickerNode:
        outcome: Outcome = node.outcome
        value = f"{slug}:{outcome.code}"
        evidence, signed = counts.get((outcome.curriculum_id, outcome.code), (0, 0))
        item = PickerNode(
            code=outcome.code,
            title=outcome.title,
            value=value,
            provenance=outcome.provenance,
            countable=outcome.countable,
            uid=f"tree-{next(ids)}",
            search_text=outcome.search_text
            or f"{outcome.code} {outcome.title}".lower(),
            checked=outcome.countable and value in chosen,
            evidence=evidence,
            signed=signed,
            children=[convert(slug, child) for child in node.children],
        )
        if item.countable:
            values.add(value)
        return item

    result = []
    for slug, curriculum in sorted(
        enrolled_curricula(owner_id).items(), key=lambda kv: kv[1].title
    ):
        outcomes = curricula.outcomes_of(curriculum, include_retired=False)
        nodes = [convert(slug, n) for n in build_tree(outcomes)]
        result.append(PickerCurriculum(slug, curriculum.title, nodes))
    return PickerTree(result, values)
