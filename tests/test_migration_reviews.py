"""The review-scheduling migration keeps existing reviews (never reminded yet) and
its downgrade keeps them too."""

import sqlite3

from tests.test_migrations import flask

BEFORE = "d8b2f6a1c3e7"
AFTER = "f3a9c2e7b1d5"


def test_existing_reviews_survive_the_scheduling_migration_both_ways(tmp_path):
    path = tmp_path / "old.db"
    env = {
        "DATABASE_URL": f"sqlite:///{path}",
        "PORTFOLIO_INSTANCE_PATH": str(tmp_path),
    }
    old = flask("db", "upgrade", BEFORE, env=env)
    assert old.returncode == 0, old.stderr
    with sqlite3.connect(path) as conn:
        # SQLite leaves foreign keys unchecked unless asked: the review alone will do.
        conn.execute(
            "INSERT INTO progress_review (id, enrolment_id, kind, held_on, summary, "
            "actions, created_by_id, created_at, trainee_signed_at) VALUES ('rv1', "
            "'e1', 'stp_end_of_year', '2026-09-20', 'Good year', '[]', 'u1', "
            "'2026-09-20 10:00:00', '2026-09-21 09:00:00')"
        )
    new = flask("db", "upgrade", AFTER, env=env)
    assert new.returncode == 0, new.stderr
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT id, summary, trainee_signed_at, signatures_reminded_at "
            "FROM progress_review"
        ).fetchall()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert rows == [("rv1", "Good year", "2026-09-21 09:00:00", None)]
    assert "scheduled_review" in tables
    back = flask("db", "downgrade", BEFORE, env=env)
    assert back.returncode == 0, back.stderr
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, summary FROM progress_review").fetchall()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert rows == [("rv1", "Good year")] and "scheduled_review" not in tables
