"""The curriculum kinds, once: their labels and what each can be.

The curriculum JSON Schema (curricula/schema/curriculum.schema.json) lists the same
names in its ``kind`` enum; tests/test_curricula_files.py checks the two agree.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CurriculumKind:
    name: str
    label: str
    # A programme a trainee is enrolled on (a component is part of one).
    enrollable: bool = True
    # Cross-cutting frameworks that run beside a programme, not a route into
    # the workforce (left out of capacity pipelines).
    extension: bool = False


KINDS = {
    kind.name: kind
    for kind in (
        CurriculumKind("stp", "Scientist Training Programme"),
        CurriculumKind(
            "stp-component", "STP shared modules", enrollable=False, extension=True
        ),
        CurriculumKind("apprenticeship", "Healthcare science apprenticeships"),
        CurriculumKind("digital", "Digital, data and AI", extension=True),
        CurriculumKind("sustainability", "Sustainability", extension=True),
        CurriculumKind(
            "registration-standard", "Registration standards", extension=True
        ),
        CurriculumKind("clinical-technologist", "Clinical technologists"),
        CurriculumKind("other", "Other"),
    )
}
LABELS = {name: kind.label for name, kind in KINDS.items()}
EXTENSIONS = tuple(name for name, kind in KINDS.items() if kind.extension)


def is_enrollable(name: str) -> bool:
    kind = KINDS.get(name)
    return kind.enrollable if kind else True
