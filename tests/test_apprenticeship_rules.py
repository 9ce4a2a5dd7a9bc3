"""Worked examples for the apprenticeship rules (portfolio/progress/apprenticeship.py).

Weeks for OTJ over a 365-day practical period, as the ESFA counts them: 365 / 7 =
52.14 -> 52 whole weeks, less 5.6 weeks of statutory leave = 46.4 weeks (called W below).
The published worked examples and the change-date boundaries are in
tests/test_apprenticeship_funding_rules.py.
"""

from datetime import date

import pytest

from portfolio.progress.apprenticeship import Break
from portfolio.progress.apprenticeship import add_months
from portfolio.progress.apprenticeship import adjusted_end_date
from portfolio.progress.apprenticeship import expected_otj_to_date
from portfolio.progress.apprenticeship import learning_days
from portfolio.progress.apprenticeship import load_rulesets
from portfolio.progress.apprenticeship import minimum_duration_ok
from portfolio.progress.apprenticeship import minimum_end_date
from portfolio.progress.apprenticeship import next_review_due
from portfolio.progress.apprenticeship import otj_status
from portfolio.progress.apprenticeship import otj_target_hours
from portfolio.progress.apprenticeship import otj_weeks
from portfolio.progress.apprenticeship import review_due_dates
from portfolio.progress.apprenticeship import review_overdue
from portfolio.progress.apprenticeship import rules_for

# A 2022-rules apprentice: 2 Jan 2023 to 2 Jan 2024 is 365 days.
START = date(2023, 1, 2)
END = date(2024, 1, 2)
# A break from 3 Apr to 1 May 2023, both days included: 28 + 1 = 29 days.
BREAK = Break(date(2023, 4, 3), date(2023, 5, 1))


def test_rule_set_is_chosen_by_start_date():
    assert rules_for(date(2018, 5, 1)).id == "v2017"
    assert rules_for(date(2019, 5, 1)).id == "v2018"
    assert rules_for(date(2022, 7, 31)).id == "v2021"
    assert rules_for(date(2022, 8, 1)).id == "v2022"
    assert rules_for(date(2025, 7, 31)).id == "v2022"
    assert rules_for(date(2025, 8, 1)).id == "v2025"
    assert load_rulesets() is load_rulesets()  # the shipped file is read once


def test_rule_set_parameters_from_the_yaml():
    old, mid, new = (rules_for(date(y, 9, 1)) for y in (2021, 2023, 2025))
    assert (old.min_duration_months, mid.min_duration_months) == (12, 12)
    assert new.min_duration_months == 8
    # before August 2022: 20% of the apprentice's own hours, no 30-hour cap
    assert (old.otj_mode, old.otj_percent, old.otj_weekly_hours_cap) == (
        "percent",
        20.0,
        None,
    )
    assert (mid.otj_mode, mid.otj_weekly_hours, mid.exclude_statutory_leave) == (
        "weekly",
        6.0,
        True,
    )
    assert (new.otj_mode, new.otj_floor_hours) == ("fixed_per_standard", 187.0)
    assert (old.review_interval_unit, old.review_interval_value) == ("weeks", 12)
    assert (mid.review_interval_unit, mid.review_interval_value) == ("weeks", 12)
    assert (new.review_interval_unit, new.review_interval_value) == (
        "calendar_months",
        3,
    )
    assert new.otj_after_gateway is False
    assert new.gateway_checks


def test_minimum_duration_each_rule_set():
    # before Aug 2022: 12 calendar months from 1 Sep 2021 -> 1 Sep 2022
    start = date(2021, 9, 1)
    assert minimum_end_date(start) == date(2022, 9, 1)
    assert not minimum_duration_ok(start, date(2022, 8, 31))
    assert minimum_duration_ok(start, date(2022, 9, 1))
    # Aug 2022 to Jul 2025: 12 months from 2 Jan 2023 -> 2 Jan 2024
    assert minimum_end_date(START) == END
    assert not minimum_duration_ok(START, date(2024, 1, 1))
    # from Aug 2025: 8 months from 1 Sep 2025 -> 1 May 2026
    start = date(2025, 9, 1)
    assert minimum_end_date(start) == date(2026, 5, 1)
    assert minimum_duration_ok(start, date(2026, 5, 1))
    assert not minimum_duration_ok(start, date(2026, 4, 30))


def test_minimum_duration_part_time_pro_rata():
    # 2022 rules, 20 h a week: 365 days x 30 / 20 = 547.5 -> 548 days -> 3 Jul 2024
    assert minimum_end_date(START, contracted_hours_per_week=20) == date(2024, 7, 3)
    assert not minimum_duration_ok(START, END, contracted_hours_per_week=20)
    # 30 h or more is full time: no extension
    assert minimum_end_date(START, contracted_hours_per_week=37.5) == END
    # 2025 rules dropped the part-time extension: still 8 months
    start = date(2025, 9, 1)
    assert minimum_end_date(start, contracted_hours_per_week=20) == date(2026, 5, 1)


def test_minimum_duration_with_a_break():
    # The 29-day break moves the earliest end from 2 Jan 2024 to 31 Jan 2024.
    assert minimum_end_date(START, [BREAK]) == date(2024, 1, 31)
    assert not minimum_duration_ok(START, END, [BREAK])
    assert minimum_duration_ok(START, date(2024, 1, 31), [BREAK])


def test_otj_target_before_august_2022():
    rs = rules_for(date(2021, 9, 1))
    start, end = date(2021, 9, 1), date(2022, 9, 1)  # 365 days
    # 37.5 h, no cap: 20% x 37.5 = 7.5 h/week x W = 348
    assert otj_target_hours(rs, start, end, 37.5) == 348.0
    # 25 h: 20% x 25 = 5 h/week x W = 232
    assert otj_target_hours(rs, start, end, 25) == 232.0


def test_otj_target_august_2022_to_july_2025_full_and_part_time():
    rs = rules_for(START)
    assert otj_weeks(rs, START, END) == pytest.approx(46.4)
    # full time (30 h or more): 6 h/week x W = 278.4 -> 278
    assert otj_target_hours(rs, START, END, 37.5) == 278.0
    assert otj_target_hours(rs, START, END, 30) == 278.0
    # part time 20 h: 20% x 20 = 4 h/week x W = 185.6 -> 186
    assert otj_target_hours(rs, START, END, 20) == 186.0
    with pytest.raises(ValueError):
        otj_target_hours(rs, START, END, 0)
    with pytest.raises(ValueError):
        otj_target_hours(rs, END, START, 37.5)


def test_break_extends_the_end_and_keeps_the_target():
    # End moves by the break's 29 days: 2 Jan 2024 -> 31 Jan 2024.
    new_end = adjusted_end_date(END, [BREAK])
    assert new_end == date(2024, 1, 31)
    # 394 calendar days less 29 on the break = the same 365 learning days
    assert learning_days(START, new_end, [BREAK]) == 365
    rs = rules_for(START)
    assert otj_target_hours(rs, START, new_end, 37.5, breaks=[BREAK]) == 278.0
    # a break after the (moved) end does not move it
    late = Break(date(2024, 3, 1), date(2024, 3, 31))
    assert adjusted_end_date(END, [BREAK, late]) == date(2024, 1, 31)


def test_expected_otj_is_linear_and_paused_by_a_break():
    end = adjusted_end_date(END, [BREAK])
    # 3 Jul 2023 is 182 days after the start, 29 of them on the break: 153 learning
    # days of 365 -> 280 x 153 / 365 = 117.37 -> 117.4
    assert expected_otj_to_date(280, START, end, date(2023, 7, 3), [BREAK]) == 117.4
    # without the break it would be 280 x 182 / 365 = 139.6
    assert expected_otj_to_date(280, START, END, date(2023, 7, 3)) == 139.6
    # first day of the break (91 days in) and first day back (120 - 29 = 91): the same
    # 280 x 91 / 365 = 69.8
    assert expected_otj_to_date(280, START, end, date(2023, 4, 3), [BREAK]) == 69.8
    assert expected_otj_to_date(280, START, end, date(2023, 5, 2), [BREAK]) == 69.8
    # before the start nothing is expected; from the end on, the whole target
    assert expected_otj_to_date(280, START, end, date(2022, 12, 1), [BREAK]) == 0.0
    assert expected_otj_to_date(280, START, end, date(2024, 6, 1), [BREAK]) == 280.0


def test_ongoing_break_counts_up_to_today():
    ongoing = Break(date(2023, 4, 3))
    today = date(2023, 4, 17)
    # 3 Apr to 17 Apr is 15 days so far: end 2 Jan 2024 -> 17 Jan 2024
    end = adjusted_end_date(END, [ongoing], as_of=today)
    assert end == date(2024, 1, 17)
    # 105 days since the start, 14 of them (3-16 Apr) on the break: 91 -> 69.8
    assert expected_otj_to_date(280, START, end, today, [ongoing]) == 69.8
    with pytest.raises(ValueError, match="no end date"):
        adjusted_end_date(END, [ongoing])


def test_otj_rag_thresholds():
    # green at 95% of expected or more, amber from 80%, red below 80%
    assert otj_status(95, 100) == "green"
    assert otj_status(120, 100) == "green"
    assert otj_status(94.9, 100) == "amber"
    assert otj_status(80, 100) == "amber"
    assert otj_status(79.9, 100) == "red"
    assert otj_status(0, 0) == "green"  # nothing expected yet


def test_review_every_12_weeks_for_2022_rules():
    rs = rules_for(START)
    # 84 days apart: 27 Mar, 19 Jun, 11 Sep, 4 Dec 2023
    assert review_due_dates(rs, START, date(2023, 12, 31)) == [
        date(2023, 3, 27),
        date(2023, 6, 19),
        date(2023, 9, 11),
        date(2023, 12, 4),
    ]
    assert rules_for(date(2021, 9, 1)).review_interval_value == 12


def test_review_clock_paused_by_a_break():
    rs = rules_for(START)
    # The 29-day break falls in the second interval: 19 Jun + 29 days = 18 Jul, then
    # 84 days later 10 Oct; the next (2 Jan 2024) is after the end of 2023.
    assert review_due_dates(rs, START, date(2023, 12, 31), [BREAK]) == [
        date(2023, 3, 27),
        date(2023, 7, 18),
        date(2023, 10, 10),
    ]
    last = date(2023, 3, 27)
    assert next_review_due(rs, START, last, date(2023, 6, 20), [BREAK]) == date(
        2023, 7, 18
    )
    assert not review_overdue(rs, START, last, date(2023, 6, 20), [BREAK])
    assert review_overdue(rs, START, last, date(2023, 6, 20))  # no break: overdue
    # an ongoing break keeps pausing the clock, so it is never overdue meanwhile
    ongoing = Break(date(2023, 4, 3))
    today = date(2023, 9, 1)
    assert next_review_due(rs, START, last, today, [ongoing]) > today
    assert not review_overdue(rs, START, last, today, [ongoing])


def test_review_every_3_calendar_months_from_august_2025():
    start = date(2026, 1, 31)
    rs = rules_for(start)
    # same day of the month from the start, or the month's last day: no drift
    assert review_due_dates(rs, start, date(2026, 12, 31)) == [
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
    ]
    # counted from the last review held: 30 Apr -> 30 Jul
    last = date(2026, 4, 30)
    assert next_review_due(rs, start, last, date(2026, 6, 1)) == date(2026, 7, 30)
    assert not review_overdue(rs, start, last, date(2026, 7, 30))
    assert review_overdue(rs, start, last, date(2026, 7, 31))
    # no review yet: the first is due 3 months after the start (30 Nov -> 28 Feb)
    start = date(2025, 11, 30)
    assert next_review_due(rs, start, None, date(2026, 3, 1)) == date(2026, 2, 28)
    assert review_overdue(rs, start, None, date(2026, 3, 1))


def test_calendar_month_reviews_with_a_break():
    start = date(2025, 9, 1)
    rs = rules_for(start)
    five_weeks = Break(date(2025, 10, 1), date(2025, 11, 4))  # 35 days: formal
    # 1 Dec + 35 days = 5 Jan, then every 3 months from there
    assert review_due_dates(rs, start, date(2026, 7, 31), [five_weeks]) == [
        date(2026, 1, 5),
        date(2026, 4, 5),
        date(2026, 7, 5),
    ]


def test_add_months_at_month_ends():
    assert add_months(date(2025, 1, 31), 3) == date(2025, 4, 30)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)  # leap year
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)


def test_load_rulesets_from_another_file(tmp_path):
    good = tmp_path / "rules.yaml"
    good.write_text(
        "rulesets:\n"
        "- id: only\n"
        "  title: Test\n"
        "  applies_from: 2030-01-01\n"
        "  min_duration_months: 6\n"
        "  part_time_extends_min_duration: false\n"
        "  full_time_hours: 30\n"
        "  otj: {mode: weekly, weekly_hours: 6}\n"
        "  exclude_statutory_leave: false\n"
        "  statutory_leave_weeks_per_year: 5.6\n"
        "  review_interval: {unit: weeks, value: 4}\n",
        encoding="utf-8",
    )
    (only,) = load_rulesets(good)
    assert rules_for(date(2030, 1, 1), [only]) is only
    with pytest.raises(LookupError):
        rules_for(date(2029, 12, 31), [only])
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("mode: weekly", "mode: hourly"))
    with pytest.raises(ValueError, match="otj.mode"):
        load_rulesets(bad)
