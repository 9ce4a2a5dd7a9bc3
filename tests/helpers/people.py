"""The web tests' people (two trusts, enrolled), and evidence made through the services."""

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from portfolio.accounts.services import find_user
from portfolio.enrolments import services as training
from portfolio.enrolments.services import SupervisorInput
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence
from portfolio.evidence.services import ClaimRef
from portfolio.evidence.services import EvidenceInput
from portfolio.extensions import db
from portfolio.signoff import services as signoff
from tests.helpers.curricula import load_subset
from tests.helpers.factory import PASSWORD
from tests.helpers.snapshots import restore_or_build

TODAY = date.today()
START = TODAY - timedelta(days=200)  # supervisors are in force from here


@dataclass
class People:
    """Two trusts: Aisha and Ben at RBV with their supervisors, Oliver at RR8."""

    aisha: str = "aisha@example.org"
    ben: str = "ben@example.org"
    olly: str = "olly@example.org"
    tom: str = "tom@example.org"  # Aisha's training officer
    helen: str = "helen@example.org"  # Aisha's assessor
    sam: str = "sam@example.org"  # Ben's training officer
    priya: str = "priya@example.org"  # lead at RBV
    gareth: str = "gareth@example.org"  # lead at RR8
    morgan: str = "morgan@example.org"  # admin


def build_people(app, factory) -> People:
    """Load curricula, create the people and enrol the trainees (built once, then a
    copy of it: see tests/helpers/snapshots.py)."""
    return restore_or_build(app, "people", lambda: _build_people(app, factory), factory)


def _build_people(app, factory) -> People:
    load_subset(app)
    p = People()
    for email, role, org, name in (
        (p.aisha, "trainee", "RBV", "Aisha Rahman"),
        (p.ben, "trainee", "RBV", "Ben Other"),
        (p.olly, "trainee", "RR8", "Oliver Bennett"),
        (p.tom, "supervisor", "RBV", "Dr Tom Okafor"),
        (p.helen, "supervisor", "RBV", "Helen Walsh"),
        (p.sam, "supervisor", "RBV", "Sam Elsewhere"),
        (p.priya, "training_lead", "RBV", "Dr Priya Shah"),
        (p.gareth, "training_lead", "RR8", "Dr Gareth Evans"),
        (p.morgan, "admin", None, "Morgan Ellis"),
    ):
        factory.user(role, org, email, name)
    with app.app_context():
        priya, gareth = find_user(p.priya), find_user(p.gareth)
        end = START + timedelta(days=3 * 365)
        training.create_enrolment(
            priya,
            p.aisha,
            "stp-rp",
            "RBV",
            START,
            end,
            [
                SupervisorInput(p.tom, "training_officer"),
                SupervisorInput(p.helen, "assessor"),
            ],
        )
        training.create_enrolment(priya, p.aisha, "ai-dht", "RBV", START, end)
        training.create_enrolment(
            priya,
            p.ben,
            "stp-rp",
            "RBV",
            START,
            end,
            [SupervisorInput(p.sam, "training_officer")],
        )
        training.create_enrolment(gareth, p.olly, "stp-rp", "RR8", START, end)
        db.session.remove()
    return p


def signer(client):
    """A function that signs ``client`` in as an email, signing out whoever was in."""

    def do(email):
        client.delete_cookie("session")
        response = client.post(
            "/auth/login", data={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    return do


def make_evidence(app, owner, kind="reflection", claims=None, **fields) -> str:
    """Record evidence through the service; return its id."""
    form = fields.pop("form", None)
    if form is None and kind == "reflection":
        form = {"what_happened": "A", "so_what": "B", "now_what": "C"}
    with app.app_context():
        item = evidence_services.create_evidence(
            find_user(owner),
            EvidenceInput(
                title=fields.pop("title", "Linac QA"),
                kind=kind,
                occurred_on=fields.pop("occurred_on", TODAY - timedelta(days=3)),
                body=fields.pop("body", "Some **text**."),
                form=form,
                claims=[
                    ClaimRef(*c.split(":"))
                    for c in (["stp-rp:P-RP-S2-TA01"] if claims is None else claims)
                ],
            ),
        )
        evidence_id = item.id
        db.session.remove()
    return evidence_id


def find_id(app, email) -> str:
    with app.app_context():
        return find_user(email).id


def submit_to(app, evidence_id, owner, assessor) -> None:
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        signoff.submit(find_user(owner), item, find_user(assessor).id)
        db.session.remove()


def share(app, evidence_id) -> None:
    """Mark an item as shared (submitted), for trainees with no supervisor to ask."""
    with app.app_context():
        db.session.get(Evidence, evidence_id).status = "submitted"
        db.session.commit()
        db.session.remove()


def status_of(app, evidence_id) -> str:
    with app.app_context():
        return db.session.get(Evidence, evidence_id).status
