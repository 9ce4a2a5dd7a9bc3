"""Commissioners are not employers: a trainee is never enrolled at, nor made a trainee
of, an organisation of the commissioner kind (an NHS England region, NES, HEIW,
Northern Ireland's Department of Health: docs/organisations.md). The enrolment form
does not offer them, and the web form, the API and the invitation and role rules
refuse them with a clear error."""

import sqlalchemy as sa

from portfolio.accounts import lifecycle
from portfolio.accounts.services import find_user
from portfolio.enrolments import services as training
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db
from portfolio.organisations.models import EMPLOYING_KINDS
from portfolio.organisations.models import KINDS
from portfolio.rules import Invalid
from tests.helpers.factory import PASSWORD
from tests.test_enrolment_web import new_enrolment

REGION = "Y62"  # NHS England North West region (ODS, role RO209)
REGION_NAME = "NHS England North West region"
REFUSED = f"{REGION_NAME} commissions training and does not employ trainees"


def _commissioner(factory) -> None:
    factory.organisation(REGION, REGION_NAME, kind="commissioner")


def _enrolments_at(app, code: str) -> int:
    with app.app_context():
        return len(
            [
                e
                for e in db.session.scalars(sa.select(Enrolment))
                if e.organisation.code == code
            ]
        )


def test_every_kind_but_commissioner_employs_trainees():
    assert set(EMPLOYING_KINDS) == set(KINDS) - {"commissioner"}


def test_the_form_offers_no_commissioner(app, client, factory, people, as_user):
    _commissioner(factory)
    with app.app_context():
        admin = find_user(people.morgan)
        codes = {o.code for o in training.enrolling_organisations(admin)}
        assert "RBV" in codes and "RR8" in codes and REGION not in codes
    as_user(people.morgan)
    html = client.get("/enrolments/new").get_data(as_text=True)
    assert 'value="RBV"' in html and 'value="RR8"' in html
    assert f'value="{REGION}"' not in html and REGION_NAME not in html


def test_a_lead_at_a_commissioner_is_offered_nothing_there(app, factory):
    _commissioner(factory)
    email = factory.user("training_lead", REGION, "rhea@example.org", "Rhea Region")
    with app.app_context():
        assert training.enrolling_organisations(find_user(email)) == []


def test_the_web_form_refuses_a_commissioner_posted_anyway(
    app, client, factory, people, as_user
):
    _commissioner(factory)
    factory.user("trainee", "RBV", "newbie@example.org", "New Trainee")
    as_user(people.morgan)
    response = client.post("/enrolments/new", data=new_enrolment(organisation=REGION))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert REFUSED in html and 'href="#organisation"' in html
    assert _enrolments_at(app, REGION) == 0
    # The same trainee at their trust is enrolled: only the organisation was wrong.
    assert client.post("/enrolments/new", data=new_enrolment()).status_code == 302


def test_the_api_refuses_a_commissioner_with_a_problem(app, factory, world, as_):
    _commissioner(factory)
    factory.user("trainee", "RBV", "newbie@example.org", "New Trainee")
    body = {
        "trainee": "newbie@example.org",
        "curriculum": "stp-rp",
        "organisation": REGION,
        "start_date": "2025-09-01",
        "expected_end_date": "2028-08-31",
    }
    response = as_("admin").post("/api/v1/enrolments", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert [e["field"] for e in errors] == ["organisation"]
    assert errors[0]["message"].startswith(REFUSED)
    assert _enrolments_at(app, REGION) == 0
    made = as_("admin").post("/api/v1/enrolments", json={**body, "organisation": "RBV"})
    assert made.status_code == 201, made.get_json()


def test_no_one_is_invited_or_made_a_trainee_at_a_commissioner(
    app, factory, world, as_
):
    _commissioner(factory)

    def invite(role, email):
        return as_("admin").post(
            "/api/v1/invitations",
            json={"email": email, "name": "X Y", "role": role, "organisation": REGION},
        )

    refused = invite("trainee", "trainee.region@example.org")
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["errors"][0]["field"] == "organisation"
    assert REFUSED in refused.get_json()["errors"][0]["message"]
    # A commissioner's own staff can still have other roles there.
    assert invite("training_lead", "lead.region@example.org").status_code == 201

    with app.app_context():
        admin = find_user(world.admin)
        person = find_user(world.supervisor)
        try:
            lifecycle.add_role(admin, person.id, "trainee", REGION)
        except Invalid as error:
            assert error.errors[0]["field"] == "org"
            assert REFUSED in error.errors[0]["message"]
        else:
            raise AssertionError("a trainee role at a commissioner was given")
        db.session.rollback()
        assert not find_user(world.supervisor).has_role("trainee")


def test_no_account_is_made_a_trainee_at_a_commissioner(app, factory):
    from portfolio.accounts import services as accounts

    _commissioner(factory)
    with app.app_context():
        try:
            accounts.create_user("cli@example.org", "C L", PASSWORD, "trainee", REGION)
        except accounts.AccountError as error:
            assert REFUSED in str(error)
        else:
            raise AssertionError("a trainee account at a commissioner was made")
        db.session.rollback()
        assert accounts.find_user("cli@example.org") is None
