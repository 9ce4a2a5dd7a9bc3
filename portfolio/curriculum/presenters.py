"""Plain-words descriptions of curricula for pages and exports."""

from dataclasses import dataclass
from dataclasses import field

from portfolio.curriculum import kinds as curriculum_kinds
from portfolio.curriculum.models import Outcome

KIND_LABELS = curriculum_kinds.LABELS
TYPE_LABELS = {
    "ETA": "Entrustable training activity",
    "DTA": "Developmental training activity",
    "OTA": "Observational training activity",
    "K": "Knowledge",
    "S": "Skill",
    "B": "Behaviour",
    "learning_outcome": "Learning outcome",
}
ASSESSMENT_LABELS = {
    "dops": "DOPS",
    "oce": "OCE",
    "dops_or_oce": "DOPS or OCE",
    "cbd": "CBD",
    "msf": "multi-source feedback",
}


@dataclass
class TreeNode:
    outcome: Outcome
    children: list["TreeNode"] = field(default_factory=list)


def build_tree(outcomes: list[Outcome]) -> list[TreeNode]:
    """Nest live outcomes under their parents, keeping file order."""
    nodes = {o.code: TreeNode(o) for o in outcomes if not o.retired}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = (
            nodes.get(node.outcome.parent_code) if node.outcome.parent_code else None
        )
        (parent.children if parent else roots).append(node)
    return roots


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def describe_rules(outcome: Outcome) -> list[str]:
    """What sign-off needs for this outcome, in plain words."""
    lines = []
    rules = outcome.evidence_rules or {}
    if rules.get("min_items"):
        kinds = rules.get("kinds")
        what = (
            " or ".join(
                k.upper() if len(k) <= 4 else k.replace("_", " ") for k in kinds
            )
            if kinds
            else "evidence"
        )
        lines.append(
            f"At least {plural(rules['min_items'], 'item')} of {what} signed off"
        )
    if rules.get("distinct_dates", 0) > 1:
        lines.append(
            f"Evidence from at least {rules['distinct_dates']} different dates"
        )
    if rules.get("reflections"):
        lines.append(
            f"At least {plural(rules['reflections'], 'reflection')} signed off"
        )
    for key, count in (outcome.assessments or {}).items():
        if count:
            lines.append(
                f"{count} {ASSESSMENT_LABELS.get(key, key)} signed off for the module"
            )
    if not lines and outcome.countable:
        lines.append("At least 1 item of evidence signed off")
    return lines


# How an item proposed by this installation is marked wherever it is named (pages,
# the outcome picker, PDFs), so no trainee mistakes it for a published requirement.
PROPOSAL_NOTE = "proposed by this installation, not part of the published curriculum"


def picker_title(outcome: Outcome) -> str:
    """An outcome's title as the evidence outcome picker shows it."""
    if outcome.provenance == "proposal":
        return f"{outcome.title} (Proposal: {PROPOSAL_NOTE})"
    return outcome.title
