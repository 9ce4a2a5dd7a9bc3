"""Curriculum files: the shipped content, and every class of error with file and line."""

import re
import shutil

import pytest
import sqlalchemy as sa
import yaml

from portfolio.curriculum import files
from portfolio.curriculum import services
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.extensions import db
from tests.curricula_helpers import CURRICULA
from tests.curricula_helpers import load_all


def test_every_shipped_file_validates(runner):
    result = runner.invoke(args=["curricula", "validate"])
    assert result.exit_code == 0, result.output
    count = int(result.output.split()[0])
    assert count == len(files.discover())


def test_load_is_idempotent(app, runner):
    first = runner.invoke(args=["curricula", "load"])
    assert first.exit_code == 0, first.output
    assert "0 updated, 0 unchanged" in first.output
    second = runner.invoke(args=["curricula", "load"])
    assert "0 new, 0 updated" in second.output and "0 crosswalk" in second.output
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(Curriculum)
        ) == len([p for p in files.discover() if "crosswalks" not in str(p)])


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node.get("children", []))


def load_yaml(path):
    return yaml.safe_load(path.read_text())


STP_SPECIALTIES = ["rp", "nm", "dr", "in", "ce", "csc"]


@pytest.mark.parametrize("specialty", STP_SPECIALTIES)
def test_stp_specialist_modules_follow_the_count_rule(specialty):
    # NSHCS: a 10-credit module has 10 +/- 1 training activities
    # (https://nshcs.hee.nhs.uk/programmes/stp/trainers/introducing-the-scientist-training-programme/the-work-based-curriculum).
    data = load_yaml(CURRICULA / "stp" / f"{specialty}.yaml")
    modules = [
        n for n in walk(data["outcomes"]) if n.get("module_type") == "specialist"
    ]
    assert len(modules) >= 4
    for module in modules:
        activities = [
            n for n in walk(module["children"]) if n["type"] in ("ETA", "DTA", "OTA")
        ]
        if "credits" not in module:
            # Published, but the Curriculum Library page with its credits was not
            # retrieved: it says so rather than guessing.
            assert module["provenance"] == "published", module["code"]
            assert "not confirmed" in module["description"], module["code"]
            continue
        credits = module["credits"]
        tolerance = max(1, credits // 10)
        assert abs(len(activities) - credits) <= tolerance, module["code"]
        assert set(module["assessments"]) & {"dops", "oce", "dops_or_oce", "cbd"}
    assert "stp-core" in data["includes"]


def test_clinical_engineering_has_no_etas():
    data = load_yaml(CURRICULA / "stp" / "ce.yaml")
    assert not [n for n in walk(data["outcomes"]) if n["type"] == "ETA"]


def test_core_has_two_msf_rounds():
    data = load_yaml(CURRICULA / "stp" / "core.yaml")
    rounds = data["programme"]["msf_rounds"]
    assert [r["month"] for r in rounds] == [18, 30]


@pytest.mark.parametrize("path", sorted((CURRICULA / "apprenticeships").glob("*.yaml")))
def test_apprenticeships_have_k_s_and_b(path):
    data = load_yaml(path)
    types = {n["type"] for n in walk(data["outcomes"])}
    assert {"K", "S", "B", "duty"} <= types
    assert data["programme"]["standard_ref"].startswith("ST0")


def test_every_stp_activity_has_a_gsp_crosswalk():
    linked = set()
    for path in (CURRICULA / "crosswalks").glob("stp-*-gsp.yaml"):
        data = load_yaml(path)
        linked |= {(data["from_curriculum"], link["from"]) for link in data["links"]}
    assert linked
    stp = sorted((CURRICULA / "stp").glob("*.yaml"))
    assert stp
    for path in stp:
        data = load_yaml(path)
        for node in walk(data["outcomes"]):
            if node["type"] in ("ETA", "DTA", "OTA"):
                assert (data["id"], node["code"]) in linked, node["code"]


def test_every_item_is_marked_published_or_proposal():
    paths = files.discover()
    assert paths
    for path in paths:
        data = load_yaml(path)
        if data["kind"] == "crosswalk":
            assert data.get("provenance") in ("published", "proposal"), path
            continue
        assert data["source"]["title"], path
        for node in walk(data["outcomes"]):
            marked = node.get("provenance") or data.get("provenance")
            assert marked in ("published", "proposal"), (path, node["code"])


def test_registration_standards_have_the_expected_headings():
    assert len(load_yaml(CURRICULA / "frameworks" / "gsp.yaml")["outcomes"]) == 5
    hcpc = list(
        walk(load_yaml(CURRICULA / "frameworks" / "hcpc-sop-cs.yaml")["outcomes"])
    )
    assert [n["code"] for n in hcpc if n["type"] == "standard"] == [
        f"SOP{i}" for i in range(1, 16)
    ]
    # Sub-standards carry the HCPC's own numbering, n.m under standard n.
    subs = [n for n in hcpc if n["type"] == "statement"]
    assert subs and all(
        n["code"] == f"SOP{n['source_ref']}" and "." in n["source_ref"] for n in subs
    )
    rct = [
        n
        for n in walk(
            load_yaml(CURRICULA / "frameworks" / "rct-scopes.yaml")["outcomes"]
        )
        if n["type"] == "scope"
    ]
    assert [n["code"] for n in rct] == [f"RCT{i}" for i in range(1, 9)]
    assert rct[7]["title"] == "Clinical Computing Technologist"
    # Every scope lists the tasks it expects; those are ours until the RCT list is checked.
    assert all(
        n.get("children") and all(c["code"].startswith("P-") for c in n["children"])
        for n in rct
    )


def test_digital_framework_has_levels_and_sustainability_has_three():
    ai = load_yaml(CURRICULA / "frameworks" / "ai-dht.yaml")
    statements = [n for n in walk(ai["outcomes"]) if n["type"] == "statement"]
    assert statements and all(n.get("level") for n in statements)
    sustainability = load_yaml(CURRICULA / "extensions" / "sustainability.yaml")
    levels = {
        int(n["level"]) for n in walk(sustainability["outcomes"]) if n.get("level")
    }
    assert levels == {1, 2, 3}


# ---- each class of error, in a broken copy of a real file -----------------------


@pytest.fixture
def broken(tmp_path):
    """Copy a real file, apply ``edit`` to its text, return the copy's path."""

    def make(source, edit, name=None):
        target = tmp_path / (name or source.name)
        target.write_text(edit(source.read_text()))
        return target

    return make


def line_of(path, needle, occurrence=1):
    found = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            found += 1
            if found == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def run_validate(runner, *paths):
    result = runner.invoke(args=["curricula", "validate", *map(str, paths)])
    assert result.exit_code == 1, result.output
    return result.output


GSP = CURRICULA / "frameworks" / "gsp.yaml"
RP = CURRICULA / "stp" / "rp.yaml"


def test_yaml_syntax_error_names_file_and_line(runner, broken):
    path = broken(GSP, lambda t: t.replace("title:", "title: [unclosed", 1))
    out = run_validate(runner, path)
    assert f"{path}:" in out and "not valid YAML" in out
    assert re.search(rf"{re.escape(str(path))}:\d+:", out)


def test_unknown_type_names_path_and_line(runner, broken):
    path = broken(GSP, lambda t: t.replace("type: domain", "type: wibble", 1))
    out = run_validate(runner, path)
    line = line_of(path, "type: wibble")
    assert f"{path}:{line}: outcomes[0].type: unknown type 'wibble': use one of" in out


def test_unknown_field_and_missing_field(runner, broken):
    path = broken(GSP, lambda t: t.replace("version:", "colour: blue\nversion:", 1))
    out = run_validate(runner, path)
    assert f"{path}:" in out and "unknown field(s)" in out and "'colour'" in out
    path2 = broken(
        GSP, lambda t: re.sub(r"(?m)^title:.*\n", "", t, count=1), name="x.yaml"
    )
    assert "'title' is required" in run_validate(runner, path2)


def test_duplicate_code_names_both_lines(runner, broken):
    path = broken(GSP, lambda t: t.replace("code: GSP2", "code: GSP3", 1))
    out = run_validate(runner, path)
    first, second = line_of(path, "code: GSP3"), line_of(path, "code: GSP3", 2)
    assert (
        f"{path}:{second}: outcomes[2].code: duplicate code 'GSP3' (first used on line {first})"
        in out
    )


def test_link_to_unknown_code(runner, broken, tmp_path):
    for name in ("core.yaml", "rotations-mp.yaml"):
        shutil.copy(CURRICULA / "stp" / name, tmp_path / name)
    path = broken(
        RP, lambda t: t.replace("links: [S-RP-S1-LO3,", "links: [S-RP-S1-LO99,", 1)
    )
    out = run_validate(
        runner, path, tmp_path / "core.yaml", tmp_path / "rotations-mp.yaml"
    )
    assert f"{path}:{line_of(path, 'S-RP-S1-LO99')}:" in out
    assert "link to unknown code 'S-RP-S1-LO99'" in out


def test_dangling_crosswalk_target(runner, broken):
    crosswalk = CURRICULA / "crosswalks" / "stp-core-gsp.yaml"
    path = broken(crosswalk, lambda t: t.replace("to: [GSP1]", "to: [GSP9]", 1))
    core = CURRICULA / "stp" / "core.yaml"
    out = run_validate(runner, GSP, core, path)
    assert f"{path}:{line_of(path, 'GSP9')}: links[0].to[0]:" in out
    assert "dangling crosswalk target 'GSP9': not a code in gsp" in out


def test_crosswalk_to_unknown_curriculum(runner, broken):
    crosswalk = CURRICULA / "crosswalks" / "stp-core-gsp.yaml"
    path = broken(
        crosswalk, lambda t: t.replace("to_curriculum: gsp", "to_curriculum: nope", 1)
    )
    out = run_validate(runner, CURRICULA / "stp" / "core.yaml", path)
    assert (
        f"{path}:{line_of(path, 'to_curriculum: nope')}: to_curriculum: unknown curriculum 'nope'"
        in out
    )


def test_includes_cycle(runner, tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    template = """id: {id}
kind: stp-component
title: Component {id}
version: '1'
effective_from: '2024-01-01'
source: {{title: test}}
provenance: proposal
includes: [{other}]
outcomes:
  - {{code: P-{id}-1, type: DTA, title: Do a thing}}
"""
    a.write_text(template.format(id="comp-a", other="comp-b"))
    b.write_text(template.format(id="comp-b", other="comp-a"))
    out = run_validate(runner, a, b)
    assert f"{a}:8: includes[0]: includes cycle" in out


def test_a_bad_file_loads_nothing(app, runner, broken):
    good = CURRICULA / "frameworks" / "hcpc-sop-cs.yaml"
    bad = broken(GSP, lambda t: t.replace("type: domain", "type: wibble", 1))
    result = runner.invoke(args=["curricula", "load", str(good), str(bad)])
    assert result.exit_code == 1 and "nothing loaded" in result.output
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Curriculum)) == 0
        )


# ---- versions and retirement ------------------------------------------------------


def test_new_version_keeps_old_and_retires_removed_outcomes(app, runner, broken):
    assert runner.invoke(args=["curricula", "load", str(GSP)]).exit_code == 0

    def next_version(text):
        text = text.replace("version: '2021'", "version: '2026'").replace(
            'version: "2021"', 'version: "2026"'
        )
        text = re.sub(
            r"effective_from: ['\"]?[\d-]+['\"]?",
            "effective_from: '2026-09-01'",
            text,
            count=1,
        )
        # Drop GSP5 (the last domain) from the new version.
        return text[: text.index("- code: GSP5")]

    path = broken(GSP, next_version)
    result = runner.invoke(args=["curricula", "load", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        versions = {
            c.version: c
            for c in db.session.scalars(
                sa.select(Curriculum).where(Curriculum.slug == "gsp")
            )
        }
        assert set(versions) == {"2021", "2026"}
        assert versions["2026"].is_current and not versions["2021"].is_current
        old = {o.code: o for o in services.outcomes_of(versions["2021"])}
        new = {o.code: o for o in services.outcomes_of(versions["2026"])}
        assert not old["GSP5"].retired  # the old version is untouched
        assert new["GSP5"].retired and not new["GSP1"].retired
        live = services.outcomes_of(versions["2026"], include_retired=False)
        assert "GSP5" not in {o.code for o in live}


def test_reload_same_version_retires_dropped_codes(app, runner, broken):
    assert runner.invoke(args=["curricula", "load", str(GSP)]).exit_code == 0
    path = broken(GSP, lambda t: t[: t.index("- code: GSP5")])
    assert runner.invoke(args=["curricula", "load", str(path)]).exit_code == 0
    with app.app_context():
        gsp5 = db.session.scalar(sa.select(Outcome).where(Outcome.code == "GSP5"))
        assert gsp5.retired
    assert runner.invoke(args=["curricula", "load", str(GSP)]).exit_code == 0
    with app.app_context():
        assert not db.session.scalar(
            sa.select(Outcome).where(Outcome.code == "GSP5")
        ).retired


def test_full_load_materialises_includes_and_crosswalks(app):
    load_all(app)
    with app.app_context():
        rp = services.get_curriculum("stp-rp")
        codes = {o.code for o in services.outcomes_of(rp)}
        assert {"S-C1", "P-MSF1", "P-MP-R1", "S-RP-S1"} <= codes
        core_activity = services.get_outcome(rp, "P-C1-TA01")
        assert core_activity.origin_slug == "stp-core"
        targets = {
            (x.slug, x.direction) for x in services.crosswalks_for(core_activity)
        }
        assert ("gsp", "to") in targets
        gsp1 = services.get_outcome(services.get_curriculum("gsp"), "GSP1")
        assert any(x.direction == "from" for x in services.crosswalks_for(gsp1))


def test_curriculum_kinds_match_the_schema_enum():
    """One table of curriculum kinds (portfolio/curriculum/kinds.py), the same names
    as the JSON Schema's enum."""
    import json

    from portfolio.curriculum import kinds
    from portfolio.paths import PROJECT_ROOT

    schema = json.loads(
        (PROJECT_ROOT / "curricula" / "schema" / "curriculum.schema.json").read_text()
    )
    assert sorted(schema["properties"]["kind"]["enum"]) == sorted(kinds.KINDS)
    assert not kinds.is_enrollable("stp-component") and kinds.is_enrollable("stp")


def test_validate_works_before_the_database_is_set_up(tmp_path, monkeypatch):
    """`flask curricula validate` on a fresh checkout: no tables yet, no traceback."""
    from portfolio import create_app

    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    fresh = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.db"}
    )
    result = fresh.test_cli_runner().invoke(args=["curricula", "validate"])
    assert result.exit_code == 0, result.output
    assert "file(s) valid" in result.output
