"""The account-lifecycle migration keeps what was there: people stay active with
their roles (open-ended), and nobody is asked for a second factor they never set."""

import sqlite3

from tests.test_migrations import flask

BEFORE = "a5c8e1f4b7d2"
AFTER = "e6b2f0c4d8a1"


def test_existing_people_and_roles_survive_the_lifecycle_migration(tmp_path):
    path = tmp_path / "old.db"
    env = {
        "DATABASE_URL": f"sqlite:///{path}",
        "PORTFOLIO_INSTANCE_PATH": str(tmp_path),
    }
    old = flask("db", "upgrade", BEFORE, env=env)
    assert old.returncode == 0, old.stderr
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO organisation (id, code, name, kind, nation, region) "
            "VALUES ('org1', 'RBV', 'The Christie', 'trust', 'England', 'North West')"
        )
        conn.execute(
            "INSERT INTO user_account (id, email, name, password_hash, session_token, "
            "active, created_at) VALUES ('u1', 'a@example.org', 'A Person', 'x', 't1', "
            "1, '2026-01-01 00:00:00')"
        )
        conn.execute(
            "INSERT INTO role_assignment (id, user_id, role, organisation_id) "
            "VALUES ('r1', 'u1', 'trainee', 'org1')"
        )
    new = flask("db", "upgrade", AFTER, env=env)
    assert new.returncode == 0, new.stderr
    with sqlite3.connect(path) as conn:
        user = conn.execute(
            "SELECT email, active, deactivated_at, totp_secret, hcpc_number "
            "FROM user_account"
        ).fetchall()
        roles = conn.execute(
            "SELECT role, organisation_id, start_date, end_date FROM role_assignment"
        ).fetchall()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert user == [("a@example.org", 1, None, None, None)]
    assert roles == [("trainee", "org1", None, None)]
    assert {"invitation", "recovery_code"} <= tables
    back = flask("db", "downgrade", BEFORE, env=env)
    assert back.returncode == 0, back.stderr
