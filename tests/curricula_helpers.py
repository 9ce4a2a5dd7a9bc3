"""Helpers for tests that need curricula in the database."""

from portfolio import PROJECT_ROOT
from portfolio.curriculum import services

CURRICULA = PROJECT_ROOT / "curricula"
# A small, self-consistent subset: one STP specialty with what it includes, GSP, and
# its crosswalk, so tests load in a fraction of the full set's time.
SUBSET = [
    CURRICULA / "frameworks" / "gsp.yaml",
    CURRICULA / "frameworks" / "hcpc-sop-cs.yaml",
    CURRICULA / "stp" / "core.yaml",
    CURRICULA / "stp" / "rotations-mp.yaml",
    CURRICULA / "stp" / "rp.yaml",
    CURRICULA / "crosswalks" / "stp-rp-gsp.yaml",
    CURRICULA / "crosswalks" / "stp-core-gsp.yaml",
    CURRICULA / "apprenticeships" / "st0218.yaml",
    CURRICULA / "frameworks" / "ai-dht.yaml",
]


def load_subset(app):
    with app.app_context():
        return services.load_paths(SUBSET)


def load_all(app):
    with app.app_context():
        return services.load_paths(None)
