"""Import every model so that one metadata holds the whole schema (for Alembic)."""

from portfolio.accounts.models import ApiToken
from portfolio.accounts.models import RoleAssignment
from portfolio.accounts.models import User
from portfolio.notifications.models import OutboxEmail
from portfolio.organisations.models import Organisation

__all__ = ["ApiToken", "Organisation", "OutboxEmail", "RoleAssignment", "User"]
