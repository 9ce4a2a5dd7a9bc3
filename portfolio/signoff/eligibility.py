"""Who may sign what: the rules a curriculum states in ``programme.assessment``.

    programme:
      assessment:
        signers: {ETA: [training_officer, assessor], dops: [assessor, external]}
        ticket_countersign: true
        msf_min_raters: 12

``signers`` maps an outcome type (ETA, DTA, ...) or an evidence kind (dops, ...) to
the supervisor roles that may sign it off; ``external`` is an assessor without an
account, by emailed link. A curriculum that says nothing lets any current
supervisor, or an external assessor, sign. ``ticket_countersign`` asks the trainee's
training officer to countersign what an external assessor completed before it
counts. Every refusal says, in words, which rule refused and whose it is.
"""

from dataclasses import dataclass

from flask import current_app

from portfolio.enrolments.models import SUPERVISOR_ROLE_LABELS
from portfolio.evidence.models import Evidence

EXTERNAL = "external"
LABELS = {**SUPERVISOR_ROLE_LABELS, EXTERNAL: "assessor by emailed link"}


def _assessment(curriculum) -> dict:
    return (curriculum.programme or {}).get("assessment") or {}


@dataclass(frozen=True)
class Requirement:
    curriculum: str
    what: str  # "ETA S-RP-S1-3" or "a DOPS"
    roles: tuple[str, ...]


def requirements(evidence: Evidence) -> list[Requirement]:
    """The signing rules of every outcome the item claims, and of its kind."""
    found: list[Requirement] = []
    for claim in evidence.claims:
        outcome = claim.outcome
        signers = _assessment(outcome.curriculum).get("signers") or {}
        title = outcome.curriculum.title
        if outcome.type in signers:
            found.append(
                Requirement(
                    title,
                    f"{outcome.type} {outcome.code}",
                    tuple(signers[outcome.type]),
                )
            )
        if evidence.kind in signers:
            found.append(
                Requirement(
                    title, f"a {evidence.kind.upper()}", tuple(signers[evidence.kind])
                )
            )
    return list(dict.fromkeys(found))


def _words(roles) -> str:
    names = [LABELS.get(r, r).lower() for r in roles if r != EXTERNAL]
    if EXTERNAL in roles:
        names.append("an assessor by emailed link")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def refusal(evidence: Evidence, roles: set[str]) -> str | None:
    """Why someone holding ``roles`` (supervisor roles for this trainee, or
    ``{"external"}``) may not sign ``evidence`` off; None when they may."""
    for rule in requirements(evidence):
        if roles & set(rule.roles):
            continue
        allowed = f"{rule.curriculum} says only the trainee's {_words(rule.roles)} may sign off {rule.what}"
        if roles == {EXTERNAL}:
            return f"{allowed}, so it cannot go to an assessor by emailed link."
        held = _words(sorted(roles)) if roles else "not one of their supervisors"
        return f"{allowed}; the person chosen is their {held}."
    return None


def countersign_required(evidence: Evidence) -> bool:
    """Whether a curriculum it is claimed against wants ticket-completed
    assessments countersigned by the training officer."""
    return any(
        _assessment(c.outcome.curriculum).get("ticket_countersign")
        for c in evidence.claims
    )


def msf_min_raters(curriculum) -> int:
    return int(
        _assessment(curriculum).get("msf_min_raters")
        or current_app.config["MSF_MIN_RATERS"]
    )
