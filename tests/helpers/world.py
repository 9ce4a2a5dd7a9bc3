"""A small world for workflow tests: two trusts, trainees, supervisors, leads, enrolments."""

from dataclasses import dataclass
from datetime import date

from portfolio.accounts.services import find_user
from portfolio.enrolments import services as training
from portfolio.enrolments.services import SupervisorInput
from portfolio.extensions import db
from tests.helpers.curricula import load_subset
from tests.helpers.snapshots import restore_or_build


@dataclass
class World:
    trainee: str
    other_trainee: str
    leeds_trainee: str
    supervisor: str
    assessor: str
    other_supervisor: str
    lead: str
    leeds_lead: str
    admin: str
    enrolment_id: str
    tokens: dict


def build_world(app, factory) -> World:
    """The world in the test's (clean) database: built once, then a copy of it."""
    return restore_or_build(app, "world", lambda: _build_world(app, factory), factory)


def _build_world(app, factory) -> World:
    load_subset(app)
    emails = {
        "trainee": factory.user("trainee", "RBV", "aisha@example.org", "Aisha Rahman"),
        "other_trainee": factory.user("trainee", "RBV", "ben@example.org", "Ben Other"),
        "leeds_trainee": factory.user(
            "trainee", "RR8", "olly@example.org", "Oliver Leeds"
        ),
        "supervisor": factory.user(
            "supervisor", "RBV", "tom@example.org", "Dr Tom Okafor"
        ),
        "assessor": factory.user(
            "supervisor", "RBV", "helen@example.org", "Helen Walsh"
        ),
        "other_supervisor": factory.user(
            "supervisor", "RBV", "sam@example.org", "Sam Elsewhere"
        ),
        "lead": factory.user(
            "training_lead", "RBV", "priya@example.org", "Dr Priya Shah"
        ),
        "leeds_lead": factory.user(
            "training_lead", "RR8", "gareth@example.org", "Gareth Evans"
        ),
        "admin": factory.user("admin", None, "morgan@example.org", "Morgan Ellis"),
    }
    with app.app_context():
        lead = find_user(emails["lead"])
        enrolment = training.create_enrolment(
            lead,
            trainee=emails["trainee"],
            curriculum="stp-rp",
            organisation="RBV",
            start_date=date(2025, 9, 1),
            expected_end_date=date(2028, 8, 31),
            supervisors=[
                SupervisorInput(emails["supervisor"], "training_officer"),
                SupervisorInput(emails["assessor"], "assessor"),
            ],
        )
        training.create_enrolment(
            lead,
            trainee=emails["trainee"],
            curriculum="ai-dht",
            organisation="RBV",
            start_date=date(2025, 9, 1),
            expected_end_date=date(2028, 8, 31),
        )
        training.create_enrolment(
            lead,
            trainee=emails["other_trainee"],
            curriculum="stp-rp",
            organisation="RBV",
            start_date=date(2025, 9, 1),
            expected_end_date=date(2028, 8, 31),
            supervisors=[
                SupervisorInput(emails["other_supervisor"], "training_officer")
            ],
        )
        leeds_lead = find_user(emails["leeds_lead"])
        training.create_enrolment(
            leeds_lead,
            trainee=emails["leeds_trainee"],
            curriculum="stp-rp",
            organisation="RR8",
            start_date=date(2025, 9, 1),
            expected_end_date=date(2028, 8, 31),
        )
        enrolment_id = enrolment.id
        db.session.remove()
    tokens = {role: factory.token(email) for role, email in emails.items()}
    return World(**emails, enrolment_id=enrolment_id, tokens=tokens)


REFLECTION = {
    "title": "Shadowed a linac QA session",
    "kind": "reflection",
    "occurred_on": "2026-03-14",
    "body": "I **watched** the morning run-up.",
    "form": {
        "what_happened": "Morning QA on linac 3.",
        "so_what": "Tolerances matter.",
        "now_what": "Do it under supervision next week.",
    },
    "claims": [
        {"curriculum": "stp-rp", "code": "P-RP-S2-TA01"},
        {"curriculum": "ai-dht", "code": "AIDHT-1-01"},
    ],
}
