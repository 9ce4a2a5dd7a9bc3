"""Organisation import (CLI and web) and the list page."""

import io

import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.paths import PROJECT_ROOT

GOOD = """code,name,kind,nation,region
RBV,The Christie NHS Foundation Trust,trust,England,North West
7A1,Betsi Cadwaladr University Health Board,health_board,Wales,North Wales
"""
BAD = """code,name,kind,nation,region
RBV,The Christie NHS Foundation Trust,trust,England,North West
R!!,Bad code,trust,England,London
RR8,,hospital,Narnia,North East
RBV,Duplicate,trust,England,North West
"""


def count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))


def test_cli_import_creates_then_updates(app, runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0 and "2 created, 0 updated" in result.output
    path.write_text(GOOD.replace("North Wales", "Wales North"))
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert "0 created, 2 updated" in result.output
    with app.app_context():
        board = db.session.scalar(
            sa.select(Organisation).where(Organisation.code == "7A1")
        )
        assert board.region == "Wales North" and board.kind == "health_board"


def test_cli_import_reports_every_bad_line_and_imports_nothing(app, runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(BAD)
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert f"{path}:3: code 'R!!' must be 2 to 12 letters or digits" in out
    assert f"{path}:4: name is empty" in out
    assert f"{path}:4: kind 'hospital' is not one of" in out
    assert f"{path}:4: nation 'Narnia' is not one of" in out
    assert f"{path}:5: code RBV already on line 2" in out
    assert "nothing imported" in out
    assert count(app) == 0


def test_cli_import_header_problems(runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("code,name\nRBV,X\n")
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert (
        result.exit_code == 1 and ":1: missing column(s): kind, nation" in result.output
    )


def test_shipped_reference_list_imports_cleanly(app, runner):
    path = PROJECT_ROOT / "data" / "organisations.csv"
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        nations = dict(
            db.session.execute(
                sa.select(Organisation.nation, sa.func.count()).group_by(
                    Organisation.nation
                )
            ).all()
        )
    assert nations["England"] >= 40
    assert (
        nations["Scotland"] >= 14
        and nations["Wales"] >= 7
        and nations["Northern Ireland"] >= 5
    )


def test_web_import_by_admin(app, client, login_as):
    login_as("admin", org=None)
    response = client.post(
        "/organisations/import",
        data={"file": (io.BytesIO(GOOD.encode()), "orgs.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get("/organisations/").get_data(as_text=True)
    assert "Betsi Cadwaladr University Health Board" in page


def test_web_import_shows_line_errors(app, client, login_as):
    login_as("admin", org=None)
    response = client.post(
        "/organisations/import",
        data={"file": (io.BytesIO(BAD.encode()), "orgs.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "nothing was imported" in page and "Line 5: code RBV already on line 2" in page
    )
    assert count(app) == 0


def test_web_import_rejects_binary(client, login_as):
    login_as("admin", org=None)
    response = client.post(
        "/organisations/import",
        data={"file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "UTF-8" in response.get_data(as_text=True)


def test_list_filters_by_nation(client, login_as, factory):
    factory.organisation(
        "7A1", name="A Welsh Board", nation="Wales", kind="health_board"
    )
    login_as("training_lead")
    page = client.get("/organisations/?nation=Wales").get_data(as_text=True)
    assert "A Welsh Board" in page and "Trust RBV" not in page
