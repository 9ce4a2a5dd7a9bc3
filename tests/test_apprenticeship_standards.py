"""Published apprenticeship standards: the publisher's KSB codes, one curriculum per
version of a standard, the version an enrolment records, and claims on codes whose
meaning changed kept where they are and flagged (never moved).

Backend-neutral: runs on SQLite and, in the second pass, on PostgreSQL."""

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from portfolio.accounts import services as accounts
from portfolio.curriculum import files
from portfolio.curriculum import mappings
from portfolio.curriculum import services as curricula
from portfolio.enrolments import services as enrolments
from portfolio.enrolments.models import Enrolment
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.extensions import db
from portfolio.paths import PROJECT_ROOT

APPRENTICESHIPS = PROJECT_ROOT / "curricula" / "apprenticeships"
ST0218 = APPRENTICESHIPS / "st0218.yaml"
ST0218_V10 = APPRENTICESHIPS / "st0218-v1-0.yaml"
V11 = "app-hcsa-st0218"
V10 = "app-hcsa-st0218-v1-0"
OGL = (
    "Contains public sector information licensed under the Open Government Licence v3.0"
)
# The published ST0218 v1.0 K4 (paraphrased in the file): involving people in the
# choices about their own care. Our earlier, invented K4 was "scope of the role".
PUBLISHED_K4 = "Why people should be actively involved in making the choices"
OUR_SCOPE_STATEMENT = "The scope and limits of the assistant role"
START, END = date(2024, 1, 8), date(2025, 6, 30)


def walk(outcomes):
    for node in outcomes:
        yield node
        yield from walk(node.get("children", []))


def load(app, *paths):
    with app.app_context():
        return curricula.load_paths(list(paths))


def load_unchecked(app, text: str, name: str, code_mappings=None):
    """Load curriculum text as the loader would, skipping validation: for the files
    an earlier release shipped, which today's checks refuse."""
    parsed = files.parse_text(text, name)
    assert not isinstance(parsed, files.FileError), parsed
    with app.app_context():
        return curricula.load_parsed([parsed], code_mappings)


def earlier_release_of_st0218() -> str:
    """ST0218 v1.1 as the earlier release shipped it: our own proposals under the
    publisher's plain codes (K4 meant "scope of the role")."""
    text = ST0218.read_text(encoding="utf-8")
    body = re.sub(r"\bP-([DKSB]\d+)\b", r"\1", text.split("\nid: ", 1)[1])
    return "id: " + body


def enrol(app, slug: str, email: str, name: str = "Ada Apprentice") -> str:
    with app.app_context():
        admin = accounts.find_user("admin.standards@example.org")
        enrolment = enrolments.create_enrolment(
            admin, email, slug, "RBV", START, END, contracted_hours_per_week=37.5
        )
        return enrolment.id


@pytest.fixture
def people(factory):
    factory.user("admin", None, "admin.standards@example.org", "Admin")
    factory.user("trainee", "RBV", "ada@example.org", "Ada Apprentice")
    factory.user("trainee", "RBV", "bo@example.org", "Bo Apprentice")


def claim(app, email: str, slug: str, code: str, title="Scope of my role") -> str:
    """A draft claiming one outcome; returns the evidence id."""
    with app.app_context():
        owner = accounts.find_user(email)
        item = evidence_services.create_evidence(
            owner,
            evidence_services.EvidenceInput(
                title=title,
                kind="document",
                occurred_on=date(2024, 3, 1),
                body="What I may and may not do, and when I ask for help.",
                claims=[evidence_services.ClaimRef(slug, code)],
            ),
        )
        return item.id


def claims_of(app, evidence_id: str) -> list[tuple[str, str, str, bool]]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutcomeClaim).where(OutcomeClaim.evidence_id == evidence_id)
        )
        return [
            (c.outcome_id, c.outcome.code, c.outcome.title, c.outcome.retired)
            for c in rows
        ]


# ---- the files ----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(APPRENTICESHIPS.glob("*.yaml")))
def test_every_apprenticeship_item_is_published_with_a_source_or_a_p_proposal(path):
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert OGL in text and OGL in data["source"]["note"], path
    assert data["source"]["url"].startswith("https://"), path
    for node in walk(data["outcomes"]):
        if node["provenance"] == "published":
            # The publisher's own code, with where it was published and its version.
            assert re.fullmatch(r"[DKSB]\d+", node["code"]), node["code"]
            assert node["source"]["url"].startswith("https://"), node["code"]
            assert node["source"]["ref"].endswith(f" v{data['version']} {node['code']}")
        else:
            assert node["provenance"] == "proposal", node["code"]
            # Our own statements can never be read as the publisher's numbering.
            assert node["code"].startswith("P-"), node["code"]


def test_the_code_mappings_name_every_old_apprenticeship_code():
    """Every code an earlier release shipped is mapped to its P- code (same meaning)."""
    old = yaml.safe_load(earlier_release_of_st0218())
    shipped = yaml.safe_load(
        (PROJECT_ROOT / "curricula" / "mappings" / f"{V11}.yaml").read_text()
    )
    assert shipped["curriculum"] == V11
    rows = {m["from"]: m for m in shipped["mappings"]}
    assert set(rows) == {n["code"] for n in walk(old["outcomes"])}
    assert rows["K4"] == {"from": "K4", "to": "P-K4", "meaning": "same"}


# ---- loading ------------------------------------------------------------------------


def test_the_loaded_st0218_k4_is_the_published_statement(app):
    load(app, ST0218_V10, ST0218)
    with app.app_context():
        v10 = curricula.get_curriculum(V10)
        k4 = curricula.get_outcome(v10, "K4")
        assert k4.title.startswith(PUBLISHED_K4) and k4.provenance == "published"
        assert k4.type == "K" and not k4.retired
        # The current version's published KSBs could not be retrieved: it has no K4
        # at all (nothing can be mistaken for the publisher's), only our P-K4.
        v11 = curricula.get_curriculum(V11)
        assert curricula.get_outcome(v11, "K4") is None
        ours = curricula.get_outcome(v11, "P-K4")
        assert ours.title.startswith(OUR_SCOPE_STATEMENT)
        assert ours.provenance == "proposal"


def test_both_versions_of_st0218_load_and_are_offered(app, client, people, login):
    report = load(app, ST0218_V10, ST0218)
    assert sorted(report.created) == [f"{V11} 1.1", f"{V10} 1.0"]
    with app.app_context():
        v10, v11 = curricula.get_curriculum(V10), curricula.get_curriculum(V11)
        assert (v10.version, v11.version) == ("1.0", "1.1")
        assert v10.enrollable and v11.enrollable
        assert v10.programme["standard_ref"] == "ST0218 v1.0"
        assert v11.programme["standard_ref"] == "ST0218 v1.1"
    assert load(app, ST0218_V10, ST0218).unchanged == [V10, V11]
    login("admin.standards@example.org")
    html = client.get("/enrolments/new").get_data(as_text=True)
    assert f'value="{V10}"' in html and f'value="{V11}"' in html
    assert "(ST0218 v1.0, level 2) (1.0)" in html


def test_both_versions_of_st0893_load_and_neither_uses_the_publishers_codes(app):
    """ST0893 Clinical scientist v1.0 (retired, https://instituteforapprenticeships.org/
    apprenticeship-standards/clinical-scientist-v1-0) and v1.1 are separate curricula.
    Neither version's published KSBs could be confirmed, so neither holds K1, S1, B1
    or D1: only our P- proposals."""
    report = load(
        app, APPRENTICESHIPS / "st0893-v1-0.yaml", APPRENTICESHIPS / "st0893.yaml"
    )
    assert sorted(report.created) == ["app-cs-st0893 1.1", "app-cs-st0893-v1-0 1.0"]
    with app.app_context():
        v10 = curricula.get_curriculum("app-cs-st0893-v1-0")
        v11 = curricula.get_curriculum("app-cs-st0893")
        assert v10.programme["standard_ref"] == "ST0893 v1.0"
        assert v11.programme["standard_ref"] == "ST0893 v1.1"
        for version in (v10, v11):
            for code in ("K1", "S1", "B1", "D1"):
                assert curricula.get_outcome(version, code) is None
            assert curricula.get_outcome(version, "P-K1").provenance == "proposal"


# ---- the enrolment's standard version ----------------------------------------------


def test_an_enrolment_records_and_keeps_its_standard_version(
    app, client, people, login, api, tmp_path
):
    load(app, ST0218_V10, ST0218)
    on_v10 = enrol(app, V10, "ada@example.org")
    on_v11 = enrol(app, V11, "bo@example.org")
    # A newer version of the standard is published and loaded later.
    newer = tmp_path / "st0218-v1-2.yaml"
    newer.write_text(
        ST0218.read_text(encoding="utf-8")
        .replace("version: '1.1'", "version: '1.2'")
        .replace("effective_from: '2024-02-14'", "effective_from: '2026-09-01'"),
        encoding="utf-8",
    )
    assert load(app, newer).created == [f"{V11} 1.2"]
    with app.app_context():
        assert curricula.get_curriculum(V11).version == "1.2"
        first, second = (
            db.session.get(Enrolment, on_v10),
            db.session.get(Enrolment, on_v11),
        )
        assert (first.standard_version, first.curriculum.version) == ("1.0", "1.0")
        # Bo started on v1.1 and stays on it.
        assert (second.standard_version, second.curriculum.version) == ("1.1", "1.1")
    login("admin.standards@example.org")
    page = client.get(f"/enrolments/{on_v11}").get_data(as_text=True)
    assert "Standard version" in page and "ST0218 version 1.1" in page
    body = api("admin.standards@example.org").get(f"/api/v1/enrolments/{on_v10}")
    assert body.get_json()["standard_version"] == "1.0"
    # The v1.0 curriculum has no typical duration of its own: its progress page works.
    assert client.get(f"/progress/{on_v10}").status_code == 200


def test_stp_enrolments_have_no_standard_version(app, people):
    load(app, PROJECT_ROOT / "curricula" / "frameworks" / "gsp.yaml")
    with app.app_context():
        assert enrolments.standard_version_of(curricula.get_curriculum("gsp")) is None


# ---- claims when codes change --------------------------------------------------------


def test_claims_on_old_codes_move_to_the_same_statement_under_its_p_code(app, people):
    """The upgrade from the earlier release: K4 (our "scope of the role") is now
    P-K4, same words; the claim follows it, so it never reads as published K4."""
    load_unchecked(app, earlier_release_of_st0218(), "earlier/st0218.yaml")
    enrol(app, V11, "ada@example.org")
    evidence_id = claim(app, "ada@example.org", V11, "K4")
    [(_, code, before, _)] = claims_of(app, evidence_id)
    assert (code, before[:40]) == ("K4", OUR_SCOPE_STATEMENT[:40])
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        signed = evidence_services.content_hash(item)
    report = load(app, ST0218)
    assert report.claims_moved >= 1
    [(_, code, after, retired)] = claims_of(app, evidence_id)
    assert (code, after, retired) == ("P-K4", before, False)
    with app.app_context():
        # What was signed still matches: the moved claim keeps the key it had.
        item = db.session.get(Evidence, evidence_id)
        assert evidence_services.content_hash(item) == signed
        assert evidence_services.claim_keys(item)[0].endswith(":P-K4")
    with app.app_context():
        item = evidence_services.load_visible(
            accounts.find_user("ada@example.org"), evidence_id
        )
        assert mappings.flags_for([c.outcome for c in item.claims]) == {}


def test_a_claim_on_a_code_that_changed_meaning_is_flagged_not_moved(
    app, client, people, login
):
    load(app, ST0218)
    enrolment_id = enrol(app, V11, "ada@example.org")
    evidence_id = claim(app, "ada@example.org", V11, "P-K4")
    [(outcome_id, _, before, _)] = claims_of(app, evidence_id)
    login("ada@example.org")
    assert "Claims to re-map" not in client.get(f"/progress/{enrolment_id}").get_data(
        as_text=True
    )
    # Later the published v1.1 K4 replaces our P-K4, and means something else.
    published = (
        ST0218.read_text(encoding="utf-8")
        .replace("P-K4,", "K4,")
        .replace(
            f"- code: P-K4\n  type: K\n  title: {before}\n  provenance: proposal\n",
            f"- code: K4\n  type: K\n  title: {PUBLISHED_K4} about their own care.\n"
            "  provenance: published\n  source:\n    title: ST0218 v1.1 K4\n"
            "    url: https://instituteforapprenticeships.org/apprenticeship-standards/st0218-v1-1\n"
            "    ref: ST0218 v1.1 K4\n",
        )
    )
    assert "- code: K4\n" in published and "- code: P-K4\n" not in published
    parsed, errors = files.read_files([_write(app, published)])
    assert not errors, errors
    change = {
        "curriculum_slug": V11,
        "from_code": "P-K4",
        "to_code": "K4",
        "meaning": "changed",
        "note": "The published K4 is about involving people in choices about their care.",
        "source_file": "curricula/mappings/app-hcsa-st0218.yaml",
    }
    with app.app_context():
        report = curricula.load_parsed(parsed, [change])
        assert report.claims_moved == 0
    # Not moved: the claim is where it was, on the retired outcome with its old words.
    [(still, code, after, retired)] = claims_of(app, evidence_id)
    assert (still, code, after, retired) == (outcome_id, "P-K4", before, True)
    with app.app_context():
        k4 = curricula.get_outcome(curricula.get_curriculum(V11), "K4")
        assert k4.title.startswith(PUBLISHED_K4) and not k4.retired
        item = evidence_services.load_visible(
            accounts.find_user("ada@example.org"), evidence_id
        )
        flags = mappings.flags_for([c.outcome for c in item.claims])
        assert flags[outcome_id].meaning == "changed"
        assert flags[outcome_id].to_code == "K4"
    # Flagged for the trainee on the evidence page and on their progress page.
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "This outcome changed meaning: re-map your claim" in html
    assert "P-K4 was replaced by K4, which means something different" in html
    progress = client.get(f"/progress/{enrolment_id}").get_data(as_text=True)
    assert "Claims to re-map" in progress
    assert f'href="/evidence/{evidence_id}"' in progress
    assert "P-K4 was replaced by K4" in progress


def _write(app, text: str) -> Path:
    path = Path(app.instance_path) / "st0218-published.yaml"
    path.write_text(text, encoding="utf-8")
    return path
