"""The capacity aggregates against a small hand-made world, worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.capacity import queries
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.curriculum.models import Curriculum
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from tests.conftest import ON_POSTGRES

TODAY = date(2026, 6, 1)
NW, NEY, LONDON = "North West", "North East and Yorkshire", "London"


@pytest.fixture
def world(app, factory):
    """Three trusts in three regions, four curricula, seven trainees, three supervisors.

    RBV (North West): t1 STP RP active, ends 2028 (also on ai-dht, an extension:
    not counted); t2 STP RP on a break, ends 2027; t3 level 4 apprenticeship
    (no specialism), ends 2027; t4 STP RP withdrawn and t5 STP RP completed (not
    counted). RR8 (North East and Yorkshire): t6 STP NM, ends 2028; t7 STP RP,
    ends 2028. RPY (London): no trainees.

    Supervision in force on TODAY: s1 supervises t1 (twice: training officer and
    assessor), t2 and t6; s2 supervises t3; s3 supervises t6 and t7. s1's old
    assignment to t3 has ended, and s1's assignment to t4 is on a withdrawn
    enrolment; neither counts.
    """
    with app.app_context():
        orgs = {}
        for code, region in (("RBV", NW), ("RR8", NEY), ("RPY", LONDON)):
            org = Organisation(
                code=code,
                name=f"Trust {code}",
                kind="trust",
                nation="England",
                region=region,
            )
            db.session.add(org)
            orgs[code] = org
        curricula = {}
        for slug, kind, specialism in (
            ("stp-rp", "stp", "RP"),
            ("stp-nm", "stp", "NM"),
            ("app-l4", "apprenticeship", None),
            ("ai-dht", "digital", None),
        ):
            curriculum = Curriculum(
                slug=slug,
                version="1",
                kind=kind,
                title=slug,
                specialism=specialism,
                effective_from=date(2022, 1, 1),
                content_hash="x",
            )
            db.session.add(curriculum)
            curricula[slug] = curriculum
        db.session.commit()
        org_ids = {code: org.id for code, org in orgs.items()}
        curriculum_ids = {slug: c.id for slug, c in curricula.items()}
    people = {}
    for name in ("t1", "t2", "t3", "t4", "t5", "t6", "t7"):
        people[name] = factory.user_id(
            factory.user("trainee", "RBV", f"{name}@example.org", name.upper())
        )
    for name in ("s1", "s2", "s3"):
        people[name] = factory.user_id(
            factory.user("supervisor", "RBV", f"{name}@example.org", name.upper())
        )
    with app.app_context():
        enrolments = {}
        for key, trainee, slug, code, status, end in (
            ("e1", "t1", "stp-rp", "RBV", "active", date(2028, 8, 31)),
            ("e1x", "t1", "ai-dht", "RBV", "active", date(2028, 8, 31)),
            ("e2", "t2", "stp-rp", "RBV", "break_in_learning", date(2027, 8, 31)),
            ("e3", "t3", "app-l4", "RBV", "active", date(2027, 3, 31)),
            ("e4", "t4", "stp-rp", "RBV", "withdrawn", date(2027, 8, 31)),
            ("e5", "t5", "stp-rp", "RBV", "completed", date(2026, 3, 31)),
            ("e6", "t6", "stp-nm", "RR8", "active", date(2028, 8, 31)),
            ("e7", "t7", "stp-rp", "RR8", "active", date(2028, 9, 30)),
        ):
            enrolment = Enrolment(
                trainee_id=people[trainee],
                curriculum_id=curriculum_ids[slug],
                organisation_id=org_ids[code],
                start_date=date(2024, 9, 1),
                expected_end_date=end,
                status=status,
            )
            db.session.add(enrolment)
            enrolments[key] = enrolment
        db.session.flush()
        for supervisor, key, role, start, end in (
            ("s1", "e1", "training_officer", date(2025, 9, 1), None),
            ("s1", "e1", "assessor", date(2025, 9, 1), None),
            ("s1", "e2", "training_officer", date(2025, 9, 1), None),
            ("s1", "e3", "training_officer", date(2025, 1, 1), date(2025, 6, 30)),
            ("s2", "e3", "training_officer", date(2025, 7, 1), None),
            ("s1", "e4", "training_officer", date(2025, 1, 1), None),
            ("s3", "e6", "training_officer", date(2025, 9, 1), None),
            ("s1", "e6", "assessor", date(2026, 1, 1), date(2026, 12, 31)),
            ("s3", "e7", "training_officer", date(2025, 9, 1), None),
            ("s2", "e7", "assessor", date(2026, 7, 1), None),  # not yet started
        ):
            enrolment = enrolments[key]
            db.session.add(
                SupervisionAssignment(
                    enrolment_id=enrolment.id,
                    trainee_id=enrolment.trainee_id,
                    supervisor_id=people[supervisor],
                    role=role,
                    start_date=start,
                    end_date=end,
                )
            )
        for code, specialism, programme, year, commissioned, filled in (
            ("RBV", "RP", "stp", 2025, 3, 3),
            ("RBV", "RP", "stp", 2026, 4, 3),
            ("RBV", "NM", "stp", 2026, 1, 1),
            ("RR8", "RP", "stp", 2026, 2, 2),
            ("RR8", "RP", "apprenticeship_l4", 2026, 2, 1),
            ("RPY", "RP", "stp", 2024, 2, 2),
        ):
            db.session.add(
                TrainingPlace(
                    organisation_id=org_ids[code],
                    specialism=specialism,
                    programme=programme,
                    intake_year=year,
                    commissioned=commissioned,
                    filled=filled,
                )
            )
        for code, specialism, as_of, est, in_post, r5, r15 in (
            ("RBV", "RP", date(2025, 3, 31), "10", "8", 1, 3),
            ("RBV", "RP", date(2026, 3, 31), "12.5", "10", 2, 4),
            ("RR8", "RP", date(2026, 3, 31), "20", "18.25", None, None),
            ("RR8", "NM", date(2026, 3, 31), "5", "5", 1, 1),
        ):
            db.session.add(
                WorkforceRecord(
                    organisation_id=org_ids[code],
                    specialism=specialism,
                    as_of=as_of,
                    establishment_wte=Decimal(est),
                    in_post_wte=Decimal(in_post),
                    vacancies_wte=Decimal(est) - Decimal(in_post),
                    retiring_5y=r5,
                    retiring_15y=r15,
                )
            )
        db.session.commit()
    return {"orgs": org_ids, "people": people}


@pytest.fixture
def statements(app, world):
    """Count the SQL statements run inside the block."""
    with app.app_context():
        seen = []

        def count(*args):
            seen.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", count)
        yield seen
        sa.event.remove(db.engine, "before_cursor_execute", count)


def pick(rows, *keys):
    return [tuple(row[k] for k in keys) for row in rows]


def test_trainees_by_organisation_specialism_and_kind(statements):
    rows = queries.trainee_totals(("organisation", "specialism", "kind"))
    assert pick(
        rows,
        "organisation_code",
        "specialism",
        "kind",
        "trainees",
        "active",
        "on_break",
    ) == [
        ("RBV", "", "apprenticeship", 1, 1, 0),
        ("RBV", "RP", "stp", 2, 1, 1),
        ("RR8", "NM", "stp", 1, 1, 0),
        ("RR8", "RP", "stp", 1, 1, 0),
    ]
    assert rows[0]["organisation_name"] == "Trust RBV"
    assert len(statements) == 1, "one aggregate query"


def test_trainee_totals_by_specialism_region_and_national(world, app_ctx):
    assert pick(queries.trainee_totals(("specialism",)), "specialism", "trainees") == [
        ("", 1),
        ("NM", 1),
        ("RP", 3),
    ]
    assert pick(queries.trainee_totals(("region",)), "region", "trainees") == [
        (NEY, 2),
        (NW, 3),
    ]
    (national,) = queries.trainee_totals(())
    assert (national["trainees"], national["active"], national["on_break"]) == (5, 4, 1)
    (rbv,) = queries.trainee_totals((), {world["orgs"]["RBV"]})
    assert rbv["trainees"] == 3


def test_expected_completions_by_year(world, app_ctx):
    rows = queries.completion_totals(("specialism", "year"))
    assert pick(rows, "specialism", "year", "completions") == [
        ("", 2027, 1),
        ("NM", 2028, 1),
        ("RP", 2027, 1),
        ("RP", 2028, 2),
    ]
    later = queries.completion_totals(("year",), from_year=2028, to_year=2028)
    assert pick(later, "year", "completions") == [(2028, 3)]
    leeds = queries.completion_totals(("kind", "year"), {world["orgs"]["RR8"]})
    assert pick(leeds, "kind", "year", "completions") == [("stp", 2028, 2)]


def test_supervisors_and_their_load(world, statements):
    rows = queries.supervisor_totals(("organisation",), today=TODAY, soft_cap=1)
    assert pick(
        rows,
        "organisation_code",
        "supervisors",
        "supervised",
        "max_load",
        "over_soft_cap",
    ) == [("RBV", 2, 3, 2, 1), ("RR8", 2, 3, 2, 1)]
    assert len(statements) == 1
    (national,) = queries.supervisor_totals((), today=TODAY, soft_cap=1)
    # s1: t1, t2, t6 (3); s2: t3 (1); s3: t6, t7 (2).
    assert (
        national["supervisors"],
        national["supervised"],
        national["max_load"],
        national["over_soft_cap"],
    ) == (3, 6, 3, 2)
    later = queries.supervisor_totals((), today=date(2027, 1, 1), soft_cap=1)
    # s1's assessor role for t6 has ended and s2 now also assesses t7:
    # s1: t1, t2; s2: t3, t7; s3: t6, t7.
    assert pick(later, "supervisors", "supervised", "max_load", "over_soft_cap") == [
        (3, 6, 2, 3)
    ]


def test_each_supervisor_load_at_one_organisation(world, app_ctx):
    rows = queries.supervisor_loads({world["orgs"]["RBV"]}, today=TODAY)
    assert pick(rows, "name", "trainees", "assignments") == [
        ("S1", 2, 3),
        ("S2", 1, 1),
    ]
    assert rows[0]["supervisor_id"] == world["people"]["s1"]


def test_training_places(world, statements):
    rows = queries.place_totals(("specialism", "intake_year"))
    assert pick(
        rows, "specialism", "intake_year", "commissioned", "filled", "organisations"
    ) == [
        ("NM", 2026, 1, 1, 1),
        ("RP", 2024, 2, 2, 1),
        ("RP", 2025, 3, 3, 1),
        ("RP", 2026, 8, 6, 2),
    ]
    assert len(statements) == 1
    regions = queries.place_totals(("region",), from_year=2025)
    assert pick(regions, "region", "commissioned", "filled") == [
        (NEY, 4, 3),
        (NW, 8, 7),
    ]
    (rbv,) = queries.place_totals((), {world["orgs"]["RBV"]}, to_year=2025)
    assert (rbv["commissioned"], rbv["filled"]) == (3, 3)
    programmes = queries.place_totals(("programme",), {world["orgs"]["RR8"]})
    assert pick(programmes, "programme", "commissioned") == [
        ("apprenticeship_l4", 2),
        ("stp", 2),
    ]


def test_workforce_uses_each_organisation_latest_record(world, statements):
    rows = queries.workforce_totals(("specialism",))
    assert len(statements) == 1
    nm, rp = rows
    assert (nm["specialism"], nm["establishment_wte"], nm["vacancy_rate"]) == (
        "NM",
        Decimal("5"),
        0.0,
    )
    # RBV 2026 (12.5, 10) and RR8 2026 (20, 18.25); RBV's 2025 record is older.
    assert rp["establishment_wte"] == Decimal("32.5")
    assert rp["in_post_wte"] == Decimal("28.25")
    assert rp["vacancies_wte"] == Decimal("4.25")
    assert rp["vacancy_rate"] == pytest.approx(4.25 / 32.5)
    assert (rp["retiring_5y"], rp["retiring_15y"]) == (2, 4)  # RR8 gave none
    assert (rp["organisations"], rp["oldest"], rp["newest"]) == (
        2,
        date(2026, 3, 31),
        date(2026, 3, 31),
    )
    earlier = queries.workforce_totals(("specialism",), as_of=date(2025, 12, 31))
    assert pick(earlier, "specialism", "establishment_wte", "vacancies_wte") == [
        ("RP", Decimal("10"), Decimal("2"))
    ]
    regions = queries.workforce_totals(("region",))
    assert pick(regions, "region", "establishment_wte") == [
        (NEY, Decimal("25")),
        (NW, Decimal("12.5")),
    ]
    assert queries.workforce_totals((), {world["orgs"]["RPY"]}) == [
        {
            "establishment_wte": 0,
            "in_post_wte": 0,
            "vacancies_wte": 0,
            "retiring_5y": None,
            "retiring_15y": None,
            "organisations": 0,
            "oldest": None,
            "newest": None,
            "vacancy_rate": None,
        }
    ]


def test_unknown_grouping_is_refused(world, app_ctx):
    with pytest.raises(queries.UnknownDimension):
        queries.place_totals(("kind",))
    with pytest.raises(queries.UnknownDimension):
        queries.supervisor_totals(("specialism",))


def test_people_at_every_level_of_the_report_at_once(world, app_ctx):
    """One pair of queries (GROUPING SETS on PostgreSQL) gives the same rows as the
    per-level queries, at every level the capacity report uses."""
    levels = [
        ("organisation", "specialism"),
        ("organisation",),
        ("specialism",),
        (),
        ("region",),
    ]
    today = date.today()
    counted = []

    def count(conn, cursor, statement, params, context, executemany):
        counted.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        together = queries.people_at_levels(levels, today=today, soft_cap=1)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    if ON_POSTGRES:
        assert len(counted) == 2 and all("GROUPING SETS" in s for s in counted)

    def rows(found):
        return sorted(sorted(row.items()) for row in found)

    for level in levels:
        assert rows(together[level][0]) == rows(queries.trainee_totals(level)), level
        assert rows(together[level][1]) == rows(
            queries.supervisor_totals_by_specialism(level, today=today, soft_cap=1)
        ), level
    # An organisation's report: no region level, the figures of one organisation.
    one = {world["orgs"]["RBV"]}
    for asked in ([("organisation", "specialism"), ("organisation",)], [()]):
        found = queries.people_at_levels(asked, one, today=today)
        for level in asked:
            assert rows(found[level][0]) == rows(queries.trainee_totals(level, one))
            assert rows(found[level][1]) == rows(
                queries.supervisor_totals_by_specialism(level, one, today=today)
            )
    assert together[()][0][0]["trainees"] > 0
    assert any(row["supervisors"] for row in together[("organisation",)][1])
    with pytest.raises(queries.UnknownDimension):
        queries.people_at_levels([("kind",)])


def test_places_completions_and_workforce_at_every_level_at_once(world, app_ctx):
    """The report's totals come from the database at each level: the *_at queries
    give the same rows as one query a level."""

    def rows(found):
        return sorted(sorted((k, str(v)) for k, v in row.items()) for row in found)

    keys = [("organisation", "specialism"), ("organisation",), ("specialism",), ()]
    national = [*keys, ("region",)]
    for scope in (None, {world["orgs"]["RBV"]}):
        levels = keys if scope else national
        places = queries.place_totals_at(
            [(*level, "intake_year") for level in levels], scope, 2020, 2030
        )
        completions = queries.completion_totals_at(
            [(*level, "year") for level in levels], scope, 2020, 2040
        )
        workforce = queries.workforce_totals_at(levels, scope, date(2030, 12, 31))
        for level in levels:
            by_year = (*level, "intake_year")
            assert rows(places[by_year]) == rows(
                queries.place_totals(by_year, scope, 2020, 2030)
            ), by_year
            by_year = (*level, "year")
            assert rows(completions[by_year]) == rows(
                queries.completion_totals(by_year, scope, 2020, 2040)
            ), by_year
            assert rows(workforce[level]) == rows(
                queries.workforce_totals(level, scope, date(2030, 12, 31))
            ), level
    assert places[("intake_year",)] and workforce[()][0]["organisations"]
