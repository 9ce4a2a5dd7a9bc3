"""Outcome types, shared by the database models and the plain progress engine."""

# The types that are units of progress: leaves a trainee gets signed off against.
COUNTABLE_TYPES = frozenset(
    {
        "ETA",
        "DTA",
        "OTA",
        "assessment",
        "K",
        "S",
        "B",
        "statement",
        "competency",
        "standard",
        "scope",
    }
)
