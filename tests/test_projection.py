"""The workforce-capacity projection: hand-checked years and input validation."""

import math

import pytest

from portfolio.capacity.projection import DEFAULTS
from portfolio.capacity.projection import ProjectionError
from portfolio.capacity.projection import Scenario
from portfolio.capacity.projection import ScheduleStep
from portfolio.capacity.projection import parse_scenario
from portfolio.capacity.projection import places_commissioned
from portfolio.capacity.projection import project

PUBLISHED = {
    "start_year": 2025,
    "gap": 900,
    "schedule": [
        {"from_year": 2025, "extra_places_per_year": 15},
        {"from_year": 2028, "extra_places_per_year": 33},
    ],
}


def run(**body):
    return project(parse_scenario(body))


def steps(*pairs):
    return [{"from_year": y, "extra_places_per_year": p} for y, p in pairs]


def fields(body) -> list[str]:
    with pytest.raises(ProjectionError) as caught:
        parse_scenario(body)
    return [error["field"] for error in caught.value.errors]


def messages(body) -> dict[str, str]:
    with pytest.raises(ProjectionError) as caught:
        parse_scenario(body)
    return {error["field"]: error["message"] for error in caught.value.errors}


def test_plain_accumulation():
    result = run(start_year=2025, gap=100, schedule=steps((2025, 10)))
    # +10 a year from 2025: cumulative 10n at the end of year 2024 + n, gap 100 - 10n.
    # 100 - 10n <= 0 first at n = 10, i.e. 2034, the 10th year (2025 is year 1).
    assert (result.closes_in_year, result.years_to_close) == (2034, 10)
    first, closing = result.series[0], result.series[9]
    assert (first.year, first.added, first.cumulative, first.gap) == (2025, 10, 10, 90)
    assert (closing.year, closing.cumulative, closing.gap) == (2034, 100, 0)
    # Default horizon is 60 years: 2025..2084; 600 added by then, gap 100 - 600.
    assert len(result.series) == 60
    assert (result.series[-1].year, result.series[-1].gap) == (2084, -500)


def test_published_scenario_closes_in_2053():
    result = project(parse_scenario(PUBLISHED))
    # 15 a year in 2025-2027: cumulative 15, 30, 45.  From 2028, 33 a year:
    # cumulative 45 + 33k at the end of 2027 + k.  45 + 33k >= 900 needs
    # k >= 855 / 33 = 25.9, so k = 26: 2053, cumulative 45 + 858 = 903, gap -3.
    # In 2052 (k = 25) cumulative is 45 + 825 = 870, gap 30.
    # years_to_close = 2053 - 2025 + 1 = 29 ("close to thirty years").
    assert (result.closes_in_year, result.years_to_close) == (2053, 29)
    by_year = {point.year: point for point in result.series}
    assert [by_year[y].cumulative for y in (2025, 2026, 2027, 2028, 2029)] == [
        15,
        30,
        45,
        78,
        111,
    ]
    assert (by_year[2052].cumulative, by_year[2052].gap) == (870, 30)
    assert (by_year[2053].cumulative, by_year[2053].gap) == (903, -3)


def test_published_steps_replace_rather_than_compound():
    scenario = parse_scenario(PUBLISHED)
    # The later step replaces the earlier one: 33 places a year from 2028, not
    # 15 + 33, and the intake does not itself grow year on year.
    assert [places_commissioned(scenario, y) for y in (2024, 2025, 2027, 2028)] == [
        0,
        15,
        15,
        33,
    ]
    assert places_commissioned(scenario, 2060) == 33


def test_published_scenario_from_ipem_statement_year():
    result = run(**{**PUBLISHED, "start_year": 2023})
    # 2023 and 2024 add nothing (the first step is 2025), so the cumulative
    # figures are as in the 2025 run and the gap still closes in 2053;
    # counted from 2023 that is 2053 - 2023 + 1 = 31 years.
    assert (result.closes_in_year, result.years_to_close) == (2053, 31)
    assert [p.added for p in result.series[:3]] == [0, 0, 15]


def test_published_scenario_with_three_year_training():
    result = run(**PUBLISHED, training_years=3)
    # Places 2025-2027 (15 a year) qualify in 2028-2030: cumulative 45 by 2030.
    # From 2031, 33 a year: 45 + 33k >= 900 at k = 26, so 2030 + 26 = 2056;
    # 2056 - 2025 + 1 = 32 years.
    assert (result.closes_in_year, result.years_to_close) == (2056, 32)


def test_training_lag_delays_the_first_qualified():
    result = run(start_year=2025, gap=100, schedule=steps((2025, 10)), training_years=3)
    # added(y) = places(y - 3): places before 2025 are not modelled, so 2025-2027
    # add 0 and 2028 adds the 2025 intake.  Cumulative 10n at the end of 2027 + n,
    # so the gap closes at n = 10: 2037, 2037 - 2025 + 1 = 13 years.
    assert [p.added for p in result.series[:4]] == [0, 0, 0, 10]
    assert result.series[2].gap == 100
    assert (result.closes_in_year, result.years_to_close) == (2037, 13)


def test_completion_rate_scales_the_qualified():
    result = run(
        start_year=2025, gap=100, schedule=steps((2025, 10)), completion_rate=0.8
    )
    # 0.8 * 10 = 8 qualify a year: 96 after 12 years (2036), 104 after 13 (2037).
    assert result.series[0].added == 8
    assert (result.closes_in_year, result.years_to_close) == (2037, 13)


def test_leavers_delay_closing():
    result = run(start_year=2025, gap=28, schedule=steps((2025, 10)), leaver_rate=0.1)
    # cumulative(y) = cumulative(y - 1) * 0.9 + 10:
    #   2025: 0 * 0.9 + 10 = 10      gap 18
    #   2026: 10 * 0.9 + 10 = 19     gap 9
    #   2027: 19 * 0.9 + 10 = 27.1   gap 0.9  (without leavers 30 would close it)
    #   2028: 27.1 * 0.9 + 10 = 34.39 gap -6.39 -> closes, 4th year
    cumulative = [p.cumulative for p in result.series[:4]]
    assert cumulative == pytest.approx([10, 19, 27.1, 34.39])
    assert (result.closes_in_year, result.years_to_close) == (2028, 4)


def test_leavers_can_stop_the_gap_ever_closing():
    result = run(start_year=2025, gap=100, schedule=steps((2025, 10)), leaver_rate=0.1)
    # The steady state is where leavers equal joiners: c * 0.1 = 10, c = 100.
    # cumulative after n years is 100 * (1 - 0.9^n), always below 100.
    assert (result.closes_in_year, result.years_to_close) == (None, None)
    assert result.series[-1].gap == pytest.approx(100 * 0.9**60)


def test_demand_growth_moves_the_target():
    result = run(
        start_year=2025, gap=100, schedule=steps((2025, 30)), demand_growth=0.1
    )
    # required = 100 * 1.1^(y - 2025): 100, 110, 121, 133.1, 146.41, 161.051
    # cumulative = 30n:                 30,  60,  90,  120,   150,    180
    # gap:                              70,  50,  31,  13.1,  -3.59,  -18.949
    # Without growth 120 >= 100 closes it in 2028; with growth it closes in 2029.
    gaps = [p.gap for p in result.series[:6]]
    assert gaps == pytest.approx([70, 50, 31, 13.1, -3.59, -18.949])
    assert (result.closes_in_year, result.years_to_close) == (2029, 5)


def test_shrinking_demand():
    result = run(
        start_year=2025, gap=100, schedule=steps((2025, 10)), demand_growth=-0.5
    )
    # required 100, 50, 25; cumulative 10, 20, 30; gap 90, 30, -5 -> 2027.
    assert [p.gap for p in result.series[:3]] == [90, 30, -5]
    assert (result.closes_in_year, result.years_to_close) == (2027, 3)


def test_gap_not_closed_within_horizon():
    result = run(start_year=2025, gap=61, schedule=steps((2025, 1)))
    # 1 a year for 60 years (2025-2084) adds 60 < 61.
    assert (result.closes_in_year, result.years_to_close) == (None, None)
    assert result.to_dict()["closes_in_year"] is None
    assert result.series[-1].year == 2084


def test_gap_closing_in_the_last_horizon_year():
    result = run(start_year=2025, gap=60, schedule=steps((2025, 1)))
    # 60 added by the end of 2084, the 60th and last year of the horizon.
    assert (result.closes_in_year, result.years_to_close) == (2084, 60)


def test_no_schedule_never_closes():
    result = run(start_year=2025, gap=900, schedule=[], horizon_years=5)
    assert [p.gap for p in result.series] == [900] * 5
    assert result.closes_in_year is None


def test_baseline_places_add_to_the_schedule():
    result = run(
        start_year=2025, gap=100, schedule=steps((2027, 10)), baseline_places_per_year=5
    )
    # places: 2025 5, 2026 5, from 2027 5 + 10 = 15.
    # cumulative: 5, 10, then 10 + 15k at the end of 2026 + k; 10 + 15k = 100 at
    # k = 6, 2032, gap exactly 0, which counts as closed.  2032 - 2025 + 1 = 8.
    assert [p.added for p in result.series[:3]] == [5, 5, 15]
    assert (result.closes_in_year, result.years_to_close) == (2032, 8)
    assert result.series[7].gap == 0


def test_zero_gap_closes_in_the_start_year():
    result = run(start_year=2025, gap=0, schedule=[])
    assert (result.closes_in_year, result.years_to_close) == (2025, 1)


def test_floating_point_drift_does_not_delay_closing():
    result = run(start_year=2025, gap=1, schedule=steps((2025, 1)), completion_rate=0.1)
    # 0.1 a year reaches 1 after 10 years (2034), although ten float additions of
    # 0.1 give 0.9999999999999999.
    assert (result.closes_in_year, result.years_to_close) == (2034, 10)


def test_to_dict_is_the_api_result_shape():
    result = run(start_year=2025, gap=28, schedule=steps((2025, 10)), leaver_rate=0.1)
    data = result.to_dict()
    assert set(data) == {"closes_in_year", "years_to_close", "series"}
    assert data["closes_in_year"] == 2028 and data["years_to_close"] == 4
    assert data["series"][3] == {
        "year": 2028,
        "added": 10,
        "cumulative": 34.39,
        "gap": -6.39,
    }


def test_to_dict_never_shows_negative_zero():
    result = run(start_year=2025, gap=1, schedule=steps((2025, 1)), completion_rate=0.1)
    gap = result.to_dict()["series"][9]["gap"]
    assert gap == 0 and math.copysign(1, gap) == 1


def test_defaults_give_plain_accumulation():
    scenario = parse_scenario(PUBLISHED)
    assert scenario == Scenario(
        start_year=2025,
        gap=900,
        schedule=(ScheduleStep(2025, 15), ScheduleStep(2028, 33)),
        **DEFAULTS,
    )
    assert DEFAULTS == {
        "baseline_places_per_year": 0,
        "training_years": 0,
        "completion_rate": 1.0,
        "leaver_rate": 0.0,
        "demand_growth": 0.0,
        "horizon_years": 60,
    }


def test_null_optional_fields_take_the_defaults():
    scenario = parse_scenario({**PUBLISHED, "leaver_rate": None, "horizon_years": None})
    assert scenario.leaver_rate == 0 and scenario.horizon_years == 60


def test_missing_required_fields():
    assert messages({}) == {
        "start_year": "start_year is required",
        "gap": "gap is required",
        "schedule": "schedule is required",
    }


def test_negative_numbers():
    body = {
        "start_year": 2025,
        "gap": -1,
        "schedule": steps((2025, -3)),
        "baseline_places_per_year": -5,
        "training_years": -1,
        "horizon_years": 0,
    }
    assert messages(body) == {
        "gap": "gap must not be negative",
        "schedule[0].extra_places_per_year": (
            "schedule[0].extra_places_per_year must not be negative"
        ),
        "baseline_places_per_year": "baseline_places_per_year must not be negative",
        "training_years": "training_years must not be negative",
        "horizon_years": "horizon_years must be between 1 and 200",
    }


def test_schedule_out_of_order():
    body = {**PUBLISHED, "schedule": steps((2028, 33), (2025, 15), (2025, 20))}
    errors = messages(body)
    assert list(errors) == ["schedule[1].from_year", "schedule[2].from_year"]
    assert errors["schedule[1].from_year"] == (
        "schedule[1].from_year must be later than the step before it (2028); "
        "list steps in year order"
    )


def test_schedule_step_before_start_year():
    body = {**PUBLISHED, "start_year": 2026}
    assert messages(body) == {
        "schedule[0].from_year": (
            "schedule[0].from_year must not be before start_year (2026)"
        )
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("completion_rate", 1.5, "completion_rate must be between 0 and 1"),
        ("completion_rate", -0.1, "completion_rate must be between 0 and 1"),
        ("leaver_rate", 1.01, "leaver_rate must be between 0 and 1"),
        ("leaver_rate", -0.5, "leaver_rate must be between 0 and 1"),
        (
            "demand_growth",
            2,
            "demand_growth must be between -1 and 1 "
            "(a fraction per year: 0.02 means 2% a year)",
        ),
        ("horizon_years", 201, "horizon_years must be between 1 and 200"),
        ("start_year", 202, "start_year must be between 1900 and 2200"),
    ],
)
def test_out_of_range(field, value, message):
    assert messages({**PUBLISHED, field: value}) == {field: message}


def test_range_edges_are_allowed():
    body = {
        **PUBLISHED,
        "completion_rate": 0,
        "leaver_rate": 1,
        "demand_growth": -1,
        "horizon_years": 200,
    }
    assert len(project(parse_scenario(body)).series) == 200


def test_wrong_types():
    body = {
        "start_year": "2025",
        "gap": True,
        "schedule": [{"from_year": 2025.0, "extra_places_per_year": "15"}, 7],
        "training_years": 2.5,
        "completion_rate": "1",
        "horizon_years": 60.0,
        "leaver_rate": float("nan"),
    }
    assert messages(body) == {
        "start_year": "start_year must be a whole number",
        "gap": "gap must be a number",
        "schedule[0].from_year": "schedule[0].from_year must be a whole number",
        "schedule[0].extra_places_per_year": (
            "schedule[0].extra_places_per_year must be a number"
        ),
        "schedule[1]": (
            "schedule[1] must be an object with from_year and extra_places_per_year"
        ),
        "training_years": "training_years must be a whole number",
        "completion_rate": "completion_rate must be a number",
        "horizon_years": "horizon_years must be a whole number",
        "leaver_rate": "leaver_rate must be a finite number",
    }


def test_schedule_must_be_a_list():
    assert messages({**PUBLISHED, "schedule": "15 a year"}) == {
        "schedule": "schedule must be a list of steps"
    }


def test_unknown_fields():
    body = {
        "start_year": 2025,
        "gapp": 900,
        "schedule": [{"from_year": 2025, "places": 15}],
    }
    assert messages(body) == {
        "gap": "gap is required",
        "schedule[0].places": "schedule[0].places is not a known field",
        "schedule[0].extra_places_per_year": (
            "schedule[0].extra_places_per_year is required"
        ),
        "gapp": "gapp is not a known field",
    }


def test_every_problem_is_reported_at_once():
    body = {
        "gap": -900,
        "schedule": steps((2028, 33), (2025, 15)),
        "leaver_rate": 2,
        "horizon_years": "60",
        "colour": "blue",
    }
    assert fields(body) == [
        "start_year",
        "gap",
        "schedule[1].from_year",
        "leaver_rate",
        "horizon_years",
        "colour",
    ]
    with pytest.raises(ValueError, match="leaver_rate must be between 0 and 1"):
        parse_scenario(body)


def test_body_must_be_an_object():
    assert fields([PUBLISHED]) == ["body"]
