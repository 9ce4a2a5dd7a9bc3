"""A training lead's scope is their own trust's enrolments, not the trainee.

Protects against a lead of a trust where a trainee was once enrolled (withdrawn, or
enrolled there on another programme) reading that trainee's evidence at another
trust, drafts included, or withdrawing sign-offs made at another trust.
"""

from datetime import date

import sqlalchemy as sa

from portfolio.accounts.services import find_user
from portfolio.enrolments import services as training
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.services import SupervisorInput
from portfolio.extensions import db
from tests.world import REFLECTION
from tests.world import As

STP_ONLY = {
    **REFLECTION,
    "claims": [{"curriculum": "stp-rp", "code": "P-RP-S2-TA01"}],
}
BOTH = REFLECTION  # claims stp-rp and ai-dht


def _leeds_supervisor(app, factory, world) -> str:
    """Give Oliver (enrolled at Leeds) a Leeds supervisor; return their email."""
    email = factory.user("supervisor", "RR8", "sarah@example.org", "Dr Sarah Lin")
    with app.app_context():
        enrolment = db.session.scalar(
            sa.select(Enrolment).where(
                Enrolment.trainee_id == find_user(world.leeds_trainee).id
            )
        )
        training.add_supervisor(
            find_user(world.leeds_lead),
            enrolment,
            SupervisorInput(email, "training_officer"),
        )
        db.session.commit()
    return email


def _enrol_at_christie(app, world, curriculum, status="active") -> str:
    """Oliver also enrolled at The Christie (RBV), whose lead is Priya; returns its id."""
    from portfolio.accounts.services import create_user

    with app.app_context():
        create_user(world.leeds_trainee, "Oliver Leeds", None, "trainee", "RBV")
        # He left The Christie before Leeds: park the Leeds enrolment meanwhile.
        leeds = db.session.scalar(
            sa.select(Enrolment).where(
                Enrolment.trainee_id == find_user(world.leeds_trainee).id
            )
        )
        leeds.status = "withdrawn"
        db.session.flush()
        enrolment = training.create_enrolment(
            find_user(world.lead),
            trainee=world.leeds_trainee,
            curriculum=curriculum,
            organisation="RBV",
            start_date=date(2024, 9, 1),
            expected_end_date=date(2027, 8, 31),
        )
        enrolment.status = status
        leeds.status = "active"
        db.session.commit()
        return enrolment.id


def _signed_at_leeds(client, world, sarah, factory, payload) -> str:
    oliver = As(client, world, "leeds_trainee")
    created = oliver.post("/api/v1/evidence", json=payload)
    assert created.status_code == 201, created.get_json()
    path = f"/api/v1/evidence/{created.get_json()['id']}"
    assert oliver.post(f"{path}/submit", json={"assessor": sarah}).status_code == 200
    sarah_api = {"Authorization": f"Bearer {factory.token(sarah)}"}
    decided = client.post(
        f"{path}/decision", json={"decision": "approve"}, headers=sarah_api
    )
    assert decided.status_code == 200, decided.get_json()
    return path


def test_lead_of_a_withdrawn_enrolment_cannot_read_evidence_at_another_trust(
    app, client, factory, world
):
    sarah = _leeds_supervisor(app, factory, world)
    withdrawn = _enrol_at_christie(app, world, "stp-rp", status="withdrawn")
    path = _signed_at_leeds(client, world, sarah, factory, STP_ONLY)
    priya = As(client, world, "lead")
    assert priya.get(path).status_code == 404
    listed = priya.get("/api/v1/evidence").get_json()
    assert path.rsplit("/", 1)[-1] not in [item["id"] for item in listed["items"]]
    # Nor the enrolment itself, now it is withdrawn.
    assert priya.get(f"/api/v1/enrolments/{withdrawn}").status_code == 404
    # Leeds' own lead still reads it.
    assert As(client, world, "leeds_lead").get(path).status_code == 200


def test_lead_reads_only_evidence_claimed_against_their_own_enrolment(
    app, client, factory, world
):
    sarah = _leeds_supervisor(app, factory, world)
    _enrol_at_christie(app, world, "ai-dht")
    leeds_only = _signed_at_leeds(client, world, sarah, factory, STP_ONLY)
    shared = _signed_at_leeds(client, world, sarah, factory, BOTH)
    priya = As(client, world, "lead")
    assert priya.get(leeds_only).status_code == 404
    assert priya.get(shared).status_code == 200


def test_lead_cannot_unlock_a_sign_off_made_at_another_trust(
    app, client, factory, world
):
    sarah = _leeds_supervisor(app, factory, world)
    _enrol_at_christie(app, world, "ai-dht")
    shared = _signed_at_leeds(client, world, sarah, factory, BOTH)
    priya = As(client, world, "lead")
    refused = priya.post(f"{shared}/unlock", json={"reason": "Not mine to undo"})
    assert refused.status_code == 403
    assert "made there" in refused.get_json()["detail"]
    leeds = As(client, world, "leeds_lead")
    assert leeds.post(
        f"{shared}/unlock", json={"reason": "Wrong date"}
    ).status_code == (200)


def test_lead_of_a_completed_enrolment_reads_but_cannot_unlock(app, client, world):
    trainee = As(client, world, "trainee")
    created = trainee.post("/api/v1/evidence", json=STP_ONLY).get_json()
    path = f"/api/v1/evidence/{created['id']}"
    trainee.post(f"{path}/submit", json={"assessor": world.supervisor})
    approved = As(client, world, "supervisor").post(
        f"{path}/decision", json={"decision": "approve"}
    )
    assert approved.status_code == 200
    with app.app_context():
        db.session.get(Enrolment, world.enrolment_id).status = "completed"
        db.session.commit()
    priya = As(client, world, "lead")
    assert priya.get(path).status_code == 200
    assert priya.post(f"{path}/unlock", json={"reason": "late fix"}).status_code == 403


def test_drafts_stay_private_from_every_lead_and_supervisor(client, world):
    trainee = As(client, world, "trainee")
    draft = trainee.post("/api/v1/evidence", json=STP_ONLY).get_json()
    for who in ("lead", "supervisor", "assessor", "admin", "leeds_lead"):
        assert (
            As(client, world, who).get(f"/api/v1/evidence/{draft['id']}").status_code
            == 404
        ), who
