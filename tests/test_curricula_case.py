"""CASE 1.1 export and import: structure, stable identifiers, lossless round trip."""

import json
from pathlib import Path

import jsonschema
import pytest

from portfolio import create_app
from portfolio.curriculum import services
from portfolio.extensions import db
from tests.conftest import base_config
from tests.curricula_helpers import load_all

CASE_SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "case-1.1-cfpackage.schema.json").read_text()
)


def tree_of(app, slug):
    with app.app_context():
        curriculum = services.get_curriculum(slug)
        return [
            (o.code, o.parent_code, o.type, o.title, o.level)
            for o in services.outcomes_of(curriculum, include_retired=False)
        ]


@pytest.fixture
def loaded(app):
    load_all(app)
    return app


def all_slugs(app):
    with app.app_context():
        return [c.slug for c, _ in services.list_curricula()]


def test_every_curriculum_exports_valid_case(loaded, api, factory):
    caller = api(factory.user("trainee"))
    validator = jsonschema.Draft202012Validator(CASE_SCHEMA)
    slugs = all_slugs(loaded)
    assert len(slugs) > 1
    for slug in slugs:
        package = caller.get(f"/api/v1/curricula/{slug}/case").get_json()
        errors = [e.message for e in validator.iter_errors(package)]
        assert errors == [], (slug, errors[:3])
        ids = [i["identifier"] for i in package["CFItems"]]
        assert len(ids) == len(set(ids)), slug
        kinds = {a["associationType"] for a in package["CFAssociations"]}
        assert "isChildOf" in kinds, slug


def test_crosswalks_export_as_associations(loaded, api, factory):
    package = (
        api(factory.user("trainee")).get("/api/v1/curricula/stp-rp/case").get_json()
    )
    related = [
        a for a in package["CFAssociations"] if a["associationType"] == "isRelatedTo"
    ]
    assert related, "STP activities should carry their GSP/HCPC crosswalks"


def test_identifiers_are_stable_across_loads(
    loaded, api, factory, tmp_path, monkeypatch
):
    first = api(factory.user("trainee")).get("/api/v1/curricula/gsp/case").get_json()
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "other"))
    other = create_app(
        {**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    with other.app_context():
        db.create_all()
        services.load_paths(None)
        again = services.case_package(
            services.get_curriculum("gsp"), "http://localhost/"
        )
    assert [i["identifier"] for i in first["CFItems"]] == [
        i["identifier"] for i in again["CFItems"]
    ]
    assert first["CFDocument"]["identifier"] == again["CFDocument"]["identifier"]


@pytest.mark.parametrize(
    "slug", ["stp-rp", "app-hcsa-st0218", "ai-dht", "gsp", "sustainability"]
)
def test_round_trip_gives_the_same_tree(loaded, runner, tmp_path, monkeypatch, slug):
    out = tmp_path / f"{slug}.json"
    result = runner.invoke(args=["curricula", "export-case", slug, "--out", str(out)])
    assert result.exit_code == 0, result.output
    original = tree_of(loaded, slug)
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "fresh"))
    fresh = create_app(
        {**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    with fresh.app_context():
        db.create_all()
    imported = fresh.test_cli_runner().invoke(
        args=["curricula", "import-case", str(out)]
    )
    assert imported.exit_code == 0, imported.output
    assert tree_of(fresh, slug) == original


def test_import_of_a_foreign_package(app, runner, tmp_path):
    package = {
        "CFDocument": {
            "identifier": "b1f0f0e2-1111-4a4a-8a8a-000000000001",
            "uri": "https://example.org/doc",
            "creator": "Example Body",
            "title": "Example Competency Framework",
            "lastChangeDateTime": "2025-01-01T00:00:00+00:00",
            "version": "3",
        },
        "CFItems": [
            {
                "identifier": "b1f0f0e2-1111-4a4a-8a8a-000000000002",
                "fullStatement": "Communicate results",
                "humanCodingScheme": "C1",
                "CFItemType": "Competency",
            },
            {
                "identifier": "b1f0f0e2-1111-4a4a-8a8a-000000000003",
                "fullStatement": "Explain a result to a patient",
                "humanCodingScheme": "C1.1",
            },
        ],
        "CFAssociations": [
            {
                "associationType": "isChildOf",
                "originNodeURI": {"identifier": "b1f0f0e2-1111-4a4a-8a8a-000000000003"},
                "destinationNodeURI": {
                    "identifier": "b1f0f0e2-1111-4a4a-8a8a-000000000002"
                },
            },
        ],
    }
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(package))
    result = runner.invoke(
        args=["curricula", "import-case", str(path), "--id", "example-framework"]
    )
    assert result.exit_code == 0, result.output
    assert tree_of(app, "example-framework") == [
        ("C1", None, "statement", "Communicate results", None),
        ("C1.1", "C1", "statement", "Explain a result to a patient", None),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a JSON file"),
        ("[1, 2]", "must be a JSON object"),
        ('{"CFDocument": {}}', "needs a CFDocument object and a CFItems list"),
        (
            '{"CFDocument": {"identifier": "x"}, "CFItems": []}',
            "$.CFDocument: 'title' is required",
        ),
    ],
)
def test_import_rejects_bad_packages(app, runner, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(args=["curricula", "import-case", str(path)])
    assert result.exit_code == 1 and message in result.output
