"""The training lead's cohort page: one row per trainee with their programmes inside,
search and filters in SQL, sort orders in words, a heat-map with words in every cell,
supervisor load with links, actions from each row, the flags for a missing training
officer and for a review held but not signed, a fixed number of queries, no writes."""

import re
from datetime import timedelta

import sqlalchemy as sa

from portfolio.accounts.services import find_user
from portfolio.enrolments import services as training
from portfolio.enrolments.models import Enrolment
from portfolio.extensions import db
from portfolio.progress import cohort as cohorts
from tests.helpers.people import TODAY
from tests.helpers.people import find_id
from tests.helpers.people import make_evidence


def rows(html: str) -> list[str]:
    body = html.split('<tbody class="nhsuk-table__body">', 1)[1].split("</tbody>")[0]
    return re.findall(r'<tr class="nhsuk-table__row" role="row">.*?</tr>', body, re.S)


def names(html: str) -> list[str]:
    found = [re.search(r"<strong>([^<]+)</strong>", r) for r in rows(html)]
    return [m.group(1) for m in found if m]


def enrolment_id(app, email: str, slug: str) -> str:
    with app.app_context():
        return db.session.scalars(
            sa.select(Enrolment.id).where(
                Enrolment.trainee_id == find_id(app, email),
                Enrolment.curriculum.has(slug=slug),
            )
        ).one()


def test_one_row_per_trainee_with_their_programmes_inside(client, people, as_user):
    as_user(people.priya)
    html = client.get("/cohort/").get_data(as_text=True)
    assert names(html) == ["Aisha Rahman", "Ben Other"]
    aisha = rows(html)[0]
    assert "STP Radiotherapy Physics" in aisha and "AI and Digital" in aisha
    assert aisha.count("<progress") == 2 and "0%" in aisha and "0.0%" not in aisha
    assert "2 trainees" in html
    # Actions reachable from the row: reviews, the enrolment, evidence to unlock.
    assert "Record or sign a review" in aisha and "Enrolment and supervisors" in aisha
    aisha_id = find_id(client.application, people.aisha)
    assert f"/evidence/?trainee={aisha_id}&amp;status=signed_off" in aisha
    for link in re.findall(r'href="(/[^"]+)"', aisha):
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_search_filters_and_sort_orders_in_words(app, client, people, as_user):
    as_user(people.priya)
    assert names(client.get("/cohort/?q=AISH").get_data(as_text=True)) == [
        "Aisha Rahman"
    ]
    assert names(client.get("/cohort/?q=ben%40example").get_data(as_text=True)) == [
        "Ben Other"
    ]
    # LIKE wildcards are taken literally.
    assert names(client.get("/cohort/?q=%25").get_data(as_text=True)) == []
    only = client.get("/cohort/?programme=ai-dht").get_data(as_text=True)
    assert names(only) == ["Aisha Rahman"] and "STP Radiotherapy" not in rows(only)[0]
    assert names(client.get("/cohort/?specialism=RP").get_data(as_text=True)) == [
        "Aisha Rahman",
        "Ben Other",
    ]
    assert names(client.get("/cohort/?year=1").get_data(as_text=True)) == [
        "Aisha Rahman",
        "Ben Other",
    ]
    assert names(client.get("/cohort/?year=2").get_data(as_text=True)) == []
    make_evidence(app, people.aisha)
    by_activity = client.get("/cohort/?sort=last_activity").get_data(as_text=True)
    assert names(by_activity) == ["Ben Other", "Aisha Rahman"]  # never active first
    html = client.get("/cohort/?sort=flags").get_data(as_text=True)
    assert 'value="flags" selected>Most flags first<' in html
    assert ">Progress, lowest first<" in html and ">last_activity<" not in html
    # The CSV takes the same filters (one row per enrolment).
    csv = client.get("/cohort.csv?q=aisha").get_data(as_text=True).splitlines()
    assert len(csv) == 3 and all("Aisha Rahman" in line for line in csv[1:])
    # Nonsense is ignored, never an error.
    assert client.get("/cohort/?sort=x&year=9&flag=x&status=x").status_code == 200


def test_a_missing_training_officer_is_flagged(app, client, people, as_user):
    with app.app_context():
        training.create_enrolment(
            find_user(people.priya),
            "ben@example.org",
            "ai-dht",
            "RBV",
            TODAY - timedelta(days=10),
            TODAY + timedelta(days=700),
        )
        db.session.remove()
    as_user(people.gareth)  # Oliver at Leeds: an STP enrolment with no officer
    html = client.get("/cohort/").get_data(as_text=True)
    assert "No training officer assigned" in html and "None assigned" in html
    assert names(
        client.get("/cohort/?flag=no_training_officer").get_data(as_text=True)
    ) == ["Oliver Bennett"]
    as_user(people.priya)  # a framework without a training officer is not flagged
    html = client.get("/cohort/?flag=no_training_officer").get_data(as_text=True)
    assert names(html) == []


def test_a_review_held_but_not_signed_shows_as_that_and_clears_when_signed(
    app, client, people, as_user
):
    enrolment = enrolment_id(app, people.aisha, "stp-rp")
    with app.app_context():
        row = db.session.get(Enrolment, enrolment)
        row.start_date = TODAY - timedelta(days=800)  # its first review is overdue
        db.session.commit()
        db.session.remove()
    as_user(people.priya)
    first = rows(client.get("/cohort/?q=aisha").get_data(as_text=True))[0]
    # An STP trainee's: the review of progression's flag, not the generic one too.
    assert "not met by" in first and "Progress review overdue" not in first
    as_user(people.tom)
    recorded = client.post(
        f"/progress/{enrolment}/reviews",
        data={"held_on": TODAY.isoformat(), "summary": "Going well"},
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)
    as_user(people.priya)
    held = rows(client.get("/cohort/?q=aisha").get_data(as_text=True))[0]
    assert "overdue" not in held
    assert "waiting to be signed by the trainee, the employer" in held
    with app.app_context():
        from portfolio.enrolments.models import ProgressReview

        review_id = db.session.scalars(sa.select(ProgressReview.id)).one()
    for who in (people.aisha, people.priya):
        as_user(who)
        signed = client.post(f"/progress/{enrolment}/reviews/{review_id}/sign")
        assert signed.status_code == 302
    as_user(people.priya)
    after = rows(client.get("/cohort/?q=aisha").get_data(as_text=True))[0]
    assert "overdue" not in after and "waiting to be signed" not in after


def test_the_heat_map_has_words_in_every_cell(client, people, as_user):
    as_user(people.priya)
    html = client.get("/cohort/").get_data(as_text=True)
    heat = html.split('id="heat-map"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<td class="nhsuk-table__cell[^"]*">([^<]*)</td>', heat)
    assert cells and all(c.strip() for c in cells)
    assert "No recent evidence" in heat and "Yes" in heat and "No" in heat
    modules = client.get("/cohort/?programme=stp-rp").get_data(as_text=True)
    heat = modules.split('id="heat-map"', 1)[1].split("</table>", 1)[0]
    assert "P-MP-R1" in heat and "0 of 8, not started" in heat
    assert 'class="app-table-scroll" tabindex="0" role="region"' in modules


def test_supervisor_load_links_to_their_trainees(client, people, as_user):
    as_user(people.priya)
    html = client.get("/cohort/").get_data(as_text=True)
    tom = find_id(client.application, people.tom)
    assert f'href="/people/{tom}"' in html
    assert f'href="/cohort/?supervisor={tom}"' in html
    assert names(client.get(f"/cohort/?supervisor={tom}").get_data(as_text=True)) == [
        "Aisha Rahman"
    ]


def test_the_cohort_is_paged(app, client, factory, people, as_user):
    with app.app_context():
        priya = find_user(people.priya)
        for n in range(cohorts.PER_PAGE + 1):
            email = factory.user(
                "trainee", "RBV", f"p{n:02}@example.org", f"Zed {n:02}"
            )
            training.create_enrolment(
                priya, email, "ai-dht", "RBV", TODAY, TODAY + timedelta(days=700)
            )
        db.session.remove()
    as_user(people.priya)
    first = client.get("/cohort/").get_data(as_text=True)
    assert len(rows(first)) == cohorts.PER_PAGE and "page 1 of 2" in first
    second = client.get("/cohort/?page=2").get_data(as_text=True)
    assert names(second) == ["Zed 23", "Zed 24", "Zed 25"]
    assert "28 trainees" in second and "Previous page" in second


def _count_queries(app, func) -> int:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        func()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_the_cohort_takes_the_same_queries_whatever_its_size(
    app, client, factory, people, as_user
):
    from tests.test_progress_read_model import _writes_during

    as_user(people.priya)
    urls = (
        "/cohort/",
        "/cohort/?programme=stp-rp",
        "/cohort/?flag=any&sort=flags",
        "/cohort/?sort=last_activity&q=e",
    )
    for url in urls:
        client.get(url)
    small = {url: _count_queries(app, lambda u=url: client.get(u)) for url in urls}
    officers = [
        factory.user("supervisor", "RBV", f"sv{n}@example.org", f"Officer {n}")
        for n in range(3)
    ]
    with app.app_context():
        priya = find_user(people.priya)
        for n in range(12):
            email = factory.user("trainee", "RBV", f"q{n}@example.org", f"Extra {n}")
            training.create_enrolment(
                priya,
                email,
                "stp-rp" if n % 2 else "ai-dht",
                "RBV",
                TODAY - timedelta(days=40 * n),
                TODAY + timedelta(days=900),
                [training.SupervisorInput(officers[n % 3], "training_officer")]
                if n % 4
                else [],
            )
        db.session.remove()
    for n in range(4):
        make_evidence(client.application, f"q{n}@example.org", claims=[])
    # The first read after the changes works out the changed enrolments' rows (the
    # curricula and those enrolments, two queries); then each row is kept.
    first = _count_queries(app, lambda: client.get(urls[0]))
    assert first == small[urls[0]] + 2, (small[urls[0]], first)
    big = {url: _count_queries(app, lambda u=url: client.get(u)) for url in urls}
    assert big == small
    for url in urls:
        assert _writes_during(app, lambda u=url: client.get(u)) == [], url


def test_the_cohort_reads_columns_not_people_enrolments_or_curricula(
    app, client, people, as_user
):
    """The cohort's rows come from columns: the only User object loaded is whoever is
    signed in, no Enrolment at all, and a Curriculum only beside the STP modules'
    outcomes (``stp_tracking``), once per curriculum whatever the number of rows."""
    from portfolio.accounts.models import User
    from portfolio.curriculum.models import Curriculum

    loaded: list[object] = []

    def record(target, context):
        loaded.append(target)

    as_user(people.priya)
    urls = ("/cohort/", "/cohort/?programme=stp-rp", "/cohort/?sort=flags&flag=any")
    for url in urls:
        client.get(url)
    priya = find_id(app, people.priya)
    for model in (User, Enrolment, Curriculum):
        sa.event.listen(model, "load", record)
    try:
        for url in urls:
            assert client.get(url).status_code == 200, url
    finally:
        for model in (User, Enrolment, Curriculum):
            sa.event.remove(model, "load", record)
    assert not [o for o in loaded if isinstance(o, Enrolment)]
    assert {o.id for o in loaded if isinstance(o, User)} <= {priya}
    curricula = [o.slug for o in loaded if isinstance(o, Curriculum)]
    assert set(curricula) <= {"stp-rp"} and len(curricula) <= 2 * len(urls)


def test_the_heat_map_reads_the_stored_module_figures(app, client, people, as_user):
    """The modules' heat-map takes the maintained figures: rows changed behind the
    app's back show (and full progress is not recomputed)."""
    from portfolio.progress.models import ProgressOutcome

    enrolment = enrolment_id(app, people.aisha, "stp-rp")
    with app.app_context():
        row = db.session.get(ProgressOutcome, (enrolment, "P-MP-R1"))
        assert row is not None and row.scope == "module"
        row.signed_count = 3
        db.session.commit()
        db.session.remove()
    as_user(people.priya)
    html = client.get("/cohort/?programme=stp-rp&q=aisha").get_data(as_text=True)
    heat = html.split('id="heat-map"', 1)[1].split("</table>", 1)[0]
    assert "3 of 8, under way" in heat


def test_the_cohort_stp_standings_equal_those_from_full_progress(
    app, client, people, as_user
):
    """From the read model (module figures, the MSF round's stored counts), the
    cohort's STP standings equal those the rules give over full progress, on dates
    either side of the review points."""
    from datetime import date

    from portfolio.progress import stp_tracking
    from portfolio.progress import tracking

    make_evidence(app, people.aisha)
    with app.app_context():
        where = cohorts.filters(None, TODAY)
        facts, _ = cohorts.load(where, TODAY)
        enrolments = list(db.session.scalars(sa.select(Enrolment)))
        full = tracking.recomputed_progress(enrolments)
        stp = [e for e in enrolments if stp_tracking.is_stp(e)]
        assert stp
        percents = {e.id: full[e.id].percent_complete for e in enrolments}
        assert {f.id: f.percent_complete for f in facts} == {
            f.id: percents[f.id] for f in facts
        }
        reviews = {f.id: cohorts.review_state(f.reviews) for f in facts}
        for today in (date(2026, 3, 31), date(2026, 9, 15), date(2027, 10, 1)):
            expected = stp_tracking.standings(stp, full, today)
            assert cohorts.stp_standings(facts, percents, today) == expected
            # with the reviews the cohort has read already passed in
            assert cohorts.stp_standings(facts, percents, today, reviews) == expected


def test_an_outcome_on_its_own_counts_as_in_its_tree(app, people):
    """``engine.outcome_progress`` over the one spec the cohort keeps gives what it
    gives over the whole curriculum, for every outcome of every curriculum loaded."""
    from portfolio.curriculum.models import Curriculum
    from portfolio.progress import queries
    from portfolio.progress.engine import OutcomeTally
    from portfolio.progress.engine import outcome_progress

    tallies = [
        None,
        OutcomeTally(evidence=1, submitted=1),
        OutcomeTally(evidence=2, signed=2, signed_dates=2, signed_reflections=2),
        OutcomeTally(
            evidence=3,
            signed=3,
            signed_dates=1,
            signed_reflections=1,
            signed_kinds={"msf": 1, "reflection": 2},
        ),
    ]
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Curriculum.id)))
        checked = 0
        for specs in queries.outcome_specs(ids).values():
            for spec in specs:
                alone = cohorts._on_its_own(specs, spec)
                for t in tallies:
                    whole = outcome_progress(specs, spec.code, t)
                    one = outcome_progress([alone], spec.code, t) if alone else None
                    assert one == whole, spec.code
                    checked += 1
        assert checked > 100


def test_the_cohort_api_pages_in_sql(as_, world):
    """Paged like every list of the API: page 1 of 50 unless asked (the small cohort
    fits), one page of rows in the order asked, and the total."""
    lead = as_("lead")
    every = lead.get("/api/v1/cohort").get_json()
    assert every["total"] == len(every["items"]) >= 2
    assert (every["page"], every["per_page"]) == (1, 50)
    by_name = [(r["trainee"]["name"], r["programme"]) for r in every["items"]]
    got = []
    for page in range(1, every["total"] + 1):
        body = lead.get(f"/api/v1/cohort?page={page}&per_page=1").get_json()
        assert body["total"] == every["total"] and body["per_page"] == 1
        assert len(body["items"]) == 1
        got += [(r["trainee"]["name"], r["programme"]) for r in body["items"]]
    assert got == by_name
    after = lead.get(f"/api/v1/cohort?page={every['total'] + 1}&per_page=1")
    assert after.get_json()["items"] == [] and after.get_json()["total"] == len(got)
    flagged = lead.get("/api/v1/cohort?flagged=true&per_page=1").get_json()
    assert len(flagged["items"]) <= 1
    assert lead.get("/api/v1/cohort?per_page=0").status_code == 400
    assert lead.get("/api/v1/cohort?per_page=201").status_code == 400
    assert lead.get("/api/v1/cohort?page=x").status_code == 400
