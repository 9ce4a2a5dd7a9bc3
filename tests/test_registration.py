"""Registration routes: the workspace per route, its pack (every standard with its
evidence or its gap), proposers and referees by ticket, evidence that follows the
person from their training, and CPD after registration."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
import yaml

from portfolio.accounts.services import find_user
from portfolio.curriculum import services as curricula
from portfolio.enrolments import services as training
from portfolio.extensions import db
from portfolio.notifications.models import Notification
from portfolio.paths import PROJECT_ROOT
from portfolio.registration import cpd
from portfolio.registration import services
from portfolio.registration.models import Nominee
from portfolio.registration.models import RegisterEntry
from portfolio.registration.models import RegistrationApplication
from tests.conftest import PASSWORD
from tests.helpers.capacity import pdf_text
from tests.helpers.curricula import CURRICULA
from tests.helpers.outbox import emailed_link
from tests.world import REFLECTION
from tests.world import sign_off

EXTRA = (
    CURRICULA / "frameworks" / "rct-scopes.yaml",
    CURRICULA / "frameworks" / "hcpc-scpe.yaml",
    CURRICULA / "frameworks" / "hcpc-cpd.yaml",
    CURRICULA / "frameworks" / "rct-cpd.yaml",
    CURRICULA / "clinical-technologist" / "ctts.yaml",
    CURRICULA / "crosswalks" / "stp-rp-hcpc.yaml",
    CURRICULA / "crosswalks" / "stp-rp-hcpc-sub.yaml",
    CURRICULA / "crosswalks" / "stp-core-hcpc.yaml",
    CURRICULA / "crosswalks" / "stp-core-hcpc-sub.yaml",
    CURRICULA / "crosswalks" / "ctts-rct.yaml",
    CURRICULA / "crosswalks" / "ctts-rct-tasks.yaml",
)
CHOICES = {
    "rct_primary": "RCT7",
    "rct_equivalence": "RCT7",
    "ahcs_stp_equivalence": "stp-rp",
    "hcpc_international": None,
}


@pytest.fixture
def reg(app, world, as_):
    """The world, the registration standards and crosswalks, and one signed-off
    reflection on linac QA (P-RP-S2-TA01) by the trainee."""
    with app.app_context():
        report = curricula.load_paths(list(EXTRA))
        assert not getattr(report, "errors", None), report
    evidence_id = sign_off(
        as_, world, {**REFLECTION, "title": "Linac QA after a magnetron change"}
    )
    world.evidence_id = evidence_id
    return world


def _start(client, route, choice):
    data = {"route": route}
    if choice and route.startswith("rct"):
        data["scope"] = choice
    elif choice:
        data["curriculum"] = choice
    response = client.post("/registration/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def _pack_text(client, application_id, work_jobs, tmp_path):
    made = client.post(f"/registration/{application_id}/pack")
    assert made.status_code == 302
    export_id = made.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    work_jobs()
    download = client.get(f"/exports/{export_id}/file")
    assert download.status_code == 200, download.status_code
    data = download.data
    download.close()
    assert data.startswith(b"%PDF")
    return data, pdf_text(data, tmp_path)


@pytest.mark.parametrize("route", list(CHOICES))
def test_each_routes_pack_lists_every_standard_with_its_evidence_or_gap(
    app, client, login, reg, work_jobs, tmp_path, route
):
    login(reg.trainee)
    application_id = _start(client, route, CHOICES[route])
    page = client.get(f"/registration/{application_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Gap: No evidence yet for" in html
    with app.app_context():
        application = db.session.get(RegistrationApplication, application_id)
        sections = services.standards_map(application)
        rows = [r for s in sections for r in s.rows]
        mapped = {r.code for r in rows if r.evidence}
    assert rows and all(not s.missing for s in sections)
    data, text = _pack_text(client, application_id, work_jobs, tmp_path)
    flat = re.sub(r"\s+", " ", text)
    # Every standard is listed, by its code.
    missing = [r.code for r in rows if r.code not in text]
    assert not missing, missing
    # The evidence is cited where it maps, and gaps are said in words.
    assert "No evidence yet for" in flat
    expected = {
        "rct_primary": set(),  # an STP item maps to no technologist task
        "rct_equivalence": {"GSP2"},
        "ahcs_stp_equivalence": {"GSP2", "P-RP-S2-LO1", "P-RP-S2-LO2"},
        "hcpc_international": {"SOP11", "SOP11.3", "SOP11.4", "SOP14", "SOP14.3"},
    }[route]
    assert expected <= mapped, (expected, mapped)
    assert ("Linac QA after a magnetron change" in flat) == bool(expected)
    # The register's structure: statements, the nominees, the evidence index.
    assert "Statements" in flat and "Index of evidence" in flat
    assert ("Proposers" if route.startswith("rct") else "Referees") in flat
    if route == "ahcs_stp_equivalence":
        assert "Ratification and certification" in flat and "(current stage)" in flat
    # Verifiable like every export.
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text).group(0)
    upload = client.post(
        f"/verify/{code}",
        data={"file": (io.BytesIO(data), "pack.pdf")},
        content_type="multipart/form-data",
    )
    assert "This file is genuine" in upload.get_data(as_text=True)


def test_a_sub_standard_without_its_own_evidence_names_the_heading_evidence(app, reg):
    with app.app_context():
        owner = find_user(reg.trainee)
        application = services.start(owner, "hcpc_international", None)
        rows = {r.code: r for s in services.standards_map(application) for r in s.rows}
    assert rows["SOP11.3"].evidence and rows["SOP11.3"].gap() is None
    # SOP11 is mapped at standard level, SOP11.2 is not mapped itself.
    assert rows["SOP11.2"].heading_evidence and not rows["SOP11.2"].evidence
    assert "mapped to SOP11 as a whole" in rows["SOP11.2"].gap()
    assert rows["SOP3.1"].gap().startswith("No evidence yet for SOP3.1")


def test_core_activity_evidence_reaches_the_sub_standard_it_names(app, reg, as_):
    sign_off(
        as_,
        reg,
        {
            **REFLECTION,
            "title": "Audit of QA record completeness",
            "claims": [{"curriculum": "stp-rp", "code": "P-C1-TA05"}],
        },
    )
    with app.app_context():
        application = services.start(find_user(reg.trainee), "hcpc_international", None)
        rows = {r.code: r for s in services.standards_map(application) for r in s.rows}
    titles = {e.title for e in rows["SOP11.6"].evidence}
    assert "Audit of QA record completeness" in titles
    assert "Audit of QA record completeness" not in {
        e.title for e in rows["SOP11.5"].evidence
    }


def test_technologist_scheme_evidence_follows_the_person_into_registration_and_cpd(
    app, client, login, reg, as_
):
    with app.app_context():
        lead = find_user(reg.lead)
        training.create_enrolment(
            lead,
            trainee=reg.trainee,
            curriculum="ctts",
            organisation="RBV",
            start_date=date(2024, 9, 1),
            expected_end_date=date(2026, 8, 31),
        )
    item = sign_off(
        as_,
        reg,
        {
            **REFLECTION,
            "title": "Linac QA as a technologist",
            "claims": [{"curriculum": "ctts", "code": "CT-S7-01"}],
        },
    )
    login(reg.trainee)
    application_id = _start(client, "rct_primary", "RCT7")
    with app.app_context():
        application = db.session.get(RegistrationApplication, application_id)
        rows = {r.code: r for s in services.standards_map(application) for r in s.rows}
    assert [e.title for e in rows["P-RCT7-T1"].evidence] == [
        "Linac QA as a technologist"
    ]
    assert rows["RCT7"].evidence  # the specialist module maps to the scope
    # The same item supports a CPD activity, chosen from the person's own evidence.
    page = client.get("/cpd/new")
    assert "Linac QA as a technologist" in page.get_data(as_text=True)
    saved = client.post(
        "/cpd/new",
        data={
            "title": "Linac QA course",
            "activity_type": "formal",
            "occurred_on[day]": "3",
            "occurred_on[month]": "3",
            "occurred_on[year]": "2026",
            "hours": "6",
            "learning": "New tolerances",
            "benefit": "Safer treatments",
            "standards": ["CPD2", "CPD4"],
            "evidence_id": item,
        },
    )
    assert saved.status_code == 302


def test_referee_confirms_by_ticket_once(app, client, login, reg):
    login(reg.trainee)
    application_id = _start(client, "ahcs_stp_equivalence", "stp-rp")
    refused = client.post(
        f"/registration/{application_id}/nominees",
        data={"name": "", "email": "not-an-email", "relationship_to": ""},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Enter their full name" in html and "correct format" in html
    named = client.post(
        f"/registration/{application_id}/nominees",
        data={
            "name": "Dr Ruth Ellis",
            "email": "ruth.ellis@nhs.net",
            "relationship_to": "Line manager",
        },
    )
    assert named.status_code == 302
    token = emailed_link(app, "ruth.ellis@nhs.net", "/ticket/").removeprefix("/ticket/")
    anonymous = app.test_client()
    assert (
        anonymous.get(f"/ticket/{token}")
        .headers["Location"]
        .endswith(f"/referee/{token}")
    )
    page = anonymous.get(f"/referee/{token}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Aisha Rahman" in page.get_data(as_text=True)
    incomplete = anonymous.post(
        f"/referee/{token}",
        data={"name": "Ruth Ellis", "role": "", "decision": "confirm", "statement": ""},
    )
    assert incomplete.status_code == 422
    assert "Enter your job title or role" in incomplete.get_data(as_text=True)
    done = anonymous.post(
        f"/referee/{token}",
        data={
            "name": "Dr Ruth Ellis",
            "role": "Head of Radiotherapy Physics",
            "registration_body": "hcpc",
            "registration_number": "CS01234",
            "decision": "confirm",
            "statement": "I have managed Aisha for three years.",
        },
    )
    assert done.status_code == 200
    assert "Application confirmed" in done.get_data(as_text=True)
    assert anonymous.post(f"/referee/{token}", data={}).status_code == 410
    with app.app_context():
        nominee = db.session.scalar(sa.select(Nominee))
        assert nominee.confirmed_at is not None
        assert services.nominee_state(nominee) == "confirmed"
        owner = find_user(reg.trainee)
        assert db.session.scalar(
            sa.select(Notification).where(
                Notification.user_id == owner.id,
                Notification.message.contains("confirmed your application"),
            )
        )


def test_applications_are_private_and_inputs_are_checked(app, client, login, reg):
    login(reg.trainee)
    assert client.post("/registration/", data={"route": "nope"}).status_code == 422
    refused = client.post("/registration/", data={"route": "rct_primary"})
    assert refused.status_code == 422
    assert "Choose the scope of practice" in refused.get_data(as_text=True)
    application_id = _start(client, "ahcs_stp_equivalence", "stp-rp")
    long = client.post(
        f"/registration/{application_id}/statements",
        data={"personal": "word " * 1001, "gsp": "ok"},
    )
    assert long.status_code == 422
    assert "1000 words or fewer (it has 1001)" in long.get_data(as_text=True)
    ok = client.post(
        f"/registration/{application_id}/statements",
        data={"personal": "I lead linac QA.", "gsp": "Domain 1..."},
    )
    assert ok.status_code == 302
    assert (
        client.post(
            f"/registration/{application_id}/stage", data={"stage": "9"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/registration/{application_id}/stage", data={"stage": "1"}
        ).status_code
        == 302
    )
    other = app.test_client()
    signed_in = other.post(
        "/auth/login", data={"email": reg.other_trainee, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert other.get(f"/registration/{application_id}").status_code == 404
    assert other.post(f"/registration/{application_id}/pack").status_code == 404
    assert (
        other.post(
            f"/registration/{application_id}/nominees",
            data={"name": "X", "email": "x@nhs.net", "relationship_to": "y"},
        ).status_code
        == 404
    )


def test_cpd_profile_has_the_parts_an_hcpc_audit_asks_for(
    app, client, login, reg, work_jobs, tmp_path
):
    login(reg.trainee)
    empty = client.post("/cpd/new", data={})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    for message in (
        "Enter what the activity was",
        "Choose the kind of activity",
        "Enter the date of the activity",
        "Say what you learnt",
    ):
        assert message in html
    today = date.today()
    for title, when in (
        ("Small-field dosimetry workshop", today.replace(day=1)),
        ("Old course from long ago", date(today.year - 3, 1, 5)),
    ):
        assert (
            client.post(
                "/cpd/new",
                data={
                    "title": title,
                    "activity_type": "formal",
                    "occurred_on[day]": str(when.day),
                    "occurred_on[month]": str(when.month),
                    "occurred_on[year]": str(when.year),
                    "hours": "3.5",
                    "learning": "Detector choice for small fields",
                    "benefit": "More accurate stereotactic treatments for patients",
                    "standards": ["CPD2", "CPD4", "P-RCTCPD1"],
                },
            ).status_code
            == 302
        )
    assert (
        client.post(
            "/cpd/profile",
            data={
                "summary": "I am a clinical scientist in radiotherapy physics.",
                "statement_CPD1": "I record each activity here.",
                "statement_CPD4": "Patients get more accurate treatments.",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/cpd/registers", data={"register": "hcpc", "number": "CS12345"}
        ).status_code
        == 302
    )
    made = client.post("/cpd/profile/export")
    export_id = made.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    work_jobs()
    download = client.get(f"/exports/{export_id}/file")
    text = re.sub(r"\s+", " ", pdf_text(download.data, tmp_path))
    download.close()
    for part in (
        "Summary of practice",
        "I am a clinical scientist in radiotherapy physics.",
        "Statement of how the standards are met",
        "Standard 4: Seek to make sure CPD benefits service users.",
        "Patients get more accurate treatments.",
        "Evidence list",
        "Small-field dosimetry workshop",
        "More accurate stereotactic treatments",
        "CS12345",
    ):
        assert part in text, part
    # Only the two years before the profile.
    assert "Old course from long ago" not in text


def test_renewal_dates_and_reminders(app, runner, reg):
    assert cpd.next_hcpc_clinical_scientist_renewal(date(2026, 12, 2)) == (
        date(2027, 7, 1),
        date(2027, 9, 30),
    )
    assert cpd.next_hcpc_clinical_scientist_renewal(date(2025, 9, 30))[1] == date(
        2025, 9, 30
    )
    assert cpd.next_hcpc_clinical_scientist_renewal(date(2025, 10, 1))[1] == date(
        2027, 9, 30
    )
    assert cpd.next_rct_renewal(date(2026, 12, 2)) == date(2027, 1, 31)
    assert cpd.next_rct_renewal(date(2027, 1, 31)) == date(2027, 1, 31)
    assert cpd.next_rct_renewal(date(2027, 2, 1)) == date(2028, 1, 31)
    with app.app_context():
        owner = find_user(reg.trainee)
        cpd.set_register(owner, "hcpc", "CS12345")
        cpd.set_register(owner, "rct", "")
        owner_id = owner.id
    # Far from both deadlines: nothing; within 60 days of the RCT's: one, once.
    assert (
        "0 renewal reminders"
        in runner.invoke(args=["cpd", "remind", "--today", "2027-10-15"]).output
    )
    assert (
        "1 renewal reminder sent"
        in runner.invoke(args=["cpd", "remind", "--today", "2027-12-15"]).output
    )
    assert (
        "0 renewal reminders"
        in runner.invoke(args=["cpd", "remind", "--today", "2027-12-20"]).output
    )
    with app.app_context():
        rct = db.session.scalar(
            sa.select(RegisterEntry).where(RegisterEntry.register == "rct")
        )
        assert rct.reminded_for == date(2028, 1, 31)
        messages = db.session.scalars(
            sa.select(Notification.message).where(Notification.user_id == owner_id)
        ).all()
    assert any("by 31 January 2028" in m for m in messages)


def test_every_routes_pack_renders_for_the_demo_data(app, work_jobs, tmp_path):
    from portfolio.demo import seed_demo
    from portfolio.exports import services as exports
    from tests.helpers.curricula import load_all

    load_all(app)
    with app.app_context():
        seed_demo()
        aisha = find_user("trainee@example.org")
        made = []
        for route, choice in CHOICES.items():
            application = services.start(aisha, route, choice)
            rows = [r for s in services.standards_map(application) for r in s.rows]
            export = services.request_pack(aisha, application)
            made.append((route, export.id, rows))
    work_jobs()
    with app.app_context():
        for route, export_id, rows in made:
            export = db.session.get(exports.Export, export_id)
            assert export.status == "done", (route, export.error)
            text = pdf_text(exports.export_path(export).read_bytes(), tmp_path)
            flat = re.sub(r"\s+", " ", text)
            missing = [r.code for r in rows if r.code not in text]
            assert not missing, (route, missing)
            assert "No evidence yet for" in flat, route
            cited = any(r.evidence for r in rows)
            assert ("Morning QA run-up on linac 3" in flat) == cited, route
            if route != "rct_primary":
                assert cited, route


def test_the_api_lists_ones_own_applications_with_standards_and_gaps(
    app, client, login, reg, as_
):
    login(reg.trainee)
    application_id = _start(client, "hcpc_international", None)
    listed = as_("trainee").get("/api/v1/registration/applications").get_json()
    assert [a["id"] for a in listed["items"]] == [application_id]
    body = as_("trainee").get(f"/api/v1/registration/applications/{application_id}")
    assert body.status_code == 200
    rows = {r["code"]: r for s in body.get_json()["sections"] for r in s["standards"]}
    assert rows["SOP11.3"]["evidence"] == [reg.evidence_id]
    assert rows["SOP3.1"]["gap"].startswith("No evidence yet for SOP3.1")
    other = as_("other_trainee").get(
        f"/api/v1/registration/applications/{application_id}"
    )
    assert other.status_code == 404
    assert (
        as_("other_trainee")
        .get("/api/v1/registration/applications")
        .get_json()["items"]
        == []
    )
    assert as_("trainee").get("/api/v1/cpd/activities").get_json()["total"] == 0


def test_what_the_rct_confirms_is_cited_and_the_rest_stays_not_confirmed(
    app, client, login, reg
):
    """The RCT's own page confirms two proposers on the primary route and Good
    Scientific Practice in the equivalence assessment
    (http://therct.org.uk/how-to-join-the-register/); the equivalence criteria's
    categories come from the Health Estate Journal (September 2016, p. 67). What no
    public page gave stays not confirmed, and no GSP number is invented."""
    from portfolio.curriculum.models import Curriculum
    from portfolio.curriculum.models import Outcome
    from portfolio.registration.routes import ROUTES

    how_to_join = "http://therct.org.uk/how-to-join-the-register/"
    primary, equivalence = ROUTES["rct_primary"], ROUTES["rct_equivalence"]
    assert how_to_join in dict(primary.sources).values()
    assert how_to_join in dict(equivalence.sources).values()
    assert not any("number of proposers" in n for n in primary.not_confirmed)
    assert any("Who may propose" in n for n in primary.not_confirmed)
    assert any("individual statements" in n for n in equivalence.not_confirmed)

    login(reg.trainee)
    application_id = _start(client, "rct_equivalence", "RCT1")
    page = re.sub(r"\s+", " ", client.get(f"/registration/{application_id}").text)
    assert "Not confirmed from the register" in page
    assert "names of their four categories" in page
    assert "evidence matrix" in page  # the equivalence statement's hint

    with app.app_context():

        def outcomes(slug):
            return {
                o.code: o
                for o in db.session.scalars(
                    sa.select(Outcome)
                    .join(Curriculum, Outcome.curriculum_id == Curriculum.id)
                    .where(Curriculum.slug == slug)
                )
            }

        engineering = outcomes("rct-scopes")["RCT-EQ-ENG"]
        assert "quality systems" in engineering.description
        gsp = set(outcomes("gsp"))
        assert gsp == {"GSP1", "GSP2", "GSP3", "GSP4", "GSP5", "GSP1.6"}
    scopes = yaml.safe_load(
        (PROJECT_ROOT / "curricula/frameworks/rct-scopes.yaml").read_text()
    )
    source = next(o for o in scopes["outcomes"] if o["code"] == "RCT-EQ-ENG")["source"]
    assert "HEJsept16" in source["note"] and how_to_join in source["note"]
