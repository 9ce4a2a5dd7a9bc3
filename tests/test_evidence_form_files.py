"""The evidence form: files added while creating (several at once, checked as on the
evidence page, saved with the draft or not at all) and the outcome picker's tree."""

import io
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from portfolio.accounts.services import find_user
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.evidence import views as evidence_views
from portfolio.evidence.models import Attachment
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.signoff import services as signoff
from tests.helpers.html import checked
from tests.helpers.html import date_fields
from tests.helpers.people import TODAY
from tests.helpers.people import make_evidence
from tests.helpers.people import submit_to
from tests.test_attachments import PDF
from tests.test_attachments import png_with_metadata

CLAIM = "stp-rp:P-RP-S2-TA01"


def reflection(**extra) -> dict:
    data = {
        "title": "Shadowed linac QA",
        **date_fields(TODAY - timedelta(days=1)),
        "body": "I watched the run-up.",
        "answers-what_happened": "Morning QA on linac 3.",
        "answers-so_what": "Tolerances matter.",
        "answers-now_what": "Do it myself next week.",
        "claims": [CLAIM],
        "action": "save",
    }
    data.update(extra)
    return data


def post(client, data, files=(), path="/evidence/new?kind=reflection"):
    body = dict(data)
    body["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(path, data=body, content_type="multipart/form-data")


def folder(app) -> Path:
    return Path(app.config["FILES_DIR"]) / "attachments"


def stored(app) -> list[str]:
    return sorted(p.name for p in folder(app).iterdir()) if folder(app).exists() else []


def placed(app) -> list[str]:
    return [name for name in stored(app) if not name.startswith(".")]


def waiting(app) -> list[str]:
    return [name for name in stored(app) if name.startswith(".pending-")]


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)),
        )


def kept_tokens(html: str) -> list[str]:
    return re.findall(r'name="kept_files" type="checkbox" value="([^"]+)"', html)


def test_a_new_draft_is_saved_with_two_files_at_once(app, client, people, as_user):
    as_user(people.aisha)
    before = counts(app)
    response = post(
        client,
        reflection(),
        files=[("protocol.pdf", PDF), ("whiteboard.png", png_with_metadata())],
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    evidence_id = response.headers["Location"].rsplit("/", 1)[-1]
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        names = sorted(a.filename for a in item.attachments)
        stored_names = sorted(a.stored_name for a in item.attachments)
        assert [c.outcome.code for c in item.claims] == ["P-RP-S2-TA01"]
    assert names == ["protocol.pdf", "whiteboard.png"]
    assert counts(app) == (before[0] + 1, before[1] + 2)
    # Each row has its file, and nothing is left waiting.
    assert sorted(placed(app)) == stored_names and waiting(app) == []
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "Your draft was saved with 2 files: protocol.pdf, whiteboard.png." in page


def test_a_refused_file_is_named_and_nothing_is_saved_or_lost(
    app, client, people, as_user
):
    as_user(people.aisha)
    before = counts(app)
    response = post(
        client,
        reflection(),
        files=[("notes.pdf", PDF), ("virus.pdf", b"MZ\x90\x00 not a pdf at all")],
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # The error summary names the refused file and links to the file field.
    summary = html.split('class="nhsuk-error-summary"', 1)[1].split("</div>", 1)[0]
    assert "virus.pdf was not added. This type of file is not allowed." in summary
    assert 'href="#files"' in summary
    # Everything typed is still there, the claim still ticked.
    assert 'value="Shadowed linac QA"' in html and "Morning QA on linac 3." in html
    assert checked(html, "claims", CLAIM) is True
    # No evidence and no attachment row; the good file waits to be saved.
    assert counts(app) == before and placed(app) == [] and len(waiting(app)) == 1
    tokens = kept_tokens(html)
    assert len(tokens) == 1 and "notes.pdf" in html
    # Saving again (without re-choosing it) saves the draft with the waiting file,
    # once however often the form names it.
    saved = post(client, reflection(kept_files=tokens * 2))
    assert saved.status_code == 302
    with app.app_context():
        item = db.session.get(Evidence, saved.headers["Location"].rsplit("/", 1)[-1])
        assert [a.filename for a in item.attachments] == ["notes.pdf"]
    assert waiting(app) == [] and len(placed(app)) == 1


def test_a_form_error_keeps_the_files_without_saving_anything(
    app, client, people, as_user
):
    as_user(people.aisha)
    before = counts(app)
    response = post(client, reflection(title=""), files=[("plan.pdf", PDF)])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a title" in html
    assert counts(app) == before and placed(app) == [] and len(waiting(app)) == 1
    assert len(kept_tokens(html)) == 1
    # Searching for outcomes without JavaScript keeps chosen files as well.
    found = post(
        client, reflection(action="find", q="linac"), files=[("more.pdf", PDF)]
    )
    assert found.status_code == 200
    assert len(kept_tokens(found.get_data(as_text=True))) == 1
    assert counts(app) == before and len(waiting(app)) == 2


def test_a_kept_file_is_only_for_the_person_who_chose_it(app, client, people, as_user):
    as_user(people.aisha)
    html = post(client, reflection(title=""), files=[("plan.pdf", PDF)]).get_data(
        as_text=True
    )
    token = kept_tokens(html)[0]
    as_user(people.ben)
    before = counts(app)
    response = post(client, reflection(kept_files=[token]))
    assert response.status_code == 422
    assert "A file you chose earlier is no longer held" in response.get_data(
        as_text=True
    )
    assert counts(app) == before
    forged = post(client, reflection(kept_files=["not-a-token"]))
    assert forged.status_code == 422 and counts(app) == before


def test_more_files_than_allowed_names_the_extra_ones(app, client, people, as_user):
    as_user(people.aisha)
    files = [(f"page{n}.pdf", PDF) for n in range(1, 7)]
    response = post(client, reflection(), files=files)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "page6.pdf was not added: you can add up to 5 files at a time" in html
    assert len(kept_tokens(html)) == 5 and placed(app) == []


def test_files_are_added_when_editing_a_draft(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    as_user(people.aisha)
    response = post(
        client,
        reflection(),
        files=[("scan.png", png_with_metadata())],
        path=f"/evidence/{evidence_id}/edit",
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert [a.filename for a in item.attachments] == ["scan.png"]


def test_files_cannot_be_added_to_evidence_waiting_for_sign_off(
    app, client, people, as_user
):
    evidence_id = make_evidence(app, people.aisha)
    submit_to(app, evidence_id, people.aisha, people.tom)
    as_user(people.aisha)
    response = post(
        client,
        reflection(),
        files=[("late.pdf", PDF)],
        path=f"/evidence/{evidence_id}/edit",
    )
    assert response.status_code == 409
    assert counts(app)[1] == 0 and placed(app) == []
    # The checked file waits, offered again on the form.
    assert len(kept_tokens(response.get_data(as_text=True))) == 1


def test_the_form_offers_several_files_and_the_camera(client, people, as_user):
    as_user(people.aisha)
    html = client.get("/evidence/new?kind=reflection").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    tag = re.search(r'<input[^>]*id="files"[^>]*>', html, re.S).group(0)
    assert "multiple" in tag and 'accept=".pdf,.docx,.png,.jpg,.jpeg,image/*"' in tag
    assert "data-drop-zone" in html
    photo = re.search(r'<input[^>]*id="photo"[^>]*>', html, re.S).group(0)
    assert 'capture="environment"' in photo and 'name="files"' in photo
    assert "/static/app/evidence-files.mjs" in html
    assert "/static/app/outcome-tree.mjs" in html


# ---- the outcome tree ------------------------------------------------------------


def test_the_tree_ticks_only_countable_outcomes_and_shows_progress(
    app, client, people, as_user
):
    signed_id = make_evidence(app, people.aisha, claims=[CLAIM])
    submit_to(app, signed_id, people.aisha, people.tom)
    with app.app_context():
        signoff.decide(
            find_user(people.tom), db.session.get(Evidence, signed_id), "approve"
        )
        db.session.remove()
    make_evidence(app, people.aisha, claims=["stp-rp:P-RP-S2-TA02"])
    with app.app_context():
        curriculum = db.session.scalar(
            sa.select(Curriculum).where(
                Curriculum.slug == "stp-rp", Curriculum.is_current.is_(True)
            )
        )
        outcomes = db.session.scalars(
            sa.select(Outcome).where(Outcome.curriculum_id == curriculum.id)
        ).all()
        headings = [o.code for o in outcomes if not o.countable and not o.retired]
        countable = [o.code for o in outcomes if o.countable and not o.retired]
        module = next(o for o in outcomes if o.code == "P-RP-S2-TA01").parent_code
        proposal = next(
            (o for o in outcomes if o.provenance == "proposal" and o.countable), None
        )
    assert headings and countable
    as_user(people.aisha)
    html = client.get("/evidence/new?kind=reflection").get_data(as_text=True)
    tree = html.split("data-outcome-tree", 1)[1]
    for code in headings:
        assert checked(tree, "claims", f"stp-rp:{code}") is None, code
    for code in countable:
        assert checked(tree, "claims", f"stp-rp:{code}") is False, code
    # The module is a heading that opens and closes, holding its outcomes.
    assert re.search(
        r'<details class="nhsuk-details app-tree__branch" data-picker-branch>\s*'
        rf"<summary[^>]*><span[^>]*>{module} ",
        tree,
    )
    item = tree.split('value="stp-rp:P-RP-S2-TA01"', 1)[1].split("</div>\n</div>")[0]
    assert "Signed off" in item and "1 of 1 item claiming it signed off" in item
    other = tree.split('value="stp-rp:P-RP-S2-TA02"', 1)[1].split("</div>\n</div>")[0]
    assert "Covered" in other and "none signed off yet" in other
    if proposal is not None:
        label = tree.split(f'value="stp-rp:{proposal.code}"', 1)[1].split("</label>")[0]
        assert "app-proposal-tag" in label
    # A claim chosen by link is ticked in the tree, and its heading open.
    html = client.get(f"/evidence/new?kind=reflection&claim={CLAIM}").get_data(
        as_text=True
    )
    tree = html.split("data-outcome-tree", 1)[1]
    assert checked(tree, "claims", CLAIM) is True
    assert re.search(
        r'<details class="nhsuk-details app-tree__branch" data-picker-branch open>\s*'
        rf"<summary[^>]*><span[^>]*>{module} ",
        tree,
    )


def test_each_file_may_be_at_the_limit_and_a_bigger_body_says_so_on_the_form(
    app, client, people, as_user, monkeypatch
):
    as_user(people.aisha)
    app.config["MAX_UPLOAD_MB"] = 0.01  # per file; the form takes five of them
    big = PDF + b"0" * 20_000
    response = post(client, reflection(), files=[("big.pdf", big)])
    assert response.status_code == 422
    assert "big.pdf was not added. The file is larger than the 0.01 MB limit." in (
        response.get_data(as_text=True)
    )
    # Two files each under the limit, together over the app's request limit
    # (one file and a margin), are taken: the form makes room for five.
    near = PDF + b"0" * 9_000
    app.config["MAX_CONTENT_LENGTH"] = 12_000
    two = post(client, reflection(), files=[("a.pdf", near), ("b.pdf", near)])
    assert two.status_code == 302, two.get_data(as_text=True)
    # Beyond that the form comes back saying why, the kind kept.
    # (A small margin for the typed fields keeps the test body in memory.)
    monkeypatch.setattr(evidence_views, "FORM_MARGIN_BYTES", 2_000)
    too_big = post(client, reflection(), files=[("c.pdf", b"0" * 80_000)])
    assert too_big.status_code == 413
    html = too_big.get_data(as_text=True)
    assert "The files were too large to receive, so nothing was saved." in html
    assert 'name="answers-what_happened"' in html


def test_the_search_without_javascript_offers_no_headings(app, client, people, as_user):
    with app.app_context():
        module = db.session.scalar(
            sa.select(Outcome.parent_code)
            .join(Curriculum, Curriculum.id == Outcome.curriculum_id)
            .where(Curriculum.slug == "stp-rp", Outcome.code == "P-RP-S2-TA01")
            .where(Curriculum.is_current.is_(True))
        )
    as_user(people.aisha)
    html = post(client, reflection(action="find", q=module, claims=[])).get_data(
        as_text=True
    )
    found = html.split('id="claims-found', 1)[1].split("data-outcome-tree", 1)[0]
    assert 'value="stp-rp:P-RP-S2-TA01"' in found  # an outcome of the module
    assert f'value="stp-rp:{module}"' not in found  # not the module itself
