"""The OpenAPI document is one a client generator and a linter accept, and the
API validates request bodies against the schemas it publishes."""

import json
import os
import subprocess

import pytest

from portfolio.api.openapi import CHOICE_MAX
from portfolio.evidence.models import TITLE_MAX
from portfolio.paths import PROJECT_ROOT
from tests.helpers.api import As
from tests.helpers.world import REFLECTION

REDOCLY = PROJECT_ROOT / "node_modules" / ".bin" / "redocly"
METHODS = {"get", "put", "post", "patch", "delete"}


def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def schemas(node, where="$"):
    """Every schema-like object in the document, with where it is."""
    if isinstance(node, dict):
        if "type" in node or "properties" in node or "items" in node:
            yield where, node
        for key, value in node.items():
            yield from schemas(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from schemas(value, f"{where}[{index}]")


def types_of(node: dict) -> set:
    kind = node.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def test_every_array_has_items_and_every_object_lists_required(client):
    found = list(schemas(document(client)["paths"]))
    found += list(schemas(document(client)["components"]["schemas"]))
    assert len(found) > 100
    no_items = [w for w, s in found if "array" in types_of(s) and "items" not in s]
    no_required = [w for w, s in found if s.get("properties") and "required" not in s]
    unknown = [
        w for w, s in found if set(s.get("required", [])) - set(s.get("properties", {}))
    ]
    assert no_items == []
    assert no_required == []
    assert unknown == [], "required names a field the object does not have"


def test_every_operation_has_a_unique_operation_id_and_its_errors(client):
    spec = document(client)
    operations = [
        (f"{method.upper()} {path}", op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]
    ids = [op.get("operationId") for _, op in operations]
    assert [name for name, op in operations if not op.get("operationId")] == []
    assert len(ids) == len(set(ids)), "operationIds repeat"
    assert {"me", "listEvidence", "createEvidence", "getEvidence", "submit"} <= set(ids)
    problem = "#/components/responses/Problem"
    for name, op in operations:
        codes = {int(code) for code in op["responses"]}
        assert any(200 <= code < 300 for code in codes), name
        assert any(400 <= code < 500 for code in codes), name
        for code in codes - set(range(200, 300)):
            assert op["responses"][str(code)] == {"$ref": problem}, name
        if op.get("security") != []:
            assert 401 in codes, name
        if "requestBody" in op:
            assert {400, 422} <= codes, name
    fields = spec["components"]["schemas"]["Problem"]
    assert fields["required"] == ["type", "title", "status", "detail"]
    assert fields["properties"]["errors"]["items"]["required"] == ["field", "message"]


def test_every_api_route_is_documented_once(app, client):
    spec = document(client)
    documented = {
        (path, method) for path, item in spec["paths"].items() for method in item
    }
    from portfolio.api.openapi import openapi_path

    routed = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented


def test_the_document_passes_the_redocly_recommended_rules(client, tmp_path):
    assert REDOCLY.exists(), "node_modules missing: npm ci --ignore-scripts"
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document(client)))
    report = tmp_path / "report.json"
    result = subprocess.run(
        [
            str(REDOCLY),
            "lint",
            "--extends=recommended",
            "--format=json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            **os.environ,
            "REDOCLY_TELEMETRY": "off",
            "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        },
        cwd=tmp_path,
    )
    report.write_text(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = json.loads(result.stdout)
    assert found["totals"]["errors"] == 0, found["problems"]
    assert found["totals"]["warnings"] == 0, [p["message"] for p in found["problems"]]


def problems(response) -> dict:
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body) >= {"type", "title", "status", "detail", "errors"}
    return {e["field"]: e["message"] for e in body["errors"]}


def test_a_body_that_breaks_its_schema_gets_every_field_in_plain_words(client, world):
    trainee = As(client, world, "trainee")
    response = trainee.post(
        "/api/v1/evidence",
        json={
            "title": 5,
            "occurred_on": "14 March",
            "colour": "blue",
            "claims": [{"curriculum": "stp-rp"}, "S1.1"],
            "body": None,  # null is the same as leaving it out
        },
    )
    assert problems(response) == {
        "title": "title must be a string",
        "kind": "kind is required",
        "occurred_on": "Use a date like 2026-09-01",
        "colour": "Unknown field 'colour'",
        "claims[0].code": "claims[0].code is required",
        "claims[1]": "claims[1] must be an object",
    }
    assert response.get_json()["detail"] == "Some of the answers need fixing."


def test_one_problem_is_the_detail_and_limits_are_the_pages(client, world):
    trainee = As(client, world, "trainee")
    long = trainee.post(
        "/api/v1/evidence", json={**REFLECTION, "title": "x" * (TITLE_MAX + 1)}
    )
    message = f"title must be {TITLE_MAX:,} characters or fewer"
    assert problems(long) == {"title": message}
    assert long.get_json()["detail"] == message
    made = trainee.post("/api/v1/evidence", json=REFLECTION)
    assert made.status_code == 201
    decision = As(client, world, "supervisor").post(
        f"/api/v1/evidence/{made.get_json()['id']}/decision",
        json={"decision": "maybe", "form": {"declaration": "yes"}},
    )
    assert problems(decision) == {
        "decision": "decision must be approve or return",
        "form.declaration": "form.declaration must be true or false",
    }
    gateway = As(client, world, "lead").post(
        f"/api/v1/enrolments/{world.enrolment_id}/gateway",
        json={"party": "x" * (CHOICE_MAX + 1)},
    )
    assert problems(gateway)["party"] == (
        f"party must be {CHOICE_MAX:,} characters or fewer"
    )


def test_each_enrolment_supervisor_is_checked_in_its_own_shape(client, world):
    response = As(client, world, "lead").post(
        "/api/v1/enrolments",
        json={
            "trainee": world.other_trainee,
            "curriculum": "ai-dht",
            "organisation": "RBV",
            "start_date": "2025-09-01",
            "expected_end_date": "2028-08-31",
            "contracted_hours_per_week": "37",
            "supervisors": [
                world.supervisor,
                {"role": "assessor", "end_date": "soon"},
                7,
            ],
        },
    )
    assert problems(response) == {
        "contracted_hours_per_week": "contracted_hours_per_week must be a number",
        "supervisors[1].person": "supervisors[1].person is required",
        "supervisors[1].end_date": "Use a date like 2026-09-01",
        "supervisors[2]": "supervisors[2] must be a string or an object",
    }


@pytest.mark.parametrize(
    "path",
    ["/api/v1/exports", "/api/v1/verify", "/api/v1/evidence"],
)
def test_the_published_body_schema_is_the_one_enforced(client, world, path):
    spec = document(client)
    schema = spec["paths"][path.removeprefix("/api/v1")]["post"]["requestBody"]
    schema = schema["content"]["application/json"]["schema"]
    response = As(client, world, "trainee").post(path, json={})
    assert schema["additionalProperties"] is False
    assert set(problems(response)) == set(schema["required"])
