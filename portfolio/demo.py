"""A small, believable demo dataset for `make run` and the browser tests."""

import sqlalchemy as sa

from portfolio import PROJECT_ROOT
from portfolio.accounts import services as accounts
from portfolio.accounts.models import User
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.organisations.services import import_organisations

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
    pass


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
    extra: list[str] = []
    lines = [f"Demo data loaded. Every demo account's password is {DEMO_PASSWORD!r}:"]
    lines += [
        f"  {email:32} {role}{' at ' + org if org else ''}"
        for email, _, role, org in DEMO_USERS
    ]
    lines += extra
    return "\n".join(lines)
