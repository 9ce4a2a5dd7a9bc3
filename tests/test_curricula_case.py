"""CASE 1.1 export and import: structure, stable identifiers, lossless round trip."""

import json
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from portfolio import create_app
from portfolio.curriculum import services
from portfolio.curriculum.models import CrosswalkLink
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
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(package)]
        assert errors == [], (slug, len(errors), errors[:3])
        assert package["CFDocument"]["caseVersion"] == "1.1"
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
        again = services.case_package(services.get_curriculum("gsp"))
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


def test_the_case_schema_refuses_case_1_0_properties():
    """The test schema follows CASE 1.1: the CFDocumentURI and CFPackageURI of 1.0
    packages are not allowed, nor is an unknown property."""
    validator = jsonschema.Draft202012Validator(CASE_SCHEMA)
    link = {
        "title": "T",
        "identifier": "b1f0f0e2-1111-4a4a-8a8a-000000000001",
        "uri": "https://example.org/x",
    }
    stamp = "2025-01-01T00:00:00+00:00"
    package = {
        "CFDocument": {
            **link,
            "creator": "C",
            "lastChangeDateTime": stamp,
            "CFPackageURI": link,
        },
        "CFItems": [
            {
                **link,
                "fullStatement": "S",
                "lastChangeDateTime": stamp,
                "CFDocumentURI": link,
            }
        ],
        "CFAssociations": [
            {
                "identifier": link["identifier"],
                "uri": link["uri"],
                "associationType": "isChildOf",
                "originNodeURI": link,
                "destinationNodeURI": link,
                "lastChangeDateTime": stamp,
                "CFDocumentURI": link,
                "wibble": 1,
            }
        ],
    }
    refused = {
        (tuple(e.absolute_path), e.validator) for e in validator.iter_errors(package)
    }
    assert refused == {
        (("CFDocument",), "additionalProperties"),
        (("CFItems", 0), "additionalProperties"),
        (("CFAssociations", 0), "additionalProperties"),
    }


def _without_stamps(value):
    if isinstance(value, dict):
        return {
            k: _without_stamps(v) for k, v in value.items() if k != "lastChangeDateTime"
        }
    if isinstance(value, list):
        return [_without_stamps(v) for v in value]
    return value


def _by_type(associations: list[dict]) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for association in sorted(associations, key=lambda a: a["identifier"]):
        grouped.setdefault(association["associationType"], []).append(association)
    return grouped


def test_every_shipped_curriculum_round_trips_identically(
    loaded, tmp_path, monkeypatch
):
    """Export every shipped curriculum, import them all into a fresh database and
    export again: the same identifiers, items and associations of every type."""
    with loaded.app_context():
        first = {
            c.slug: services.case_package(c)
            for c in services.current_curricula().values()
        }
    assert len(first) > 15
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "fresh"))
    fresh = create_app(
        {**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    with fresh.app_context():
        db.create_all()
        for slug, package in sorted(first.items()):
            services.import_case_package(json.loads(json.dumps(package)), slug)
        again = {
            c.slug: services.case_package(c)
            for c in services.current_curricula().values()
        }
    assert sorted(again) == sorted(first)
    for slug, package in first.items():
        before, after = _without_stamps(package), _without_stamps(again[slug])
        assert after["CFDocument"] == before["CFDocument"], slug
        assert after["CFItems"] == before["CFItems"], slug
        assert _by_type(after["CFAssociations"]) == _by_type(
            before["CFAssociations"]
        ), slug


FOREIGN_DOC = "b1f0f0e2-1111-4a4a-8a8a-00000000d0c0"


def _foreign_package() -> dict:
    def item(n, code, statement):
        return {
            "identifier": f"b1f0f0e2-1111-4a4a-8a8a-00000000000{n}",
            "fullStatement": statement,
            "humanCodingScheme": code,
        }

    def link(n):
        return {"identifier": f"b1f0f0e2-1111-4a4a-8a8a-00000000000{n}"}

    def association(n, kind, origin, destination, sequence=None):
        value = {
            "identifier": f"b1f0f0e2-2222-4a4a-8a8a-00000000000{n}",
            "associationType": kind,
            "originNodeURI": origin,
            "destinationNodeURI": destination,
        }
        if sequence is not None:
            value["sequenceNumber"] = sequence
        return value

    document = {"identifier": FOREIGN_DOC, "title": "Example"}
    return {
        "CFDocument": {**document, "creator": "Example Body"},
        "CFItems": [
            item(1, "C1", "Communicate results"),
            item(2, "C1.1", "Explain a result"),
            item(3, "C1.2", "Write a report"),
        ],
        "CFAssociations": [
            association(1, "isChildOf", link(1), document, 10),
            association(2, "isChildOf", link(2), link(1), 20),
            association(3, "isChildOf", link(3), link(1), 30),
            association(4, "precedes", link(2), link(3)),
            association(
                5,
                "exemplar",
                link(3),
                {
                    "identifier": "ext-report-1",
                    "title": "A sample report",
                    "uri": "https://example.org/reports/1",
                },
            ),
            association(6, "ext:supports", link(1), link(3), 2),
        ],
    }


def test_import_keeps_identifiers_sequence_numbers_and_every_association(app):
    package = _foreign_package()
    with app.app_context():
        services.import_case_package(package, "foreign.json", slug="example")
        exported = services.case_package(services.get_curriculum("example"))
    assert exported["CFDocument"]["identifier"] == FOREIGN_DOC
    assert [i["identifier"] for i in exported["CFItems"]] == [
        i["identifier"] for i in package["CFItems"]
    ]
    tree = {
        a["originNodeURI"]["identifier"]: a["sequenceNumber"]
        for a in exported["CFAssociations"]
        if a["associationType"] == "isChildOf"
    }
    assert sorted(tree.values()) == [10, 20, 30]
    kept = {
        a["identifier"]: a
        for a in exported["CFAssociations"]
        if a["associationType"] != "isChildOf"
    }
    assert len(kept) == 3
    for original in package["CFAssociations"][3:]:
        again = kept[original["identifier"]]
        assert again["associationType"] == original["associationType"]
        for end in ("originNodeURI", "destinationNodeURI"):
            assert again[end]["identifier"] == original[end]["identifier"]
        assert again.get("sequenceNumber") == original.get("sequenceNumber")
    exemplar = kept["b1f0f0e2-2222-4a4a-8a8a-000000000005"]
    assert exemplar["destinationNodeURI"] == {
        "identifier": "ext-report-1",
        "title": "A sample report",
        "uri": "https://example.org/reports/1",
    }
    validator = jsonschema.Draft202012Validator(CASE_SCHEMA)
    assert [e.message for e in validator.iter_errors(exported)] == []


def test_imported_crosswalks_become_crosswalk_links(loaded):
    """isRelatedTo/exactMatchOf naming their target become the links the outcome
    pages show, in a database that had none."""
    with loaded.app_context():
        package = services.case_package(services.get_curriculum("stp-rp"))
    crosswalks = [
        a
        for a in package["CFAssociations"]
        if a["associationType"] in ("isRelatedTo", "exactMatchOf")
    ]
    assert crosswalks
    with loaded.app_context():
        db.session.execute(sa.delete(CrosswalkLink))
        db.session.commit()
        services.import_case_package(package, "stp-rp.json")
        links = db.session.scalars(sa.select(CrosswalkLink)).all()
        again = services.case_package(services.get_curriculum("stp-rp"))
    assert len(links) == len(crosswalks)
    first = crosswalks[0]["extensions"]["mpce"]
    assert (first["crosswalk"], first["to"]["curriculum"], first["to"]["code"]) in {
        (link.crosswalk, link.to_slug, link.to_code) for link in links
    }
    assert sorted(a["identifier"] for a in again["CFAssociations"]) == sorted(
        a["identifier"] for a in package["CFAssociations"]
    )


def test_every_export_uri_resolves_in_the_case_api(loaded, client):
    """Every uri of an export is a CASE 1.1 read API address that answers, without
    signing in, with the object of that identifier."""
    with loaded.app_context():
        package = services.case_package(services.get_curriculum("gsp"))
        base = loaded.config["BASE_URL"].rstrip("/")
    document = package["CFDocument"]
    objects = [document, *package["CFItems"], *package["CFAssociations"]]
    paths: dict[str, str | None] = {o["uri"]: o["identifier"] for o in objects}
    paths[document["uri"].replace("/CFDocuments/", "/CFPackages/")] = None
    for uri, identifier in paths.items():
        assert uri.startswith(base + "/ims/case/v1p1/"), uri
        response = client.get(uri[len(base) :])
        assert response.status_code == 200, uri
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = response.get_json()
        if identifier is None:
            assert body["CFDocument"]["identifier"] == document["identifier"]
            assert len(body["CFItems"]) == len(package["CFItems"])
        else:
            assert body["identifier"] == identifier, uri
    listed = client.get("/ims/case/v1p1/CFDocuments").get_json()["CFDocuments"]
    assert document["identifier"] in {d["identifier"] for d in listed}
    item = client.get(package["CFItems"][0]["uri"][len(base) :]).get_json()
    assert item["CFDocumentURI"]["identifier"] == document["identifier"]
    missing = client.get("/ims/case/v1p1/CFItems/no-such-item")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
