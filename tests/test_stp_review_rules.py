"""The STP review of progression as NSHCS runs it: the plain rules, each date on both sides.

Sources (each test names the one it checks):
- https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities
- https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/stp-progression-monitoring-timelines
- https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/the-progression-requirements/
- https://nshcs.hee.nhs.uk/programmes/stp/trainees/faqs-on-stp-review-of-progression/
- https://nshcs.hee.nhs.uk/knowledgebase/guidance-for-the-midterm-review-of-progression-for-stp-trainees/
"""

from datetime import date

import pytest

from portfolio.progress import stp_review as r

START = date(2025, 9, 1)  # a September 2025 starter: year 1 ends 30 Sep 2026


def module(code, ref=None, mtype="specialist", phase=2, done=0, total=4):
    return r.ModuleFact(code, code, ref, mtype, phase, done, total)


ROTATIONS_DONE = [
    module("R1", None, "rotation", 1, 3, 3),
    module("R2", None, "rotation", 1, 3, 3),
]


def facts(**kw):
    base = {"start": START, "percent_complete": 10.0, "modules": ROTATIONS_DONE}
    return r.Facts(**{**base, **kw})


def signed_meeting(day):
    return r.Meeting(day, True)


def point(points, code):
    return next(p for p in points if p.code == code)


# ---- which process ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "new"),
    [
        (date(2022, 9, 1), False),
        (date(2022, 12, 31), False),
        (date(2023, 1, 1), True),
        (date(2023, 9, 1), True),
    ],
)
def test_2023_and_later_starters_have_the_review_of_progression_earlier_the_midterm(
    start, new
):
    """2023+ starters: the review of progression; 2022 and earlier: the MRP.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/stp-progression-monitoring/"""
    codes = [p.code for p in r.review_points(facts(start=start), date(2026, 1, 1))]
    if new:
        assert codes == ["check_in", "end_of_year_1", "end_of_year_2"]
    else:
        assert codes == ["midterm"]


def test_starters_early_in_2023_are_marked_not_confirmed():
    """The School says "from September 2023"; January-August 2023 starters are unclear.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/faqs-on-stp-review-of-progression/"""
    notes = r.end_of_year_1(
        facts(start=date(2023, 3, 1)), date(2024, 1, 1)
    ).not_confirmed
    assert any("not confirmed" in n for n in notes)
    assert not r.end_of_year_1(facts(), date(2026, 1, 1)).not_confirmed


# ---- the dates ------------------------------------------------------------------------------


def test_year_ends_on_30_september_after_each_training_year():
    """Requirements are met by 30 September of the year of training.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/stp-progression-monitoring-timelines"""
    assert r.end_of_year_due(START, 1) == date(2026, 9, 30)
    assert r.end_of_year_due(START, 2) == date(2027, 9, 30)
    assert r.window_opens(date(2026, 9, 30)) == date(2026, 9, 1)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2026, 8, 31), r.UPCOMING),
        (date(2026, 9, 1), r.OPEN),
        (date(2026, 9, 30), r.OPEN),
        (date(2026, 10, 1), r.MISSED),
    ],
)
def test_end_of_year_1_is_due_from_1_to_30_september(today, status):
    """End of year 1: phase 1 rotations complete and the review meeting, by 30 September.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    p = r.end_of_year_1(facts(), today)  # rotations done, no meeting yet
    assert p.status == status
    assert [q.state for q in p.requirements] == [r.MET, r.NOT_MET]


@pytest.mark.parametrize(
    ("held_on", "counts"),
    [
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), True),
        (date(2026, 9, 30), True),
        (date(2026, 10, 1), False),
    ],
)
def test_review_meeting_counts_only_when_held_1_to_30_september(held_on, counts):
    """The end-of-year review is completed on the e-portfolio between 1 and 30 September.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/stp-progression-monitoring-timelines"""
    p = r.end_of_year_1(facts(meetings=[signed_meeting(held_on)]), date(2026, 10, 2))
    assert p.requirements[1].met is counts
    assert p.status == (r.DONE if counts else r.MISSED)


def test_an_unsigned_meeting_does_not_meet_the_requirement():
    """The meeting is recorded with the training officer: every party signs it.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/faqs-on-stp-review-of-progression/"""
    p = r.end_of_year_1(
        facts(meetings=[r.Meeting(date(2026, 9, 10), False)]), date(2026, 9, 20)
    )
    assert not p.requirements[1].met and "not yet signed" in p.requirements[1].detail


def test_met_requirements_before_the_window_stay_upcoming_until_1_september():
    """The review point is the September review; meeting it early shows as upcoming.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    f = facts(meetings=[signed_meeting(date(2026, 9, 5))])
    assert r.end_of_year_1(f, date(2026, 8, 31)).status == r.UPCOMING
    assert r.end_of_year_1(f, date(2026, 9, 5)).status == r.DONE


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2026, 2, 28), r.UPCOMING),
        (date(2026, 3, 1), r.OPEN),
        (date(2026, 3, 31), r.OPEN),
        (date(2026, 4, 1), r.MISSED),
    ],
)
def test_six_month_check_in_is_in_march_of_year_1(today, status):
    """The School's 6 month check-in, usually in March of the first year.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/the-progression-requirements/"""
    p = r.six_month_check_in(facts(), today)
    assert (p.opens, p.due) == (date(2026, 3, 1), date(2026, 3, 31))
    assert p.status == status
    assert any("not confirmed" in n for n in p.not_confirmed)
    done = r.six_month_check_in(
        facts(records=[r.Record("check_in", date(2026, 3, 10))]), today
    )
    assert done.status == (r.UPCOMING if status == r.UPCOMING else r.DONE)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2022, 12, 31), r.UPCOMING),
        (date(2023, 1, 1), r.OPEN),
        (date(2023, 2, 28), r.OPEN),
        (date(2023, 3, 1), r.MISSED),
    ],
)
def test_midterm_review_is_in_january_and_february_of_year_2(today, status):
    """2022 and earlier starters: the MRP, usually January/February of the second year.
    https://nshcs.hee.nhs.uk/knowledgebase/guidance-for-the-midterm-review-of-progression-for-stp-trainees/"""
    p = r.midterm_review(facts(start=date(2021, 9, 1)), today)
    assert (p.opens, p.due) == (date(2023, 1, 1), date(2023, 2, 28))
    assert p.status == status
    assert any("not confirmed" in n for n in p.not_confirmed)


def test_midterm_review_checks_its_five_components():
    """Five components: two evaluations, rotation modules signed off, MSc progress, one MSF.
    https://nshcs.hee.nhs.uk/knowledgebase/guidance-for-the-midterm-review-of-progression-for-stp-trainees/components-measuring-progression/"""
    f = facts(
        start=date(2021, 9, 1),
        records=[
            r.Record("midterm_trainee", date(2023, 1, 10)),
            r.Record("midterm_officer", date(2023, 1, 12)),
        ],
        msf_signed_off=True,
        msc_recorded=True,
    )
    assert r.midterm_review(f, date(2023, 2, 1)).status == r.DONE
    no_msf = r.midterm_review(
        facts(start=date(2021, 9, 1), msf_signed_off=None), date(2023, 2, 1)
    )
    assert no_msf.requirements[-1].state == r.NOT_LOADED and not no_msf.met


# ---- the end of year 2 requirements ---------------------------------------------------------------

Y2_OPEN = date(2027, 9, 15)
Y2_MEETING = [signed_meeting(date(2027, 9, 10))]


def y2(modules, overall=10.0):
    return r.end_of_year_2(
        facts(
            modules=ROTATIONS_DONE + modules,
            percent_complete=overall,
            meetings=Y2_MEETING,
        ),
        Y2_OPEN,
    )


@pytest.mark.parametrize(("done", "met"), [(49, False), (50, True)])
def test_end_of_year_2_needs_half_of_s_c1(done, met):
    """End of year 2: 50% completion of S-C1, plus all of phase 2.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    p = y2(
        [
            module("C1", "S-C1", "core", None, done, 100),
            module("S1", "S-RP-S1", "specialist", 2, 4, 4),
        ]
    )
    assert p.requirements[0].met is met
    assert p.met is met and p.status == (r.DONE if met else r.OPEN)


def test_end_of_year_2_route_a_all_of_phase_2_without_s_c2():
    """Either 100% of phase 2 modules (route a), whatever S-C2's state.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    p = y2(
        [
            module("C1", "S-C1", "core", None, 2, 4),
            module("S1", None, "specialist", 2, 4, 4),
        ]
    )
    assert p.met
    s_c2 = next(q for q in p.requirements if "S-C2" in q.label)
    assert s_c2.state == r.NOT_LOADED


@pytest.mark.parametrize(("overall", "met"), [(59.9, False), (60.0, True)])
def test_end_of_year_2_route_b_needs_60_percent_overall_and_all_of_s_c2(overall, met):
    """Or 60% overall completion and 100% of S-C2 (route b).
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    p = y2(
        [
            module("C1", "S-C1", "core", None, 2, 4),
            module("S1", None, "specialist", 2, 1, 4),
            module("C2", "S-C2", "core", None, 4, 4),
        ],
        overall,
    )
    assert p.met is met


def test_s_c2_not_yet_loaded_is_never_met():
    """S-C2 missing from the curriculum files is "not yet loaded", not met: route b fails.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    p = y2(
        [
            module("C1", "S-C1", "core", None, 4, 4),
            module("S1", None, "specialist", 2, 1, 4),
        ],
        95.0,
    )
    assert not p.met and p.status == r.OPEN
    assert any(
        q.state == r.NOT_LOADED and "not yet loaded" in q.detail for q in p.unmet
    )


def test_s_c2_with_nothing_to_count_is_not_loaded_either():
    """S-C2 present but with no activities yet cannot be 100% complete: not yet loaded.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    p = y2(
        [
            module("C1", "S-C1", "core", None, 4, 4),
            module("S1", None, "specialist", 2, 1, 4),
            module("C2", "S-C2", "core", None, 0, 0),
        ],
        95.0,
    )
    s_c2 = next(q for q in p.requirements if "S-C2" in q.label)
    assert s_c2.state == r.NOT_LOADED and not p.met


def test_phase_1_missing_from_the_files_is_not_loaded():
    """End of year 1 needs the phase 1 rotations; without them in the files it cannot be met.
    https://nshcs.hee.nhs.uk/programmes/stp/trainers/guidance-for-working-with-the-2022-stp-curricula/scheduling-training/"""
    p = r.end_of_year_1(facts(modules=[]), date(2026, 9, 15))
    assert p.requirements[0].state == r.NOT_LOADED and not p.met


# ---- at-risk flags ---------------------------------------------------------------------------------


def codes(f, today):
    return [x.code for x in r.flags(f, r.review_points(f, today), today)]


def test_flags_name_the_missed_point_and_its_source():
    """A point not met by 30 September is flagged, with the rule named.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    f = facts(records=[r.Record("check_in", date(2026, 3, 5))])
    assert "stp_review_missed" not in codes(f, date(2026, 9, 30))
    assert "stp_review_due" in codes(f, date(2026, 9, 30))
    found = r.flags(f, r.review_points(f, date(2026, 10, 1)), date(2026, 10, 1))
    missed = [x for x in found if x.code == "stp_review_missed"]
    assert len(missed) == 1
    assert "30 Sep 2026" in missed[0].message
    assert "Summary of progression requirement responsibilities" in missed[0].message


def test_an_extension_in_force_holds_the_review_flags():
    """Trainees out of sync because of an agreed extension have their timing set by the School.
    https://nshcs.hee.nhs.uk/programmes/stp/the-stp-final-year-assessment/stp-final-year-assessment-regulations"""
    f = facts(extension_in_force=True)
    assert not codes(f, date(2026, 10, 1))


@pytest.mark.parametrize(
    ("reported", "flagged"),
    [(date(2025, 9, 30), False), (date(2025, 10, 1), True), (date(2026, 9, 30), True)],
)
def test_an_exception_reported_in_the_last_year_is_flagged(reported, flagged):
    """Concerns are reported to the School by exception (1 to 30 September).
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/stp-progression-monitoring-timelines"""
    f = facts(
        start=date(2024, 9, 1),
        records=[r.Record("exception", reported, "training_officer", "No rotations")],
    )
    assert ("stp_exception" in codes(f, date(2026, 9, 30))) is flagged
