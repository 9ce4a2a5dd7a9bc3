"""JSON API v1: bearer-token auth, problem details, pagination, OpenAPI.

Every API endpoint lives in this package (one module per feature); the blueprint
and shared helpers are in :mod:`portfolio.api.base`.
"""

from portfolio.api import capacity  # noqa: F401  (registers the routes)
from portfolio.api import core  # noqa: F401
from portfolio.api import curricula  # noqa: F401
from portfolio.api import docs_core  # noqa: F401
from portfolio.api import exports  # noqa: F401
from portfolio.api import msf  # noqa: F401
from portfolio.api import registration  # noqa: F401
from portfolio.api import service  # noqa: F401
from portfolio.api import stp  # noqa: F401
from portfolio.api import training  # noqa: F401
from portfolio.api import users  # noqa: F401
from portfolio.api.base import bp

__all__ = ["bp"]
