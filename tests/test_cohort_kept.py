"""The cohort keeps each enrolment's row per process under the enrolment's revision
(``progress.revisions``), its summary's, the curriculum version, the day and the
at-risk settings. Whatever changes through the app, the rows it shows must equal the
rows worked out afresh by the same rules with nothing kept."""

import dataclasses
import random
from datetime import timedelta

import sqlalchemy as sa

from portfolio.accounts.services import find_user
from portfolio.curriculum import spec_cache
from portfolio.enrolments import completion
from portfolio.enrolments import services as training
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import ProgressReview
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.progress import cohort as cohorts
from portfolio.rules import RuleError
from portfolio.signoff import services as signoff
from tests.helpers.people import TODAY
from tests.helpers.people import make_evidence


def _plain(value):
    """A row as plain values: a database row an STP standing holds (its FYA
    sittings) as its table's columns, so two readings of it compare equal."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    table = getattr(value, "__table__", None)
    if table is not None:
        return {c.key: getattr(value, c.key) for c in table.columns}
    return value


def _rows(app, organisation_id: str) -> list:
    with app.app_context():
        return _plain(cohorts.cohort({organisation_id}, TODAY))


def _kept_and_fresh(app, organisation_id: str) -> tuple[list, list]:
    """The rows as the app shows them (its kept rows), then worked out afresh beside
    an empty store, which is put back after (so what was kept stays kept)."""
    kept = _rows(app, organisation_id)
    saved = app.extensions.get(cohorts.COHORT_CACHE)
    app.extensions[cohorts.COHORT_CACHE] = spec_cache.LruCache()
    try:
        fresh = _rows(app, organisation_id)
    finally:
        app.extensions[cohorts.COHORT_CACHE] = saved
    return kept, fresh


def _enrolments(organisation_id: str) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.organisation_id == organisation_id)
            .order_by(Enrolment.id)
        )
    )


def test_kept_rows_always_equal_rows_worked_out_afresh(app, people):
    """Random sequences (seeded) of what moves a cohort row: evidence recorded,
    submitted and decided, breaks started and ended, reviews recorded and signed,
    supervisors assigned, people renamed, an enrolment's status, an FYA sitting, the
    organisation's nation: after every step the rows shown equal fresh ones."""
    rng = random.Random(20261202)
    with app.app_context():
        organisation_id = db.session.scalars(
            sa.select(Organisation.id).where(Organisation.code == "RBV")
        ).one()
    kept, fresh = _kept_and_fresh(app, organisation_id)
    assert kept == fresh and len(kept) == 3
    done: list[str] = []
    kinds = [
        "evidence",
        "submit",
        "decide",
        "break",
        "review",
        "sign",
        "supervisor",
        "rename",
        "status",
        "fya",
        "nation",
    ]
    # Each kind once in that order (Aisha's evidence, so there is one to submit and
    # decide), then a random sequence.
    for step in range(70):
        first = step < len(kinds)
        action = kinds[step] if first else rng.choice(kinds)
        trainee = people.aisha if first else rng.choice([people.aisha, people.ben])
        if action == "evidence":
            make_evidence(app, trainee, occurred_on=TODAY - timedelta(days=step % 50))
            done.append(action)
            continue
        with app.app_context():
            priya = find_user(people.priya)
            enrolment = rng.choice(_enrolments(organisation_id))
            try:
                if action == "submit":
                    item = db.session.scalars(
                        sa.select(Evidence).where(
                            Evidence.owner_id == find_user(people.aisha).id,
                            Evidence.status == "draft",
                        )
                    ).first()
                    if item is None:
                        continue
                    signoff.submit(
                        find_user(people.aisha), item, find_user(people.helen).id
                    )
                elif action == "decide":
                    item = db.session.scalars(
                        sa.select(Evidence).where(
                            Evidence.submitted_to_id == find_user(people.helen).id,
                            Evidence.status == "submitted",
                        )
                    ).first()
                    if item is None:
                        continue
                    signoff.decide(
                        find_user(people.helen),
                        item,
                        rng.choice(["approve", "return"]),
                        "Seen.",
                    )
                elif action == "break":
                    if enrolment.status == "break_in_learning":
                        training.end_break(priya, enrolment, TODAY)
                    else:
                        training.start_break(priya, enrolment, TODAY, "Leave")
                elif action == "review":
                    training.record_review(
                        priya,
                        enrolment,
                        TODAY - timedelta(days=rng.randrange(1, 60)),
                        f"Review {step}",
                        [],
                    )
                elif action == "sign":
                    review = db.session.scalars(
                        sa.select(ProgressReview).where(
                            ProgressReview.enrolment_id == enrolment.id
                        )
                    ).first()
                    if review is None:
                        continue
                    training.sign_review(priya, enrolment, review.id)
                elif action == "supervisor":
                    training.add_supervisor(
                        priya,
                        enrolment,
                        training.SupervisorInput(
                            rng.choice([people.tom, people.helen, people.sam]),
                            rng.choice(["training_officer", "assessor"]),
                        ),
                    )
                elif action == "rename":
                    person = find_user(rng.choice([trainee, people.tom, people.sam]))
                    person.name = f"{person.name.split(' (')[0]} ({step})"
                    db.session.commit()
                elif action == "status":
                    training.set_status(
                        priya, enrolment, rng.choice(["active", "completed"])
                    )
                elif action == "fya":
                    completion.record_fya_sitting(
                        priya, enrolment, TODAY - timedelta(days=1), "awaiting"
                    )
                elif action == "nation":
                    place = db.session.get(Organisation, organisation_id)
                    place.nation = rng.choice(["England", "Wales", "Scotland"])
                    db.session.commit()
            except RuleError:
                db.session.rollback()
                continue
            finally:
                db.session.remove()
        done.append(action)
        kept, fresh = _kept_and_fresh(app, organisation_id)
        assert kept == fresh, (step, action)
    # The sequence reached every kind of change that cannot be refused where it
    # stands (a break on a completed enrolment, or an FYA sitting on a framework, can).
    assert set(done) >= {
        "evidence",
        "submit",
        "decide",
        "review",
        "rename",
        "nation",
    }, sorted(set(done))


def test_sql_outside_the_app_is_seen_after_a_rebuild(app, runner, people):
    """A change written behind the app's back moves no revision, so the kept row
    stands until ``flask progress rebuild`` gives every enrolment a new one."""
    with app.app_context():
        organisation_id = db.session.scalars(
            sa.select(Organisation.id).where(Organisation.code == "RBV")
        ).one()
        trainee_id = find_user(people.ben).id
    before = [r["trainee"]["name"] for r in _rows(app, organisation_id)]
    assert "Ben Other" in before
    with app.app_context():
        engine = db.engine
    with engine.begin() as connection:  # not the app's session: no revision moves
        connection.execute(
            sa.text("UPDATE user_account SET name = 'Ben Renamed' WHERE id = :id"),
            {"id": trainee_id},
        )
    assert [r["trainee"]["name"] for r in _rows(app, organisation_id)] == before
    result = runner.invoke(args=["progress", "rebuild"])
    assert result.exit_code == 0, result.output
    after = [r["trainee"]["name"] for r in _rows(app, organisation_id)]
    assert "Ben Renamed" in after and "Ben Other" not in after
