"""What keeps the trainee's home page and progress page cheap: a number of queries
that does not follow the portfolio, lists bounded in SQL, outcome specs cached per
curriculum version (and forgotten when outcomes change), and the progress page's
forms as plain NHS.UK markup identical to what the component macros give."""

import re
from datetime import date

import sqlalchemy as sa

from portfolio.curriculum.models import Outcome
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db
from tests.helpers.people import find_id
from tests.helpers.people import make_evidence
from tests.helpers.people import submit_to
from tests.test_progress_api import count_queries


def _enrolment_id(app, trainee_email: str, slug: str = "stp-rp") -> str:
    from portfolio.curriculum.models import Curriculum

    with app.app_context():
        return db.session.scalar(
            sa.select(Enrolment.id)
            .join(Curriculum, Curriculum.id == Enrolment.curriculum_id)
            .where(
                Enrolment.trainee_id == find_id(app, trainee_email),
                Curriculum.slug == slug,
            )
        )


def test_the_trainee_pages_query_count_does_not_grow_with_evidence(
    app, client, people, as_user
):
    progress = f"/progress/{_enrolment_id(app, people.aisha)}"
    as_user(people.aisha)
    client.get("/")
    client.get(progress)
    few = count_queries(app, lambda: client.get("/"))
    few_progress = count_queries(app, lambda: client.get(progress))
    for n in range(14):
        item = make_evidence(app, people.aisha, title=f"Item {n}")
        if n % 2:
            submit_to(app, item, people.aisha, people.tom)
    # The first request after a change reads the changed rows again (one query more:
    # the progress kept per process is keyed on the rows' revision); then as before.
    cold = count_queries(app, lambda: client.get("/"))
    many = count_queries(app, lambda: client.get("/"))
    many_progress = count_queries(app, lambda: client.get(progress))
    assert many == few, (few, many)
    assert cold == few + 1, (few, cold)
    assert many_progress == few_progress, (few_progress, many_progress)


def test_a_second_programme_adds_no_query_to_the_home_page(
    app, client, people, as_user
):
    """Standings of all the trainee's programmes come together (Ben has one)."""
    from datetime import timedelta

    from portfolio.accounts.services import find_user
    from portfolio.enrolments import services as training
    from tests.helpers.people import START

    as_user(people.ben)
    client.get("/")
    one = count_queries(app, lambda: client.get("/"))
    with app.app_context():
        training.create_enrolment(
            find_user(people.priya),
            people.ben,
            "ai-dht",
            "RBV",
            START,
            START + timedelta(days=3 * 365),
        )
        db.session.remove()
    client.get("/")
    html = client.get("/").get_data(as_text=True)
    assert html.count("Reviews, outcomes and details") == 2
    assert count_queries(app, lambda: client.get("/")) == one


def test_the_home_page_lists_at_most_ten_of_each_with_the_rest_a_click_away(
    app, client, people, as_user
):
    for n in range(12):
        submit_to(
            app,
            make_evidence(app, people.aisha, title=f"Waits {n}"),
            people.aisha,
            people.tom,
        )
        make_evidence(app, people.aisha, title=f"Draft {n}")
    as_user(people.aisha)
    html = client.get("/").get_data(as_text=True)
    table = html.split("Evidence waiting for sign-off", 1)[1].split("</table>", 1)[0]
    body = table.split('<tbody class="nhsuk-table__body">', 1)[1]
    assert body.count('<tr class="nhsuk-table__row"') == 10
    assert "All 12 items waiting for sign-off" in html
    assert 'href="/evidence/?status=submitted"' in html
    assert "You have 12 drafts not yet sent for sign-off" in html
    assert ">2 more</a>" in html


def test_outcome_specs_follow_a_change_to_the_outcomes(app, client, people, as_user):
    """The cached specs are forgotten when outcomes are written: an outcome that asks
    for a second item moves an outcome with one signed-off item back to under way."""
    from portfolio.progress import tracking

    enrolment_id = _enrolment_id(app, people.aisha)
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        before = tracking.specs_of([enrolment])[enrolment.curriculum_id]
        again = tracking.specs_of([enrolment])[enrolment.curriculum_id]
        assert again is before  # the second read is the cached one
        outcome = db.session.scalar(
            sa.select(Outcome).where(
                Outcome.curriculum_id == enrolment.curriculum_id,
                Outcome.code == "P-RP-S2-TA01",
            )
        )
        outcome.evidence_rules = {**(outcome.evidence_rules or {}), "min_items": 7}
        db.session.commit()
        enrolment = db.session.get(Enrolment, enrolment_id)
        after = tracking.specs_of([enrolment])[enrolment.curriculum_id]
        changed = next(s for s in after if s.code == "P-RP-S2-TA01")
        assert changed.evidence["min_items"] == 7
        db.session.remove()


def compact(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*([<>])\s*", r"\1", html).strip()


# (the NHS.UK macro call, the plain macro that replaces it on the progress page)
PAIRS = [
    (
        'f.text_input(rf.held_on, {"type": "date", "classes": "nhsuk-input--width-10"})',
        'plain.text_input(rf.held_on, "date", "nhsuk-input--width-10")',
    ),
    ("f.textarea(rf.summary)", "plain.textarea(rf.summary)"),
    ("f.textarea(rf.actions)", "plain.textarea(rf.actions)"),
    ("m.date_input(sf.scheduled_on)", "plain.date_input(sf.scheduled_on)"),
    ("f.text_input(sf.note)", "plain.text_input(sf.note)"),
    (
        'f.text_input(bf.day, {"type": "date", "classes": "nhsuk-input--width-10", '
        '"label": {"text": "Break starts on"}})',
        'plain.text_input(bf.day, "date", "nhsuk-input--width-10", "Break starts on")',
    ),
    ("f.text_input(bf.reason)", "plain.text_input(bf.reason)"),
    (
        'f.radios(bf.requested_by, {"fieldset": {"legend": '
        '{"classes": "nhsuk-fieldset__legend--s"}}})',
        'plain.choices(bf.requested_by, legend_classes="nhsuk-fieldset__legend--s")',
    ),
    ('f.submit("Record review")', 'plain.submit("Record review")'),
    (
        'f.submit("Book", {"classes": "nhsuk-button--secondary"})',
        'plain.submit("Book", "nhsuk-button--secondary")',
    ),
    ("fields(pf)", "plain.stp_fields(pf)"),
]


def test_the_progress_page_forms_are_the_nhsuk_components_markup(app):
    from portfolio.enrolments.completion_forms import ProgressionRecordForm
    from portfolio.forms import choices
    from portfolio.progress import stp_review
    from portfolio.progress.views import BreakForm
    from portfolio.progress.views import ReviewForm
    from portfolio.progress.views import ScheduleForm

    source = (
        '{% import "macros/forms.jinja" as f %}{% import "macros/common.jinja" as m %}'
        '{% from "training/_stp_fields.jinja" import fields %}'
        '{% import "progress/_fields.jinja" as plain %}'
        + "".join(f"@@{{{{ {a} }}}}##{{{{ {b} }}}}" for a, b in PAIRS)
    )
    compared = 0
    with app.test_request_context():
        template = app.jinja_env.from_string(source)
        for mode in ("empty", "filled", "errors"):
            rf = ReviewForm(formdata=None, held_on=date(2026, 1, 2))
            sf = ScheduleForm(formdata=None)
            bf = BreakForm(formdata=None, day=date(2026, 1, 2))
            pf = ProgressionRecordForm(
                formdata=None, prefix="stp", held_on=date(2026, 1, 2)
            )
            pf.kind.choices = choices(stp_review.RECORD_KINDS)
            if mode == "filled":
                rf.summary.data = 'Went <well> & "fine"'
                bf.requested_by.data = "employer"
                pf.kind.data = "exception"
                pf.topics.data = ["university", "rotations"]
                sf.note.data = "Room 2, 10:00"
            if mode == "errors":
                for field in (
                    rf.held_on, rf.summary, rf.actions, sf.scheduled_on, sf.note,
                    bf.day, bf.reason, bf.requested_by,
                    pf.kind, pf.held_on, pf.topics, pf.text,
                ):  # fmt: skip
                    field.errors = ["Enter <a> value"]
            out = template.render(rf=rf, sf=sf, bf=bf, pf=pf)
            for (macro, _), part in zip(PAIRS, out.split("@@")[1:], strict=True):
                components, plain = part.split("##")
                assert compact(plain) == compact(components), (mode, macro)
                assert "nhsuk-" in plain
                compared += 1
    assert compared == 3 * len(PAIRS)
