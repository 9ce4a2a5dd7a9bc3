"""Helpers for tests that need curricula in the database."""

from functools import cache

from portfolio.curriculum import files
from portfolio.curriculum import services
from portfolio.paths import PROJECT_ROOT
from tests.helpers.snapshots import restore_or_build

CURRICULA = PROJECT_ROOT / "curricula"
# A small, self-consistent subset: one STP specialty with what it includes, GSP, and
# its crosswalk, so tests load in a fraction of the full set's time.
SUBSET = (
    CURRICULA / "frameworks" / "gsp.yaml",
    CURRICULA / "frameworks" / "hcpc-sop-cs.yaml",
    CURRICULA / "stp" / "core.yaml",
    CURRICULA / "stp" / "rotations-mp.yaml",
    CURRICULA / "stp" / "rp.yaml",
    CURRICULA / "crosswalks" / "stp-rp-gsp.yaml",
    CURRICULA / "crosswalks" / "stp-core-gsp.yaml",
    CURRICULA / "apprenticeships" / "st0218.yaml",
    CURRICULA / "frameworks" / "ai-dht.yaml",
)


@cache
def _validated(paths: tuple | None):
    # Parsing and schema validation are the slow part and never change between tests:
    # do them once (the loader's own tests exercise validation itself).
    found = files.discover(list(paths) if paths else None)
    parsed, errors = files.read_files(found)
    assert not errors, errors
    return parsed


def _load(app, paths):
    with app.app_context():
        return services.load_parsed(_validated(paths))


def load_subset(app):
    # Into a clean database, a copy of the rows the first load wrote (see snapshots).
    return restore_or_build(app, "curricula-subset", lambda: _load(app, SUBSET))


def load_all(app):
    return restore_or_build(app, "curricula-all", lambda: _load(app, None))
