"""A small, believable demo dataset for `make run` and the browser tests."""

from datetime import date
from datetime import timedelta

import sqlalchemy as sa

from portfolio.accounts import services as accounts
from portfolio.accounts.models import User
from portfolio.curriculum import services as curricula
from portfolio.enrolments import services as training
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.services import SupervisorInput
from portfolio.evidence import services as evidence
from portfolio.evidence.services import ClaimRef
from portfolio.evidence.services import EvidenceInput
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.organisations.services import import_organisations
from portfolio.paths import PROJECT_ROOT
from portfolio.rules import NotFound
from portfolio.signoff import services as signoff

DEMO_PASSWORD = "demo-password-1"
ORGANISATIONS_CSV = PROJECT_ROOT / "data" / "organisations.csv"
# Used when the reference list is not there (it ships in data/).
FALLBACK_ORGANISATIONS = """code,name,kind,nation,region
RBV,The Christie NHS Foundation Trust,trust,England,North West
RR8,Leeds Teaching Hospitals NHS Trust,trust,England,North East and Yorkshire
RPY,The Royal Marsden NHS Foundation Trust,trust,England,London
"""

# (email, name, role, organisation code)
DEMO_USERS = (
    ("admin@example.org", "Morgan Ellis", "admin", None),
    ("lead@example.org", "Dr Priya Shah", "training_lead", "RBV"),
    ("supervisor@example.org", "Dr Tom Okafor", "supervisor", "RBV"),
    ("assessor@example.org", "Helen Walsh", "supervisor", "RBV"),
    ("trainee@example.org", "Aisha Rahman", "trainee", "RBV"),
    ("apprentice@example.org", "Jamie Clarke", "trainee", "RBV"),
    ("lead.leeds@example.org", "Dr Gareth Evans", "training_lead", "RR8"),
    ("supervisor.leeds@example.org", "Dr Sarah Lin", "supervisor", "RR8"),
    ("trainee.leeds@example.org", "Oliver Bennett", "trainee", "RR8"),
)


class DemoError(RuntimeError):
    """The demo cannot be seeded (for example, the database already has users)."""


def seed_demo(force: bool = False) -> str:
    """Load organisations and demo users into an empty database; return a summary."""
    if not force and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        raise DemoError("The database already has users; use --force to seed anyway.")
    if db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0:
        if ORGANISATIONS_CSV.exists():
            import_organisations(
                ORGANISATIONS_CSV.read_text(encoding="utf-8"), str(ORGANISATIONS_CSV)
            )
        else:
            import_organisations(FALLBACK_ORGANISATIONS, "fallback")
    for email, name, role, org in DEMO_USERS:
        accounts.create_user(email, name, DEMO_PASSWORD, role, org)
    db.session.commit()
    extra = seed_training() if curricula.get_curriculum("stp-rp") else []
    lines = [f"Demo data loaded. Every demo account's password is {DEMO_PASSWORD!r}:"]
    lines += [
        f"  {email:32} {role}{' at ' + org if org else ''}"
        for email, _, role, org in DEMO_USERS
    ]
    lines += extra
    return "\n".join(lines)


# (trainee, curriculum, organisation, contracted hours, [(supervisor, role)])
DEMO_ENROLMENTS: tuple[
    tuple[str, str, str, float | None, list[tuple[str, str]]], ...
] = (
    (
        "trainee@example.org",
        "stp-rp",
        "RBV",
        None,
        [
            ("supervisor@example.org", "training_officer"),
            ("assessor@example.org", "assessor"),
        ],
    ),
    ("trainee@example.org", "ai-dht", "RBV", None, []),
    (
        "apprentice@example.org",
        "app-hcsa-st0218",
        "RBV",
        37.5,
        [("supervisor@example.org", "training_officer")],
    ),
    (
        "trainee.leeds@example.org",
        "stp-nm",
        "RR8",
        None,
        [("supervisor.leeds@example.org", "training_officer")],
    ),
)


def _demo_user(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise NotFound(
            f"The demo account {email} is missing; seed the demo people first."
        )
    return user


def seed_training() -> list[str]:
    """Enrol the demo trainees and give Aisha some evidence, through the services."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)):
        return []
    leads = {
        "RBV": _demo_user("lead@example.org"),
        "RR8": _demo_user("lead.leeds@example.org"),
    }
    start = date.today() - timedelta(days=240)
    lines = ["Enrolments:"]
    for email, slug, org, hours, supervisors in DEMO_ENROLMENTS:
        if curricula.get_curriculum(slug) is None:
            continue
        enrolment = training.create_enrolment(
            leads[org],
            trainee=email,
            curriculum=slug,
            organisation=org,
            start_date=start,
            expected_end_date=start + timedelta(days=3 * 365),
            supervisors=[SupervisorInput(who, role) for who, role in supervisors],
            contracted_hours_per_week=hours,
        )
        lines.append(f"  {email:32} {enrolment.curriculum.title} at {org}")
    _seed_evidence()
    lines.append(
        "Aisha Rahman has a signed-off reflection, a DOPS waiting for "
        "assessor@example.org and a draft."
    )
    return lines


def _claims(*codes: str) -> list[ClaimRef]:
    enrolled = evidence.enrolled_curricula(_demo_user("trainee@example.org").id)
    refs = []
    for code in codes:
        slug = "ai-dht" if code.startswith("AIDHT") else "stp-rp"
        if slug in enrolled and curricula.get_outcome(enrolled[slug], code):
            refs.append(ClaimRef(slug, code))
    return refs


def _seed_evidence() -> None:
    aisha = _demo_user("trainee@example.org")
    tom = _demo_user("supervisor@example.org")
    helen = _demo_user("assessor@example.org")
    today = date.today()
    reflection = evidence.create_evidence(
        aisha,
        EvidenceInput(
            title="Morning QA run-up on linac 3",
            kind="reflection",
            occurred_on=today - timedelta(days=30),
            body="Shadowed the **morning run-up** with the duty physicist.",
            form={
                "what_happened": "I ran the daily output and mechanical checks with "
                "the duty physicist; the output on 6 MV was 1.8% high.",
                "so_what": "Tolerances are there for a reason: we stopped, re-checked "
                "with a second chamber and found the first was not at temperature.",
                "now_what": "Let chambers equilibrate before measuring; run the checks "
                "myself under supervision next week.",
            },
            claims=_claims("P-RP-S2-TA01", "AIDHT-1-01"),
        ),
    )
    signoff.submit(aisha, reflection, tom.id)
    signoff.decide(
        tom, reflection, "approve", "Well observed, and a good habit to take forward."
    )
    dops = evidence.create_evidence(
        aisha,
        EvidenceInput(
            title="DOPS: imaging QC on the cone-beam CT",
            kind="dops",
            occurred_on=today - timedelta(days=7),
            body="Observed by Helen Walsh during the weekly imaging QC.",
            form={
                "activity": "Weekly CBCT image-quality QC",
                "setting": "Linac 2, weekly QA session",
            },
            claims=_claims("P-RP-S2-TA02"),
        ),
    )
    signoff.submit(aisha, dops, helen.id)
    evidence.create_evidence(
        aisha,
        EvidenceInput(
            title="Notes on small-field dosimetry",
            kind="reflection",
            occurred_on=today - timedelta(days=2),
            body="Started reading IPEM report 103 on small-field dosimetry.",
            form={"what_happened": "Read the first three chapters."},
            claims=_claims("S-RP-S3-TA3"),
        ),
    )
