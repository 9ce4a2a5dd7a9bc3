"""`flask capacity import`: the example file, upserts, and every kind of bad line."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.capacity.services import import_capacity
from portfolio.csvimport import CsvImportError
from portfolio.extensions import db
from portfolio.paths import PROJECT_ROOT
from tests.helpers.capacity import load_specialisms

EXAMPLE = PROJECT_ROOT / "data" / "capacity-example.csv"
HEADER = (
    "record,organisation,specialism,programme,intake_year,commissioned,filled,"
    "funding_source,as_of,establishment_wte,in_post_wte,vacancies_wte,"
    "retiring_5y,retiring_15y"
)
GOOD_PLACE = "place,RBV,RP,stp,2026,3,2,NHS England,,,,,,"
GOOD_WORKFORCE = "workforce,RBV,RP,,,,,,2026-03-31,20.5,18.00,,2,6"


@pytest.fixture
def orgs(app, factory):
    for code in ("RBV", "RR8", "RPY"):
        factory.organisation(code)
    load_specialisms(app)


def csv(*lines: str, header: str = HEADER) -> str:
    return "\n".join((header, *lines)) + "\n"


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(TrainingPlace)),
            db.session.scalar(sa.select(sa.func.count()).select_from(WorkforceRecord)),
        )


def errors_of(app, text: str, filename: str = "f.csv") -> list[tuple[int, str]]:
    with app.app_context(), pytest.raises(CsvImportError) as caught:
        import_capacity(text, filename)
    db_counts = counts(app)
    assert db_counts == (0, 0), "nothing may be imported when a line is wrong"
    return [(e.line, e.message) for e in caught.value.errors]


def test_example_file_imports_and_reimports_as_updates(app, runner, orgs):
    result = runner.invoke(args=["capacity", "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "training places: 27 created, 0 updated" in result.output
    assert "workforce records: 12 created, 0 updated" in result.output
    assert counts(app) == (27, 12)
    again = runner.invoke(args=["capacity", "import", str(EXAMPLE)])
    assert "27 updated" in again.output and "12 updated" in again.output
    assert counts(app) == (27, 12)
    with app.app_context():
        # Vacancies left empty are worked out: 6.00 - 5.00 at Leeds IN.
        record = db.session.scalar(
            sa.select(WorkforceRecord).where(WorkforceRecord.specialism == "IN")
        )
        assert record.vacancies_wte == Decimal("1.00")
        assert record.organisation.code == "RR8"


def test_upsert_changes_figures_by_key(app, orgs):
    with app.app_context():
        import_capacity(csv(GOOD_PLACE, GOOD_WORKFORCE))
        result = import_capacity(
            csv(
                "place,rbv,rp,STP,2026,4,4,Trust funded,,,,,,",
                "workforce,RBV,RP,,,,,,2026-03-31,21,18,3,,",
            )
        )
        assert (result.places_created, result.places_updated) == (0, 1)
        assert (result.workforce_created, result.workforce_updated) == (0, 1)
        place = db.session.scalar(sa.select(TrainingPlace))
        assert (place.specialism, place.programme, place.commissioned) == (
            "RP",
            "stp",
            4,
        )
        assert place.funding_source == "Trust funded"
        record = db.session.scalar(sa.select(WorkforceRecord))
        assert record.vacancies_wte == Decimal("3.00")
        assert record.retiring_5y is None and record.retiring_15y is None


def test_known_spellings_of_a_specialism_and_vacancies_within_tolerance(app, orgs):
    with app.app_context():
        import_capacity(
            csv(
                "place,RBV,Radiotherapy Physics (RP),stp,2026,1,0,,,,,,,",
                "place,RBV,radiotherapy physics.,stp,2027,1,0,,,,,,,",
                "place,RBV,rp,stp,2028,1,0,,,,,,,",
                "workforce,RBV,Clinical  Engineering,,,,,,2026-03-31,10,7.5,2.54,,",
            )
        )
        places = db.session.scalars(sa.select(TrainingPlace.specialism)).all()
        assert places == ["RP", "RP", "RP"]
        record = db.session.scalar(sa.select(WorkforceRecord))
        assert record.specialism == "CE"
        # 2.54 is within 0.05 of 2.50: the exact figure is stored.
        assert record.vacancies_wte == Decimal("2.50")


def test_an_unknown_specialism_is_an_error_on_its_line(app, orgs):
    errors = errors_of(
        app,
        csv(
            GOOD_PLACE,
            "place,RBV,Rehabilitation engineering,apprenticeship_l4,2026,1,0,,,,,,,",
        ),
    )
    assert errors == [
        (
            3,
            "specialism: 'Rehabilitation engineering' is not one of the specialisms "
            "of the curricula: RP (Radiotherapy Physics), NM (Nuclear Medicine), DR "
            "(Radiation Safety and Diagnostic Radiology), IN (Imaging with "
            "Non-Ionising Radiation), CE (Clinical Engineering), CSC (Clinical "
            "Scientific Computing)",
        )
    ]


def test_header_errors(app, orgs):
    assert errors_of(app, "record,organisation\nplace,RBV\n") == [
        (1, "missing column(s): specialism")
    ]
    assert errors_of(app, csv(GOOD_PLACE, header=HEADER + ",colour")) == [
        (1, "unknown column(s): colour")
    ]
    assert errors_of(app, HEADER + "\n") == [(1, "the file has no data rows")]
    assert errors_of(app, csv(GOOD_PLACE + ",extra")) == [
        (2, "more values than columns")
    ]


def test_every_error_on_every_line_is_reported(app, orgs):
    text = csv(
        GOOD_PLACE,  # 2: fine
        "staff,RBV,RP,stp,2026,1,1,,,,,,,",  # 3
        "place,XYZ,RP,stp,2026,1,1,,,,,,,",  # 4
        "place,,RP,stp,2026,1,1,,,,,,,",  # 5
        "place,RBV,,stp,2026,1,1,,,,,,,",  # 6
        "place,RBV," + "X" * 41 + ",stp,2026,1,1,,,,,,,",  # 7
        "place,RBV,RP,masters,2026,1,1,,,,,,,",  # 8
        "place,RBV,RP,stp,,1,1,,,,,,,",  # 9
        "place,RBV,RP,stp,1850,1,1,,,,,,,",  # 10
        "place,RBV,RP,stp,2027,three,1,,,,,,,",  # 11
        "place,RBV,RP,stp,2028,-1,0,,,,,,,",  # 12
        "place,RBV,RP,stp,2029,2,3,,,,,,,",  # 13
        "place,RBV,RP,stp,2030,2,1.5,,,,,,,",  # 14
        "place,RBV,RP,stp,2031,1,1,," + "2026-03-31" + ",,,,,",  # 15
        GOOD_PLACE,  # 16: the same key as line 2
        GOOD_WORKFORCE,  # 17: fine
        "workforce,RBV,NM,,,,,,31/03/2026,10,9,,,",  # 18
        "workforce,RBV,NM,,,,,,2026-03-31,,9,,,",  # 19
        "workforce,RBV,DR,,,,,,2026-03-31,10,12,,,",  # 20
        "workforce,RBV,IN,,,,,,2026-03-31,10,8,1,,",  # 21
        "workforce,RBV,CE,,,,,,2026-03-31,-10,0,,,",  # 22
        "workforce,RBV,CSC,,,,,,2026-03-31,10.125,8,,,",  # 23
        "workforce,RBV,Imaging with non-ionising radiation,,,,,,2026-03-31,ten,8,,,",  # 24
        "workforce,RBV,nm,,,,,,2026-03-31,10,8,,5,3",  # 25
        "workforce,RBV,dr,stp,,,,,2026-03-31,10,8,,,",  # 26
        GOOD_WORKFORCE,  # 27: the same key as line 17
    )
    errors = dict(errors_of(app, text, "capacity.csv"))
    expected = {
        3: "record must be place or workforce, not 'staff'",
        4: "no organisation with code 'XYZ'",
        5: "organisation is empty",
        6: "specialism: Choose the specialism",
        7: "specialism: 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' is not one of",
        8: "programme: The programme must be one of stp, apprenticeship_l2",
        9: "intake_year: Enter the intake year",
        10: "intake_year: The intake year must be between 1900 and 2200",
        11: "commissioned: The places commissioned must be a whole number",
        12: "commissioned: The places commissioned must not be negative",
        13: "filled: Places filled (3) cannot be more than places commissioned (2)",
        14: "filled: The places filled must be a whole number",
        15: "as_of is for workforce rows: leave it empty on a place row",
        16: "the same training places as line 2",
        18: "as_of: The date the figures are for must be a date like 2025-03-31",
        19: "establishment_wte: Enter the establishment",
        20: "in_post_wte: Staff in post (12 WTE) cannot be more than the establishment (10 WTE)",
        21: "vacancies_wte: Vacancies (1 WTE) must be the establishment minus staff in post (2 WTE)",
        22: "establishment_wte: The establishment must not be negative",
        23: "establishment_wte: The establishment must have at most 2 decimal places",
        24: "establishment_wte: The establishment must be a number of WTE",
        25: "retiring_15y: Retiring within 15 years (3) includes those retiring within 5 years (5)",
        26: "programme is for place rows: leave it empty on a workforce row",
        27: "the same workforce record as line 17",
    }
    assert set(errors) == set(expected), sorted(errors.items())
    for line, start in expected.items():
        assert errors[line].startswith(start), (line, errors[line])


def test_several_errors_on_one_line_are_all_listed(app, orgs):
    errors = errors_of(app, csv("place,NOPE,RP,phd,soon,x,y,,,,,,,"))
    messages = [m for line, m in errors if line == 2]
    assert len(messages) == 5, messages
    assert messages[0].startswith("no organisation with code 'NOPE'")


def test_cli_reports_file_line_errors_and_exits_1(app, runner, orgs, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(csv(GOOD_PLACE, "place,RBV,RP,stp,2027,2,3,,,,,,,"))
    result = runner.invoke(args=["capacity", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}: 1 error(s), nothing imported" in result.output
    assert f"{path}:3: filled: Places filled (3)" in result.output
    assert counts(app) == (0, 0)


def test_cli_dry_run_and_encoding(app, runner, orgs, tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(csv(GOOD_PLACE, GOOD_WORKFORCE))
    result = runner.invoke(args=["capacity", "import", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid; would import training places: 1 created" in result.output
    assert counts(app) == (0, 0)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        csv("place,RBV,Radiothérapie,stp,2026,1,1,,,,,,,").encode("latin-1")
    )
    result = runner.invoke(args=["capacity", "import", str(latin)])
    assert result.exit_code == 1
    assert "not a UTF-8 text file" in result.output
