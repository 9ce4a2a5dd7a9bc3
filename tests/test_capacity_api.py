"""POST /api/v1/capacity/projection, as API.md and docs/capacity-projection.md say."""

import pytest

PATH = "/api/v1/capacity/projection"
PUBLISHED = {
    "start_year": 2025,
    "gap": 900,
    "schedule": [
        {"from_year": 2025, "extra_places_per_year": 15},
        {"from_year": 2028, "extra_places_per_year": 33},
    ],
}


@pytest.fixture
def caller(api, factory):
    return api(factory.user("trainee"))


def problem_fields(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 422 and body["title"] and body["detail"]
    return {error["field"]: error["message"] for error in body["errors"]}


@pytest.mark.parametrize("role", ["trainee", "supervisor", "training_lead", "admin"])
def test_published_scenario_for_any_user(api, factory, role):
    caller = api(factory.user(role, org=None if role == "admin" else "RBV"))
    response = caller.post(PATH, json=PUBLISHED)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["closes_in_year"], body["years_to_close"]) == (2053, 29)
    assert len(body["series"]) == 60
    assert body["series"][0] == {
        "year": 2025,
        "added": 15,
        "cumulative": 15,
        "gap": 885,
    }
    assert body["series"][28] == {
        "year": 2053,
        "added": 33,
        "cumulative": 903,
        "gap": -3,
    }


def test_optional_fields_and_rounding(caller):
    body = caller.post(
        PATH,
        json={
            **PUBLISHED,
            "training_years": 3,
            "completion_rate": 0.9,
            "leaver_rate": None,
            "horizon_years": 5,
        },
    ).get_json()
    assert [p["added"] for p in body["series"]] == [0, 0, 0, 13.5, 13.5]
    assert body["closes_in_year"] is None and body["years_to_close"] is None
    thirds = caller.post(
        PATH,
        json={
            "start_year": 2025,
            "gap": 1,
            "schedule": [{"from_year": 2025, "extra_places_per_year": 1 / 3}],
            "horizon_years": 1,
        },
    ).get_json()
    assert thirds["series"][0] == {
        "year": 2025,
        "added": 0.33,
        "cumulative": 0.33,
        "gap": 0.67,
    }


def test_negative_numbers_are_field_errors(caller):
    fields = problem_fields(
        caller.post(
            PATH,
            json={
                "start_year": 2025,
                "gap": -900,
                "schedule": [{"from_year": 2025, "extra_places_per_year": -15}],
                "baseline_places_per_year": -1,
                "training_years": -3,
            },
        )
    )
    assert fields == {
        "gap": "gap must not be negative",
        "schedule[0].extra_places_per_year": (
            "schedule[0].extra_places_per_year must not be negative"
        ),
        "baseline_places_per_year": "baseline_places_per_year must not be negative",
        "training_years": "training_years must not be negative",
    }


def test_out_of_order_schedule(caller):
    fields = problem_fields(
        caller.post(
            PATH,
            json={
                **PUBLISHED,
                "schedule": [
                    {"from_year": 2028, "extra_places_per_year": 33},
                    {"from_year": 2025, "extra_places_per_year": 15},
                ],
            },
        )
    )
    assert list(fields) == ["schedule[1].from_year"]
    assert "later than the step before it (2028)" in fields["schedule[1].from_year"]
    before = problem_fields(
        caller.post(
            PATH,
            json={
                **PUBLISHED,
                "schedule": [{"from_year": 2020, "extra_places_per_year": 15}],
            },
        )
    )
    assert "must not be before start_year (2025)" in before["schedule[0].from_year"]


def test_rates_outside_0_to_1(caller):
    fields = problem_fields(
        caller.post(
            PATH,
            json={
                **PUBLISHED,
                "completion_rate": 1.5,
                "leaver_rate": -0.1,
                "demand_growth": 2,
            },
        )
    )
    assert fields["completion_rate"] == "completion_rate must be between 0 and 1"
    assert fields["leaver_rate"] == "leaver_rate must be between 0 and 1"
    assert fields["demand_growth"].startswith("demand_growth must be between -1 and 1")
    assert len(fields) == 3


def test_wrong_types_missing_and_unknown_fields(caller):
    fields = problem_fields(
        caller.post(
            PATH,
            json={
                "gap": "900",
                "schedule": "2025: 15",
                "horizon_years": 20.5,
                "colour": "blue",
            },
        )
    )
    assert fields == {
        "start_year": "start_year is required",
        "gap": "gap must be a number",
        "schedule": "schedule must be a list of steps",
        "horizon_years": "horizon_years must be a whole number",
        "colour": "colour is not a known field",
    }


def test_sizes_that_cannot_be_projected_are_422_not_500(caller):
    fields = problem_fields(
        caller.post(
            PATH,
            json={
                "start_year": 2025,
                "gap": 1e308,
                "schedule": [],
                "demand_growth": 1,
                "horizon_years": 200,
            },
        )
    )
    assert "too large" in fields["gap"]
    steps = [{"from_year": 1900 + i, "extra_places_per_year": 1} for i in range(400)]
    fields = problem_fields(
        caller.post(PATH, json={"start_year": 1900, "gap": 1, "schedule": steps})
    )
    assert "at most 301 steps" in fields["schedule"]


@pytest.mark.parametrize(
    "body",
    ['{"start_year": 2025,', "not json", "[1, 2]", '"text"', ""],
)
def test_malformed_json_is_400(caller, body):
    response = caller.post(PATH, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "JSON" in response.get_json()["detail"]


def test_no_token_is_401(client):
    assert client.post(PATH, json=PUBLISHED).status_code == 401


def test_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/capacity/projection"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "422", "429"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["start_year", "gap", "schedule"]
    assert body["properties"]["completion_rate"]["default"] == 1.0
    assert body["properties"]["horizon_years"]["default"] == 60
    result = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(result["properties"]) == {"closes_in_year", "years_to_close", "series"}
