"""The fixtures' snapshots: a restored world is the world a real build makes, a
test's writes never reach the next test, and a database that is not clean is
built on for real."""

import sqlalchemy as sa

from portfolio import create_app
from portfolio import jobs
from portfolio.accounts.services import find_user
from portfolio.audit import services as audit
from portfolio.extensions import db
from tests.conftest import base_config
from tests.helpers import snapshots
from tests.helpers.factory import Factory
from tests.helpers.world import _build_world
from tests.helpers.world import build_world

LEAK = "leak@example.org"


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def wipe(app) -> None:
    """Back to a clean database (and Redis), as the ``app`` fixture leaves it."""
    with app.app_context():
        db.session.remove()
        if db.engine.url.get_backend_name() == "sqlite":
            db.drop_all()
            db.create_all()
        else:
            snapshots.empty_postgres()
            jobs.redis_connection(app).flushdb()


def test_a_restored_world_is_what_a_real_build_makes(
    app, client, tmp_path, monkeypatch
):
    # Built (or restored) first by another app, whose instance folder holds
    # another audit key: the copy must come with the key its HMACs were made with.
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    other = create_app(base_config(tmp_path / "elsewhere"))
    assert other.config["AUDIT_KEY"] != app.config["AUDIT_KEY"]
    with other.app_context():
        snapshots.create_schema(other)
    build_world(other, Factory(other))
    wipe(other)
    with other.app_context():
        db.engine.dispose()
    world = build_world(app, Factory(app))  # restored, whatever ran before
    restored = counts(app)
    assert restored["user_account"] == 9 and restored["enrolment"] == 4
    assert restored["audit_event"] > 0 and restored["outcome"] > 0
    with app.app_context():
        assert audit.verify().ok  # its HMACs under the key it was written with
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {world.tokens['trainee']}"}
    )
    assert me.get_json()["email"] == world.trainee
    wipe(app)
    _build_world(app, Factory(app))
    assert counts(app) == restored


def test_a_test_writes_into_its_world(world, factory, app):
    factory.user("trainee", email=LEAK)
    with app.app_context():
        assert find_user(LEAK) is not None


def test_the_next_test_gets_the_world_without_those_writes(world, app):
    with app.app_context():
        assert find_user(LEAK) is None
        assert find_user(world.trainee) is not None


def test_a_world_asked_for_after_other_rows_is_built_on_them(app, factory):
    factory.user("supervisor", email="first@example.org")
    world = build_world(app, factory)
    with app.app_context():
        assert find_user("first@example.org") is not None
        assert find_user(world.lead) is not None
    assert counts(app)["user_account"] == 10
