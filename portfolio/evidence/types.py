"""The kinds of evidence, once: names, labels, and what each kind is.

A plain module (no database, no Flask), shared by the models (the column's check),
the forms and pages (labels), the evidence rules (``portfolio/evidence/kinds.py``:
each kind's questions) and the pure progress engine (``portfolio/progress/
engine.py``: which kinds count as assessments). Adding a kind starts here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class EvidenceKind:
    name: str
    # On forms and pages.
    label: str
    # In sentences shown to trainees ("2 more DOPS", "1 more reflection").
    singular: str
    plural: str
    # A work-based assessment the assessor completes (ratings, judgement).
    wba: bool = False
    # Counts towards a module's assessment requirements in progress.
    assessment: bool = False
    # Made by the app from collated answers (an MSF round), never typed in.
    collated: bool = False


KINDS = {
    kind.name: kind
    for kind in (
        EvidenceKind("reflection", "Reflection", "reflection", "reflections"),
        EvidenceKind(
            "dops",
            "DOPS: direct observation of practical skills",
            "DOPS",
            "DOPS",
            wba=True,
            assessment=True,
        ),
        EvidenceKind("oce", "OCE: observed clinical event", "OCE", "OCEs", True, True),
        EvidenceKind("cbd", "CBD: case-based discussion", "CBD", "CBDs", True, True),
        EvidenceKind(
            "msf",
            "Multi-source feedback",
            "MSF",
            "MSFs",
            assessment=True,
            collated=True,
        ),
        EvidenceKind(
            "training_activity",
            "Training activity record",
            "training activity record",
            "training activity records",
        ),
        EvidenceKind("document", "Document", "document", "documents"),
        EvidenceKind("certificate", "Certificate", "certificate", "certificates"),
        EvidenceKind(
            "otj", "Off-the-job training hours", "off-the-job log", "off-the-job logs"
        ),
    )
}
NAMES = tuple(KINDS)
LABELS = {name: kind.label for name, kind in KINDS.items()}
# (singular, plural) as shown to trainees.
WORDS = {name: (kind.singular, kind.plural) for name, kind in KINDS.items()}
# What a trainee records themselves (everything but collated MSF results).
RECORDABLE = tuple(name for name, kind in KINDS.items() if not kind.collated)
# Assessed by an assessor on their own form (DOPS, OCE, CBD).
WBA_KINDS = tuple(name for name, kind in KINDS.items() if kind.wba)
# Counted as assessments by progress (the WBAs and MSF).
ASSESSMENT_KINDS = tuple(name for name, kind in KINDS.items() if kind.assessment)
