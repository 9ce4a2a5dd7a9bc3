"""Enrolment pages: a lead's list, the create form, an enrolment's page and its forms."""

import sqlalchemy as sa

from portfolio.enrolments.forms import STATUS_LABELS
from portfolio.enrolments.forms import SUPERVISOR_ROLE_LABELS
from portfolio.enrolments.models import ENROLMENT_STATUSES
from portfolio.enrolments.models import SUPERVISOR_ROLES
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db
from tests.helpers.html import input_value


def enrolment_ids(app) -> dict[str, str]:
    """Enrolment ids by trainee email and curriculum slug: ``"aisha@...:stp-rp"``."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Enrolment)).all()
        return {f"{e.trainee.email}:{e.curriculum.slug}": e.id for e in rows}


def new_enrolment(**extra) -> dict:
    data = {
        "trainee": "newbie@example.org",
        "curriculum": "app-hcsa-st0218",
        "organisation": "RBV",
        "start_date[day]": "1",
        "start_date[month]": "9",
        "start_date[year]": "2025",
        "expected_end_date[day]": "31",
        "expected_end_date[month]": "8",
        "expected_end_date[year]": "2027",
        "contracted_hours_per_week": "37.5",
        "supervisor": "tom@example.org",
        "supervisor_role": "training_officer",
    }
    data.update(extra)
    return data


def test_labels_cover_every_role_and_status():
    assert set(SUPERVISOR_ROLE_LABELS) == set(SUPERVISOR_ROLES)
    assert set(STATUS_LABELS) == set(ENROLMENT_STATUSES)


def test_lead_enrols_a_trainee(app, client, factory, people, as_user):
    factory.user("trainee", "RBV", "newbie@example.org", "New Trainee")
    as_user(people.priya)
    form = client.get("/enrolments/new")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'value="stp-rp"' in html and 'value="app-hcsa-st0218"' in html
    assert 'value="stp-core"' not in html  # a component, not a programme
    assert 'value="RBV"' in html and 'value="RR8"' not in html  # only her trust
    assert 'name="start_date[day]"' in html
    response = client.post("/enrolments/new", data=new_enrolment())
    assert response.status_code == 302
    enrolment_id = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/enrolments/{enrolment_id}").get_data(as_text=True)
    assert "New Trainee" in page and "Healthcare Science Assistant" in page
    assert "37.5 hours" in page and "Dr Tom Okafor" in page
    assert "Training officer" in page and "1 September 2025" in page
    assert "Add a supervisor" in page and "Change the status" in page


def test_create_errors_land_on_the_fields(app, client, factory, people, as_user):
    factory.user("trainee", "RBV", "newbie@example.org", "New Trainee")
    as_user(people.priya)
    empty = client.post("/enrolments/new", data={})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    for message in ("Enter the trainee", "Choose a programme"):
        assert message in html
    bad = client.post(
        "/enrolments/new",
        data=new_enrolment(
            trainee="nobody@example.org",
            supervisor="ben@example.org",  # a trainee, not a supervisor
            contracted_hours_per_week="99",
            **{"expected_end_date[year]": "2024"},
        ),
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "No trainee at" in html and 'href="#trainee"' in html
    assert "No supervisor or training lead with that email" in html
    assert 'href="#supervisor"' in html and "Ben Other" not in html
    assert "must be after the start date" in html
    assert 'href="#expected_end_date-day"' in html
    assert "between 0 and 48" in html
    assert input_value(html, "trainee") == "nobody@example.org"
    assert input_value(html, "expected_end_date[year]") == "2024"
    typo = client.post(
        "/enrolments/new",
        data=new_enrolment(
            contracted_hours_per_week="lots", **{"start_date[month]": "13"}
        ),
    )
    html = typo.get_data(as_text=True)
    assert typo.status_code == 422 and "Enter a real date" in html
    assert "Enter the hours as a number" in html
    assert input_value(html, "contracted_hours_per_week") == "lots"
    assert input_value(html, "start_date[month]") == "13"
    # The form and the rules at once: a date that is not real and a trainee with
    # no account are both said on the first submit, and nothing is saved.
    both = client.post(
        "/enrolments/new",
        data=new_enrolment(trainee="nobody@example.org", **{"start_date[month]": "13"}),
    )
    html = both.get_data(as_text=True)
    assert both.status_code == 422 and "Enter a real date" in html
    assert "No trainee at" in html and 'href="#trainee"' in html
    assert 'href="#start_date-day"' in html
    valid_but_date = client.post(
        "/enrolments/new",
        data=new_enrolment(**{"start_date[month]": "13"}),
    )
    assert valid_but_date.status_code == 422
    # Neither was saved, though the second broke no rule of the service.
    assert not any(key.startswith("newbie@") for key in enrolment_ids(app))
    duplicate = client.post(
        "/enrolments/new",
        data=new_enrolment(trainee="aisha@example.org", curriculum="stp-rp"),
    )
    assert duplicate.status_code == 422
    assert "is already enrolled on" in duplicate.get_data(as_text=True)
    wrong_trust = client.post(
        "/enrolments/new", data=new_enrolment(trainee="olly@example.org")
    )
    html = wrong_trust.get_data(as_text=True)
    assert "has that email or id" in html and "Oliver Bennett" not in html
    # A trust she does not lead is not even a choice.
    other = client.post("/enrolments/new", data=new_enrolment(organisation="RR8"))
    assert other.status_code == 422
    assert "Not a valid choice" in other.get_data(as_text=True)


def test_who_may_enrol(client, people, as_user):
    for who in (people.aisha, people.tom):
        as_user(who)
        assert client.get("/enrolments/new").status_code == 403
        assert client.post("/enrolments/new", data=new_enrolment()).status_code == 403
    as_user(people.morgan)
    html = client.get("/enrolments/new").get_data(as_text=True)
    assert 'value="RBV"' in html and 'value="RR8"' in html


def test_lists_are_scoped(app, client, people, as_user):
    def names(html):
        return {n for n in ("Aisha Rahman", "Ben Other", "Oliver Bennett") if n in html}

    expected = {
        people.priya: {"Aisha Rahman", "Ben Other"},
        people.gareth: {"Oliver Bennett"},
        people.morgan: {"Aisha Rahman", "Ben Other", "Oliver Bennett"},
        people.aisha: {"Aisha Rahman"},
        people.ben: {"Ben Other"},
        people.tom: {"Aisha Rahman"},
        people.sam: {"Ben Other"},
    }
    for who, seen in expected.items():
        as_user(who)
        html = client.get("/enrolments/").get_data(as_text=True)
        assert names(html) == seen, who
        assert ("Enrol a trainee" in html) == (
            who in (people.priya, people.gareth, people.morgan)
        )


def test_enrolment_page_visibility_and_read_only(app, client, people, as_user):
    ids = enrolment_ids(app)
    aishas = ids["aisha@example.org:stp-rp"]
    expected = {
        people.aisha: 200,
        people.tom: 200,
        people.helen: 200,
        people.priya: 200,
        people.morgan: 200,
        people.ben: 404,
        people.sam: 404,
        people.gareth: 404,
        people.olly: 404,
    }
    for who, status in expected.items():
        as_user(who)
        assert client.get(f"/enrolments/{aishas}").status_code == status, who
    for who in (people.aisha, people.tom):
        as_user(who)
        page = client.get(f"/enrolments/{aishas}").get_data(as_text=True)
        assert "Helen Walsh" in page and "Assessor" in page
        assert "Add a supervisor" not in page and "Change the status" not in page
        data = {"person": "sam@example.org", "role": "assessor"}
        assert (
            client.post(f"/enrolments/{aishas}/supervisors", data=data).status_code
            == 403
        )
        assert (
            client.post(
                f"/enrolments/{aishas}/status", data={"status": "withdrawn"}
            ).status_code
            == 403
        )
    as_user(people.gareth)
    assert (
        client.post(
            f"/enrolments/{aishas}/status", data={"status": "withdrawn"}
        ).status_code
        == 404
    )
    assert client.get("/enrolments/no-such-id").status_code == 404


def test_lead_adds_a_supervisor_and_changes_status(app, client, people, as_user):
    bens = enrolment_ids(app)["ben@example.org:stp-rp"]
    as_user(people.priya)
    bad = client.post(
        f"/enrolments/{bens}/supervisors",
        data={"person": "ben@example.org", "role": "assessor"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "No supervisor or training lead with that email" in html
    assert 'href="#person"' in html
    assert input_value(html, "person") == "ben@example.org"
    backwards = client.post(
        f"/enrolments/{bens}/supervisors",
        data={
            "person": "helen@example.org",
            "role": "assessor",
            "start_date[day]": "1",
            "start_date[month]": "3",
            "start_date[year]": "2026",
            "end_date[day]": "1",
            "end_date[month]": "1",
            "end_date[year]": "2026",
        },
    )
    assert backwards.status_code == 422
    assert 'href="#end_date-day"' in backwards.get_data(as_text=True)
    added = client.post(
        f"/enrolments/{bens}/supervisors",
        data={"person": "helen@example.org", "role": "assessor"},
    )
    assert added.status_code == 302
    page = client.get(f"/enrolments/{bens}").get_data(as_text=True)
    assert "Helen Walsh" in page and "Current" in page
    # Helen now supervises Ben, so she sees his enrolment.
    changed = client.post(
        f"/enrolments/{bens}/status", data={"status": "break_in_learning"}
    )
    assert changed.status_code == 302
    page = client.get(f"/enrolments/{bens}").get_data(as_text=True)
    assert "Break in learning" in page
    bad_status = client.post(f"/enrolments/{bens}/status", data={"status": "gone"})
    assert bad_status.status_code == 422
    assert "Choose a status for the enrolment" in bad_status.get_data(as_text=True)
    as_user(people.helen)
    assert client.get(f"/enrolments/{bens}").status_code == 200
    assert "Ben Other" in client.get("/enrolments/").get_data(as_text=True)
