"""Specialisms from the curricula's list: free text recorded before it is merged by
the migration (one row per specialism in the page, the PDF and the CSV file, with the
right gap and trainees per supervisor), and what is left is listed for an admin."""

import importlib.util
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from portfolio.audit.models import AuditEvent
from portfolio.capacity import queries
from portfolio.capacity import report
from portfolio.capacity import specialisms
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.paths import PROJECT_ROOT
from tests.helpers.capacity import load_specialisms
from tests.helpers.capacity import read_csv

MIGRATION = (
    PROJECT_ROOT
    / "migrations"
    / "versions"
    / "c9e4b7a2d1f6_capacity_specialisms_controlled.py"
)
NATIONAL = report.ReportScope("national", "All organisations (national)", None)
TODAY = date(2026, 6, 1)


def run_migration(app) -> None:
    """The migration's upgrade, run on the test's database as Alembic runs it."""
    spec = importlib.util.spec_from_file_location("specialisms_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            with Operations.context(MigrationContext.configure(connection)):
                module.upgrade()


def org_id(code: str) -> str:
    return db.session.scalar(
        sa.select(Organisation.id).where(Organisation.code == code)
    )


def place(code, specialism, year, commissioned, filled=0, programme="stp"):
    db.session.add(
        TrainingPlace(
            organisation_id=org_id(code),
            specialism=specialism,
            programme=programme,
            intake_year=year,
            commissioned=commissioned,
            filled=filled,
        )
    )


def workforce(code, specialism, establishment, in_post, retiring_5y):
    establishment, in_post = Decimal(establishment), Decimal(in_post)
    db.session.add(
        WorkforceRecord(
            organisation_id=org_id(code),
            specialism=specialism,
            as_of=date(2026, 3, 31),
            establishment_wte=establishment,
            in_post_wte=in_post,
            vacancies_wte=establishment - in_post,
            retiring_5y=retiring_5y,
        )
    )


@pytest.fixture
def free_text(app, world):
    """Figures as typed before the list: three spellings of Radiotherapy Physics."""
    with app.app_context():
        place("RBV", "RP", 2026, 3, 3)
        place("RBV", "Radiotherapy Physics (RP)", 2027, 4, 2)
        place("RR8", "radiotherapy physics", 2026, 2, 1)
        workforce("RBV", "Radiotherapy Physics (RP)", "96.40", "86.20", 9)
        workforce("RR8", "RP", "40.00", "36.00", 2)
        db.session.commit()
    return world


def radiotherapy(data) -> list:
    return [u for u in data.specialisms if "radiotherapy" in u.label.lower()]


def test_spellings_of_one_specialism_merge_into_one_row(app, client, login, free_text):
    with app.app_context():
        before = report.compute(NATIONAL, 2026, 2027, today=TODAY)
        # The bug: three rows, the places apart from the trainees.
        assert len(radiotherapy(before)) == 3
        people = {r["specialism"]: r for r in queries.trainee_totals(("specialism",))}
        supervisors = {
            r["specialism"]: r
            for r in queries.supervisor_totals_by_specialism(
                ("specialism",), today=TODAY
            )
        }
    run_migration(app)
    with app.app_context():
        codes = db.session.scalars(sa.select(TrainingPlace.specialism)).all()
        assert sorted(codes) == ["RP", "RP", "RP"]
        data = report.compute(NATIONAL, 2026, 2027, today=TODAY)
        (unit,) = radiotherapy(data)
        assert unit.specialism == "RP" and unit.label == "Radiotherapy Physics (RP)"
        assert unit.commissioned == {2026: 5, 2027: 4}
        assert unit.filled == {2026: 4, 2027: 2}
        # The gap: both trusts' vacancies and retirements together.
        assert unit.gap == pytest.approx((96.40 - 86.20) + 9 + (40 - 36) + 2)
        # Trainees per supervisor: the places now sit with the trainees.
        trainees = int(people["RP"]["trainees"])
        supervised_by = int(supervisors["RP"]["supervisors"])
        assert trainees > 0 and supervised_by > 0
        assert (unit.trainees, unit.supervisors) == (trainees, supervised_by)
        assert unit.trainees_per_supervisor == pytest.approx(trainees / supervised_by)
        # The CSV file: one specialism, RP.
        rows = read_csv(
            report.to_csv(
                report.compute(NATIONAL, 2026, 2027, detail=True, today=TODAY)
            )
        )
        assert {row["specialism"] for row in rows} == {"RP"}
        assert {row["specialism_name"] for row in rows} == {"Radiotherapy Physics (RP)"}
        # The PDF's document: one section for the specialism.
        export = type("Export", (), {"verification_code": "TEST-TEST", "params": {}})
        html = report.to_html(data, export)
        assert html.count("Radiotherapy Physics (RP)</h2>") == 1
    # The page: one row of places for the specialism.
    login(free_text.admin)
    page = client.get("/capacity/?from_year=2026&to_year=2027").get_data(as_text=True)
    table = page.split("Training places commissioned, by intake year</caption>")[1]
    row_headers = re.findall(
        r'<th scope="row"[^>]*>([^<]*)</th>', table.split("</table>")[0]
    )
    assert row_headers == ["Radiotherapy Physics (RP)"]


def test_clashes_and_unknown_values_stay_and_are_listed(app, runner, free_text):
    with app.app_context():
        # The same intake as RBV's RP 2026 row, and a value that matches nothing.
        place("RBV", "rp.", 2026, 1, 1)
        place("RBV", "Rehabilitation engineering", 2026, 1, 0, "apprenticeship_l4")
        db.session.commit()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingPlace))
    run_migration(app)
    with app.app_context():
        # Nothing is lost.
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(TrainingPlace))
            == count
        )
        left = {
            (u.table, u.organisation_code, u.specialism): (u.suggestion, u.clashes)
            for u in specialisms.unmapped(dict.fromkeys(("RP", "NM"), "x"))
        }
    assert left == {
        ("training_place", "RBV", "rp."): ("RP", 1),
        ("training_place", "RBV", "Rehabilitation engineering"): (None, 0),
    }
    load_specialisms(app)
    result = runner.invoke(args=["capacity", "specialisms"])
    assert result.exit_code == 0, result.output
    assert "specialisms of the curricula: RP (Radiotherapy Physics)" in result.output
    assert "2 value(s) to fix" in result.output
    assert "training_place  RBV  'rp.'  1  1 would clash with existing RP rows" in (
        result.output
    )
    assert "'Rehabilitation engineering'  1  no match" in result.output
    # Once the clash is resolved by hand, --fix maps the row, audited.
    with app.app_context():
        db.session.execute(
            sa.delete(TrainingPlace).where(
                TrainingPlace.specialism == "RP", TrainingPlace.intake_year == 2026
            )
        )
        db.session.commit()
    fixed = runner.invoke(args=["capacity", "specialisms", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert "mapped 1 row(s) to their specialism" in fixed.output
    assert "1 value(s) to fix" in fixed.output and "'rp.'" not in fixed.output
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.action == "capacity.specialisms_merged"
            )
        )
        assert event is not None


def test_resolve_matches_known_spellings_only():
    allowed = {"RP": "Radiotherapy Physics", "CE": "Clinical Engineering"}
    for text in (
        "RP",
        "rp",
        " Rp ",
        "Radiotherapy Physics",
        "radiotherapy  physics.",
        "Radiotherapy Physics (RP)",
        "RADIOTHERAPY PHYSICS - RP",
        "RP: Radiotherapy Physics",
    ):
        assert specialisms.resolve(text, allowed) == "RP", text
    for text in ("Radiotherapy", "RPX", "Radiotherapy Physics (CE)", "", "NM"):
        assert specialisms.resolve(text, allowed) is None, text
