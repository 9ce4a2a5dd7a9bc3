"""Provenance: published codes in the publisher's scheme, proposals under the local
prefix and shown as proposals everywhere (pages, the picker, progress, PDFs), the
NSHCS re-basing of the STP files and the code mappings that keep claims meaningful.

Backend-neutral: runs on SQLite and, in the second pass, on PostgreSQL."""

from datetime import date

import pytest
import sqlalchemy as sa
import yaml

from portfolio.curriculum import mappings
from portfolio.curriculum import services as curricula
from portfolio.evidence import kinds
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.extensions import db
from portfolio.rules import FieldErrors
from tests.curricula_helpers import CURRICULA
from tests.curricula_helpers import load_subset
from tests.helpers.capacity import pdf_text
from tests.test_exports import request_export

TAG = "proposed by this installation, not part of the published curriculum"

HEAD = """id: mini-{kind}
kind: {kind}
title: Mini
version: '1'
effective_from: '2024-01-01'
source: {{title: test, url: 'https://example.org/'}}
{provenance}outcomes:
"""


def write(tmp_path, items: str, kind="stp", provenance="provenance: published\n"):
    path = tmp_path / f"mini-{kind}.yaml"
    path.write_text(HEAD.format(kind=kind, provenance=provenance) + items)
    return path


def validate(runner, path):
    result = runner.invoke(args=["curricula", "validate", str(path)])
    return result.exit_code, result.output


def test_a_proposal_may_not_take_a_code_in_the_nshcs_scheme(runner, tmp_path):
    path = write(
        tmp_path,
        "- {code: S-XX-S1, type: module, title: Ours, provenance: proposal}\n",
    )
    code, out = validate(runner, path)
    assert code != 0
    assert (
        f"{path}:9: outcomes[0].code: S-XX-S1 is a proposal: give it a local code "
        "starting 'P-', never a code in the NSHCS scheme" in out
    )
    fixed = write(
        tmp_path,
        "- {code: P-XX-S1, type: module, title: Ours, provenance: proposal}\n",
    )
    assert validate(runner, fixed)[0] == 0


def test_published_codes_follow_the_scheme_and_are_unique(runner, tmp_path):
    path = write(
        tmp_path,
        "- {code: STP-XX-S1, type: module, title: Old style, provenance: published}\n"
        "- code: S-XX-S2\n  type: module\n  title: Two\n  provenance: published\n"
        "  children:\n"
        "  - {code: S-XX-S2-TA1, type: DTA, title: One}\n"
        "  - {code: P-XX-S2-TA1, type: DTA, title: Again, source_ref: S-XX-S2-TA1}\n",
    )
    code, out = validate(runner, path)
    assert code != 0
    assert (
        f"{path}:9: outcomes[0].code: published code 'STP-XX-S1' does not follow the "
        "NSHCS scheme (S-C1, S-NM-S1, S-NM-S1-LO1, S-NM-S1-TA3)" in out
    )
    assert (
        f"{path}:16: outcomes[1].children[1].source_ref: published code "
        "'S-XX-S2-TA1' is used twice (first on line 15)" in out
    )


def test_every_item_is_published_or_a_proposal(runner, tmp_path):
    path = write(
        tmp_path,
        "- {code: P-XX-S1, type: module, title: Unmarked}\n",
        kind="other",
        provenance="",
    )
    code, out = validate(runner, path)
    assert code != 0
    assert (
        f"{path}:8: outcomes[0].code: P-XX-S1: mark it 'provenance: published' "
        "(with a source) or 'provenance: proposal'" in out
    )


def test_apprenticeship_proposals_never_use_ksb_numbering(runner, tmp_path):
    path = write(
        tmp_path,
        "- {code: K1, type: K, title: Ours, provenance: proposal}\n"
        "- {code: K2, type: K, title: Theirs, provenance: published}\n"
        "- {code: P-K3, type: K, title: Ours, provenance: proposal}\n",
        kind="apprenticeship",
    )
    code, out = validate(runner, path)
    assert code != 0
    assert "outcomes[0].code: K1 is a proposal" in out
    assert "K2" not in out and "P-K3" not in out


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node.get("children", []))


def stp_file(name):
    return yaml.safe_load((CURRICULA / "stp" / name).read_text())


def test_s_nm_s1_is_as_the_curriculum_library_publishes_it():
    module = next(n for n in stp_file("nm.yaml")["outcomes"] if n["code"] == "S-NM-S1")
    assert (module["phase"], module["credits"]) == (2, 10)
    assert module["source"]["url"].endswith("/stp/module/S-NM-S1")
    children = {c["code"]: c for c in module["children"]}
    # At least five published learning outcomes; activity 7 serves 1, 2 and 5.
    assert {f"S-NM-S1-LO{i}" for i in range(1, 6)} <= set(children)
    assert children["S-NM-S1-TA7"]["links"] == [
        "S-NM-S1-LO1",
        "S-NM-S1-LO2",
        "S-NM-S1-LO5",
    ]
    assert all(
        c["provenance"] == "proposal"
        for code, c in children.items()
        if code.startswith("P-")
    )


def test_core_has_s_c2_and_ce_rotations_left_the_sub_specialisms():
    codes = {n["code"] for n in walk(stp_file("core.yaml")["outcomes"])}
    assert {"S-C1", "S-C2"} <= codes
    rotations = stp_file("rotations-ce.yaml")["outcomes"]
    titles = " ".join(r["title"] + r["description"] for r in rotations).lower()
    assert "outside the clinical engineering specialist subjects" in titles
    for former in ("device risk management and governance", "clinical measurement"):
        assert f"rotation in {former}" not in titles


def test_every_mapped_old_code_was_in_the_earlier_files():
    for path in sorted((CURRICULA / "mappings").glob("stp-*.yaml")):
        data = yaml.safe_load(path.read_text())
        assert all(e["from"].startswith("STP-") for e in data["mappings"]), path


@pytest.fixture
def loaded(app):
    load_subset(app)
    return app


def test_curriculum_pages_tag_proposals(loaded, client, login_as):
    login_as("trainee")
    tree = client.get("/curricula/stp-rp/").get_data(as_text=True)
    assert TAG in tree
    proposal = client.get("/curricula/stp-rp/P-RP-S1-TA01").get_data(as_text=True)
    assert TAG in proposal and "Proposal" in proposal
    published = client.get("/curricula/stp-rp/S-RP-S1-TA16").get_data(as_text=True)
    assert TAG not in published and "Published: follows" in published


def test_picker_tags_proposals(client, people, as_user):
    as_user(people.aisha)
    page = client.post(
        "/evidence/new?kind=reflection",
        data={
            "title": "x",
            "q": "quality control linear accelerator",
            "action": "find",
        },
    ).get_data(as_text=True)
    assert "P-RP-S2-TA01" in page and f"(Proposal: {TAG})" in page


def test_progress_page_tags_proposals(client, world, login):
    login(world.trainee, "correct-horse-battery")
    progress = client.get(f"/progress/{world.enrolment_id}").get_data(as_text=True)
    assert "P-RP-S2" in progress and TAG in progress


def test_portfolio_pdf_tags_proposals(as_, world, work_jobs, tmp_path):
    export = request_export(as_, world, work=work_jobs)
    assert export["status"] == "done", export
    download = as_("trainee").get(export["download_url"])
    text = " ".join(pdf_text(download.data, tmp_path).split())
    download.close()
    assert "P-RP-S2" in text and TAG in text


def test_reflection_offers_the_nshcs_model_beside_what_so_what():
    names = [f.name for f in kinds.text_fields("reflection")]
    assert names == [
        "what_happened",
        "so_what",
        "now_what",
        "before_action",
        "in_action",
        "on_action",
        "beyond_action",
    ]
    nshcs = dict.fromkeys(names[3:], "text")
    wsn = dict.fromkeys(names[:3], "text")
    for complete in (nshcs, wsn):
        errors = FieldErrors()
        kinds.validate_form("reflection", complete, errors, for_submission=True)
        assert not errors.errors
    errors = FieldErrors()
    kinds.validate_form(
        "reflection",
        {"before_action": "a", "in_action": "b"},
        errors,
        for_submission=True,
    )
    assert {e["field"] for e in errors.errors} == {
        "form.on_action",
        "form.beyond_action",
    }


OLD = """id: mini-map
kind: other
title: Mini
version: '1'
effective_from: '2024-01-01'
source: {title: test, url: 'https://example.org/'}
provenance: proposal
outcomes:
- {code: OLD-1, type: DTA, title: Renamed}
- {code: OLD-2, type: DTA, title: Gone}
"""
NEW = OLD.replace("OLD-1", "NEW-1").replace(
    "- {code: OLD-2, type: DTA, title: Gone}\n", ""
)
MAPPING = """curriculum: mini-map
mappings:
- {from: OLD-1, to: NEW-1, meaning: same}
- {from: OLD-2, meaning: removed, note: Nothing replaces it.}
"""


def test_mappings_move_same_meaning_claims_and_flag_the_rest(
    app, factory, tmp_path, monkeypatch
):
    curriculum_file = tmp_path / "mini.yaml"
    curriculum_file.write_text(OLD)
    maps = tmp_path / "mappings"
    maps.mkdir()
    monkeypatch.setattr(mappings, "MAPPINGS_DIR", maps)
    owner = factory.user_id(factory.user("trainee", "RBV", "map@example.org", "M"))
    with app.app_context():
        curricula.load_paths([curriculum_file])
        ids = dict(
            db.session.execute(
                sa.text("SELECT code, id FROM outcome WHERE code LIKE 'OLD-%'")
            ).all()
        )
        evidence = Evidence(
            owner_id=owner, kind="reflection", title="E", occurred_on=date(2025, 1, 6)
        )
        db.session.add(evidence)
        db.session.flush()
        for code in ("OLD-1", "OLD-2"):
            db.session.add(OutcomeClaim(evidence_id=evidence.id, outcome_id=ids[code]))
        db.session.commit()
        evidence_id = evidence.id

        curriculum_file.write_text(NEW)
        (maps / "mini-map.yaml").write_text(MAPPING)
        report = curricula.load_paths([curriculum_file])
        assert report.claims_moved == 1
        claims = db.session.scalars(
            sa.select(OutcomeClaim).where(OutcomeClaim.evidence_id == evidence_id)
        ).all()
        codes = {c.outcome.code: c.outcome for c in claims}
        assert set(codes) == {"NEW-1", "OLD-2"}
        assert codes["OLD-2"].retired  # kept where it was, never moved
        flags = mappings.flags_for(list(codes.values()))
        assert list(flags) == [codes["OLD-2"].id]
        assert "Nothing replaces it." in flags[codes["OLD-2"].id].message


def test_a_bad_mapping_names_file_and_line(runner, tmp_path, monkeypatch):
    curriculum_file = tmp_path / "mini.yaml"
    curriculum_file.write_text(NEW)
    maps = tmp_path / "mappings"
    maps.mkdir()
    (maps / "mini-map.yaml").write_text(MAPPING.replace("to: NEW-1", "to: NEW-9"))
    monkeypatch.setattr(mappings, "MAPPINGS_DIR", maps)
    code, out = validate(runner, curriculum_file)
    assert code != 0
    assert "mini-map.yaml:3: mappings[0]: 'to' names 'NEW-9'" in out
