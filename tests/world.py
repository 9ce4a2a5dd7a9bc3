"""The workflow tests' shared fixtures: ``world``, ``as_``, ``people``, ``as_user``.

The helpers themselves live in tests/helpers/ (imported here too, so the old
``from tests.world import ...`` lines keep working).
"""

import pytest

from tests.helpers.api import As
from tests.helpers.api import sign_off  # noqa: F401
from tests.helpers.people import build_people
from tests.helpers.people import signer
from tests.helpers.world import REFLECTION  # noqa: F401
from tests.helpers.world import World  # noqa: F401
from tests.helpers.world import build_world


@pytest.fixture
def world(app, factory):
    return build_world(app, factory)


@pytest.fixture
def as_(client, world):
    """Call the API as one of the world's people: ``as_("trainee").get(path)``."""
    return lambda who: As(client, world, who)


@pytest.fixture
def people(app, factory):
    """The web tests' people (tests/helpers/people.py), enrolled."""
    return build_people(app, factory)


@pytest.fixture
def as_user(client):
    """Sign the client in as an email: ``as_user(people.aisha)``."""
    return signer(client)
