"""Worked examples for the progress engine (portfolio/progress/engine.py)."""

import itertools
from datetime import date

from portfolio.progress.engine import EvidenceFact
from portfolio.progress.engine import OutcomeSpec
from portfolio.progress.engine import compute_progress
from portfolio.progress.engine import percent

ETA_RULES = {"min_items": 2, "distinct_dates": 2, "reflections": 2}
DTA_RULES = {"min_items": 1, "reflections": 1}
D1 = date(2025, 1, 6)
D2 = date(2025, 2, 3)
D3 = date(2025, 3, 3)

_ids = itertools.count(1)


def fact(kind, on, status, *codes, id=None):
    """Build one evidence item claimed against the given outcome codes."""
    return EvidenceFact(
        id=id or f"e{next(_ids)}",
        kind=kind,
        occurred_on=on,
        status=status,
        outcome_codes=frozenset(codes),
    )


def spec(code, type_, parent=None, evidence=None, assessments=None, retired=False):
    return OutcomeSpec(
        code=code,
        title=f"Title of {code}",
        type=type_,
        parent=parent,
        evidence=evidence or {},
        assessments=assessments or {},
        retired=retired,
    )


def one(outcome_spec, evidence):
    """Progress of a single countable outcome."""
    progress = compute_progress([outcome_spec], evidence)
    assert len(progress.outcomes) == 1
    return progress.outcomes[0]


def test_eta_needs_two_dates_and_two_reflections():
    eta = spec("TA1", "ETA", evidence=ETA_RULES)

    # Nothing claimed: not started. 2 items are needed and 2 reflections would give
    # them, so no separate "items" line; dates: 0 of 2.
    result = one(eta, [])
    assert result.status == "not_started"
    assert result.missing == [
        "needs evidence on 2 different dates",
        "needs 2 more reflections signed off",
    ]

    # One signed-off reflection on D1: items 1/2, dates 1/2, reflections 1/2.
    result = one(eta, [fact("reflection", D1, "signed_off", "TA1")])
    assert result.status == "in_progress"
    assert result.missing == [
        "needs evidence on a second date",
        "needs 1 more reflection signed off",
    ]

    # Two reflections on the same day: items 2/2, reflections 2/2, dates 1/2.
    same_day = [fact("reflection", D1, "signed_off", "TA1") for _ in range(2)]
    assert one(eta, same_day).missing == ["needs evidence on a second date"]

    # A reflection and a DOPS on different days: items 2/2, dates 2/2, but only 1 of
    # the 2 reflections.
    mixed = [
        fact("reflection", D1, "signed_off", "TA1"),
        fact("dops", D2, "signed_off", "TA1"),
    ]
    assert one(eta, mixed).missing == ["needs 1 more reflection signed off"]

    # Two reflections on two days meet every rule.
    done = [
        fact("reflection", D1, "signed_off", "TA1"),
        fact("reflection", D2, "signed_off", "TA1"),
    ]
    result = one(eta, done)
    assert result.status == "signed_off"
    assert result.missing == []
    assert (result.evidence_count, result.signed_off_count) == (2, 2)


def test_eta_only_signed_off_evidence_counts():
    eta = spec("TA1", "ETA", evidence=ETA_RULES)
    evidence = [
        fact("reflection", D1, "signed_off", "TA1"),
        fact("reflection", D2, "submitted", "TA1"),
    ]
    # The submitted reflection would complete it but does not count until signed.
    result = one(eta, evidence)
    assert result.status == "in_progress"
    assert (result.evidence_count, result.signed_off_count) == (2, 1)
    assert result.pending_count == 1
    assert result.missing == [
        "needs evidence on a second date",
        "needs 1 more reflection signed off",
        "1 item is waiting for sign-off",
    ]


def test_eta_third_date_and_many_dates_wording():
    three = spec("TA1", "ETA", evidence={"min_items": 3, "distinct_dates": 3})
    two_dates = [
        fact("document", D1, "signed_off", "TA1"),
        fact("document", D2, "signed_off", "TA1"),
    ]
    # items 2/3 and dates 2/3: one more item on a new date does both.
    assert one(three, two_dates).missing == [
        "needs 1 more item signed off",
        "needs evidence on a third date",
    ]
    four = spec("TA1", "ETA", evidence={"min_items": 1, "distinct_dates": 4})
    assert one(four, [fact("document", D1, "signed_off", "TA1")]).missing == [
        "needs evidence on 3 more dates"
    ]


def test_dta_needs_one_item_and_one_reflection():
    dta = spec("TA2", "DTA", evidence=DTA_RULES)
    # A signed-off document is the 1 item, but the reflection is still missing.
    document = [fact("document", D1, "signed_off", "TA2")]
    assert one(dta, document).missing == ["needs 1 more reflection signed off"]
    # A single reflection is both the item and the reflection.
    assert one(dta, [fact("reflection", D1, "signed_off", "TA2")]).status == (
        "signed_off"
    )


def test_outcome_without_rules_needs_one_signed_off_item():
    k1 = spec("K1", "K")
    assert one(k1, []).missing == ["needs 1 more item signed off"]
    assert one(k1, [fact("document", D1, "signed_off", "K1")]).status == "signed_off"
    # min_items 0 still needs one item: nothing is complete without evidence.
    k2 = spec("K2", "K", evidence={"min_items": 0})
    assert one(k2, []).status == "not_started"


def test_kinds_restrict_which_items_count():
    msf = spec("MSF1", "assessment", evidence={"kinds": ["msf"], "min_items": 1})
    # A signed-off reflection is not an MSF.
    result = one(msf, [fact("reflection", D1, "signed_off", "MSF1")])
    assert result.status == "in_progress"
    assert result.missing == ["needs 1 more MSF signed off"]
    assert one(msf, [fact("msf", D1, "signed_off", "MSF1")]).status == "signed_off"

    either = spec("S1", "S", evidence={"kinds": ["dops", "oce"], "min_items": 2})
    assert one(either, [fact("oce", D1, "signed_off", "S1")]).missing == [
        "needs 1 more item signed off (DOPS or OCE)"
    ]
    # Only reflections accepted: one line, not "items" and "reflections" twice.
    reflective = spec("B1", "B", evidence={"kinds": ["reflection"], "min_items": 2})
    assert one(reflective, []).missing == ["needs 2 more reflections signed off"]
    # kinds without reflection: reflections are needed on top of the listed kinds.
    both = spec(
        "S2", "S", evidence={"kinds": ["dops"], "min_items": 2, "reflections": 1}
    )
    assert one(both, []).missing == [
        "needs 2 more DOPS signed off",
        "needs 1 more reflection signed off",
    ]


def test_pending_returned_and_draft_messages_and_actions():
    dta = spec("TA2", "DTA", evidence=DTA_RULES)
    evidence = [
        fact("reflection", D1, "submitted", "TA2"),
        fact("document", D1, "submitted", "TA2"),
        fact("reflection", D2, "returned", "TA2"),
        fact("document", D3, "draft", "TA2"),
    ]
    progress = compute_progress([dta], evidence)
    result = progress.outcomes[0]
    assert result.status == "in_progress"
    assert (result.evidence_count, result.signed_off_count, result.pending_count) == (
        4,
        0,
        2,
    )
    assert result.missing == [
        "needs 1 more reflection signed off",
        "2 items are waiting for sign-off",
        "1 item was returned with feedback",
        "1 draft item has not been sent for sign-off",
    ]
    assert progress.next_actions == [
        "Act on the feedback on 1 returned item and send it back for sign-off",
        "Ask for sign-off of 1 draft item",
        "TA2: needs 1 more reflection signed off",
    ]


def module_with_wba(assessments):
    return [
        spec("M1", "module", assessments=assessments),
        spec("M1-LO1", "learning_outcome", "M1"),
        spec("M1-TA1", "DTA", "M1"),
        spec("M1-TA2", "DTA", "M1"),
    ]


def test_module_assessments_count_evidence_anywhere_in_the_module_once():
    outcomes = module_with_wba({"dops": 1, "oce": 1, "dops_or_oce": 2, "cbd": 1})
    evidence = [
        # claimed against two activities in the module: one DOPS, not two
        fact("dops", D1, "signed_off", "M1-TA1", "M1-TA2"),
        fact("dops", D2, "signed_off", "M1"),
        fact("dops", D3, "signed_off", "M1-LO1"),
        fact("cbd", D3, "submitted", "M1"),
        # an OCE outside the module does not count for it
        fact("oce", D3, "signed_off", "ELSEWHERE"),
    ]
    progress = compute_progress(outcomes, evidence)
    (module,) = progress.modules
    # 3 DOPS: 1 for "dops", the 2 left over fill "dops_or_oce" (2); OCE 0/1; CBD 0/1.
    # Assessment units done 1 + 0 + 2 + 0 = 3 of 5; both DTAs are done by the first
    # DOPS (no rules: 1 item), so the module is 2 + 3 = 5 of 2 + 5 = 7 units.
    assert (module.done_units, module.total_units) == (5, 7)
    assert module.percent_complete == 71.4  # 5 / 7 = 71.43%
    assert module.missing == [
        "needs 1 more OCE signed off",
        "needs 1 more CBD signed off",
        "1 assessment is waiting for sign-off",
    ]
    assert module.outcome_codes == ["M1-TA1", "M1-TA2"]
    assert "M1: needs 1 more OCE signed off; needs 1 more CBD signed off" in (
        progress.next_actions
    )


def test_dops_or_oce_uses_what_is_left_after_the_specific_requirements():
    outcomes = module_with_wba({"dops": 1, "dops_or_oce": 1})
    # Only an OCE: "dops" takes DOPS only, so it is short; the OCE fills the either slot.
    only_oce = [fact("oce", D1, "signed_off", "M1")]
    (module,) = compute_progress(outcomes, only_oce).modules
    assert module.missing == ["needs 1 more DOPS signed off"]
    assert (module.done_units, module.total_units) == (1, 4)  # 1 of 2 WBA + 0 of 2

    # One DOPS only: it goes to "dops" first, so the either slot is still empty.
    only_dops = [fact("dops", D1, "signed_off", "M1")]
    (module,) = compute_progress(outcomes, only_dops).modules
    assert module.missing == ["needs 1 more DOPS or OCE signed off"]

    both = [fact("dops", D1, "signed_off", "M1"), fact("oce", D2, "signed_off", "M1")]
    (module,) = compute_progress(outcomes, both).modules
    assert module.missing == []
    assert (module.done_units, module.total_units) == (2, 4)


def test_retired_outcomes():
    outcomes = [
        spec("M1", "module"),
        spec("TA1", "DTA", "M1"),
        spec("TA2", "DTA", "M1", retired=True),  # retired, no evidence
        spec("TA3", "DTA", "M1", retired=True),  # retired, signed-off evidence
        spec("TA4", "DTA", "M1", retired=True),  # retired, only a draft
        spec("OLD", "module", retired=True),
        spec("OLD-TA1", "DTA", "OLD"),  # below a retired module
    ]
    evidence = [
        fact("document", D1, "draft", "TA1"),
        fact("document", D1, "signed_off", "TA3"),
        fact("document", D1, "draft", "TA4"),
    ]
    progress = compute_progress(outcomes, evidence)
    # Counted: TA1 (not done) and TA3 (done because it already has signed evidence).
    assert [(o.code, o.status) for o in progress.outcomes] == [
        ("TA1", "in_progress"),
        ("TA3", "signed_off"),
    ]
    assert [m.code for m in progress.modules] == ["M1"]
    assert progress.percent_complete == 50.0  # 1 of 2
    assert all("TA2" not in action for action in progress.next_actions)


def test_percentages_over_modules_and_top_level_outcomes():
    outcomes = [
        *module_with_wba({"cbd": 1}),
        spec("M2", "module"),
        spec("M2-TA1", "ETA", "M2", evidence=ETA_RULES),
        spec("MSF1", "assessment", evidence={"kinds": ["msf"], "min_items": 1}),
    ]
    evidence = [
        fact("document", D1, "signed_off", "M1-TA1"),
        fact("cbd", D1, "signed_off", "M1-TA2"),  # TA2's item and the module's CBD
        fact("reflection", D1, "signed_off", "M2-TA1"),
    ]
    progress = compute_progress(outcomes, evidence)
    m1, m2 = progress.modules
    # M1: TA1, TA2 and the CBD all done: 3 of 3.
    assert (m1.done_units, m1.total_units, m1.percent_complete) == (3, 3, 100.0)
    # M2: its ETA is in progress: 0 of 1.
    assert (m2.done_units, m2.total_units, m2.percent_complete) == (0, 1, 0.0)
    # Curriculum: M1's 3 units + M2's 1 + the top-level MSF round = 5; 3 done = 60%.
    assert (progress.done_units, progress.total_units) == (3, 5)
    assert progress.percent_complete == 60.0
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7


def test_empty_curriculum_and_headings_only():
    progress = compute_progress([], [])
    assert progress.percent_complete == 0.0
    assert progress.to_dict() == {
        "percent_complete": 0.0,
        "outcomes": [],
        "modules": [],
    }
    assert progress.next_actions == []

    headings = [spec("M1", "module"), spec("M1-LO1", "learning_outcome", "M1")]
    progress = compute_progress(headings, [fact("document", D1, "signed_off", "M1")])
    assert progress.percent_complete == 0.0
    assert progress.outcomes == []
    assert (progress.modules[0].done_units, progress.modules[0].total_units) == (0, 0)


def test_only_leaves_count_and_results_come_in_tree_order():
    outcomes = [
        spec("HCPC-1.2", "standard", "HCPC-1"),  # listed before its parent
        spec("HCPC-1", "standard"),  # has a child, so it is a heading
        spec("HCPC-1.1", "standard", "HCPC-1"),
        spec("D1", "duty"),  # duties are never counted
    ]
    progress = compute_progress(outcomes, [])
    assert [o.code for o in progress.outcomes] == ["HCPC-1.2", "HCPC-1.1"]
    assert progress.next_actions == ["Start HCPC-1.2: Title of HCPC-1.2"]


def test_to_dict_matches_the_api_shape():
    outcomes = module_with_wba({"cbd": 1})
    evidence = [fact("document", D1, "signed_off", "M1-TA1")]
    data = compute_progress(outcomes, evidence).to_dict()
    assert data == {
        "percent_complete": 33.3,  # TA1 of TA1, TA2 and the CBD
        "outcomes": [
            {
                "code": "M1-TA1",
                "status": "signed_off",
                "evidence_count": 1,
                "missing": [],
            },
            {
                "code": "M1-TA2",
                "status": "not_started",
                "evidence_count": 0,
                "missing": ["needs 1 more item signed off"],
            },
        ],
        "modules": [
            {
                "code": "M1",
                "title": "Title of M1",
                "percent_complete": 33.3,
                "done_units": 1,
                "total_units": 3,
                "missing": ["needs 1 more CBD signed off"],
                "outcome_codes": ["M1-TA1", "M1-TA2"],
            }
        ],
    }


def test_300_outcomes_and_2000_evidence_items():
    # 20 modules x (the module + 1 learning outcome + 13 ETAs) = 300 outcomes, 260
    # of them counted. ETA number t (0..259), by t % 4: 0 = two reflections on two dates (done),
    # 1 = one signed reflection, 2 = one submitted reflection, 3 = nothing.
    # Each module needs 1 CBD and has one signed off. Everything else (1,720 items)
    # is claimed against another curriculum's codes.
    outcomes, evidence = [], []
    t = 0
    for m in range(20):
        module = f"M{m:02d}"
        outcomes.append(spec(module, "module", assessments={"cbd": 1}))
        outcomes.append(spec(f"{module}-LO1", "learning_outcome", module))
        evidence.append(fact("cbd", D1, "signed_off", module))
        for a in range(13):
            code = f"{module}-TA{a:02d}"
            outcomes.append(spec(code, "ETA", module, evidence=ETA_RULES))
            if t % 4 == 0:
                evidence.append(fact("reflection", D1, "signed_off", code))
                evidence.append(fact("reflection", D2, "signed_off", code))
            elif t % 4 == 1:
                evidence.append(fact("reflection", D1, "signed_off", code))
            elif t % 4 == 2:
                evidence.append(fact("reflection", D1, "submitted", code))
            t += 1
    # 20 CBDs + 65 x 2 + 65 + 65 = 280 items so far
    evidence += [
        fact("document", D3, "signed_off", f"OTHER-{i % 50}", "M00-LO1")
        for i in range(2000 - len(evidence))
    ]
    assert (len(outcomes), len(evidence)) == (300, 2000)

    progress = compute_progress(outcomes, evidence)
    statuses = [o.status for o in progress.outcomes]
    assert len(statuses) == 260
    assert statuses.count("signed_off") == 65
    assert statuses.count("in_progress") == 130
    assert statuses.count("not_started") == 65
    # done: 65 ETAs + 20 CBDs = 85 of 260 + 20 = 280 units; 85 / 280 = 30.36%
    assert (progress.done_units, progress.total_units) == (85, 280)
    assert progress.percent_complete == 30.4
    # M00 holds t = 0..12: done t = 0, 4, 8, 12 -> 4 + its CBD = 5 of 14 = 35.71%
    assert progress.modules[0].percent_complete == 35.7
    # closest to completion: one signed reflection (shortfall 1) beats one submitted
    # reflection (shortfall 2); ties keep tree order -> t = 1, 5, 9
    assert progress.next_actions == [
        "M00-TA01: needs evidence on a second date; needs 1 more reflection signed off",
        "M00-TA05: needs evidence on a second date; needs 1 more reflection signed off",
        "M00-TA09: needs evidence on a second date; needs 1 more reflection signed off",
    ]


def test_next_actions_for_a_new_trainee():
    # Nothing under way: start the first outcome, then the module's assessments.
    progress = compute_progress(module_with_wba({"cbd": 1}), [])
    assert progress.next_actions == [
        "Start M1-TA1: Title of M1-TA1",
        "M1: needs 1 more CBD signed off",
    ]
