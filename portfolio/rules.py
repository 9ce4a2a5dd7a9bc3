"""The errors that rules raise: each carries the HTTP status that fits it.

Services raise these; the web views turn them into form errors or flash messages,
the API into problem documents, the CLI into messages. A rule's wording lives
with the rule, once.
"""


class RuleError(Exception):
    status = 400

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class NotFound(RuleError):
    status = 404


class Forbidden(RuleError):
    status = 403


class Conflict(RuleError):
    status = 409


class Invalid(RuleError):
    """Input breaks a rule; ``errors`` is ``[{field, message}]``."""

    status = 422

    @classmethod
    def field(cls, field: str, message: str) -> "Invalid":
        return cls(message, [{"field": field, "message": message}])


class FieldErrors:
    """Collects field errors so every problem is reported at once."""

    def __init__(self):
        self.errors: list[dict] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def raise_if_any(self, summary: str = "Some of the answers need fixing.") -> None:
        if self.errors:
            raise Invalid(
                summary if len(self.errors) > 1 else self.errors[0]["message"],
                self.errors,
            )
