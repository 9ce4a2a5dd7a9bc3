"""The read paths stay fast at national scale: a fixed number of queries whatever the
size of a trainee's portfolio, a supervisor's queue or a user's notifications; no
writes on a read; PostgreSQL sessions tuned for short queries."""

import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from tests.world import REFLECTION


class Statements:
    """Counts the SQL statements (and the writes among them) an action sends."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine

    def __call__(self, action) -> tuple[int, list[str]]:
        seen: list[str] = []

        def listener(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(self.engine, "before_cursor_execute", listener)
        try:
            action()
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", listener)
        writes = [
            s
            for s in seen
            if s.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
        ]
        return len(seen), writes


def _get(client, path: str):
    def action():
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        return response

    return action


def _record(as_, n: int, submit: str | None = None) -> list[str]:
    ids = []
    for i in range(n):
        created = as_("trainee").post(
            "/api/v1/evidence",
            json={
                **REFLECTION,
                "title": f"Item {len(ids)} of {n}",
                "occurred_on": f"2026-03-{1 + i % 27:02d}",
            },
        )
        assert created.status_code == 201, created.get_json()
        ids.append(created.get_json()["id"])
        if submit:
            done = as_("trainee").post(
                f"/api/v1/evidence/{ids[-1]}/submit", json={"assessor": submit}
            )
            assert done.status_code == 200, done.get_json()
    return ids


def test_progress_pages_cost_the_same_queries_for_1_or_12_items(
    app, client, as_, world, login
):
    from tests.helpers.api import sign_off

    count = Statements(app)
    login(world.trainee)
    pages = [f"/progress/{world.enrolment_id}", "/progress/"]
    sign_off(as_, world, REFLECTION)
    for page in pages:
        _get(client, page)()  # warm: anything done once per session
    before = {page: count(_get(client, page)) for page in pages}
    _record(as_, 6)
    _record(as_, 5, submit=world.supervisor)
    sign_off(as_, world, {**REFLECTION, "occurred_on": "2026-04-01"})
    login(world.trainee)
    for page in pages:
        _get(client, page)()
        after = count(_get(client, page))
        assert after[1] == [] and before[page][1] == [], (page, after[1])
        assert after[0] == before[page][0], (page, before[page][0], after[0])


def test_the_queue_costs_the_same_queries_for_1_or_8_waiting_and_pages_at_50(
    app, client, as_, world, login
):
    count = Statements(app)
    _record(as_, 1, submit=world.supervisor)
    login(world.supervisor)
    queue = _get(client, "/signoff/queue")
    queue()
    one, writes = count(queue)
    assert writes == []
    _record(as_, 7, submit=world.supervisor)
    queue()
    eight, writes = count(queue)
    assert writes == [] and eight == one, (one, eight)
    page = client.get("/signoff/queue").get_data(as_text=True)
    assert "8 requests waiting" in page
    assert page.count('name="items"') == 8


def test_the_queue_shows_50_a_page_with_the_pagination(app, client, world, login):
    from portfolio.signoff import views

    login(world.supervisor)
    with app.app_context():
        _make_waiting(world, 53)
    first = client.get("/signoff/queue").get_data(as_text=True)
    assert "53 requests waiting: 1 to 50 shown" in first
    assert first.count('name="items"') == views.QUEUE_PER_PAGE == 50
    assert "nhsuk-pagination" in first and "Page 1 of 2" in first
    second = client.get("/signoff/queue?page=2").get_data(as_text=True)
    assert second.count('name="items"') == 3 and "51 to 53 shown" in second


def _make_waiting(world, n: int) -> None:
    """n requests waiting for the world's supervisor (rows, as the services leave them)."""
    from datetime import date

    from portfolio.accounts.models import User
    from portfolio.db import utcnow
    from portfolio.evidence.models import Evidence

    trainee = db.session.scalar(sa.select(User).where(User.email == world.trainee))
    supervisor = db.session.scalar(
        sa.select(User).where(User.email == world.supervisor)
    )
    for i in range(n):
        db.session.add(
            Evidence(
                owner_id=trainee.id,
                kind="reflection",
                title=f"Waiting {i}",
                occurred_on=date(2026, 3, 1),
                body="",
                form=dict(REFLECTION["form"]),
                status="submitted",
                submitted_to_id=supervisor.id,
                submitted_at=utcnow(),
            )
        )
    db.session.commit()


def test_the_header_costs_one_query_whatever_the_unread_count(
    app, client, world, login
):
    from portfolio.accounts.models import User
    from portfolio.notifications.models import Notification
    from portfolio.web import UNREAD_CAP

    count = Statements(app)
    login(world.trainee)
    about = _get(client, "/about")
    about()
    quiet, writes = count(about)
    assert writes == []
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.trainee))
        db.session.add_all(
            Notification(user_id=user.id, message=f"Note {i}", link="/")
            for i in range(UNREAD_CAP + 20)
        )
        db.session.commit()
    busy, _ = count(about)
    assert busy == quiet
    assert f"Notifications ({UNREAD_CAP - 1}+ unread)" in about().get_data(as_text=True)
    # The user, their roles and the count are one statement.
    assert quiet <= 1, quiet


@pytest.mark.postgres
def test_postgres_sessions_run_without_jit_and_cost_random_reads_as_cached(app):
    with app.app_context():
        assert db.session.scalar(sa.text("SHOW jit")) == "off"
        assert db.session.scalar(sa.text("SHOW random_page_cost")) == "1.1"


def test_a_request_that_wrote_nothing_ends_in_commit(app, client, world, login):
    ended: list[str] = []
    with app.app_context():
        engine = db.engine

    def commit(conn):
        ended.append("commit")

    def rollback(conn):
        ended.append("rollback")

    login(world.trainee)
    sa.event.listen(engine, "commit", commit)
    sa.event.listen(engine, "rollback", rollback)
    try:
        _get(client, "/about")()
    finally:
        sa.event.remove(engine, "commit", commit)
        sa.event.remove(engine, "rollback", rollback)
    assert ended == ["commit"]


@pytest.mark.parametrize("write", ["flushed", "pending", "statement"])
def test_a_transaction_that_wrote_is_not_committed_at_its_end(app, world, write):
    from portfolio.db import end_read_only
    from portfolio.organisations.models import Organisation

    with app.app_context():
        if write == "statement":
            db.session.execute(
                sa.update(Organisation).values(name="Renamed at the end")
            )
        else:
            db.session.add(
                Organisation(
                    code="ZZ9",
                    name="Renamed at the end",
                    kind="trust",
                    nation="England",
                )
            )
            if write == "flushed":
                db.session.flush()
        end_read_only(db.session())
        db.session.rollback()
        names = db.session.scalars(sa.select(Organisation.name)).all()
    assert "Renamed at the end" not in names


@pytest.mark.postgres
def test_postgres_keeps_the_statements_it_prepared_from_request_to_request(
    app, world, api
):
    for _ in range(12):
        assert api(world.trainee).get("/api/v1/me").status_code == 200
    with app.app_context():
        prepared = db.session.scalars(
            sa.text("SELECT statement FROM pg_prepared_statements")
        ).all()
    assert any("FROM api_token" in statement for statement in prepared), prepared
