"""Import every model so that one metadata holds the whole schema (for Alembic)."""

from portfolio.accounts.models import ApiToken
from portfolio.accounts.models import RoleAssignment
from portfolio.accounts.models import User
from portfolio.curriculum.models import CrosswalkFile
from portfolio.curriculum.models import CrosswalkLink
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.notifications.models import OutboxEmail
from portfolio.organisations.models import Organisation

__all__ = [
    "ApiToken",
    "CrosswalkFile",
    "CrosswalkLink",
    "Curriculum",
    "Organisation",
    "Outcome",
    "OutboxEmail",
    "RoleAssignment",
    "User",
]
