"""Capacity pages: a lead's own figures, forms and their errors, who sees what."""

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.audit.models import AuditEvent
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.extensions import db
from tests.conftest import PASSWORD
from tests.conftest import csrf_token_from
from tests.helpers.capacity import load_specialisms

PLACE = {
    "specialism": "rp",
    "programme": "stp",
    "intake_year": "2026",
    "commissioned": "3",
    "filled": "2",
    "funding_source": "NHS England",
}
WORKFORCE = {
    "specialism": "NM",
    "as_of[day]": "31",
    "as_of[month]": "3",
    "as_of[year]": "2026",
    "establishment_wte": "12.5",
    "in_post_wte": "10.25",
    "vacancies_wte": "",
    "retiring_5y": "1",
    "retiring_15y": "4",
}


@pytest.fixture(autouse=True)
def specialisms(app):
    """The specialisms of the curricula: the forms' controlled list."""
    load_specialisms(app)


@pytest.fixture
def leeds_place(app, factory):
    """Training places already recorded at Leeds (RR8)."""
    org_id = factory.organisation("RR8", "Leeds Teaching Hospitals")
    with app.app_context():
        place = TrainingPlace(
            organisation_id=org_id,
            specialism="CE",
            programme="stp",
            intake_year=2026,
            commissioned=2,
            filled=2,
        )
        db.session.add(place)
        db.session.commit()
        return place.id


def rows(app, model):
    with app.app_context():
        return list(db.session.scalars(sa.select(model)))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_lead_adds_and_sees_own_training_places(app, client, login_as):
    login_as("training_lead", "RBV")
    page = client.get("/capacity/organisations/RBV/")
    assert page.status_code == 200
    assert "No training places have been recorded yet." in text(page)
    form = client.get("/capacity/organisations/RBV/places/new")
    assert form.status_code == 200
    assert f'value="{date.today().year}"' in text(form)  # this year's intake
    response = client.post("/capacity/organisations/RBV/places/new", data=PLACE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/capacity/organisations/RBV/")
    (place,) = rows(app, TrainingPlace)
    assert (place.specialism, place.programme, place.intake_year) == ("RP", "stp", 2026)
    assert (place.commissioned, place.filled, place.funding_source) == (
        3,
        2,
        "NHS England",
    )
    assert place.updated_by_id is not None
    page = text(client.get("/capacity/organisations/RBV/"))
    assert "Radiotherapy Physics (RP)" in page
    assert "Added RP Scientist Training Programme (STP) places" in page
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    assert "capacity.place.created" in actions


def test_lead_edits_and_deletes_own_places(app, client, login_as):
    login_as("training_lead", "RBV")
    client.post("/capacity/organisations/RBV/places/new", data=PLACE)
    client.post(
        "/capacity/organisations/RBV/places/new",
        data={**PLACE, "intake_year": "2027"},
    )
    first, second = sorted(rows(app, TrainingPlace), key=lambda p: p.intake_year)
    edit = f"/capacity/organisations/RBV/places/{first.id}/edit"
    page = client.get(edit)
    assert page.status_code == 200
    assert 'value="3"' in text(page) and "Delete these places" in text(page)
    response = client.post(edit, data={**PLACE, "commissioned": "5", "filled": "5"})
    assert response.status_code == 302
    # Moving it onto the other row's key is refused, with the figures kept.
    clash = client.post(edit, data={**PLACE, "intake_year": "2027"})
    assert clash.status_code == 422
    assert (
        "There are already RP Scientist Training Programme (STP) places for the 2027"
        in text(clash)
    )
    delete = client.post(f"/capacity/organisations/RBV/places/{second.id}/delete")
    assert delete.status_code == 302
    (left,) = rows(app, TrainingPlace)
    assert (left.id, left.commissioned, left.filled) == (first.id, 5, 5)


def test_the_forms_offer_the_curricula_specialisms_only(app, client, login_as):
    login_as("training_lead", "RBV")
    for path in ("places", "workforce"):
        page = text(client.get(f"/capacity/organisations/RBV/{path}/new"))
        assert '<select class="nhsuk-select" id="specialism" name="specialism"' in page
        offered = re.findall(
            r'<option value="([^"]*)"',
            page.split('id="specialism"')[1].split("</select>")[0],
        )
        assert offered == ["", "RP", "NM", "DR", "IN", "CE", "CSC"]
        assert "Radiotherapy Physics (RP)</option>" in " ".join(page.split())
    # A curriculum loaded with a new specialism adds it to the list.
    load_specialisms(app, ("HSST-X",))
    page = text(client.get("/capacity/organisations/RBV/places/new"))
    assert '<option value="HSST-X"' in page


def test_place_form_errors_keep_what_was_typed(app, client, login_as):
    login_as("training_lead", "RBV")
    response = client.post(
        "/capacity/organisations/RBV/places/new",
        data={
            "specialism": "Radiotherapy physics and much more besides that is too long",
            "programme": "",
            "intake_year": "twenty",
            "commissioned": "2",
            "filled": "7",
            "funding_source": "Levy",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert "Error: Add training places" in page
    assert "There is a problem" in page
    for message in (
        "is not one of the specialisms of the curricula: RP (Radiotherapy Physics)",
        "Choose the programme",
        "The intake year must be a whole number",
        "Places filled (7) cannot be more than places commissioned (2)",
    ):
        assert message in page
    assert 'href="#intake_year"' in page and 'href="#filled"' in page
    assert 'value="twenty"' in page and 'value="7"' in page and 'value="Levy"' in page
    assert rows(app, TrainingPlace) == []


def test_workforce_form_works_out_vacancies(app, client, login_as):
    login_as("training_lead", "RBV")
    response = client.post("/capacity/organisations/RBV/workforce/new", data=WORKFORCE)
    assert response.status_code == 302, text(response)
    (record,) = rows(app, WorkforceRecord)
    assert record.as_of == date(2026, 3, 31)
    assert record.vacancies_wte == Decimal("2.25")
    assert (record.retiring_5y, record.retiring_15y) == (1, 4)
    page = text(client.get("/capacity/organisations/RBV/"))
    assert "Nuclear Medicine (NM)" in page and "18.0%" in page
    edit = f"/capacity/organisations/RBV/workforce/{record.id}/edit"
    assert 'value="12.50"' in text(client.get(edit))
    assert (
        client.post(edit, data={**WORKFORCE, "in_post_wte": "12.5"}).status_code == 302
    )
    assert rows(app, WorkforceRecord)[0].vacancies_wte == Decimal("0.00")
    assert client.post(edit.replace("/edit", "/delete")).status_code == 302
    assert rows(app, WorkforceRecord) == []


def test_workforce_form_errors(app, client, login_as):
    login_as("training_lead", "RBV")
    response = client.post(
        "/capacity/organisations/RBV/workforce/new",
        data={
            **WORKFORCE,
            "as_of[day]": "31",
            "as_of[month]": "2",
            "establishment_wte": "10",
            "in_post_wte": "11.5",
            "retiring_5y": "-1",
            "retiring_15y": "many",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert "Enter a real date" in page
    assert (
        "Staff in post (11.5 WTE) cannot be more than the establishment (10 WTE)"
        in page
    )
    assert "The number retiring within 5 years must not be negative" in page
    assert "The number retiring within 15 years must be a whole number" in page
    assert 'value="11.5"' in page and 'value="many"' in page and 'value="2"' in page
    mismatch = client.post(
        "/capacity/organisations/RBV/workforce/new",
        data={**WORKFORCE, "vacancies_wte": "3"},
    )
    assert mismatch.status_code == 422
    assert (
        "Vacancies (3 WTE) must be the establishment minus staff in post (2.25 WTE)"
        in text(mismatch)
    )
    assert rows(app, WorkforceRecord) == []


def test_lead_cannot_see_or_change_another_organisation(
    app, client, login_as, leeds_place
):
    login_as("training_lead", "RBV")
    for path in (
        "/capacity/organisations/RR8/",
        "/capacity/organisations/RR8/places/new",
        f"/capacity/organisations/RR8/places/{leeds_place}/edit",
        "/capacity/organisations/RR8/workforce/new",
    ):
        assert client.get(path).status_code == 403, path
    assert (
        client.post("/capacity/organisations/RR8/places/new", data=PLACE).status_code
        == 403
    )
    assert (
        client.post(
            f"/capacity/organisations/RR8/places/{leeds_place}/edit", data=PLACE
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/capacity/organisations/RR8/places/{leeds_place}/delete"
        ).status_code
        == 403
    )
    # Leeds's row through the lead's own organisation: not there.
    assert (
        client.get(f"/capacity/organisations/RBV/places/{leeds_place}/edit").status_code
        == 404
    )
    assert client.get("/capacity/organisations/NOPE/").status_code == 404
    (place,) = rows(app, TrainingPlace)
    assert (place.commissioned, place.specialism) == (2, "CE")


@pytest.mark.parametrize("role", ["trainee", "supervisor"])
def test_other_roles_get_403(client, login_as, leeds_place, role):
    login_as(role, "RBV")
    for path in (
        "/capacity/",
        "/capacity/organisations/RBV/",
        "/capacity/organisations/RBV/places/new",
        "/capacity/organisations/RBV/workforce/new",
    ):
        assert client.get(path).status_code == 403, path
    assert (
        client.post("/capacity/organisations/RBV/places/new", data=PLACE).status_code
        == 403
    )
    # The scenarios are a model with no stored data: open to everyone signed in.
    assert client.get("/capacity/scenarios").status_code == 200


def test_admin_manages_any_organisation(app, client, login_as, leeds_place):
    login_as("admin", None)
    assert client.get("/capacity/organisations/RR8/").status_code == 200
    response = client.post(
        f"/capacity/organisations/RR8/places/{leeds_place}/edit",
        data={**PLACE, "specialism": "CE", "commissioned": "6"},
    )
    assert response.status_code == 302
    assert rows(app, TrainingPlace)[0].commissioned == 6
    go = client.get("/capacity/organisations/?code=rr8")
    assert go.headers["Location"].endswith("/capacity/organisations/RR8/")


@pytest.fixture
def two_trusts(app, factory):
    """RBV and RR8 with a trainee each (on the STP RP subset) and figures."""
    from tests.curricula_helpers import load_subset

    load_subset(app)
    lead = factory.user("training_lead", "RBV", "lead@example.org", "Dr Lead")
    leeds_lead = factory.user("training_lead", "RR8", "leeds@example.org", "Leeds Lead")
    factory.user("trainee", "RBV", "aisha@example.org", "Aisha Rahman")
    factory.user("trainee", "RR8", "olly@example.org", "Oliver Secretname")
    factory.user("supervisor", "RR8", "sarah@example.org", "Sarah Hiddenname")
    from portfolio.accounts.services import find_user
    from portfolio.enrolments import services as training
    from portfolio.enrolments.services import SupervisorInput

    with app.app_context():
        for who, trainee, org, supervisors in (
            (lead, "aisha@example.org", "RBV", []),
            (
                leeds_lead,
                "olly@example.org",
                "RR8",
                [SupervisorInput("sarah@example.org", "training_officer")],
            ),
        ):
            training.create_enrolment(
                find_user(who),
                trainee=trainee,
                curriculum="stp-rp",
                organisation=org,
                start_date=date(2025, 9, 1),
                expected_end_date=date(2028, 8, 31),
                supervisors=supervisors,
            )
        from portfolio.organisations.models import Organisation

        org_ids = dict(
            db.session.execute(sa.select(Organisation.code, Organisation.id)).all()
        )
        db.session.add(
            TrainingPlace(
                organisation_id=org_ids["RR8"],
                specialism="RP",
                programme="stp",
                intake_year=date.today().year,
                commissioned=7,
                filled=6,
            )
        )
        db.session.commit()
    return {"lead": lead, "leeds_lead": leeds_lead}


def test_lead_sees_totals_but_no_other_trust_or_names(client, login, two_trusts):
    login(two_trusts["lead"], PASSWORD)
    page = text(client.get("/capacity/"))
    assert "Workforce capacity" in page
    assert "Radiotherapy Physics (RP)" in page
    assert ">7<" in page  # Leeds's places, in the national total only
    assert "North West" in page
    for hidden in (
        "Oliver Secretname",
        "Sarah Hiddenname",
        "Trust RR8",
        "By organisation",
    ):
        assert hidden not in page, hidden
    assert "Trust RBV: places and workforce figures" in page
    own = text(client.get("/capacity/organisations/RBV/"))
    assert "Oliver Secretname" not in own and "Sarah Hiddenname" not in own


def test_admin_sees_each_organisation(client, login_as, two_trusts):
    login_as("admin", None)
    page = text(client.get("/capacity/"))
    assert "By organisation" in page and "Trust RR8" in page
    assert "Oliver Secretname" not in page
    leeds = text(client.get("/capacity/organisations/RR8/"))
    assert "Sarah Hiddenname" in leeds  # an organisation's own supervisors


def test_totals_year_range_is_checked(client, login_as):
    login_as("admin", None)
    page = text(client.get("/capacity/?from_year=2030&to_year=2020"))
    assert "Choose years from 1900 to 2200, the first one first" in page
    page = text(client.get("/capacity/?from_year=soon"))
    assert "Enter the years as whole numbers" in page
    page = text(client.get("/capacity/?from_year=2020&to_year=2080"))
    assert "Showing 30 years at most" in page


def test_forms_carry_csrf_tokens(app, client, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    email = factory.user("training_lead", "RBV")
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert (
        client.post("/capacity/organisations/RBV/places/new", data=PLACE).status_code
        == 400
    )
    page = text(client.get("/capacity/organisations/RBV/places/new"))
    token = csrf_token_from(page)
    response = client.post(
        "/capacity/organisations/RBV/places/new", data={**PLACE, "csrf_token": token}
    )
    assert response.status_code == 302
    place = rows(app, TrainingPlace)[0]
    page = text(client.get(f"/capacity/organisations/RBV/places/{place.id}/edit"))
    tokens = page.count('name="csrf_token"') + page.count("csrf_token=")
    assert tokens >= page.count('method="post"') == 3  # save, delete, sign out


def test_a_key_taken_meanwhile_is_a_field_error(app, factory, monkeypatch):
    from portfolio.accounts.services import find_user
    from portfolio.capacity import services
    from portfolio.organisations.models import Organisation
    from portfolio.rules import Invalid

    org_id = factory.organisation("RBV")
    lead = factory.user("training_lead", "RBV")
    with app.app_context():
        user = find_user(lead)
        org = db.session.get(Organisation, org_id)
        figures = services.parse_place(PLACE)
        services.save_place(user, org, figures)
        # Another request saved the same key after this one looked for it.
        monkeypatch.setattr(db.session, "scalar", lambda *args, **kwargs: None)
        with pytest.raises(Invalid) as caught:
            services.save_place(user, org, figures)
        monkeypatch.undo()
        assert caught.value.errors[0]["field"] == "intake_year"
        assert "Someone has just saved RP" in caught.value.errors[0]["message"]
        assert len(rows(app, TrainingPlace)) == 1
