"""The apprenticeship funding rules by start date, each checked against a published
worked example or on both sides of the date it changed.

Every test names its source in its docstring. The rules live in
curricula/rules/apprenticeship-rules.yaml and portfolio/progress/apprenticeship.py.
"""

from datetime import date
from datetime import timedelta

import pytest
import yaml

from portfolio.progress.apprenticeship import DEFAULT_RULES_PATH
from portfolio.progress.apprenticeship import Break
from portfolio.progress.apprenticeship import adjusted_end_date
from portfolio.progress.apprenticeship import english_maths_required
from portfolio.progress.apprenticeship import formal_breaks
from portfolio.progress.apprenticeship import load_document
from portfolio.progress.apprenticeship import otj_target
from portfolio.progress.apprenticeship import otj_weeks
from portfolio.progress.apprenticeship import rules_apply_in
from portfolio.progress.apprenticeship import rules_for
from portfolio.progress.apprenticeship import standard_otj


def twelve_months(start: date) -> tuple[date, date]:
    """A 12-month practical period of 365 days (no 29 February inside)."""
    return start, start + timedelta(days=365)


def target(start: date, hours: float, ref: str | None = "ST0218 v1.1", doc=None):
    begin, end = twelve_months(start)
    rs = rules_for(begin)
    return otj_target(rs, begin, end, hours, standard_otj(ref, doc), standard_ref=ref)


# ---- 1 August 2022 to 31 July 2025: 6 hours a week less statutory leave --------------


def test_esfa_worked_example_12_months_full_time_is_278_hours():
    """ESFA example: a 12-month full-time apprenticeship is 52 weeks less 5.6 weeks of
    statutory leave = 46.4 weeks x 6 hours = 278.4, rounded to 278 hours.

    Source: the DfE's "Apprenticeship off-the-job training: policy background and
    examples" as quoted at https://martinsolent.github.io/bdats/docs/otjh/child-1.html ;
    278 as the accepted minimum for a 52-week full-time programme:
    https://customerhelp.education.gov.uk/hc/en-gb/community/posts/7648048720402-OTJ-statutory-entitlement
    """
    start, end = twelve_months(date(2023, 1, 2))
    rs = rules_for(start)
    assert rs.id == "v2022"
    assert otj_weeks(rs, start, end) == pytest.approx(46.4)
    result = otj_target(rs, start, end, 37.5)
    assert result.hours == 278.0 and result.confirmed
    # 30 hours or more is full time: the same 278 (20% of a 30-hour week)
    assert otj_target(rs, start, end, 30).hours == 278.0


def test_part_time_from_august_2022_is_20_percent_of_own_hours():
    """Below 30 hours the minimum is 20% of the apprentice's own weekly hours over the
    same weeks: 20 h -> 4 h x 46.4 = 185.6 -> 186 hours.

    Source: https://haso.skillsforhealth.org.uk/training/ (20% of a 30-hour week for full
    time; those working fewer than 30 hours, 20% of their working time:
    https://support.bud.co.uk/hc/en-gb/articles/360003272653-Calculating-Off-The-Job-hours)
    """
    assert target(date(2023, 1, 2), 20).hours == 186.0


def test_30_hour_week_starts_on_1_august_2022():
    """Starts up to 31 July 2022 need 20% of all working hours; from 1 August 2022 20% of
    a 30-hour week. A 37.5-hour apprentice: 7.5 h x 46.4 = 348 hours, then 6 h x 46.4 =
    278 hours.

    Source: https://haso.skillsforhealth.org.uk/training/ ("For apprentice starts before
    1st August 2022 ... a minimum of 20% of their working hours"; from 1 August 2022 20%
    of a 30 hour week even where the apprentice works more).
    """
    before, after = target(date(2022, 7, 31), 37.5), target(date(2022, 8, 1), 37.5)
    assert rules_for(date(2022, 7, 31)).id == "v2021"
    assert rules_for(date(2022, 8, 1)).id == "v2022"
    assert (before.hours, after.hours) == (348.0, 278.0)


# ---- before 1 August 2022: 20% of contracted hours, per funding year -----------------


@pytest.mark.parametrize(
    "last_day, first_day, before_id, after_id",
    [
        (date(2018, 7, 31), date(2018, 8, 1), "v2017", "v2018"),
        (date(2019, 7, 31), date(2019, 8, 1), "v2018", "v2019"),
        (date(2020, 7, 31), date(2020, 8, 1), "v2019", "v2020"),
        (date(2021, 7, 31), date(2021, 8, 1), "v2020", "v2021"),
    ],
)
def test_each_funding_year_has_its_rule_set_and_no_30_hour_cap(
    last_day, first_day, before_id, after_id
):
    """Each funding year before August 2022 is its own rule set with its own sources,
    and none caps the hours at 30 a week: 37.5 h -> 7.5 h x 46.4 = 348 hours.

    Sources: 2017/18, 20% of contracted employment hours:
    https://feweek.co.uk/making-sense-of-the-20-off-the-job-apprenticeship-funding-rule/ ;
    2018/19, no 30-hour cap in the rules, and the March 2019 guidance paragraph that
    introduced one withdrawn as an error:
    https://feweek.co.uk/esfa-apologises-over-apprenticeship-off-the-job-calculation-blunder/ ;
    2019/20 to 2021/22, 20% of working hours for all starts before 1 August 2022:
    https://haso.skillsforhealth.org.uk/training/
    """
    before, after = rules_for(last_day), rules_for(first_day)
    assert (before.id, after.id) == (before_id, after_id)
    for rs, day in ((before, last_day), (after, first_day)):
        assert rs.otj_mode == "percent" and rs.otj_weekly_hours_cap is None
        assert rs.sources and rs.funding_year
        assert target(day, 37.5).hours == 348.0


def test_the_cap_not_confirmed_for_2019_to_2022_is_said_so():
    """Where a year's own rules text was not retrieved the rule set says so (the UI
    shows these as "not confirmed"), naming the source that would settle it.

    Source: https://www.gov.uk/government/collections/sfa-funding-rules
    """
    for day in (date(2019, 8, 1), date(2020, 8, 1), date(2021, 8, 1)):
        notes = " ".join(rules_for(day).not_confirmed)
        assert "30-hour" in notes and "gov.uk" in notes


# ---- from 1 August 2025: the published minimum for each standard ---------------------


def test_from_august_2025_the_standards_figure_is_not_confirmed_and_names_its_source():
    """From 1 August 2025 the DfE publishes a minimum OTJ figure for each standard; 187
    hours is only the funding floor. The figures for our four standards could not be
    confirmed, so the target is not confirmed (no number) and says which list it needs.
    A start on 31 July 2025 still follows the 2022 rules (278 hours).

    Source: https://feweek.co.uk/dfe-sets-minimum-off-the-job-hours-for-each-apprenticeship-standard
    """
    assert target(date(2025, 7, 31), 37.5).hours == 278.0
    for ref in ("ST0218 v1.1", "ST0220 v1.1", "ST0413 v1.1", "ST0893 v1.1"):
        result = target(date(2026, 2, 2), 37.5, ref)
        assert result.hours is None and not result.confirmed
        assert "apprenticeship-funding-rules" in result.needs
        assert "187" not in result.basis
    # a programme without a standard reference is not confirmed either, never 187
    result = target(date(2026, 2, 2), 37.5, ref=None)
    assert result.hours is None and "standards" in result.needs


@pytest.fixture
def published(tmp_path):
    """The shipped rules with ST0218's figures filled in, as if copied from the list."""
    document = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    document["standards"]["ST0218"].update(
        min_otj_hours=400,
        status="confirmed",
        transitional_hours=300,
        transitional_status="confirmed",
    )
    document["standards"]["ST0220"].update(transitional_status="not listed")
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_document(path)


def test_a_published_figure_is_the_target_whatever_the_hours(published):
    """Once copied in, the standard's figure is the target for every apprentice,
    full or part time, and the duration no longer changes it.

    Source: https://feweek.co.uk/dfe-sets-minimum-off-the-job-hours-for-each-apprenticeship-standard
    ("If the duration on programme increases or decreases, there will no longer be an
    impact on the minimum OTJT requirement")
    """
    for hours in (37.5, 16):
        assert target(date(2026, 3, 2), hours, doc=published).hours == 400.0


def test_transitional_figures_for_august_to_december_2025_starts(published):
    """Starts from August to December 2025 on the DfE's transitional list use the lower
    temporary figure; starts from 1 January 2026 the full one. A standard that is not on
    the list uses its full figure from the start; one whose listing is not confirmed is
    not confirmed.

    Source: https://feweek.co.uk/dozens-of-apprenticeships-granted-transitional-off-the-job-hours
    (version 2 of the 2025-26 rules, 15 July 2025)
    """
    assert target(date(2025, 8, 1), 37.5, doc=published).hours == 300.0
    assert target(date(2025, 12, 31), 37.5, doc=published).hours == 300.0
    assert target(date(2026, 1, 1), 37.5, doc=published).hours == 400.0
    assert "transitional" in target(date(2025, 12, 31), 37.5, doc=published).basis
    # ST0893's listing is not confirmed: Aug-Dec 2025 starts are not confirmed
    result = target(date(2025, 9, 1), 37.5, "ST0893", published)
    assert result.hours is None and "transitional" in result.needs


def test_a_figure_marked_confirmed_must_be_given(tmp_path):
    """The data cannot claim a figure is confirmed without the figure (no silent default).

    Source: https://feweek.co.uk/dfe-sets-minimum-off-the-job-hours-for-each-apprenticeship-standard
    """
    document = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    document["standards"]["ST0218"]["status"] = "confirmed"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ValueError, match="exactly when status is confirmed"):
        load_document(path)


# ---- breaks in learning ---------------------------------------------------------------


def test_an_absence_of_up_to_4_weeks_is_not_a_break_and_moves_nothing():
    """An absence of up to 4 weeks is not a break in learning: no formal pause, the end
    date does not move. More than 4 weeks is a formal break and the end moves on by its
    length.

    Source: https://haso.skillsforhealth.org.uk/news/breaks-in-apprenticeship-training/
    ("A break of up to 4 weeks results in no delay or formal pause")
    """
    end = date(2024, 1, 2)
    four_weeks = Break(date(2023, 4, 3), date(2023, 4, 30))  # 28 days
    longer = Break(date(2023, 4, 3), date(2023, 5, 1))  # 29 days
    assert formal_breaks([four_weeks]) == ()
    assert adjusted_end_date(end, formal_breaks([four_weeks])) == end
    assert formal_breaks([longer]) == (longer,)
    assert adjusted_end_date(end, formal_breaks([longer])) == date(2024, 1, 31)


def test_an_ongoing_break_becomes_formal_after_4_weeks():
    """An ongoing absence counts as a formal break once it passes 4 weeks.

    Source: https://haso.skillsforhealth.org.uk/news/breaks-in-apprenticeship-training/
    """
    ongoing = Break(date(2023, 4, 3))
    assert formal_breaks([ongoing], as_of=date(2023, 4, 30)) == ()  # day 28
    assert formal_breaks([ongoing], as_of=date(2023, 5, 1)) == (ongoing,)  # day 29


# ---- English and maths ---------------------------------------------------------------


def test_english_and_maths_by_age_at_start_from_11_february_2025():
    """From 11 February 2025 English and maths are optional for apprentices aged 19 or
    over at the start (new and existing apprentices) and still required for those aged
    16 to 18; before that date every apprentice needed them. Without a recorded age the
    answer is not known (None), not a guess.

    Source: https://help.apprenticeships.education.gov.uk/hc/en-gb/articles/24562861869586-Changes-to-English-and-maths-requirements
    """
    before, after = date(2025, 2, 10), date(2025, 2, 11)
    assert english_maths_required(25, before) is True
    assert english_maths_required(25, after) is False
    assert english_maths_required(19, after) is False
    assert english_maths_required(18, after) is True
    assert english_maths_required(None, after) is None
    assert english_maths_required(None, before) is True


# ---- nations ---------------------------------------------------------------------------


def test_the_rules_apply_in_england_only():
    """The DfE/ESFA apprenticeship funding rules are England's; Scotland, Wales and
    Northern Ireland run their own apprenticeship systems.

    Source: https://www.gov.uk/guidance/apprenticeship-funding-rules (apprenticeships in
    England)
    """
    assert rules_apply_in("England")
    for nation in ("Scotland", "Wales", "Northern Ireland", None):
        assert not rules_apply_in(nation)


# ---- minimum duration and reviews on each side of 1 August 2025 ---------------------


def test_minimum_duration_drops_from_12_to_8_months_on_1_august_2025():
    """Starts up to 31 July 2025 need 12 months (part time extended pro rata); from
    1 August 2025 8 months, with no part-time extension.

    Source: https://www.cityandguilds.com/news/may-2025/2025-26-apprenticeship-funding-rules
    """
    from portfolio.progress.apprenticeship import minimum_end_date

    assert minimum_end_date(date(2025, 7, 31)) == date(2026, 7, 31)
    assert minimum_end_date(date(2025, 8, 1)) == date(2026, 4, 1)
    # part time 20 h: extended before, not after
    assert minimum_end_date(date(2025, 7, 31), contracted_hours_per_week=20) > date(
        2026, 7, 31
    )
    assert minimum_end_date(date(2025, 8, 1), contracted_hours_per_week=20) == date(
        2026, 4, 1
    )


def test_review_interval_changes_from_12_weeks_to_3_months_on_1_august_2025():
    """Progress reviews at least every 12 weeks for starts up to 31 July 2025; every
    3 calendar months from 1 August 2025.

    Sources: https://www.gov.uk/guidance/apprenticeship-funding-rules-for-training-providers/progress-reviews ;
    https://customerhelp.education.gov.uk/hc/en-gb/community/posts/27228014966034-Progress-Review-Frequency
    """
    from portfolio.progress.apprenticeship import next_review_due

    before, after = date(2025, 7, 31), date(2025, 8, 1)
    assert next_review_due(
        rules_for(before), before, None, before
    ) == before + timedelta(weeks=12)
    assert next_review_due(rules_for(after), after, None, after) == date(2025, 11, 1)
