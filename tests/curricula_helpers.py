"""Helpers for tests that need curricula in the database."""

from functools import cache

from portfolio import PROJECT_ROOT
from portfolio.curriculum import files
from portfolio.curriculum import services

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


def load_subset(app):
    with app.app_context():
        return services.load_parsed(_validated(SUBSET))


def load_all(app):
    with app.app_context():
        return services.load_parsed(_validated(None))
