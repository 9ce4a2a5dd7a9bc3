"""Evidence pages: the list, the add/edit form and its outcome picker, an item's page,
files, and who may see what."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portfolio.accounts.services import find_user
from portfolio.evidence import kinds
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.signoff import services as signoff
from tests.helpers.html import button
from tests.helpers.html import checked
from tests.helpers.html import date_fields
from tests.helpers.html import input_value
from tests.helpers.people import START  # noqa: F401  (imported from here elsewhere)
from tests.helpers.people import TODAY
from tests.helpers.people import People  # noqa: F401
from tests.helpers.people import build_people  # noqa: F401
from tests.helpers.people import find_id
from tests.helpers.people import make_evidence
from tests.helpers.people import share
from tests.helpers.people import signer  # noqa: F401
from tests.helpers.people import status_of
from tests.helpers.people import submit_to

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def reflection_data(**extra) -> dict:
    data = {
        "title": "Shadowed linac QA",
        **date_fields(TODAY - timedelta(days=1)),
        "body": "I *watched* the run-up.",
        "answers-what_happened": "Morning QA on linac 3.",
        "answers-so_what": "Tolerances matter.",
        "answers-now_what": "Do it myself next week.",
    }
    data.update(extra)
    return data


# ---- adding evidence and the outcome picker ----------------------------------------


def test_choose_kind_then_form(client, people, as_user):
    as_user(people.aisha)
    page = client.get("/evidence/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="kind"' in html and "DOPS: direct observation" in html
    missing = client.get("/evidence/new?kind=")
    assert missing.status_code == 422
    assert "Choose the kind of evidence" in missing.get_data(as_text=True)
    form = client.get("/evidence/new?kind=reflection").get_data(as_text=True)
    for name in ("title", "occurred_on[day]", "body", "answers-what_happened"):
        assert f'name="{name}"' in form
    assert "Markdown" in form
    assert button(form, "find") and button(form, "save")
    # A DOPS asks the trainee for the context only: the assessor rates it.
    dops = client.get("/evidence/new?kind=dops").get_data(as_text=True)
    assert 'name="answers-activity"' in dops and 'name="answers-setting"' in dops
    assert "answers-ratings" not in dops and 'name="answers-strengths"' not in dops
    assert "Your assessor completes the ratings" in dops
    otj = client.get("/evidence/new?kind=otj").get_data(as_text=True)
    assert 'name="answers-hours"' in otj
    # MSF evidence comes from a feedback round (tests/test_msf.py), never typed in.
    chooser = client.get("/evidence/new").get_data(as_text=True)
    assert 'value="msf"' not in chooser and 'value="dops"' in chooser


def test_only_trainees_add_evidence(client, people, as_user):
    for who in (people.tom, people.priya, people.morgan):
        as_user(who)
        assert client.get("/evidence/new").status_code == 403
        assert client.post("/evidence/new?kind=reflection").status_code == 403


def test_picker_finds_outcomes_and_keeps_everything_typed(app, client, people, as_user):
    as_user(people.aisha)
    data = reflection_data(q="quality control linear accelerator", action="find")
    page = client.post("/evidence/new?kind=reflection", data=data)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="Shadowed linac QA"' in html
    assert "I *watched* the run-up." in html
    assert "Morning QA on linac 3." in html and "Do it myself next week." in html
    assert 'value="quality control linear accelerator"' in html
    assert checked(html, "claims", "stp-rp:P-RP-S2-TA01") is False
    yesterday = TODAY - timedelta(days=1)
    for part in ("day", "month", "year"):
        assert input_value(html, f"occurred_on[{part}]") == str(
            getattr(yesterday, part)
        )
    # Tick the STP activity, then search another curriculum: it stays ticked.
    data.update(q="AIDHT-1-01", claims=["stp-rp:P-RP-S2-TA01"])
    html = client.post("/evidence/new?kind=reflection", data=data).get_data(
        as_text=True
    )
    assert checked(html, "claims", "stp-rp:P-RP-S2-TA01") is True
    assert checked(html, "claims", "ai-dht:AIDHT-1-01") is False
    # Save with claims in two curricula at once.
    data.update(claims=["stp-rp:P-RP-S2-TA01", "ai-dht:AIDHT-1-01"], action="save")
    saved = client.post("/evidence/new?kind=reflection", data=data)
    assert saved.status_code == 302
    evidence_id = saved.headers["Location"].rsplit("/", 1)[-1]
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item.status == "draft" and item.kind == "reflection"
        assert evidence_services.claim_keys(item) == [
            "ai-dht:2023:AIDHT-1-01",
            "stp-rp:2022.1:P-RP-S2-TA01",
        ]
        assert item.form["so_what"] == "Tolerances matter."
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "/curricula/stp-rp/P-RP-S2-TA01" in html
    assert "/curricula/ai-dht/AIDHT-1-01" in html
    assert "<em>watched</em>" in html  # Markdown rendered


def test_picker_keeps_wba_context_and_untick_drops_a_claim(
    app, client, people, as_user
):
    as_user(people.aisha)
    data = {
        "title": "DOPS on CBCT",
        **date_fields(TODAY),
        "answers-activity": "CBCT QC",
        "answers-setting": "Linac 2",
        "claims": ["stp-rp:P-RP-S2-TA02"],
        "q": "brachytherapy",
        "action": "find",
    }
    html = client.post("/evidence/new?kind=dops", data=data).get_data(as_text=True)
    for value in ("CBCT QC", "Linac 2"):
        assert value in html
    assert checked(html, "claims", "stp-rp:P-RP-S2-TA02") is True
    assert checked(html, "claims", "stp-rp:P-RP-S4-TA01") is False
    data.update(claims=[], action="find", q="")
    html = client.post("/evidence/new?kind=dops", data=data).get_data(as_text=True)
    # Still in the tree, unticked.
    assert checked(html, "claims", "stp-rp:P-RP-S2-TA02") is False


def test_a_trainee_cannot_rate_their_own_wba_on_the_web(app, client, people, as_user):
    as_user(people.aisha)
    data = {
        "title": "DOPS on CBCT",
        **date_fields(TODAY),
        "answers-activity": "CBCT QC",
        "answers-setting": "Linac 2",
        # Fields the form does not have, posted by hand: never stored.
        "answers-ratings-safety": "above",
        "answers-strengths": "Careful",
        "answers-overall": "above",
        "claims": ["stp-rp:P-RP-S2-TA02"],
        "action": "save",
    }
    response = client.post("/evidence/new?kind=dops", data=data)
    assert response.status_code == 302
    evidence_id = response.headers["Location"].rsplit("/", 1)[-1]
    with app.app_context():
        from portfolio.evidence.models import Evidence
        from portfolio.extensions import db

        item = db.session.get(Evidence, evidence_id)
        assert item.form == {"activity": "CBCT QC", "setting": "Linac 2"}
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "The assessor completes the ratings" in page


def test_failed_save_keeps_everything(app, client, people, as_user):
    as_user(people.aisha)
    data = reflection_data(
        title="",
        claims=["stp-rp:P-RP-S2-TA01", "ai-dht:AIDHT-1-01"],
        action="save",
        **{"occurred_on[day]": "31", "occurred_on[month]": "2"},
    )
    page = client.post("/evidence/new?kind=reflection", data=data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and "<title>Error:" in html
    assert "Enter a real date" in html
    # Every error at once: the empty title too, not only on the next submit.
    assert "Enter a title" in html
    assert 'href="#title"' in html and 'href="#occurred_on-day"' in html
    assert "Enter the date it happened" not in html  # the date says what is wrong
    assert input_value(html, "occurred_on[day]") == "31"
    assert input_value(html, "occurred_on[month]") == "2"
    assert "Morning QA on linac 3." in html and "I *watched* the run-up." in html
    for claim in ("stp-rp:P-RP-S2-TA01", "ai-dht:AIDHT-1-01"):
        assert checked(html, "claims", claim) is True
    # Now a rule from the service: an empty title and a date in the future.
    future = TODAY + timedelta(days=30)
    data.update(date_fields(future))
    page = client.post("/evidence/new?kind=reflection", data=data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Enter a title" in html and "The date cannot be in the future" in html
    assert 'href="#title"' in html and 'href="#occurred_on-day"' in html
    assert input_value(html, "occurred_on[year]") == str(future.year)
    assert "Do it myself next week." in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_claim_outside_enrolments_is_a_field_error(client, people, as_user):
    as_user(people.aisha)
    data = reflection_data(claims=["gsp:GSP1"], action="save")
    page = client.post("/evidence/new?kind=reflection", data=data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "You are not enrolled on" in html and 'href="#claims"' in html


def test_edit_is_prefilled_and_saves(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="Before", body="Old text")
    as_user(people.aisha)
    html = client.get(f"/evidence/{evidence_id}/edit").get_data(as_text=True)
    assert 'value="Before"' in html and "Old text" in html
    assert checked(html, "claims", "stp-rp:P-RP-S2-TA01") is True
    data = reflection_data(title="After", claims=["stp-rp:P-RP-S2-TA01"], action="save")
    assert client.post(f"/evidence/{evidence_id}/edit", data=data).status_code == 302
    data.update(title="", action="save")
    failed = client.post(f"/evidence/{evidence_id}/edit", data=data)
    assert failed.status_code == 422 and "Enter a title" in failed.get_data(
        as_text=True
    )
    data.update({"occurred_on[day]": "", "occurred_on[month]": "", "title": "X"})
    data["occurred_on[year]"] = ""
    failed = client.post(f"/evidence/{evidence_id}/edit", data=data)
    assert "Enter the date it happened" in failed.get_data(as_text=True)
    # A date that is not real and an empty title: both said, nothing saved.
    data.update({"occurred_on[day]": "31", "occurred_on[month]": "2", "title": ""})
    data["occurred_on[year]"] = "2026"
    failed = client.post(f"/evidence/{evidence_id}/edit", data=data)
    assert failed.status_code == 422
    html = failed.get_data(as_text=True)
    assert "Enter a real date" in html and "Enter a title" in html
    # Only the date wrong: the rest is valid, but nothing is saved.
    data["title"] = "Not saved"
    failed = client.post(f"/evidence/{evidence_id}/edit", data=data)
    assert failed.status_code == 422 and "Enter a real date" in failed.get_data(
        as_text=True
    )
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item.title == "After" and item.body == "I *watched* the run-up."


def test_edit_is_for_the_owner_and_only_while_editable(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    as_user(people.tom)
    # A draft is private to its owner: absent for her supervisor.
    assert client.get(f"/evidence/{evidence_id}/edit").status_code == 404
    submit_to(app, evidence_id, people.aisha, people.helen)
    assert client.get(f"/evidence/{evidence_id}/edit").status_code == 403
    as_user(people.aisha)
    assert client.get(f"/evidence/{evidence_id}/edit").status_code == 409
    assert client.post(f"/evidence/{evidence_id}/delete").status_code == 409
    # Saved from a form opened before it was submitted: the work is kept.
    late = client.post(
        f"/evidence/{evidence_id}/edit",
        data=reflection_data(title="Typed late", action="save"),
    )
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "withdraw it first" in html and 'value="Typed late"' in html
    as_user(people.tom)
    assert client.post(f"/evidence/{evidence_id}/edit").status_code == 403


def test_delete_draft(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="To go")
    as_user(people.aisha)
    response = client.post(f"/evidence/{evidence_id}/delete")
    assert response.status_code == 302
    assert client.get(f"/evidence/{evidence_id}").status_code == 404


# ---- the list ------------------------------------------------------------------------


def test_list_with_filters_and_status_tags(app, client, people, as_user):
    make_evidence(app, people.aisha, title="Reflection one")
    make_evidence(
        app,
        people.aisha,
        kind="dops",
        title="DOPS one",
        claims=["ai-dht:AIDHT-1-01"],
        form={"activity": "x"},
    )
    make_evidence(app, people.ben, title="Ben's item")
    as_user(people.aisha)
    html = client.get("/evidence/").get_data(as_text=True)
    assert "Your evidence" in html
    assert "Reflection one" in html and "DOPS one" in html
    assert "Ben&#39;s item" not in html and "Ben's item" not in html
    assert "nhsuk-tag--grey" in html and "Draft" in html
    only_dops = client.get("/evidence/?kind=dops").get_data(as_text=True)
    assert "DOPS one" in only_dops and "Reflection one" not in only_dops
    by_curriculum = client.get("/evidence/?curriculum=ai-dht").get_data(as_text=True)
    assert "DOPS one" in by_curriculum and "Reflection one" not in by_curriculum
    none = client.get("/evidence/?status=signed_off").get_data(as_text=True)
    assert "Nothing matches these filters" in none
    # Ben's id in the filter shows nothing of Ben's to Aisha.
    bens = client.get(f"/evidence/?trainee={find_id(app, people.ben)}")
    assert "Ben&#39;s item" not in bens.get_data(as_text=True)
    # A submitted item gets the blue "waiting" tag.
    submit_to(app, make_evidence(app, people.aisha), people.aisha, people.tom)
    html = client.get("/evidence/").get_data(as_text=True)
    assert "nhsuk-tag--blue" in html and "Waiting for sign-off" in html


def test_supervisor_and_lead_lists_are_scoped(app, client, people, as_user):
    submit_to(
        app, make_evidence(app, people.aisha, title="Aisha's"), people.aisha, people.tom
    )
    submit_to(
        app, make_evidence(app, people.ben, title="Ben's"), people.ben, people.sam
    )
    share(app, make_evidence(app, people.olly, title="Olly's"))
    # Drafts stay private: nobody but their owners lists these.
    make_evidence(app, people.aisha, title="Aisha's draft")
    seen = {}
    for who in (people.tom, people.sam, people.priya, people.gareth, people.morgan):
        as_user(who)
        html = client.get("/evidence/").get_data(as_text=True)
        seen[who] = {
            name for name in ("Aisha", "Ben", "Olly") if f"{name}&#39;s" in html
        }
    assert seen[people.tom] == {"Aisha"}
    assert seen[people.sam] == {"Ben"}
    assert seen[people.priya] == {"Aisha", "Ben"}
    assert seen[people.gareth] == {"Olly"}
    assert seen[people.morgan] == {"Aisha", "Ben", "Olly"}


# ---- who may see an item ---------------------------------------------------------------


def test_evidence_page_visibility(app, client, people, as_user):
    aishas = make_evidence(app, people.aisha)
    submit_to(app, aishas, people.aisha, people.tom)
    expected = {
        people.aisha: 200,
        people.ben: 404,
        people.olly: 404,
        people.tom: 200,
        people.helen: 200,
        people.sam: 404,
        people.priya: 200,
        people.gareth: 404,
        people.morgan: 200,
    }
    for who, status in expected.items():
        as_user(who)
        assert client.get(f"/evidence/{aishas}").status_code == status, who
    as_user(people.ben)
    assert client.get(f"/evidence/{aishas}/edit").status_code == 404
    assert client.post(f"/evidence/{aishas}/edit").status_code == 404
    assert client.post(f"/evidence/{aishas}/delete").status_code == 404
    assert client.post(f"/evidence/{aishas}/files").status_code == 404
    assert client.post(f"/signoff/{aishas}/submit").status_code == 404
    assert client.get("/evidence/no-such-id").status_code == 404


def test_evidence_page_shows_answers_claims_and_history(app, client, people, as_user):
    evidence_id = make_evidence(
        app,
        people.aisha,
        kind="dops",
        title="DOPS on CBCT",
        form={"activity": "CBCT QC", "setting": "Linac 2"},
    )
    as_user(people.aisha)
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "CBCT QC" in html and "Linac 2" in html
    assert "Recorded by the trainee" in html
    assert "The assessor completes the ratings" in html
    assert "P-RP-S2-TA01" in html
    assert "Recorded" in html and "History" in html
    assert "Dr Tom Okafor (training officer)" in html  # the assessor choices
    assert "Helen Walsh (assessor)" in html
    assert 'action="/evidence/' in html and 'enctype="multipart/form-data"' in html


# ---- script injection ------------------------------------------------------------------


def test_user_text_is_escaped_everywhere(app, client, people, as_user):
    as_user(people.aisha)
    answers = {
        "answers-activity": XSS,
        "answers-setting": XSS,
    }
    data = {
        "title": XSS,
        **date_fields(TODAY),
        "body": f"{XSS}\n\n<img src=x onerror=alert(1)> [link](javascript:alert(1))",
        **answers,
        "claims": ["stp-rp:P-RP-S2-TA01"],
        "q": XSS,
        "action": "find",
    }
    found = client.post("/evidence/new?kind=dops", data=data).get_data(as_text=True)
    assert XSS not in found and ESCAPED in found
    data["action"] = "save"
    response = client.post("/evidence/new?kind=dops", data=data)
    assert response.status_code == 302
    evidence_id = response.headers["Location"].rsplit("/", 1)[-1]
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert XSS not in html and ESCAPED in html
    assert "<img src=x" not in html and 'href="javascript:' not in html
    client.post(
        f"/signoff/{evidence_id}/submit",
        data={"assessor": find_id(app, people.helen)},
    )
    as_user(people.helen)
    queue = client.get("/signoff/queue").get_data(as_text=True)
    assert XSS not in queue and ESCAPED in queue
    returned = client.post(
        f"/signoff/{evidence_id}/decide", data={"decision": "return", "comment": XSS}
    )
    assert returned.status_code == 302
    as_user(people.aisha)
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert XSS not in html and html.count(ESCAPED) >= 7
    notes = client.get("/notifications/").get_data(as_text=True)
    assert XSS not in notes and ESCAPED in notes
    client.post(
        f"/signoff/{evidence_id}/submit", data={"assessor": find_id(app, people.helen)}
    )
    as_user(people.helen)
    client.post(
        f"/signoff/{evidence_id}/decide",
        data={
            "decision": "approve",
            "comment": XSS,
            **{
                f"assessment-ratings-{d}": "meets"
                for d in (
                    "preparation",
                    "technical_skill",
                    "safety",
                    "communication",
                    "documentation",
                )
            },
            "assessment-overall": "meets",
            "assessment-strengths": XSS,
            "assessment-development": XSS,
            "assessment-declaration": "y",
        },
    )
    assert status_of(app, evidence_id) == "signed_off"
    as_user(people.aisha)
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert XSS not in html and html.count(ESCAPED) >= 7
    as_user(people.priya)
    unlocked = client.post(f"/signoff/{evidence_id}/unlock", data={"reason": XSS})
    assert unlocked.status_code == 302
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert XSS not in html and ESCAPED in html
    assert "Superseded" in html


@pytest.mark.parametrize("kind", ["reflection", "oce", "cbd", "otj"])
def test_every_answer_is_escaped(app, client, people, as_user, kind):
    as_user(people.aisha)
    data = {
        "title": XSS,
        **date_fields(TODAY),
        "body": XSS,
        "claims": ["stp-rp:P-RP-S2-TA01"],
        "action": "save",
    }
    for spec in kinds.text_fields(kind):
        data[f"answers-{spec.name}"] = XSS
    response = client.post(f"/evidence/new?kind={kind}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert XSS not in html
    assert html.count(ESCAPED) >= 2 + len(kinds.text_fields(kind))
    edit = client.get(response.headers["Location"] + "/edit").get_data(as_text=True)
    assert XSS not in edit and ESCAPED in edit


# ---- files -------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_upload_download_and_remove_a_file(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    as_user(people.aisha)
    response = client.post(
        f"/evidence/{evidence_id}/files",
        data={"file": (io.BytesIO(PDF), "../../etc/QA <report>.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    html = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    link = re.search(rf'href="(/evidence/{evidence_id}/files/[^"]+)"', html).group(1)
    with client.get(link) as download:
        assert download.status_code == 200
        assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "QA report.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox"
    as_user(people.tom)
    assert client.get(link).status_code == 404  # still a private draft
    submit_to(app, evidence_id, people.aisha, people.tom)
    for who in (people.ben, people.olly, people.sam, people.gareth):
        as_user(who)
        assert client.get(link).status_code == 404, who
    for who in (people.tom, people.priya, people.morgan):
        as_user(who)
        with client.get(link) as response:
            assert response.status_code == 200, who
        assert client.post(link + "/remove").status_code == 403, who
    as_user(people.aisha)
    assert client.get(f"/evidence/{evidence_id}/files/nope").status_code == 404
    assert client.post(link + "/remove").status_code == 409  # waiting for sign-off
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        signoff.withdraw(find_user(people.aisha), item)
        db.session.remove()
    assert client.post(link + "/remove").status_code == 302
    assert client.get(link).status_code == 404


def test_upload_errors(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    as_user(people.aisha)
    empty = client.post(
        f"/evidence/{evidence_id}/files", data={}, content_type="multipart/form-data"
    )
    assert empty.status_code == 422
    assert "Choose a file to upload" in empty.get_data(as_text=True)
    script = client.post(
        f"/evidence/{evidence_id}/files",
        data={"file": (io.BytesIO(b"<html><script>x</script>"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert script.status_code == 415
    assert "This type of file is not allowed" in script.get_data(as_text=True)
    app.config["MAX_UPLOAD_MB"] = 1
    # A body built by hand: the test client would spool this one to a temporary
    # file that it never closes.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n"
        + PDF
        + b"0" * (1024 * 1024 + 10)
        + b"\r\n--B--\r\n"
    )
    big = client.post(
        f"/evidence/{evidence_id}/files",
        data=body,
        content_type="multipart/form-data; boundary=B",
    )
    assert big.status_code == 413
    html = big.get_data(as_text=True)
    # Back on the evidence page, the limit said on the file field.
    assert "larger than the 1 MB limit" in html and 'href="#file"' in html
    assert "<title>Error:" in html and 'name="file"' in html
    as_user(people.ben)
    other = client.post(
        f"/evidence/{evidence_id}/files",
        data={"file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert other.status_code == 404


def test_every_post_form_carries_a_csrf_token(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha)
    submitted = make_evidence(app, people.aisha, title="Waiting")
    submit_to(app, submitted, people.aisha, people.helen)
    pages = {
        people.aisha: [
            f"/evidence/{evidence_id}",
            f"/evidence/{evidence_id}/edit",
            f"/evidence/{submitted}",
            "/evidence/new?kind=dops",
            "/notifications/",
        ],
        people.helen: ["/signoff/queue", f"/evidence/{submitted}", "/notifications/"],
        people.priya: ["/enrolments/", "/enrolments/new"],
    }
    with app.app_context():
        from portfolio.enrolments.models import Enrolment

        enrolment_id = db.session.scalars(sa.select(Enrolment.id)).first()
    pages[people.priya].append(f"/enrolments/{enrolment_id}")
    for who, paths in pages.items():
        as_user(who)
        app.config["WTF_CSRF_ENABLED"] = True
        for path in paths:
            html = client.get(path).get_data(as_text=True)
            posts = len(re.findall(r'<form[^>]*method="post"', html))
            tokens = html.count('name="csrf_token"') + html.count("csrf_token=")
            assert posts and tokens >= posts, path
        app.config["WTF_CSRF_ENABLED"] = False
