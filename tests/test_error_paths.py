"""One error path: a rule's error reads the same wherever it is raised.

Services raise the errors in portfolio.rules; the app's one handler turns them
into a page (or a problem document for the API), so no view words them again.
"""

import pytest


@pytest.mark.parametrize("path", ["/enrolments/no-such-id", "/progress/no-such-id"])
def test_a_missing_enrolment_reads_the_same_on_every_page(client, login_as, path):
    login_as("training_lead")
    response = client.get(path)
    assert response.status_code == 404
    assert "No such enrolment." in response.get_data(as_text=True)


def test_the_api_says_the_same_as_the_page(client, factory, login):
    email = factory.user("training_lead")
    token = factory.token(email)
    api = client.get(
        "/api/v1/enrolments/no-such-id",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 404
    assert api.get_json()["detail"] == "No such enrolment."
    login(email)
    page = client.get("/enrolments/no-such-id").get_data(as_text=True)
    assert api.get_json()["detail"] in page


def test_a_refused_action_on_a_page_shows_the_rules_words(client, world, login):
    """Withdrawing a draft is refused by the service (409), shown as its message."""
    from tests.world import REFLECTION
    from tests.world import As

    created = As(client, world, "trainee").post("/api/v1/evidence", json=REFLECTION)
    evidence_id = created.get_json()["id"]
    login(world.trainee)
    response = client.post(f"/signoff/{evidence_id}/withdraw")
    assert response.status_code == 409
    assert "Only evidence waiting for sign-off can be withdrawn." in (
        response.get_data(as_text=True)
    )


def test_the_input_error_families_are_rule_errors():
    """So the one handler answers each with its status and words, never a 500."""
    from portfolio.accounts.services import AccountError
    from portfolio.capacity.projection import ProjectionError
    from portfolio.capacity.queries import UnknownDimension
    from portfolio.exports.badges import BadgeError
    from portfolio.exports.bundle import BundleError
    from portfolio.rules import Invalid

    samples = [
        AccountError("That email is taken", "email"),
        ProjectionError([{"field": "years", "message": "too many"}]),
        UnknownDimension("cannot group by 'x'"),
        BadgeError("signature does not verify"),
        BundleError("not a bundle", ["manifest.json: missing"]),
    ]
    for error in samples:
        assert isinstance(error, Invalid) and isinstance(error, ValueError)
        assert error.status == 422 and error.message == str(error)
    assert samples[0].errors == [{"field": "email", "message": "That email is taken"}]
    assert samples[1].errors == [{"field": "years", "message": "too many"}]
