"""Organisation codes say which scheme they belong to (ODS, GSS, or a local placeholder
that is not confirmed), the commissioners are organisations, and the migration fills
the scheme for rows that existed before it."""

import csv
import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.paths import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "data" / "organisations.csv"
NI_TRUSTS = ("BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT", "NIAS")
NHS_ENGLAND_REGIONS = ("Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63")


def import_shipped(runner):
    result = runner.invoke(args=["orgs", "import", str(SHIPPED)])
    assert result.exit_code == 0, result.output


def by_code(code):
    return db.session.scalar(sa.select(Organisation).where(Organisation.code == code))


def test_the_shipped_list_says_which_scheme_each_code_is(app, runner):
    """Scottish health board codes S08... are GSS geography codes; the Northern Ireland
    trusts' acronyms are not ODS codes (ODS lists the trusts under role RO154:
    https://www.odsdatasearchandexport.nhs.uk/referenceDataCatalogue/Northern-Ireland-Trusts-and-Non-HPSS-Provider-Organisations_758097258.html)
    and could not be confirmed, so they are local placeholders; English trusts are ODS."""
    import_shipped(runner)
    with app.app_context():
        assert by_code("RBV").code_system == "ODS"
        assert by_code("S08000024").code_system == "GSS"
        for code in NI_TRUSTS:
            trust = by_code(code)
            assert trust.code_system == "LOCAL" and not trust.code_confirmed
            assert "not confirmed" in trust.code_label
        systems = set(db.session.scalars(sa.select(Organisation.code_system)))
        assert systems == {"ODS", "GSS", "LOCAL"}


def test_the_commissioners_are_organisations(app, runner):
    """NHS England's seven regions (ODS codes Y56-Y63, role RO209
    https://www.odsdatasearchandexport.nhs.uk/referenceDataCatalogue/NHS-England-and-Regions_571320538.html),
    NHS Education for Scotland, Health Education and Improvement Wales and Northern
    Ireland's Department of Health, as organisations of the commissioner kind."""
    import_shipped(runner)
    with app.app_context():
        commissioners = {
            o.code: o
            for o in db.session.scalars(
                sa.select(Organisation).where(Organisation.kind == "commissioner")
            )
        }
    assert set(NHS_ENGLAND_REGIONS) <= set(commissioners)
    assert all(commissioners[c].code_system == "ODS" for c in NHS_ENGLAND_REGIONS)
    names = {o.name for o in commissioners.values()}
    assert {
        "NHS Education for Scotland",
        "Health Education and Improvement Wales",
        "Department of Health (Northern Ireland)",
    } <= names
    nations = {o.nation for o in commissioners.values()}
    assert nations == {"England", "Scotland", "Wales", "Northern Ireland"}


def test_every_shipped_row_names_its_scheme():
    with open(SHIPPED, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(row["code_system"] in ("ODS", "GSS", "LOCAL") for row in rows)
    assert all(
        row["code_system"] == "GSS" for row in rows if row["code"].startswith("S08")
    )


def test_the_import_checks_the_scheme_against_the_code(runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        "code,code_system,name,kind,nation\n"
        "S08000015,ODS,NHS Ayrshire and Arran,health_board,Scotland\n"
        "RBV,GSS,The Christie,trust,England\n"
        "RR8,XYZ,Leeds,trust,England\n"
    )
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 1
    assert (
        ":2: code S08000015 is a GSS geography code, not an ODS code" in result.output
    )
    assert ":3: code RBV is not a GSS code" in result.output
    assert ":4: code_system 'XYZ' is not one of ODS, GSS, LOCAL" in result.output


def test_a_file_without_code_system_keeps_existing_schemes(app, runner, tmp_path):
    import_shipped(runner)
    path = tmp_path / "orgs.csv"
    path.write_text(
        "code,name,kind,nation,region\n"
        "BHSCT,Belfast Health and Social Care Trust,trust,Northern Ireland,Belfast\n"
        "S08000099,NHS Somewhere,health_board,Scotland,Scotland\n"
        "RX9,A new trust,trust,England,London\n"
    )
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert by_code("BHSCT").code_system == "LOCAL"  # kept
        assert by_code("S08000099").code_system == "GSS"  # by its shape
        assert by_code("RX9").code_system == "ODS"


def test_admins_see_the_code_system(app, client, runner, login_as):
    import_shipped(runner)
    login_as("admin", org=None)
    page = client.get("/organisations/?nation=Northern Ireland").get_data(as_text=True)
    assert "Code system" in page and "not confirmed" in page
    page = client.get("/organisations/?nation=Scotland").get_data(as_text=True)
    assert "GSS" in page and "NHS Education for Scotland" in page


# ---- the migration fills code_system for existing rows -------------------------------

BEFORE, AFTER = "5d2c8e7f1a94", "e3a8c5f1b7d4"


def flask(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "FLASK_APP": "wsgi.py", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def migrate_existing_rows(database_url, tmp_path):
    env = {"DATABASE_URL": database_url, "PORTFOLIO_INSTANCE_PATH": str(tmp_path)}
    done = flask("db", "upgrade", BEFORE, env=env)
    assert done.returncode == 0, done.stderr
    engine = sa.create_engine(database_url)
    rows = [
        ("a1", "RBV", "The Christie NHS Foundation Trust", "trust", "England"),
        ("a2", "S08000024", "NHS Lothian", "health_board", "Scotland"),
        ("a3", "BHSCT", "Belfast HSC Trust", "trust", "Northern Ireland"),
        ("a4", "SB0801", "NHS Golden Jubilee", "special_health_board", "Scotland"),
    ]
    with engine.begin() as conn:
        for row in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO organisation (id, code, name, kind, nation, region) "
                    "VALUES (:i, :c, :n, :k, :t, '')"
                ),
                dict(zip("icnkt", row, strict=True)),
            )
    done = flask("db", "upgrade", AFTER, env=env)
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        found = dict(
            conn.execute(sa.text("SELECT code, code_system FROM organisation")).all()
        )
        ids = set(conn.execute(sa.text("SELECT id FROM organisation")).scalars())
    engine.dispose()
    # ids (what enrolments reference) and codes are kept; the scheme is filled
    assert ids == {"a1", "a2", "a3", "a4"}
    assert found == {
        "RBV": "ODS",
        "S08000024": "GSS",
        "BHSCT": "LOCAL",
        "SB0801": "LOCAL",
    }
    done = flask("db", "downgrade", BEFORE, env=env)
    assert done.returncode == 0, done.stderr


def test_the_migration_fills_code_system_on_sqlite(tmp_path):
    migrate_existing_rows(f"sqlite:///{tmp_path}/orgs.db", tmp_path)


@pytest.mark.postgres
def test_the_migration_fills_code_system_on_postgres(tmp_path):
    import psycopg

    base = os.environ["TEST_DATABASE_URL"]
    name = f"orgcodes_{uuid.uuid4().hex[:8]}"
    admin_url = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        migrate_existing_rows(base.rsplit("/", 1)[0] + "/" + name, tmp_path)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
