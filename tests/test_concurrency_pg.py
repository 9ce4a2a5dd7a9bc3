"""Races on real PostgreSQL: one decision wins, and the audit chain stays a line."""

import threading

import pytest

from portfolio.audit import services as audit
from tests.world import REFLECTION
from tests.world import As

pytestmark = pytest.mark.postgres


def run_together(functions):
    """Start every function at the same instant; return their results in order."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        barrier.wait()
        results[index] = function()

    threads = [
        threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_decisions_at_once_one_wins(app, world):
    client = app.test_client()
    evidence = (
        As(client, world, "trainee")
        .post("/api/v1/evidence", json=REFLECTION)
        .get_json()
    )
    path = f"/api/v1/evidence/{evidence['id']}"
    As(client, world, "trainee").post(
        f"{path}/submit", json={"assessor": world.supervisor}
    )

    def decide(choice):
        def call():
            own_client = app.test_client()
            body = {
                "decision": choice,
                "comment": "Needs more" if choice == "return" else "Fine",
            }
            return (
                As(own_client, world, "supervisor")
                .post(f"{path}/decision", json=body)
                .status_code
            )

        return call

    for _ in range(3):  # several rounds: the race is real, so run it more than once
        statuses = run_together([decide("approve"), decide("return")])
        assert sorted(statuses) == [200, 409], statuses
        final = As(client, world, "trainee").get(path).get_json()
        decided = [s for s in final["signoffs"] if s["superseded_at"] is None]
        assert final["status"] in ("signed_off", "returned")
        if final["status"] == "signed_off":
            As(client, world, "lead").post(
                f"{path}/unlock", json={"reason": "race test"}
            )
        As(client, world, "trainee").post(
            f"{path}/submit", json={"assessor": world.supervisor}
        )
        assert decided
    with app.app_context():
        assert audit.verify().ok


def test_many_writers_keep_the_chain_linear(app, world):
    def create(index):
        def call():
            own_client = app.test_client()
            payload = {**REFLECTION, "title": f"Parallel {index}"}
            return (
                As(own_client, world, "trainee")
                .post("/api/v1/evidence", json=payload)
                .status_code
            )

        return call

    statuses = run_together([create(i) for i in range(8)])
    assert statuses == [201] * 8
    with app.app_context():
        result = audit.verify()
        assert result.ok, result
        assert result.events >= 8
