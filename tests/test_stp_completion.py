"""STP on the web: the review of progression on the progress page, in flags and in the
cohort; completion (FYA sittings, MSc, e-portfolio sign-off) and extensions on the
enrolment page, with who may record what. Runs on SQLite and on PostgreSQL.

The tests build their own small STP curriculum (a phase 1 rotation, a phase 2 module,
the core module S-C1 and an MSF round), so they do not depend on the shipped files.
"""

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from portfolio.accounts.services import find_user
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.enrolments import services as training
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.services import SupervisorInput
from portfolio.enrolments.stp_models import FyaSitting
from portfolio.enrolments.stp_models import TrainingExtension
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.extensions import db
from portfolio.progress import tracking
from tests.conftest import PASSWORD

TODAY = date.today()
# Started two Septembers ago: the end of year 1 (30 September last year) has passed.
START = date(TODAY.year - 2, 9, 1)
END = date(TODAY.year + 1, 8, 31)

OUTCOMES = [
    # code, parent, type, module_type, phase, source_ref, evidence rules
    ("T-R1", None, "module", "rotation", 1, None, {}),
    ("T-R1-TA1", "T-R1", "DTA", None, None, None, {}),
    ("T-S1", None, "module", "specialist", 2, "S-XX-S1", {}),
    ("T-S1-TA1", "T-S1", "DTA", None, None, None, {}),
    ("T-C1", None, "module", "core", None, "S-C1", {}),
    ("T-C1-TA1", "T-C1", "DTA", None, None, None, {}),
    ("T-C1-TA2", "T-C1", "DTA", None, None, None, {}),
    ("T-MSF1", None, "assessment", None, None, None, {"kinds": ["msf"]}),
]


@dataclass
class Stp:
    trainee: str
    officer: str
    supervisor: str
    lead: str
    leeds_lead: str
    admin: str
    enrolment_id: str


@pytest.fixture
def stp(app, factory):
    people = {
        "trainee": factory.user("trainee", "RBV", "tara@example.org", "Tara Trainee"),
        "officer": factory.user(
            "supervisor", "RBV", "otto@example.org", "Otto Officer"
        ),
        "supervisor": factory.user(
            "supervisor", "RBV", "sue@example.org", "Sue Supervisor"
        ),
        "lead": factory.user("training_lead", "RBV", "lena@example.org", "Lena Lead"),
        "leeds_lead": factory.user(
            "training_lead", "RR8", "liam@example.org", "Liam Leeds"
        ),
        "admin": factory.user("admin", None, "ada@example.org", "Ada Admin"),
    }
    with app.app_context():
        curriculum = Curriculum(
            slug="stp-test",
            version="1",
            kind="stp",
            title="STP Test Specialty",
            effective_from=date(2022, 9, 1),
            content_hash="test",
            specialism="XX",
        )
        db.session.add(curriculum)
        db.session.flush()
        for position, (code, parent, kind, mtype, phase, ref, rules) in enumerate(
            OUTCOMES
        ):
            db.session.add(
                Outcome(
                    curriculum_id=curriculum.id,
                    code=code,
                    parent_code=parent,
                    origin_slug="stp-test",
                    type=kind,
                    title=f"Outcome {code}",
                    module_type=mtype,
                    phase=phase,
                    source_ref=ref,
                    evidence_rules=rules,
                    position=position,
                    depth=1 if parent else 0,
                )
            )
        db.session.commit()
        enrolment = training.create_enrolment(
            find_user(people["lead"]),
            trainee=people["trainee"],
            curriculum="stp-test",
            organisation="RBV",
            start_date=START,
            expected_end_date=END,
            supervisors=[
                SupervisorInput(people["officer"], "training_officer"),
                SupervisorInput(people["supervisor"], "assessor"),
            ],
        )
        enrolment_id = enrolment.id
        db.session.remove()
    return Stp(**people, enrolment_id=enrolment_id)


def sign(app, stp, *codes):
    """Signed-off evidence against outcomes (the sign-off workflow has its own tests)."""
    with app.app_context():
        owner = find_user(stp.trainee)
        for code in codes:
            outcome = db.session.scalar(sa.select(Outcome).where(Outcome.code == code))
            item = Evidence(
                owner_id=owner.id,
                kind="msf" if code == "T-MSF1" else "reflection",
                title=f"Evidence for {code}",
                occurred_on=START,
                status="signed_off",
            )
            db.session.add(item)
            db.session.flush()
            db.session.add(OutcomeClaim(evidence_id=item.id, outcome_id=outcome.id))
        tracking.refresh_progress(owner.id)
        db.session.commit()


def day(name, value: date) -> dict:
    return {
        f"{name}[day]": str(value.day),
        f"{name}[month]": str(value.month),
        f"{name}[year]": str(value.year),
    }


@pytest.fixture
def signed_in(client):
    def sign_in(email):
        client.post("/auth/logout")
        client.delete_cookie("session")
        response = client.post(
            "/auth/login", data={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 302
        return client

    return sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


# ---- the review of progression ---------------------------------------------------------------


def test_progress_page_shows_each_review_point_with_its_rule_and_source(stp, signed_in):
    """Progress page: the 2023+ review points, their requirements and the NSHCS source.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    page = text(signed_in(stp.trainee).get(f"/progress/{stp.enrolment_id}"))
    assert "STP review of progression" in page
    assert "Six-month check-in (March of year 1)" in page
    assert "End of year 1 review" in page and "End of year 2 review" in page
    assert "Summary of progression requirement responsibilities" in page
    assert "the-stp-review-of-progression/summary-of-progression" in page
    assert "Phase 1 rotations complete" in page
    assert "S-C2 is not yet loaded in the curriculum files" in page
    assert "Not confirmed:" in page
    # The end of year 1 passed without the rotations or a review meeting: flagged.
    assert f"End of year 1 review not met by 30 Sep {START.year + 1}" in page


def test_a_review_meeting_in_september_meets_the_end_of_year_1_point(
    app, stp, signed_in
):
    """Rotations complete and a signed review meeting held 1 to 30 September.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/stp-progression-monitoring-timelines"""
    sign(app, stp, "T-R1-TA1")
    held = date(START.year + 1, 9, 15)
    client = signed_in(stp.officer)
    response = client.post(
        f"/progress/{stp.enrolment_id}/reviews",
        data={"held_on": held.isoformat(), "summary": "End of year 1 review"},
    )
    assert response.status_code == 302
    with app.app_context():
        enrolment = db.session.get(Enrolment, stp.enrolment_id)
        review = tracking.reviews_of(enrolment)[0]
        for email in (stp.trainee, stp.lead):
            training.sign_review(find_user(email), enrolment, review.id)
        standing = tracking.standing(enrolment)
        year_1 = next(p for p in standing.stp.points if p.code == "end_of_year_1")
        assert year_1.status == "met"
        assert not any("End of year 1" in f.message for f in standing.flags)


def test_trainee_records_an_exception_and_it_is_flagged(stp, signed_in):
    """Exceptions reported to the School (by exception, 1 to 30 September) show as flags.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/faqs-on-stp-review-of-progression/"""
    client = signed_in(stp.trainee)
    url = f"/progress/{stp.enrolment_id}/stp/records"
    bad = client.post(url, data={"stp-kind": "exception", **day("stp-held_on", TODAY)})
    assert bad.status_code == 422
    assert "There is a problem" in text(bad)
    assert "Choose who reported the exception" in text(bad)
    assert "Describe the issue reported to the School" in text(bad)
    assert f'value="{TODAY.day}"' in text(bad)  # what was typed is kept
    # The form again posts to the same URL, and Cancel goes back to the review.
    assert f'action="{url}"' in text(bad)
    assert f'href="/progress/{stp.enrolment_id}#stp-review"' in text(bad)
    ok = client.post(
        url,
        data={
            "stp-kind": "exception",
            "stp-reporter": "trainee",
            "stp-text": "No rotation placements <b>booked</b>",
            **day("stp-held_on", TODAY),
        },
    )
    assert ok.status_code == 302
    page = text(client.get(f"/progress/{stp.enrolment_id}"))
    assert "Exception reported to the School on" in page
    assert "No rotation placements &lt;b&gt;booked&lt;/b&gt;" in page


def test_check_in_records_its_topics(stp, signed_in):
    """The March check-in covers inductions, a training plan, supervision and more.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/the-progression-requirements/"""
    client = signed_in(stp.officer)
    response = client.post(
        f"/progress/{stp.enrolment_id}/stp/records",
        data={
            "stp-kind": "check_in",
            "stp-topics": ["training_plan", "study_time"],
            **day("stp-held_on", date(START.year + 1, 3, 12)),
        },
    )
    assert response.status_code == 302
    page = text(client.get(f"/progress/{stp.enrolment_id}"))
    assert "a training plan in place, 20% study time supported" in page


def test_who_may_record_review_of_progression_items(stp, signed_in):
    """The trainee their own evaluation; the training officer theirs; others not at all.
    https://nshcs.hee.nhs.uk/knowledgebase/guidance-for-the-midterm-review-of-progression-for-stp-trainees/components-measuring-progression/"""
    url = f"/progress/{stp.enrolment_id}/stp/records"
    data = {"stp-kind": "midterm_officer", **day("stp-held_on", TODAY)}
    assert signed_in(stp.trainee).post(url, data=data).status_code == 403
    assert signed_in(stp.supervisor).post(url, data=data).status_code == 403
    assert signed_in(stp.officer).post(url, data=data).status_code == 302
    assert signed_in(stp.leeds_lead).post(url, data=data).status_code == 404


def test_cohort_shows_the_stp_review_column_and_csv(stp, signed_in):
    """The cohort names each trainee's review point, its state and its rule.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-officers-on-stp-review-of-progression/the-progression-requirements/"""
    client = signed_in(stp.lead)
    page = text(client.get("/cohort/"))
    assert ">STP review</th>" in page
    assert "Rule: NSHCS:" in page and "Not met by the date" in page
    csv = text(client.get("/cohort.csv"))
    assert csv.splitlines()[0].endswith(",stp_review")
    assert "Six-month check-in (March of year 1)" in csv


# ---- completion -----------------------------------------------------------------------------------


def sitting(client, stp, on: date, outcome: str):
    return client.post(
        f"/enrolments/{stp.enrolment_id}/stp/fya",
        data={"outcome": outcome, **day("sat_on", on)},
    )


def test_fya_has_at_most_three_attempts_and_non_attendance_counts(app, stp, signed_in):
    """Three opportunities in all; not attending is a failed attempt.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/preparing-for-the-stp-final-year-assessment/preparing-to-re-sit-the-assessment"""
    client = signed_in(stp.lead)
    assert sitting(client, stp, date(START.year + 1, 6, 20), "fail").status_code == 302
    page = text(client.get(f"/progress/{stp.enrolment_id}"))
    assert "Final Year Assessment attempt 1 not passed; 2 attempt(s) left" in page
    assert (
        sitting(client, stp, date(START.year + 1, 6, 20), "fail").status_code == 422
    )  # a re-sit comes after the last one
    assert (
        sitting(client, stp, date(START.year + 1, 11, 2), "did_not_attend").status_code
        == 302
    )
    assert sitting(client, stp, date(START.year + 2, 6, 2), "fail").status_code == 302
    assert sitting(client, stp, date(START.year + 2, 7, 2), "pass").status_code == 409
    with app.app_context():
        attempts = db.session.scalars(
            sa.select(FyaSitting.attempt).where(
                FyaSitting.enrolment_id == stp.enrolment_id
            )
        ).all()
        assert sorted(attempts) == [1, 2, 3]
    page = text(client.get(f"/progress/{stp.enrolment_id}"))
    assert "All 3 Final Year Assessment attempts used without a pass" in page


def test_an_awaited_sitting_gets_its_result(app, stp, signed_in):
    """A sitting is recorded, then its result; the next waits for that result.
    https://nshcs.hee.nhs.uk/programmes/stp/the-stp-final-year-assessment/stp-final-year-assessment-regulations"""
    client = signed_in(stp.lead)
    assert (
        sitting(client, stp, date(START.year + 1, 6, 20), "awaiting").status_code == 302
    )
    assert sitting(client, stp, date(START.year + 1, 11, 2), "fail").status_code == 409
    with app.app_context():
        sitting_id = db.session.scalar(sa.select(FyaSitting.id))
    url = f"/enrolments/{stp.enrolment_id}/stp/fya/{sitting_id}/result"
    refused = client.post(url, data={})
    assert refused.status_code == 422
    # Refused, the form posts again to its own URL (with the sitting's id).
    assert f'action="{url}"' in text(refused)
    assert f'href="/enrolments/{stp.enrolment_id}#stp-completion"' in text(refused)
    assert client.post(url, data={"result-outcome": "pass"}).status_code == 302
    page = text(client.get(f"/enrolments/{stp.enrolment_id}"))
    assert "STP Final Year Assessment passed: Passed" in page


def test_completion_needs_the_portfolio_signed_off_the_msc_and_the_fya(
    app, stp, signed_in
):
    """Completion: 100% of the e-portfolio, the MSc and a pass in the FYA.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-departments-on-stp-2025-completion/what-are-you-expected-to-complete"""
    client = signed_in(stp.lead)
    base = f"/enrolments/{stp.enrolment_id}/stp"
    early = client.post(f"{base}/portfolio-sign-off", data=day("signed_on", TODAY))
    assert early.status_code == 422
    assert "only when 100% of the work-based curriculum" in text(early)
    sign(app, stp, *(code for code, _, kind, *_ in OUTCOMES if kind != "module"))
    assert (
        client.post(
            f"{base}/portfolio-sign-off", data=day("signed_on", TODAY)
        ).status_code
        == 302
    )
    no_date = client.post(f"{base}/msc", data={"msc_status": "awarded"})
    assert no_date.status_code == 422
    assert "Enter the date the MSc was awarded" in text(no_date)
    assert (
        client.post(
            f"{base}/msc",
            data={
                "msc_status": "awarded",
                "institution": "University of Manchester",
                **day("awarded_on", TODAY),
            },
        ).status_code
        == 302
    )
    page = text(client.get(f"/enrolments/{stp.enrolment_id}"))
    assert "All three completion requirements are recorded." not in page
    assert sitting(client, stp, date(START.year + 1, 6, 20), "pass").status_code == 302
    page = text(client.get(f"/enrolments/{stp.enrolment_id}"))
    assert "All three completion requirements are recorded." in page


def test_only_leads_of_the_trust_and_admins_record_completion(stp, signed_in):
    """Completion records are kept by the training lead of the trust, or an admin.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-departments-on-stp-2025-completion/what-are-you-expected-to-complete"""
    url = f"/enrolments/{stp.enrolment_id}/stp/msc"
    data = {"msc_status": "studying"}
    assert signed_in(stp.trainee).post(url, data=data).status_code == 403
    assert signed_in(stp.officer).post(url, data=data).status_code == 403
    assert signed_in(stp.leeds_lead).post(url, data=data).status_code == 404
    assert signed_in(stp.admin).post(url, data=data).status_code == 302
    assert signed_in(stp.lead).post(url, data=data).status_code == 302
    page = text(signed_in(stp.officer).get(f"/enrolments/{stp.enrolment_id}"))
    assert "STP completion" in page and "Record the MSc" not in page


def test_an_extension_is_recorded_apart_from_breaks_and_holds_review_flags(
    app, stp, signed_in
):
    """Statutory absence (e.g. maternity) extends training; it is not a break in learning.
    https://nshcs.hee.nhs.uk/publications/exceptional-extenuating-circumstances-policy/html/"""
    client = signed_in(stp.lead)
    url = f"/enrolments/{stp.enrolment_id}/stp/extensions"
    bad = client.post(
        url,
        data={
            "extension-kind": "statutory_absence",
            "extension-start_date[day]": "31",
            "extension-start_date[month]": "2",
            "extension-start_date[year]": str(TODAY.year),
        },
    )
    assert bad.status_code == 422 and "Enter a real date" in text(bad)
    ok = client.post(
        url,
        data={
            "extension-kind": "statutory_absence",
            "extension-reason": "Maternity leave",
            **{f"extension-{k}": v for k, v in day("start_date", START).items()},
            **{
                f"extension-{k}": v
                for k, v in day("new_end_date", date(END.year + 1, 5, 31)).items()
            },
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        enrolment = db.session.get(Enrolment, stp.enrolment_id)
        assert enrolment.breaks == [] and enrolment.status == "active"
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(TrainingExtension))
            == 1
        )
        flags = {f.code for f in tracking.standing(enrolment).flags}
        assert "stp_review_missed" not in flags
    page = text(client.get(f"/enrolments/{stp.enrolment_id}"))
    assert "Statutory absence" in page and "Maternity leave" in page


# ---- the API ---------------------------------------------------------------------------------------


def test_api_gives_the_review_points_and_completion_as_documented(
    app, client, stp, signed_in, api
):
    """GET /api/v1/enrolments/{id}/stp: the points with their sources, and completion.
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/the-stp-review-of-progression/summary-of-progression-requirement-responsibilities"""
    import jsonschema

    sitting(signed_in(stp.lead), stp, date(START.year + 1, 6, 20), "fail")
    path = f"/api/v1/enrolments/{stp.enrolment_id}/stp"
    response = api(stp.trainee).get(path)
    assert response.status_code == 200
    body = response.get_json()
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = spec["paths"]["/enrolments/{enrolment_id}/stp"]["get"]
    assert documented["operationId"] == "enrolmentStp"
    jsonschema.validate(
        body, documented["responses"]["200"]["content"]["application/json"]["schema"]
    )
    assert [p["code"] for p in body["points"]] == [
        "check_in",
        "end_of_year_1",
        "end_of_year_2",
    ]
    year_2 = body["points"][2]
    assert any(
        r["state"] == "not_loaded" and "S-C2" in r["label"]
        for r in year_2["requirements"]
    )
    assert body["fya_sittings"][0]["outcome"] == "fail"
    assert body["completion"]["complete"] is False
    assert "stp_fya_failed" in {f["code"] for f in body["flags"]}
    assert api(stp.leeds_lead).get(path).status_code == 404


def test_the_cohort_flags_what_the_progress_page_flags_from_stp_records(
    app, stp, signed_in, api
):
    """An exception reported to the School and a failed FYA sitting are flagged in
    the cohort as on the enrolment's own progress (the cohort reads whether there
    are such records in its one query of enrolments, then only those records).
    https://nshcs.hee.nhs.uk/programmes/stp/trainees/faqs-on-stp-review-of-progression/"""

    def cohort_flags() -> set[str]:
        items = api(stp.lead).get("/api/v1/cohort").get_json()["items"]
        mine = next(i for i in items if i["enrolment"] == stp.enrolment_id)
        return {f["code"] for f in mine["flags"]}

    def own_flags() -> set[str]:
        with app.app_context():
            enrolment = db.session.get(Enrolment, stp.enrolment_id)
            return {f.code for f in tracking.standing(enrolment).flags}

    assert not {"stp_exception", "stp_fya_failed"} & cohort_flags()
    client = signed_in(stp.trainee)
    recorded = client.post(
        f"/progress/{stp.enrolment_id}/stp/records",
        data={
            "stp-kind": "exception",
            "stp-reporter": "trainee",
            "stp-text": "No rotation placements booked",
            **day("stp-held_on", TODAY),
        },
    )
    assert recorded.status_code == 302
    assert sitting(signed_in(stp.lead), stp, TODAY, "fail").status_code == 302
    flags = cohort_flags()
    assert {"stp_exception", "stp_fya_failed"} <= flags
    assert flags == own_flags()
