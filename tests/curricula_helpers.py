"""Kept for the modules that import from here: the helpers live in tests/helpers/."""

from tests.helpers.curricula import CURRICULA  # noqa: F401
from tests.helpers.curricula import SUBSET  # noqa: F401
from tests.helpers.curricula import load_all  # noqa: F401
from tests.helpers.curricula import load_subset  # noqa: F401
