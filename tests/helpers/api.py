"""Calling the API as one of the world's people, and getting evidence signed off."""


class As:
    """Call the API as one of the world's people: ``As(client, world, "trainee")``.

    The ``as_`` fixture makes these: ``as_("trainee").post(...)``.
    """

    def __init__(self, client, world, who):
        self.client = client
        self.headers = {"Authorization": f"Bearer {world.tokens[who]}"}

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, headers=self.headers, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(path, headers=self.headers, json=json, **kw)


def sign_off(as_, world, payload, assessor="supervisor") -> str:
    """Record evidence as the trainee, submit it to ``assessor``, who approves it.

    ``as_`` is the ``as_`` fixture (``as_("trainee")`` is an ``As``); returns the
    evidence id.
    """
    evidence = as_("trainee").post("/api/v1/evidence", json=payload)
    assert evidence.status_code == 201, evidence.get_json()
    path = f"/api/v1/evidence/{evidence.get_json()['id']}"
    submitted = as_("trainee").post(
        f"{path}/submit", json={"assessor": getattr(world, assessor)}
    )
    assert submitted.status_code == 200, submitted.get_json()
    decided = as_(assessor).post(
        f"{path}/decision", json={"decision": "approve", "comment": "Well evidenced"}
    )
    assert decided.status_code == 200, decided.get_json()
    return evidence.get_json()["id"]
